/**
 * Weight conversions from the trainer's TensorFlow.js layouts to the exported ONNX graphs:
 *
 * - conv kernels `[kh, kw, in, out]` (tfjs) → `[out, in, kh, kw]` (ONNX `Conv`, NCHW);
 * - the first dense layer after a conv stack: tfjs flattens `[h, w, c]` feature maps in NHWC
 *   order (row `p·C + c` of the weight, with `p = i·w + j`), ONNX's `Flatten` of `[c, h, w]`
 *   maps use NCHW order (index `c·h·w + p`); permuting the weight's rows keeps the numbers
 *   identical without a `Transpose` node;
 * - BatchNorm with running statistics folded into the preceding dense layer:
 *   `s = γ/√(var + ε)`, `W'[:, j] = s_j·W[:, j]`, `b'_j = s_j·(b_j − mean_j) + β_j`
 *   (computed in float64, rounded once to float32).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { convKernelToOihw } from "./layout.ts";
 * // A 1×1 conv, 1 input and 2 output channels: [1, 1, 1, 2] (tfjs) → [2, 1, 1, 1] (ONNX).
 * assert.deepEqual(convKernelToOihw(Float32Array.of(3, 4), [1, 1, 1, 2]), Float32Array.of(3, 4));
 * // 2 inputs, 2 outputs: w[i][o] = [[1, 2], [3, 4]] becomes w[o][i] = [[1, 3], [2, 4]].
 * const w = convKernelToOihw(Float32Array.of(1, 2, 3, 4), [1, 1, 2, 2]);
 * assert.deepEqual(w, Float32Array.of(1, 3, 2, 4));
 * ```
 * @module
 */

/**
 * BatchNorm ε used by the trainer (`src/model/layers.ts`, PyTorch's default).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BN_EPS } from "./layout.ts";
 * assert.equal(BN_EPS, 1e-5);
 * ```
 */
export const BN_EPS = 1e-5;

/**
 * A BatchNorm layer's parameters and running statistics (each of length `out`).
 *
 * @example
 * ```ts
 * import type { BatchNormParams } from "./layout.ts";
 * const identity: BatchNormParams = {
 *   gamma: new Float32Array([1]), beta: new Float32Array([0]),
 *   mean: new Float32Array([0]), variance: new Float32Array([1]),
 * };
 * ```
 */
export interface BatchNormParams {
  /** Scale γ. */
  gamma: Float32Array;
  /** Shift β. */
  beta: Float32Array;
  /** Running mean. */
  mean: Float32Array;
  /** Running (unbiased) variance. */
  variance: Float32Array;
}

/**
 * Converts a tfjs conv kernel `[kh, kw, in, out]` to ONNX's `[out, in, kh, kw]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { convKernelToOihw } from "./layout.ts";
 * const tfjs = Float32Array.from({ length: 3 * 3 * 2 * 4 }, (_, i) => i); // [kh, kw, in, out]
 * const onnx = convKernelToOihw(tfjs, [3, 3, 2, 4]); // [out, in, kh, kw]
 * const at = (o: number, i: number, y: number, x: number) => onnx[((o * 2 + i) * 3 + y) * 3 + x];
 * assert.equal(at(3, 1, 2, 0), tfjs[((2 * 3 + 0) * 2 + 1) * 4 + 3]);
 * ```
 */
export function convKernelToOihw(w: Float32Array, shape: number[]): Float32Array {
  const [kh, kw, ci, co] = shape;
  const out = new Float32Array(w.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) {
          out[((o * ci + i) * kh + y) * kw + x] = w[((y * kw + x) * ci + i) * co + o];
        }
      }
    }
  }
  return out;
}

