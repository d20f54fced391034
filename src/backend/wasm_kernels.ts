/**
 * Training kernels for tfjs's wasm backend (4.22) that the stock backend lacks or
 * runs slowly, composed from the backend's own XNNPACK-backed kernels.
 *
 * - `Conv2DBackpropFilter` (missing in stock wasm): the filter gradient
 *   `dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s+kh−pt, ow·s+kw−pl, ci] · dy[n,oh,ow,co]`
 *   is one forward convolution of `x` transposed to `[ci,H,W,n]` with `dy`
 *   transposed to `[OH,OW,n,co]` as the filter, dilated by the original stride.
 * - `Conv2DBackpropInput` (stock one is a naive loop): a forward convolution of `dy`
 *   (zero-interleaved when the stride is > 1) with the spatially flipped filter whose
 *   in/out channels are swapped.
 * - `UnsortedSegmentSum` (missing; needed by the gradient of `tf.gather`).
 * - `Slice`, `SplitV`, `Unpack` (stock ones copy the WHOLE input out of wasm memory for every
 *   slice, so splitting into T parts costs T copies of the input; the fused block step splits
 *   block-major activations per block): a contiguous slice copies only its own elements.
 *
 * Supported: NHWC, any strides, 'same' / 'valid' / explicit pads, dilation 1 (the only
 * case tfjs differentiates anyway). Other cases throw a clear Error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend, readTensor } from "./mod.ts";
 * // The filter gradient of a 3×3 'same' conv: this module's wasm kernel against tfjs's cpu one.
 * const filterGrad = async (backend: "wasm" | "cpu") => {
 *   await initBackend(backend); // on wasm: registerWasmKernels()
 *   const x = tf.sin(tf.range(0, 2 * 8 * 8 * 3).reshape([2, 8, 8, 3])) as tf.Tensor4D;
 *   const dy = tf.cos(tf.range(0, 2 * 8 * 8 * 4).reshape([2, 8, 8, 4])) as tf.Tensor4D;
 *   const dw = tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
 *     strides: [1, 1], pad: "same", dataFormat: "NHWC", filterShape: [3, 3, 3, 4],
 *   }) as tf.Tensor;
 *   return await readTensor(dw);
 * };
 * const wasm = await filterGrad("wasm"), cpu = await filterGrad("cpu");
 * assert.ok(wasm.every((v, i) => Math.abs(v - cpu[i]) < 1e-4));
 * ```
 * @module
 */
import { tf } from "../deps_tf.ts";

