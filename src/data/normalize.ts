/**
 * Input normalisation — the ONE place it is defined, for training and inference alike.
 *
 * Formula, per channel `c`: `x = (pixel / 255 − mean[c]) / std[c]`, evaluated in
 * float64 and rounded once to float32 (it is tabulated for the 256 byte values, so
 * every consumer that applies the same formula gets bit-identical inputs).
 *
 * Constants (on pixel/255):
 * - MNIST: mean 0.1307, std 0.3081
 * - Fashion-MNIST: mean 0.2860, std 0.3530
 * - CIFAR-10: mean [0.4914, 0.4822, 0.4465], std [0.2470, 0.2435, 0.2616]
 * - CIFAR-100: mean [0.5071, 0.4865, 0.4409], std [0.2673, 0.2564, 0.2762]
 *
 * Layout convention: images are stored as bytes in NHWC order. Training tensors are
 * NHWC (tfjs' native conv layout: `[batch, height, width, channels]`). The ONNX export
 * and the inference runtime take NCHW (`[batch, channels, height, width]`).
 * {@linkcode normalizeInto} writes either layout from the same byte store.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NORMALIZATION, normalizeInto } from "./normalize.ts";
 * // Two 1×2 grey images; a real set comes from `loadDataset("mnist")`.
 * const set = {
 *   count: 2, height: 1, width: 2, channels: 1,
 *   images: Uint8Array.of(0, 255, 255, 0), labels: Uint8Array.of(3, 5),
 * };
 * const x = new Float32Array(2 * set.height * set.width * set.channels);
 * normalizeInto(set, [1, 0], NORMALIZATION.mnist, x, "NCHW"); // image 1 first, ready for ONNX
 * const hi = (1 - 0.1307) / 0.3081, lo = (0 - 0.1307) / 0.3081;
 * assert.deepEqual(x, Float32Array.of(hi, lo, lo, hi));
 * ```
 * @module
 */
import type { DatasetName, ImageSet } from "./types.ts";

/**
 * Tensor layouts: NHWC for tfjs training, NCHW for ONNX export and inference.
 *
 * @example
 * ```ts
 * import type { Layout } from "./normalize.ts";
 * const forOnnx: Layout = "NCHW";
 * ```
 */
export type Layout = "NHWC" | "NCHW";

/**
 * Per-channel normalisation constants (on pixel/255).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizePixel, type NormStats } from "./normalize.ts";
 * const gray: NormStats = { mean: [0.5], std: [0.5] };
 * assert.equal(normalizePixel(255, 0, gray), 1);
 * ```
 */
export interface NormStats {
  /** Per-channel mean. */
  readonly mean: readonly number[];
  /** Per-channel standard deviation. */
  readonly std: readonly number[];
}

/**
 * The normalisation constants of every supported dataset (CIFAR-100 coarse labels
 * use the same images, hence the same constants).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NORMALIZATION } from "./normalize.ts";
 * assert.deepEqual(NORMALIZATION.cifar10.mean, [0.4914, 0.4822, 0.4465]);
 * assert.deepEqual(NORMALIZATION.mnist.std, [0.3081]);
 * ```
 */
export const NORMALIZATION: Readonly<Record<DatasetName, NormStats>> = Object.freeze({
  "mnist": Object.freeze({ mean: Object.freeze([0.1307]), std: Object.freeze([0.3081]) }),
  "fashion-mnist": Object.freeze({ mean: Object.freeze([0.2860]), std: Object.freeze([0.3530]) }),
  "cifar10": Object.freeze({
    mean: Object.freeze([0.4914, 0.4822, 0.4465]),
    std: Object.freeze([0.2470, 0.2435, 0.2616]),
  }),
  "cifar100": Object.freeze({
    mean: Object.freeze([0.5071, 0.4865, 0.4409]),
    std: Object.freeze([0.2673, 0.2564, 0.2762]),
  }),
});

/**
 * The normalised value of one byte `pixel` in channel `c`, as a float32-rounded number:
 * `Math.fround((pixel / 255 - mean[c]) / std[c])`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NORMALIZATION, normalizePixel } from "./normalize.ts";
 * const black = normalizePixel(0, 0, NORMALIZATION.mnist);
 * assert.equal(black, Math.fround((0 - 0.1307) / 0.3081)); // ≈ -0.4242
 * ```
 */
