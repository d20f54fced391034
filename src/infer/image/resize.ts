/**
 * Resizing to the model's input size with an antialiased bilinear (triangle) filter — the
 * filter of Pillow's `Image.resize(size, BILINEAR)`: output pixel i samples the input around
 * centre (i + ½)·s (s = in/out) with weights max(0, 1 − |d|/f), f = max(s, 1), normalised to
 * sum 1; so enlarging is plain bilinear interpolation and shrinking averages over the covered
 * area (no aliasing). Separable (rows, then columns), computed in float64, rounded once to
 * 8 bits at the end. The aspect ratio is not kept: the image is stretched to height × width.
 * An image already at the target size is returned unchanged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resize } from "./resize.ts";
 * const img = { width: 2, height: 1, channels: 1, data: new Uint8Array([0, 200]) };
 * assert.deepEqual(resize(img, 1, 1).data, Uint8Array.of(100)); // the mean of the two
 * ```
 * @module
 */
import type { RawImage } from "./types.ts";

/**
 * Filter taps of one resize axis: output i reads `count[i]` inputs from `start[i]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type FilterTaps, triangleTaps } from "./resize.ts";
 * const t: FilterTaps = triangleTaps(56, 28);
 * assert.equal(t.count.length, 28); // one entry per output sample
 * assert.ok(t.count[0] > 0); // inputs averaged into output 0
 * ```
 */
export interface FilterTaps {
  /** First input sample of each output sample. */
  start: Int32Array;
  /** Number of input samples of each output sample. */
  count: Int32Array;
  /** Weights, `stride` per output sample (the first `count[i]` used; they sum to 1). */
  weights: Float64Array;
  /** Weights per output sample in `weights`. */
  stride: number;
}

/**
 * The filter taps for resizing `inSize` samples to `outSize` (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { triangleTaps } from "./resize.ts";
 * assert.deepEqual(triangleTaps(4, 2).count, Int32Array.of(3, 3)); // each output averages 3 inputs
 * ```
 */
export function triangleTaps(inSize: number, outSize: number): FilterTaps {
  const scale = inSize / outSize, f = Math.max(scale, 1), support = f;
  const stride = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize), count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * stride);
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support + 0.5));
    const hi = Math.min(inSize, Math.floor(centre + support + 0.5));
    let sum = 0;
    for (let x = lo; x < hi; x++) {
      const w = Math.max(0, 1 - Math.abs((x - centre + 0.5) / f));
      weights[i * stride + x - lo] = w;
      sum += w;
    }
    for (let k = 0; k < hi - lo; k++) weights[i * stride + k] /= sum;
    start[i] = lo;
    count[i] = hi - lo;
  }
  return { start, count, weights, stride };
}

/**
 * Resizes `img` to `height × width` (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resize } from "./resize.ts";
 * const big = { width: 56, height: 56, channels: 1, data: new Uint8Array(56 * 56).fill(7) };
 * const small = resize(big, 28, 28);
 * assert.equal(small.data.length, 784);
 * assert.ok(small.data.every((v) => v === 7)); // a flat image stays flat
 * ```
 */
export function resize(img: RawImage, height: number, width: number): RawImage {
  const { width: W, height: H, channels: C, data } = img;
  if (W === width && H === height) return img;
  const tx = triangleTaps(W, width), ty = triangleTaps(H, height);
  const rows = new Float64Array(H * width * C); // horizontal pass
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < width; x++) {
      const s = tx.start[x], n = tx.count[x], wo = x * tx.stride;
      for (let c = 0; c < C; c++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += tx.weights[wo + k] * data[((y * W) + s + k) * C + c];
        rows[(y * width + x) * C + c] = acc;
      }
    }
  }
  const out = new Uint8Array(height * width * C); // vertical pass
  for (let y = 0; y < height; y++) {
    const s = ty.start[y], n = ty.count[y], wo = y * ty.stride;
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < C; c++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += ty.weights[wo + k] * rows[((s + k) * width + x) * C + c];
        out[(y * width + x) * C + c] = Math.min(255, Math.max(0, Math.round(acc)));
      }
    }
  }
  return { width, height, channels: C, data: out };
}