/** The slice of tfjs's `BackendWasm` these kernels use. */
interface WasmBackend {
  incRef(dataId: unknown): void;
  dataIdMap: { get(dataId: unknown): { id: number; memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: unknown, force?: boolean): boolean;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type Attrs = Record<string, unknown>;
type Inputs = Record<string, tf.TensorInfo>;
type KernelArgs = { inputs: Inputs; backend: WasmBackend; attrs?: Attrs };
type KernelFn = (args: KernelArgs) => tf.TensorInfo;

const BACKEND = "wasm";

/**
 * The kernel names {@linkcode registerWasmKernels} registers (replacing stock ones).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WASM_KERNELS } from "./wasm_kernels.ts";
 * assert.ok(WASM_KERNELS.includes("Conv2DBackpropFilter"));
 * ```
 */
export const WASM_KERNELS: readonly string[] = [
  "Conv2DBackpropFilter",
  "Conv2DBackpropInput",
  "BatchMatMul",
  "MaxPoolGrad",
  "Sum",
  "Cast",
  "Identity",
  "UnsortedSegmentSum",
  "Slice",
  "SplitV",
  "Unpack",
];

/** The stock wasm implementations, captured before we replace any of them. */
const stock = new Map<string, KernelFn>();

function wasmKernel(name: string): KernelFn {
  const saved = stock.get(name);
  if (saved) return saved;
  const k = tf.getKernel(name, BACKEND);
  if (!k) throw new Error(`wasm kernel '${name}' is not registered; import the wasm backend`);
  return k.kernelFunc as unknown as KernelFn;
}

function call(name: string, backend: WasmBackend, inputs: Inputs, attrs: Attrs = {}) {
  return wasmKernel(name)({ inputs, backend, attrs });
}

function f32(backend: WasmBackend, t: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: Attrs,
  kernel: string,
): tf.backend_util.Conv2DInfo {
  const dataFormat = (attrs.dataFormat ?? "NHWC") as "NHWC" | "NCHW";
  if (dataFormat !== "NHWC") {
    throw new Error(`wasm ${kernel}: only dataFormat 'NHWC' is supported, got '${dataFormat}'`);
  }
  const dil = (attrs.dilations ?? [1, 1]) as number | [number, number];
  if (!tf.backend_util.tupleValuesAreOne(dil as [number, number])) {
    throw new Error(`wasm ${kernel}: dilations must be 1, got ${dil}`);
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as "same",
    attrs.dimRoundingMode as "floor" | undefined,
    false,
    "channelsLast",
  );
}

/**
 * Filter gradient as one GEMM: `dW[(kh,kw,ci), co] = Pᵀ · dy` where
 * `Pᵀ[(kh,kw,ci), (n,oh,ow)] = x[n, oh·s+kh−pt, ow·s+kw−pl, ci]` (zero outside) is
 * built in TS from `x` transposed to `[ci,n,H,W]`, and `dy` is used as is
 * (`[n·oh·ow, co]`). Result is `[kh·kw·ci, co]` = `[kh,kw,ci,co]`.
 */
function filterGradIm2col(
  backend: WasmBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  pt: number,
  pl: number,
): tf.TensorInfo {
  const [n, h, w, ci] = x.shape;
  const [, oh, ow, co] = dy.shape;
  const cols = n * oh * ow;
  const xT = ci === 1 ? x : call("Transpose", backend, { x }, { perm: [3, 0, 1, 2] });
  const pT = backend.makeOutput([kh * kw * ci, cols], "float32");
  {
    const src = f32(backend, xT), dst = f32(backend, pT);
    // Valid ow range for tap kw: 0 <= ow*sw + kw - pl < w.
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const j0 = Math.max(0, Math.ceil((pl - b) / sw));
        const j1 = Math.min(ow, Math.floor((w - 1 + pl - b) / sw) + 1);
        for (let c = 0; c < ci; c++) {
          let d = ((a * kw + b) * ci + c) * cols;
          for (let m = 0; m < n; m++) {
            const base = (c * n + m) * h * w;
            for (let i = 0; i < oh; i++, d += ow) {
              const r = i * sh + a - pt;
              if (r < 0 || r >= h || j1 <= j0) {
                for (let j = d, e = d + ow; j < e; j++) dst[j] = 0;
                continue;
              }
              for (let j = d, e = d + j0; j < e; j++) dst[j] = 0;
              for (let j = d + j1, e = d + ow; j < e; j++) dst[j] = 0;
              let so = base + r * w + j0 * sw + b - pl;
              for (let j = d + j0, e = d + j1; j < e; j++, so += sw) dst[j] = src[so];
            }
          }
        }
      }
    }
  }
  if (xT !== x) backend.disposeData(xT.dataId);
  const dy2 = { dataId: dy.dataId, shape: [cols, co], dtype: dy.dtype } as tf.TensorInfo;
  const g = call("BatchMatMul", backend, { a: pT, b: dy2 }, {
    transposeA: false,
    transposeB: false,
  });
  backend.disposeData(pT.dataId);
  g.shape = [kh, kw, ci, co];
  return g;
}

/**
 * Filter gradient as one dilated forward convolution:
 * `dW = conv2d(transpose(x,[3,1,2,0]), transpose(dy,[1,2,0,3]), dilation = stride)`,
 * cropped to the filter size and transposed back to `[KH,KW,Ci,Co]`.
 */
function filterGradConv(
  backend: WasmBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  pt: number,
  pl: number,
): tf.TensorInfo {
  const [, h, w, ci] = x.shape;
  const [, oh, ow, co] = dy.shape;
  // Pad so the output (the filter gradient) has at least kh x kw taps; crop extras.
  const pb = Math.max(0, kh + (oh - 1) * sh - h - pt);
  const pr = Math.max(0, kw + (ow - 1) * sw - w - pl);
  const outH = h + pt + pb - (oh - 1) * sh;
  const outW = w + pl + pr - (ow - 1) * sw;
  const xT = call("Transpose", backend, { x }, { perm: [3, 1, 2, 0] });
  const dyT = call("Transpose", backend, { x: dy }, { perm: [1, 2, 0, 3] });
  let g = call("Conv2D", backend, { x: xT, filter: dyT }, {
    strides: [1, 1],
    pad: [[0, 0], [pt, pb], [pl, pr], [0, 0]],
    dataFormat: "NHWC",
    dilations: [sh, sw],
  });
  backend.disposeData(xT.dataId);
  backend.disposeData(dyT.dataId);
  if (outH !== kh || outW !== kw) {
    const cropped = call("Slice", backend, { x: g }, {
      begin: [0, 0, 0, 0],
      size: [ci, kh, kw, co],
    });
    backend.disposeData(g.dataId);
    g = cropped;
  }
  if (ci === 1) {
    // [1,kh,kw,co] and [kh,kw,1,co] have the same layout.
    g.shape = [kh, kw, 1, co];
    return g;
  }
  const out = call("Transpose", backend, { x: g }, { perm: [1, 2, 0, 3] });
  backend.disposeData(g.dataId);
  return out;
}

