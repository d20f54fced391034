/**
 * The arithmetic of int8 quantization as ONNX defines it for QuantizeLinear/DequantizeLinear:
 * `q = saturate(round(r / scale) + zeroPoint)` (round half to even) and
 * `r ≈ (q − zeroPoint) · scale`. Two kinds of parameters are computed here:
 *
 * - activations, per tensor, asymmetric: the calibrated range [min, max] is widened to contain
 *   0 (so that 0 — zero padding, ReLU's floor — is exact), `scale = (max − min) / (qmax − qmin)`
 *   and `zeroPoint = qmin − round(min / scale)`; uint8 (0..255) or int8 (−128..127);
 * - weights, symmetric int8 (zero point 0) per output channel or per tensor:
 *   `scale = max|w| / 127` and `q = clamp(round(w / scale), −127, 127)` (−128 unused, so
 *   that the range is symmetric); with `reduceRange`, 7 bits (`max|w| / 63`, ±63), which keeps
 *   the u8·s8 pair products of CPUs without VNNI from saturating their 16-bit sums;
 * - biases, int32 with zero point 0 and scale `activationScale · weightScale[c]`, the scale of
 *   the integer accumulator they are added to.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { activationParams, dequantize, quantize } from "./params.ts";
 * const p = activationParams(-1, 3, "u8"); // scale 4/255, zero point 64
 * assert.equal(p.zeroPoint, 64);
 * assert.equal(quantize(0, p), 64); // 0 is exact
 * assert.ok(Math.abs(dequantize(quantize(2.5, p), p) - 2.5) <= p.scale / 2);
 * ```
 * @module
 */

/**
 * The integer type of quantized activations: `u8` (uint8, 0..255) or `s8` (int8, −128..127).
 *
 * @example
 * ```ts
 * import type { ActivationType } from "./params.ts";
 * const t: ActivationType = "u8";
 * ```
 */
export type ActivationType = "u8" | "s8";

/**
 * A scale and zero point with the integer range they quantize into.
 *
 * @example
 * ```ts
 * import type { QuantParams } from "./params.ts";
 * const p: QuantParams = { scale: 0.02, zeroPoint: 0, qmin: 0, qmax: 255 };
 * ```
 */
export interface QuantParams {
  /** Real value of one integer step (> 0). */
  scale: number;
  /** The integer that represents 0. */
  zeroPoint: number;
  /** Smallest integer. */
  qmin: number;
  /** Largest integer. */
  qmax: number;
}

/**
 * Integer range of an activation type.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { activationRange } from "./params.ts";
 * assert.deepEqual(activationRange("u8"), [0, 255]);
 * assert.deepEqual(activationRange("s8"), [-128, 127]);
 * ```
 */
export function activationRange(t: ActivationType): [number, number] {
  return t === "u8" ? [0, 255] : [-128, 127];
}

/**
 * Round half to even, as QuantizeLinear rounds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { roundHalfEven } from "./params.ts";
 * assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4].map(roundHalfEven), [0, 2, 2, -0, -2, 2]);
 * ```
 */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Per-tensor asymmetric parameters of an activation whose calibrated range is [min, max] (see
 * the module doc). A range of one point (e.g. a dead ReLU) gets scale 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { activationParams } from "./params.ts";
 * const relu = activationParams(0, 5.1, "u8"); // a ReLU output: zero point at the bottom
 * assert.deepEqual([relu.scale, relu.zeroPoint], [Math.fround(5.1 / 255), 0]);
 * const s8 = activationParams(0, 5.1, "s8");
 * assert.deepEqual([s8.scale, s8.zeroPoint], [Math.fround(5.1 / 255), -128]);
 * assert.equal(activationParams(2, 3, "u8").zeroPoint, 0); // widened to [0, 3]
 * assert.throws(() => activationParams(1, 0, "u8"), /min 1 > max 0/);
 * ```
 */
export function activationParams(min: number, max: number, t: ActivationType): QuantParams {
  if (!(Number.isFinite(min) && Number.isFinite(max))) {
    throw new RangeError(`activation range [${min}, ${max}] is not finite`);
  }
  if (min > max) throw new RangeError(`activation range: min ${min} > max ${max}`);
  const [qmin, qmax] = activationRange(t);
  const lo = Math.min(min, 0), hi = Math.max(max, 0);
  const scale = hi > lo ? Math.fround((hi - lo) / (qmax - qmin)) : 1; // stored as float32
  const zeroPoint = Math.min(qmax, Math.max(qmin, qmin - roundHalfEven(lo / scale)));
  return { scale, zeroPoint, qmin, qmax };
}

/**
 * QuantizeLinear of one value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quantize } from "./params.ts";
 * const p = { scale: 0.5, zeroPoint: 10, qmin: 0, qmax: 255 };
 * assert.deepEqual([quantize(1, p), quantize(-100, p), quantize(1000, p)], [12, 0, 255]);
 * ```
 */
