/**
 * The arithmetic of static int8 quantization, checked against formulas written out here (not
 * the project's): the scales and zero points the transform writes, the int8 weights and int32
 * biases, and what onnxruntime computes with them — on a tiny Conv → ReLU → MaxPool → Flatten →
 * Gemm graph, calibrated by running it. A quantization scale off by 2× (or any other slip in the
 * scale arithmetic) fails here; `tools/mutations.ts` holds such mutations.
 */
import { assert, assertEquals } from "../../assert.ts";
import { nodeEngine } from "@noprop/infer";
import { GraphBuilder } from "../../../src/onnx/graph.ts";
import { calibratingEngine, RangeTable } from "../../../src/onnx/quantize/calibrate.ts";
import { decodeModel, encodeModel, initializerFloats } from "../../../src/onnx/quantize/proto.ts";
import { quantizeModel } from "../../../src/onnx/quantize/transform.ts";
import type { OnnxProto } from "../../../src/deps_onnx.ts";
import { Rng } from "../../../src/rng.ts";

const N = 16, C = 2, H = 6, O = 8, K = 5, FLAT = O * 3 * 3;
const rng = new Rng(11);
const normal = (n: number, s: number, shift = 0) =>
  Float32Array.from({ length: n }, () => shift + s * rng.normal());
const convW = normal(O * C * 9, 0.4), convB = normal(O, 0.2);
convW.fill(0, 0, C * 9); // channel 0 all zero: its scale must be 1, its integers 0
const fcW = normal(FLAT * K, 0.15), fcB = normal(K, 0.1);
const x = normal(N * C * H * H, 1, 0.3); // real inputs: mostly positive, some negative

function tinyGraph(): Uint8Array {
  const g = new GraphBuilder("tiny");
  g.input("x", ["N", C, H, H]);
  g.node("Conv", ["x", g.floats("conv.w", convW, [O, C, 3, 3]), g.floats("conv.b", convB, [O])], {
    outputs: ["conv"],
    attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
  });
  g.node("Relu", ["conv"], { outputs: ["relu"] });
  g.node("MaxPool", ["relu"], {
    outputs: ["pool"],
    attrs: { kernel_shape: [2, 2], strides: [2, 2] },
  });
  g.node("Flatten", ["pool"], { outputs: ["flat"], attrs: { axis: 1 } });
  g.node("Gemm", ["flat", g.floats("fc.w", fcW, [FLAT, K]), g.floats("fc.b", fcB, [K])], {
    outputs: ["y"],
  });
  g.output("y", ["N", K]);
  return g.encode();
}

// Independent reference: the float graph in float64.
function conv(xs: Float64Array | Float32Array, w: ArrayLike<number>, b: ArrayLike<number>) {
  const out = new Float64Array(N * O * H * H);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < H; j++) {
          let s = b[o];
          for (let c = 0; c < C; c++) {
            for (let di = -1; di <= 1; di++) {
              for (let dj = -1; dj <= 1; dj++) {
                const ii = i + di, jj = j + dj;
                if (ii < 0 || jj < 0 || ii >= H || jj >= H) continue;
                s += xs[((n * C + c) * H + ii) * H + jj] *
                  w[((o * C + c) * 3 + di + 1) * 3 + dj + 1];
              }
            }
          }
          out[((n * O + o) * H + i) * H + j] = s;
        }
      }
    }
  }
  return out;
}
function reluPool(v: Float64Array) {
  const out = new Float64Array(N * FLAT);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          let m = 0; // ReLU: the max of 0 and the window
          for (const [a, b] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
            m = Math.max(m, v[((n * O + o) * H + 2 * i + a) * H + 2 * j + b]);
          }
          out[n * FLAT + (o * 3 + i) * 3 + j] = m;
        }
      }
    }
  }
  return out;
}
function gemm(v: Float64Array, w: ArrayLike<number>, b: ArrayLike<number>) {
  const out = new Float64Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      let s = b[k];
      for (let f = 0; f < FLAT; f++) s += v[n * FLAT + f] * w[f * K + k];
      out[n * K + k] = s;
    }
  }
  return out;
}
const minMax = (v: ArrayLike<number>) => {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < v.length; i++) [lo, hi] = [Math.min(lo, v[i]), Math.max(hi, v[i])];
  return [lo, hi];
};
const even = (v: number) => { // round half to even
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};
/** Q then DQ with uint8 asymmetric parameters from the range [lo, hi] (widened to hold 0). */
function u8Params(lo: number, hi: number) {
  const a = Math.min(lo, 0), b = Math.max(hi, 0);
  const scale = Math.fround((b - a) / 255);
  return { scale, zp: Math.min(255, Math.max(0, even(-a / scale))) };
}
const fq = (v: number, p: { scale: number; zp: number }) =>
  (Math.min(255, Math.max(0, even(v / p.scale) + p.zp)) - p.zp) * p.scale;
/** Symmetric int8 per output channel: scale max|w|/127 (1 for an all-zero channel). */
function s8(w: Float32Array, channels: number, channelOf: (i: number) => number) {
  const m = new Float64Array(channels);
  w.forEach((v, i) => m[channelOf(i)] = Math.max(m[channelOf(i)], Math.abs(v)));
  const scales = Float32Array.from(m, (v) => v > 0 ? v / 127 : 1);
  const q = Int8Array.from(
    w,
    (v, i) => Math.max(-127, Math.min(127, even(v / scales[channelOf(i)]))),
  );
  return { scales, q };
}