/**
 * Tuning of the wasm `Conv2DBackpropFilter` (for benchmarks and tests): `mode` "auto"
 * (= im2col) | "im2col" | "conv" (one dilated forward conv), and the im2col buffer cap
 * above which the batch is processed in chunks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend, readTensor } from "./mod.ts";
 * import { filterGradAlgo } from "./wasm_kernels.ts";
 * await initBackend("wasm");
 * const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D, dy = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
 * const attrs = { strides: [1, 1], pad: "same", dataFormat: "NHWC", filterShape: [3, 3, 1, 1] };
 * const grad = () =>
 *   readTensor(tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, attrs) as tf.Tensor);
 * filterGradAlgo.mode = "conv"; // compare algorithms
 * const viaConv = await grad();
 * filterGradAlgo.mode = "im2col";
 * assert.deepEqual(await grad(), viaConv);
 * filterGradAlgo.mode = "auto";
 * assert.equal(viaConv[4], 16); // the centre tap sees all 16 positions
 * ```
 */
export const filterGradAlgo: {
  mode: "auto" | "im2col" | "conv";
  maxIm2colBytes: number;
} = { mode: "auto", maxIm2colBytes: 64 * 1024 * 1024 };

function conv2DBackpropFilter({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs;
  const filterShape = attrs.filterShape as number[];
  const info = convInfo(x.shape, filterShape, attrs, "Conv2DBackpropFilter");
  const [n, , , ci] = x.shape;
  const [, , , co] = dy.shape;
  const [kh, kw] = filterShape;
  if (dy.shape[0] !== n || co !== filterShape[3] || ci !== filterShape[2]) {
    throw new Error(
      `wasm Conv2DBackpropFilter: x ${x.shape}, dy ${dy.shape}, filter ${filterShape}`,
    );
  }
  const args = [
    backend,
    x,
    dy,
    kh,
    kw,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ] as const;
  if (filterGradAlgo.mode === "conv") return filterGradConv(...args);
  // im2col is faster on every shape measured (5x on in_channels=1); its Pᵀ buffer is
  // kh·kw·ci·oh·ow floats per image, so large batches run in chunks of ≤ ~64 MiB.
  const perImage = kh * kw * ci * dy.shape[1] * dy.shape[2] * 4;
  const chunk = Math.max(1, Math.floor(filterGradAlgo.maxIm2colBytes / perImage));
  if (chunk >= n) return filterGradIm2col(...args);
  let acc: tf.TensorInfo | null = null;
  for (let b = 0; b < n; b += chunk) {
    const m = Math.min(chunk, n - b);
    const xs = call("Slice", backend, { x }, {
      begin: [b, 0, 0, 0],
      size: [m, ...x.shape.slice(1)],
    });
    const ds = call("Slice", backend, { x: dy }, {
      begin: [b, 0, 0, 0],
      size: [m, ...dy.shape.slice(1)],
    });
    const g = filterGradIm2col(
      backend,
      xs,
      ds,
      ...args.slice(3) as [
        number,
        number,
        number,
        number,
        number,
        number,
      ],
    );
    backend.disposeData(xs.dataId);
    backend.disposeData(ds.dataId);
    if (acc == null) {
      acc = g;
    } else {
      const sum2 = call("Add", backend, { a: acc, b: g });
      backend.disposeData(acc.dataId);
      backend.disposeData(g.dataId);
      acc = sum2;
    }
  }
  return acc!;
}

/**
 * `dx = conv2d(zeroInterleave(dy, stride), flip(filter)ᵀ, pads kh−1−pt / …)`, cropped
 * to the input shape.
 */
function conv2DBackpropInput({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo {
  const { dy, filter } = inputs;
  const inputShape = attrs.inputShape as number[];
  const info = convInfo(inputShape, filter.shape, attrs, "Conv2DBackpropInput");
  const [n, h, w, ci] = inputShape;
  const [, oh, ow, co] = dy.shape;
  const [kh, kw] = filter.shape;
  const sh = info.strideHeight, sw = info.strideWidth;
  const pt = info.padInfo.top, pl = info.padInfo.left;
  if (pt > kh - 1 || pl > kw - 1) {
    // Padding wider than the kernel: the flipped-kernel trick needs negative pads.
    return wasmKernel("Conv2DBackpropInput")({ inputs, backend, attrs });
  }
  // Filter [kh,kw,ci,co] -> flipped, channel-swapped [kh,kw,co,ci].
  const wf = backend.makeOutput([kh, kw, co, ci], "float32");
  {
    const src = f32(backend, filter), dst = f32(backend, wf);
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const so = ((kh - 1 - a) * kw + (kw - 1 - b)) * ci * co;
        const d0 = (a * kw + b) * co * ci;
        for (let c = 0; c < ci; c++) {
          for (let o = 0; o < co; o++) dst[d0 + o * ci + c] = src[so + c * co + o];
        }
      }
    }
  }
  // Zero-interleave dy when strided: [n,oh,ow,co] -> [n,(oh-1)sh+1,(ow-1)sw+1,co].
  let src = dy;
  const lh = (oh - 1) * sh + 1, lw = (ow - 1) * sw + 1;
  if (sh !== 1 || sw !== 1) {
    src = backend.makeOutput([n, lh, lw, co], "float32");
    const s = f32(backend, dy), d = f32(backend, src);
    d.fill(0);
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          const so = ((b * oh + i) * ow + j) * co;
          d.set(s.subarray(so, so + co), ((b * lh + i * sh) * lw + j * sw) * co);
        }
      }
    }
  }
  const padT = kh - 1 - pt, padL = kw - 1 - pl;
  const padB = Math.max(0, h + kh - 1 - lh - padT);
  const padR = Math.max(0, w + kw - 1 - lw - padL);
  let dx = call("Conv2D", backend, { x: src, filter: wf }, {
    strides: [1, 1],
    pad: [[0, 0], [padT, padB], [padL, padR], [0, 0]],
    dataFormat: "NHWC",
    dilations: [1, 1],
  });
  backend.disposeData(wf.dataId);
  if (src !== dy) backend.disposeData(src.dataId);
  if (dx.shape[1] !== h || dx.shape[2] !== w) {
    const cropped = call("Slice", backend, { x: dx }, { begin: [0, 0, 0, 0], size: [n, h, w, ci] });
    backend.disposeData(dx.dataId);
    dx = cropped;
  }
  return dx;
}