export function normalizePixel(pixel: number, c: number, stats: NormStats): number {
  return Math.fround((pixel / 255 - stats.mean[c]) / stats.std[c]);
}

const tables = new WeakMap<NormStats, Float32Array>();

/**
 * The lookup table `t[c * 256 + v] = normalizePixel(v, c, stats)` for every channel
 * and byte value (cached per `stats` object).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NORMALIZATION, normalizationTable, normalizePixel } from "./normalize.ts";
 * const t = normalizationTable(NORMALIZATION.cifar10);
 * assert.equal(t.length, 3 * 256);
 * assert.equal(t[2 * 256 + 255], normalizePixel(255, 2, NORMALIZATION.cifar10)); // blue at 255
 * ```
 */
export function normalizationTable(stats: NormStats): Float32Array {
  let t = tables.get(stats);
  if (!t) {
    const channels = stats.mean.length;
    if (stats.std.length !== channels || channels === 0) {
      throw new RangeError(
        `normalisation stats need one mean and one std per channel (got ${stats.mean.length} and ${stats.std.length})`,
      );
    }
    t = new Float32Array(channels * 256);
    for (let c = 0; c < channels; c++) {
      for (let v = 0; v < 256; v++) t[c * 256 + v] = normalizePixel(v, c, stats);
    }
    tables.set(stats, t);
  }
  return t;
}

/**
 * Normalises the images `indices` of `set` into `out` (caller-provided, at least
 * `indices.length × height × width × channels` long), image `i` of the batch at
 * offset `i × height × width × channels`, in `layout` order (NHWC by default).
 * Returns `out`. Throws a RangeError on an out-of-range index, a too-small `out` or
 * stats whose channel count differs from the set's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NORMALIZATION, normalizeInto, normalizePixel } from "./normalize.ts";
 * const set = {
 *   count: 1, height: 1, width: 2, channels: 3,
 *   images: new Uint8Array([255, 0, 0, 0, 0, 255]), labels: new Uint8Array([0]),
 * };
 * const nchw = normalizeInto(set, [0], NORMALIZATION.cifar10, new Float32Array(6), "NCHW");
 * const v = (pixel: number, c: number) => normalizePixel(pixel, c, NORMALIZATION.cifar10);
 * // [R(x0), R(x1), G(x0), G(x1), B(x0), B(x1)]: a red pixel, then a blue one
 * const expected = [v(255, 0), v(0, 0), v(0, 1), v(0, 1), v(0, 2), v(255, 2)];
 * assert.deepEqual(nchw, Float32Array.from(expected));
 * ```
 */
export function normalizeInto(
  set: ImageSet,
  indices: ArrayLike<number>,
  stats: NormStats,
  out: Float32Array,
  layout: Layout = "NHWC",
): Float32Array {
  const C = set.channels;
  const HW = set.height * set.width;
  const size = HW * C;
  if (stats.mean.length !== C) {
    throw new RangeError(`normalisation stats have ${stats.mean.length} channels, images ${C}`);
  }
  if (out.length < indices.length * size) {
    throw new RangeError(
      `output buffer holds ${out.length} floats, ${indices.length} images need ${
        indices.length * size
      }`,
    );
  }
  const t = normalizationTable(stats);
  const img = set.images;
  for (let i = 0; i < indices.length; i++) {
    const n = indices[i];
    if (!(n >= 0 && n < set.count && Number.isInteger(n))) {
      throw new RangeError(`image index ${n} out of range 0..${set.count - 1}`);
    }
    const s = n * size;
    const o = i * size;
    if (C === 1) {
      for (let k = 0; k < size; k++) out[o + k] = t[img[s + k]];
    } else if (layout === "NHWC") {
      for (let p = 0, k = 0; p < HW; p++) {
        for (let c = 0; c < C; c++, k++) out[o + k] = t[(c << 8) + img[s + k]];
      }
    } else {
      for (let c = 0; c < C; c++) {
        const oc = o + c * HW;
        for (let p = 0, k = s + c; p < HW; p++, k += C) out[oc + p] = t[(c << 8) + img[k]];
      }
    }
  }
  return out;
}