const float = tinyGraph();
const engine = await nodeEngine("cpu", { threads: 1 });
const table = new RangeTable();
const cal = await calibratingEngine(engine, table).open(float, "tiny.onnx");
const yFloat = (await cal.run({ x: { data: x, dims: [N, C, H, H] } })).y;
await cal.release();
const ranges = table.get("tiny.onnx")!;
const { model, report } = quantizeModel(decodeModel(float, "tiny.onnx"), ranges);
const init = (name: string) => model.graph!.initializer!.find((t) => t.name === name)!;
const raw = (t: OnnxProto.ITensorProto) => new Uint8Array(t.rawData!); // a copy at offset 0

// What the graph must hold, from the formulas above.
const convOut = conv(x, convW, convB);
const [xLo, xHi] = minMax(x);
const xp = u8Params(xLo, xHi);
// conv → ReLU → pool → flat share one range, its bottom pinned at 0 (the folded ReLU); its top
// is the largest value calibration measured there (float32, as onnxruntime computed it).
const rp = u8Params(
  0,
  Math.max(...["conv", "relu", "pool", "flat"].map((t) => ranges.get(t)!.max)),
);
const wc = s8(convW, O, (i) => Math.floor(i / (C * 9)));
const wf = s8(fcW, K, (i) => i % K);

Deno.test("calibration measures each tensor's range on the real inputs", () => {
  assertEquals(ranges.get("x"), { min: xLo, max: xHi });
  const [lo, hi] = minMax(convOut);
  const r = ranges.get("conv")!;
  assert(Math.abs(r.min - lo) < 1e-4 && Math.abs(r.max - hi) < 1e-4, JSON.stringify(r));
  assertEquals(ranges.get("relu")!.min, 0);
});

Deno.test("activation scales and zero points are (max − min)/255 and −min/scale (uint8)", () => {
  assertEquals(report.quantized, ["Conv:conv", "Gemm:y"]);
  assertEquals(report.foldedRelus, 1);
  assertEquals(initializerFloats(init("x_scale"))[0], xp.scale);
  assertEquals(raw(init("x_zero_point"))[0], xp.zp);
  assert(xp.zp > 0, "x has negative values: its zero point is above 0");
  // The ReLU is folded: conv, pool and flat share one scale with zero point 0 (clips at 0).
  for (const t of ["conv", "pool", "flat"]) {
    assertEquals(initializerFloats(init(`${t}_scale`))[0], rp.scale, t);
    assertEquals(raw(init(`${t}_zero_point`))[0], 0, t);
  }
  assert(!model.graph!.node!.some((n) => n.opType === "Relu"), "the ReLU is folded away");
});

Deno.test("weights are int8 per output channel with scale max|w|/127; biases int32 at x·w scale", () => {
  assertEquals(initializerFloats(init("conv.w_scale")), wc.scales);
  assertEquals(new Int8Array(raw(init("conv.w_quantized")).buffer), wc.q);
  assertEquals(initializerFloats(init("fc.w_scale")), wf.scales);
  assertEquals(new Int8Array(raw(init("fc.w_quantized")).buffer), wf.q);
  const bq = new Int32Array(raw(init("conv.b_quantized")).buffer);
  const want = Int32Array.from(convB, (b, o) => even(b / Math.fround(xp.scale * wc.scales[o])));
  assertEquals(bq, want);
  const fq32 = new Int32Array(raw(init("fc.b_quantized")).buffer);
  assertEquals(
    fq32,
    Int32Array.from(fcB, (b, k) => even(b / Math.fround(rp.scale * wf.scales[k]))),
  );
});

const session = await engine.open(encodeModel(model), "tiny.int8.onnx");
const yInt8 = (await session.run({ x: { data: x, dims: [N, C, H, H] } })).y;
await session.release();
// The same computation with every Q/DQ pair applied in float64: what the integer kernels compute.
function fakeQuantized(p: { scale: number; zp: number }) {
  const xq = Float64Array.from(x, (v) => fq(v, p));
  const wq = Float64Array.from(wc.q, (q, i) => q * wc.scales[Math.floor(i / (C * 9))]);
  const bq = Float64Array.from(
    convB,
    (b, o) => even(b / Math.fround(p.scale * wc.scales[o])) * Math.fround(p.scale * wc.scales[o]),
  );
  const c = conv(xq, wq, bq).map((v) => fq(v, rp));
  const pooled = reluPool(c);
  const fw = Float64Array.from(wf.q, (q, i) => q * wf.scales[i % K]);
  const fb = Float64Array.from(
    fcB,
    (b, k) => even(b / Math.fround(rp.scale * wf.scales[k])) * Math.fround(rp.scale * wf.scales[k]),
  );
  return gemm(pooled, fw, fb);
}
const [yLo, yHi] = minMax(yFloat);
const yRange = yHi - yLo;

Deno.test("onnxruntime's int8 graph computes the fake-quantized reference (≤ 1e-3 of the output range)", () => {
  const ref = fakeQuantized(xp);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(yInt8[i] - ref[i]));
  assert(worst <= 1e-3 * yRange, `max |int8 − reference| = ${worst} (output range ${yRange})`);
  // The check has teeth: the reference with x's scale doubled is far outside that bound.
  const off = fakeQuantized({ scale: 2 * xp.scale, zp: Math.round(xp.zp / 2) });
  let moved = 0;
  for (let i = 0; i < off.length; i++) moved = Math.max(moved, Math.abs(off[i] - ref[i]));
  assert(moved > 10 * 1e-3 * yRange, `a 2× scale moves the output by only ${moved}`);
});

Deno.test("the int8 output stays within 3% of the output range of the float graph", () => {
  let worst = 0;
  for (let i = 0; i < yFloat.length; i++) worst = Math.max(worst, Math.abs(yInt8[i] - yFloat[i]));
  assert(worst <= 0.03 * yRange, `max |int8 − fp32| = ${worst}, range ${yRange}`);
  assert(worst > 0, "int8 differs from fp32 somewhere (it really is quantized)");
});