export function quantize(r: number, p: QuantParams): number {
  return Math.min(p.qmax, Math.max(p.qmin, roundHalfEven(r / p.scale) + p.zeroPoint));
}

/**
 * DequantizeLinear of one value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dequantize } from "./params.ts";
 * assert.equal(dequantize(12, { scale: 0.5, zeroPoint: 10, qmin: 0, qmax: 255 }), 1);
 * ```
 */
export function dequantize(q: number, p: QuantParams): number {
  return (q - p.zeroPoint) * p.scale;
}

/**
 * Symmetric int8 weights: the integers, one scale per slice along `axis` (per channel) or one
 * for the whole tensor (`axis` undefined).
 *
 * @example
 * ```ts
 * import type { QuantizedWeights } from "./params.ts";
 * const w: QuantizedWeights = { q: Int8Array.of(127, -64), scales: Float32Array.of(0.01) };
 * ```
 */
export interface QuantizedWeights {
  /** The int8 values, same layout as the float tensor. */
  q: Int8Array;
  /** Scales: one per slice along the axis, or one. */
  scales: Float32Array;
}

/**
 * Quantizes a float weight tensor with `dims` symmetrically to int8 (see the module doc): per
 * slice along `axis` (the output channel: 0 for a Conv kernel [O, I, kh, kw], 1 for a Gemm or
 * MatMul matrix [K, N]), or per tensor when `axis` is undefined. An all-zero slice gets
 * scale 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quantizeWeights } from "./params.ts";
 * // Two output channels (rows) of a [2, 2] Conv-like kernel, axis 0.
 * const w = Float32Array.of(1.27, -0.5, 0.03, -0.04);
 * const { q, scales } = quantizeWeights(w, [2, 2], 0);
 * assert.deepEqual(Array.from(scales), [Math.fround(0.01), Math.fround(0.04 / 127)]);
 * assert.deepEqual(Array.from(q), [127, -50, 95, -127]);
 * assert.deepEqual(Array.from(quantizeWeights(w, [2, 2], 0, true).q), [63, -25, 47, -63]);
 * assert.equal(quantizeWeights(w, [2, 2]).scales.length, 1); // per tensor
 * ```
 */
export function quantizeWeights(
  w: Float32Array,
  dims: readonly number[],
  axis?: number,
  reduceRange = false,
): QuantizedWeights {
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== w.length) throw new RangeError(`weights: dims [${dims}] need ${size} values`);
  const qmax = reduceRange ? 63 : 127;
  const channels = axis === undefined ? 1 : dims[axis];
  const inner = axis === undefined ? 1 : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => axis === undefined ? 0 : Math.floor(i / inner) % channels;
  const absMax = new Float64Array(channels);
  for (let i = 0; i < w.length; i++) {
    const c = channelOf(i);
    absMax[c] = Math.max(absMax[c], Math.abs(w[i]));
  }
  const scales = Float32Array.from(absMax, (m) => m > 0 ? m / qmax : 1);
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const v = roundHalfEven(w[i] / scales[channelOf(i)]);
    q[i] = Math.min(qmax, Math.max(-qmax, v));
  }
  return { q, scales };
}

/**
 * Quantizes a bias [C] to int32 with zero point 0 and scale `xScale · wScales[c]` (one weight
 * scale, or one per channel); returns the integers and their scales. Values beyond int32 are
 * clamped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quantizeBias } from "./params.ts";
 * const { q, scales } = quantizeBias(Float32Array.of(0.5, -1), 0.1, Float32Array.of(0.01, 0.02));
 * assert.deepEqual(Array.from(q), [500, -500]);
 * assert.deepEqual(Array.from(scales, (s) => +s.toPrecision(6)), [0.001, 0.002]);
 * ```
 */
export function quantizeBias(
  b: Float32Array,
  xScale: number,
  wScales: Float32Array,
): { q: Int32Array; scales: Float32Array } {
  const scales = Float32Array.from(b, (_, c) => xScale * wScales[wScales.length === 1 ? 0 : c]);
  const q = Int32Array.from(b, (v, c) => {
    const r = roundHalfEven(v / scales[c]);
    return Math.min(2147483647, Math.max(-2147483648, r));
  });
  return { q, scales };
}
