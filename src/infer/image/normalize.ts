/**
 * The training normalisation, applied to 8-bit pixels: per channel c,
 * `x = (pixel / 255 − mean[c]) / std[c]`, evaluated in float64 and rounded once to float32
 * (tabulated per byte value) — bit for bit what the trainer feeds its model. Output layout
 * NCHW, as the exported graphs take it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizeToNchw } from "./normalize.ts";
 * const img = { width: 1, height: 1, channels: 1, data: new Uint8Array([255]) };
 * const x = normalizeToNchw(img, { mean: [0.5], std: [0.5] });
 * assert.deepEqual(x, Float32Array.of(1)); // (255/255 − 0.5)/0.5
 * ```
 * @module
 */
import type { RawImage } from "./types.ts";

/**
 * Per-channel normalisation constants on pixel/255.
 *
 * @example
 * ```ts
 * import type { Normalization } from "./normalize.ts";
 * const cifar10: Normalization = { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] };
 * ```
 */
export interface Normalization {
  /** Means, one per channel. */
  mean: readonly number[];
  /** Standard deviations, one per channel. */
  std: readonly number[];
}

/**
 * The table `t[c·256 + v] = fround((v/255 − mean[c]) / std[c])`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizationLut } from "./normalize.ts";
 * const lut = normalizationLut({ mean: [0], std: [1] });
 * assert.equal(lut[255], 1);
 * assert.equal(lut[0], 0);
 * ```
 */
export function normalizationLut(n: Normalization): Float32Array {
  const t = new Float32Array(n.mean.length * 256);
  for (let c = 0; c < n.mean.length; c++) {
    for (let v = 0; v < 256; v++) t[c * 256 + v] = (v / 255 - n.mean[c]) / n.std[c];
  }
  return t;
}

/**
 * Normalises an HWC image into NCHW floats, written at `offset` of `out` when given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizeToNchw } from "./normalize.ts";
 * const img = { width: 2, height: 1, channels: 3, data: new Uint8Array([255, 0, 0, 0, 0, 255]) };
 * const x = normalizeToNchw(img, { mean: [0, 0, 0], std: [1, 1, 1] });
 * assert.deepEqual(x, Float32Array.of(1, 0, 0, 0, 0, 1)); // the R plane, then G, then B
 * ```
 */
export function normalizeToNchw(
  img: RawImage,
  n: Normalization,
  out?: Float32Array,
  offset = 0,
  lut: Float32Array = normalizationLut(n),
): Float32Array {
  const C = img.channels, HW = img.width * img.height;
  if (n.mean.length !== C) {
    throw new RangeError(`normalisation has ${n.mean.length} channels, image ${C}`);
  }
  const res = out ?? new Float32Array(C * HW);
  for (let c = 0; c < C; c++) {
    const base = offset + c * HW, lc = c * 256;
    for (let p = 0; p < HW; p++) res[base + p] = lut[lc + img.data[p * C + c]];
  }
  return res;
}