/**
 * Permutes the rows of a dense weight `[h·w·c, out]` from tfjs' NHWC flatten order to ONNX's
 * NCHW flatten order (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nhwcRowsToNchw } from "./layout.ts";
 * // h·w = 2 positions, c = 2 channels, out = 1:
 * // rows [p0c0, p0c1, p1c0, p1c1] → [p0c0, p1c0, p0c1, p1c1]
 * const w = nhwcRowsToNchw(Float32Array.of(1, 2, 3, 4), 1, 2, 2, 1);
 * assert.deepEqual(w, Float32Array.of(1, 3, 2, 4));
 * ```
 */
export function nhwcRowsToNchw(
  w: Float32Array,
  h: number,
  width: number,
  c: number,
  out: number,
): Float32Array {
  return permuteRows(w, h, width, c, out, true);
}

/**
 * The inverse of {@linkcode nhwcRowsToNchw}: rows of `[c·h·w, out]` from NCHW flatten order
 * back to NHWC (for a graph that flattens NHWC: the fused chain, `chain_graph.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nchwRowsToNhwc, nhwcRowsToNchw } from "./layout.ts";
 * const w = Float32Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => i); // h 2, w 3, c 4, out 5
 * assert.deepEqual(nchwRowsToNhwc(nhwcRowsToNchw(w, 2, 3, 4, 5), 2, 3, 4, 5), w);
 * assert.deepEqual(nchwRowsToNhwc(Float32Array.of(1, 3, 2, 4), 1, 2, 2, 1), Float32Array.of(1, 2, 3, 4));
 * ```
 */
export function nchwRowsToNhwc(
  w: Float32Array,
  h: number,
  width: number,
  c: number,
  out: number,
): Float32Array {
  return permuteRows(w, h, width, c, out, false);
}

/** The row permutation of both: NHWC → NCHW order (`toNchw`) or back. */
function permuteRows(
  w: Float32Array,
  h: number,
  width: number,
  c: number,
  out: number,
  toNchw: boolean,
): Float32Array {
  const hw = h * width;
  if (w.length !== hw * c * out) {
    throw new Error(`flatten permutation: ${w.length} weights, expected ${hw}·${c}·${out}`);
  }
  const res = new Float32Array(w.length);
  for (let p = 0; p < hw; p++) {
    for (let ch = 0; ch < c; ch++) {
      const nhwc = (p * c + ch) * out, nchw = (ch * hw + p) * out;
      const [src, dst] = toNchw ? [nhwc, nchw] : [nchw, nhwc];
      res.set(w.subarray(src, src + out), dst);
    }
  }
  return res;
}

/**
 * Folds an inference-mode BatchNorm into the dense layer `x·W + b` before it (`W` is
 * `[in, out]`); returns the new weight and bias.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { foldBatchNorm } from "./layout.ts";
 * const bn = {
 *   gamma: new Float32Array([2]), beta: new Float32Array([1]),
 *   mean: new Float32Array([0.5]), variance: new Float32Array([1 - 1e-5]),
 * };
 * // BN(x·3 + 0.5) = 2·(x·3 + 0.5 − 0.5)/√(var + ε) + 1 = x·6 + 1
 * const { w, b } = foldBatchNorm(new Float32Array([3]), new Float32Array([0.5]), bn);
 * assert.ok(Math.abs(w[0] - 6) < 1e-5 && Math.abs(b[0] - 1) < 1e-6);
 * ```
 */
export function foldBatchNorm(
  w: Float32Array,
  b: Float32Array,
  bn: BatchNormParams,
  eps = BN_EPS,
): { w: Float32Array; b: Float32Array } {
  const out = b.length;
  if (w.length % out !== 0 || bn.gamma.length !== out) {
    throw new Error(`BatchNorm fold: weight ${w.length}, bias ${out}, BN ${bn.gamma.length}`);
  }
  const s = new Float64Array(out);
  const nb = new Float32Array(out);
  for (let j = 0; j < out; j++) {
    s[j] = bn.gamma[j] / Math.sqrt(bn.variance[j] + eps);
    nb[j] = s[j] * (b[j] - bn.mean[j]) + bn.beta[j];
  }
  const nw = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) nw[i] = w[i] * s[i % out];
  return { w: nw, b: nb };
}