/** `out[segmentIds[i], ...] += x[i, ...]`, ids outside `[0, numSegments)` dropped. */
function unsortedSegmentSum({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo {
  const { x, segmentIds } = inputs;
  const numSegments = attrs.numSegments as number;
  const idsRank = segmentIds.shape.length;
  const inner = tf.util.sizeFromShape(x.shape.slice(idsRank));
  const outShape = [numSegments, ...x.shape.slice(idsRank)];
  const out = backend.makeOutput(outShape, x.dtype);
  const xs = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  const o = backend.typedArrayFromHeap(out);
  o.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const oo = s * inner, xo = i * inner;
    for (let k = 0; k < inner; k++) o[oo + k] += xs[xo + k];
  }
  return out;
}

/**
 * Stock wasm `BatchMatMul` takes a slow non-XNNPACK path when either operand is
 * transposed (12x slower on the dense-layer gradients); transpose explicitly instead.
 */
function batchMatMul({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo {
  const { a, b } = inputs;
  const { transposeA, transposeB } = attrs;
  if (!transposeA && !transposeB) return call("BatchMatMul", backend, inputs, attrs);
  const swapLast = (t: tf.TensorInfo) => {
    const perm = t.shape.map((_, i) => i);
    const r = perm.length;
    [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
    return call("Transpose", backend, { x: t }, { perm });
  };
  const a2 = transposeA ? swapLast(a) : a;
  const b2 = transposeB ? swapLast(b) : b;
  const out = call("BatchMatMul", backend, { a: a2, b: b2 }, {
    ...attrs,
    transposeA: false,
    transposeB: false,
  });
  if (a2 !== a) backend.disposeData(a2.dataId);
  if (b2 !== b) backend.disposeData(b2.dataId);
  return out;
}

/**
 * Max-pool gradient: `dx[argmax of window] += dy`, the argmax being the first strict
 * maximum in row-major window order (the cpu backend's rule). NHWC, any window, stride
 * and padding; dilation 1.
 */
function maxPoolGrad({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo {
  const { dy, input } = inputs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize as [number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as "valid",
    attrs.dimRoundingMode as "floor" | undefined,
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    return wasmKernel("MaxPoolGrad")({ inputs, backend, attrs });
  }
  const dx = backend.makeOutput(input.shape, "float32");
  const x = f32(backend, input), g = f32(backend, dy), o = f32(backend, dx);
  o.fill(0);
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: c } = info;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const fh = info.effectiveFilterHeight, fw = info.effectiveFilterWidth;
  const pt = info.padInfo.top, pl = info.padInfo.left;
  // Per output pixel, scan the window with channels innermost (contiguous in NHWC).
  const best = new Float32Array(c), pos = new Int32Array(c);
  for (let b = 0; b < nb; b++) {
    for (let i = 0; i < oh; i++) {
      const r0 = Math.max(0, i * sh - pt), r1 = Math.min(h, i * sh - pt + fh);
      for (let j = 0; j < ow; j++) {
        const c0 = Math.max(0, j * sw - pl), c1 = Math.min(w, j * sw - pl + fw);
        best.fill(-Infinity);
        pos.fill(-1);
        for (let r = r0; r < r1; r++) {
          for (let q = c0; q < c1; q++) {
            const off = ((b * h + r) * w + q) * c;
            for (let d = 0; d < c; d++) {
              const v = x[off + d];
              if (v > best[d]) {
                best[d] = v;
                pos[d] = off + d;
              }
            }
          }
        }
        const go = ((b * oh + i) * ow + j) * c;
        for (let d = 0; d < c; d++) if (pos[d] >= 0) o[pos[d]] += g[go + d];
      }
    }
  }
  return dx;
}

/**
 * float32 `Sum` over leading axes (e.g. bias gradients `[N,H,W,C] -> [C]`) as one pass
 * with float64 accumulators; stock wasm transposes first. Other cases go to stock.
 */
function sum({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo {
  const { x } = inputs;
  const axes = tf.util.parseAxisParam(attrs.axis as number[], x.shape).sort((p, q) => p - q);
  const leading = axes.length > 0 && axes.every((a, i) => a === i);
  if (x.dtype !== "float32" || !leading || axes.length === x.shape.length) {
    return call("Sum", backend, inputs, attrs);
  }
  const k = axes.length;
  const rows = tf.util.sizeFromShape(x.shape.slice(0, k));
  const inner = tf.util.sizeFromShape(x.shape.slice(k));
  const outShape = attrs.keepDims ? x.shape.map((d, i) => (i < k ? 1 : d)) : x.shape.slice(k);
  const out = backend.makeOutput(outShape, "float32");
  const xs = f32(backend, x), o = f32(backend, out);
  const acc = new Float64Array(inner);
  for (let r = 0, off = 0; r < rows; r++, off += inner) {
    for (let q = 0; q < inner; q++) acc[q] += xs[off + q];
  }
  o.set(acc);
  return out;
}

/**
 * Tensors are immutable, so a same-dtype `Cast` (e.g. the `cast(step(x), "float32")` in
 * the relu gradient) and `Identity` share the input's buffer (as the cpu backend does)
 * instead of copying it. Cast to bool is `x != 0` (stock wasm truncates 0.5 to false).
 */
function cast({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo {
  const { x } = inputs;
  const dtype = attrs.dtype as tf.DataType;
  if (dtype === x.dtype && dtype !== "string") {
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype };
  }
  if (dtype === "bool" && (x.dtype === "float32" || x.dtype === "int32")) {
    const out = backend.makeOutput(x.shape, "bool");
    const src = backend.typedArrayFromHeap(x), dst = backend.typedArrayFromHeap(out);
    for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
    return out;
  }
  return call("Cast", backend, inputs, attrs);
}

function identity({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo {
  const { x } = inputs;
  if (x.dtype === "string") return call("Identity", backend, inputs, attrs);
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** A contiguous slice copied straight from wasm memory; strided ones go to stock. */
function slice({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo {
  const { x } = inputs;
  const [begin, size] = tf.slice_util.parseSliceParams(
    x,
    attrs.begin as number[],
    attrs.size as number[],
  );
  if (x.dtype === "string" || !tf.slice_util.isSliceContinous(x.shape, begin, size)) {
    return call("Slice", backend, inputs, attrs);
  }
  const out = backend.makeOutput(size, x.dtype);
  const n = tf.util.sizeFromShape(size);
  const at = tf.slice_util.computeFlatOffset(begin, tf.util.computeStrides(x.shape));
  backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(x).subarray(at, at + n));
  return out;
}

/** `tf.split`: one {@linkcode slice} per part. */
function splitV({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo[] {
  const { x } = inputs;
  const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(
    x as unknown as tf.Tensor,
    attrs.numOrSizeSplits as number[] | number,
    axis,
  );
  const begin = x.shape.map(() => 0);
  return sizes.map((s) => {
    const size = x.shape.slice();
    size[axis] = s;
    const part = slice({ inputs: { x }, backend, attrs: { begin: begin.slice(), size } });
    begin[axis] += s;
    return part;
  });
}

/** `tf.unstack`: one {@linkcode slice} per entry along `axis`, that axis dropped. */
function unpack({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo[] {
  const { value } = inputs;
  const axis = tf.util.parseAxisParam(attrs.axis as number, value.shape)[0];
  const outShape = value.shape.filter((_, i) => i !== axis);
  const begin = value.shape.map(() => 0), size = value.shape.slice();
  size[axis] = 1;
  return Array.from({ length: value.shape[axis] }, (_, i) => {
    begin[axis] = i;
    const part = slice({ inputs: { x: value }, backend, attrs: { begin: begin.slice(), size } });
    return { dataId: part.dataId, dtype: part.dtype, shape: outShape };
  });
}

const IMPLS: Record<string, KernelFn> = {
  Conv2DBackpropFilter: conv2DBackpropFilter,
  Conv2DBackpropInput: conv2DBackpropInput,
  BatchMatMul: batchMatMul,
  MaxPoolGrad: maxPoolGrad,
  Sum: sum,
  Cast: cast,
  Identity: identity,
  UnsortedSegmentSum: unsortedSegmentSum,
  Slice: slice,
  SplitV: splitV as unknown as KernelFn,
  Unpack: unpack as unknown as KernelFn,
};

/**
 * Registers {@linkcode WASM_KERNELS} for the "wasm" backend, replacing stock kernels of
 * the same name (the stock ones stay reachable as fallbacks). Idempotent. Call it after
 * importing `@tensorflow/tfjs-backend-wasm`; `initBackend` does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { registerWasmKernels } from "./wasm_kernels.ts";
 * await tf.setBackend("wasm");
 * registerWasmKernels(); // what initBackend("wasm") does
 * assert.notEqual(tf.getKernel("UnsortedSegmentSum", "wasm"), undefined);
 * ```
 */
export function registerWasmKernels(): void {
  for (const name of WASM_KERNELS) {
    const existing = tf.getKernel(name, BACKEND);
    if (existing?.kernelFunc === (IMPLS[name] as unknown)) continue;
    if (existing) {
      if (!stock.has(name)) stock.set(name, existing.kernelFunc as unknown as KernelFn);
      tf.unregisterKernel(name, BACKEND);
    }
    tf.registerKernel({
      kernelName: name,
      backendName: BACKEND,
      kernelFunc: IMPLS[name] as unknown as tf.KernelFunc,
    });
  }
}

/**
 * Undoes {@linkcode registerWasmKernels}: unregisters the project's wasm kernels and
 * re-registers the stock ones they replaced (to benchmark or debug the stock backend).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "./mod.ts";
 * import { registerWasmKernels, restoreStockWasmKernels } from "./wasm_kernels.ts";
 * await initBackend("wasm");
 * restoreStockWasmKernels(); // the stock backend, e.g. to benchmark it
 * assert.equal(tf.getKernel("Conv2DBackpropFilter", "wasm"), undefined);
 * registerWasmKernels();
 * ```
 */
export function restoreStockWasmKernels(): void {
  for (const name of WASM_KERNELS) {
    const existing = tf.getKernel(name, BACKEND);
    if (!existing || existing.kernelFunc !== (IMPLS[name] as unknown)) continue;
    tf.unregisterKernel(name, BACKEND);
    const orig = stock.get(name);
    if (orig) {
      tf.registerKernel({
        kernelName: name,
        backendName: BACKEND,
        kernelFunc: orig as unknown as tf.KernelFunc,
      });
    }
  }
}
