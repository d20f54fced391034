/**
 * Per-window normalisation of the lookback window (RevIN, Kim et al. 2022, without its
 * learnable affine): each row (one window of one channel) is shifted by its own mean and
 * divided by its own standard deviation, √(var + ε) with ε = 1e-5; forecasts are made in that
 * frame and mapped back with the same two numbers. The training side and the runtime share this
 * code, so the exported forecaster normalises exactly as the trained one. Plain TypeScript.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denormalizeRows, normalizeRows } from "./revin.ts";
 * const x = Float32Array.of(1, 2, 3, 10, 10, 10); // two windows of L = 3
 * const s = normalizeRows(x, 2, 3);
 * assert.deepEqual(Array.from(s.mean), [2, 10]);
 * assert.ok(Math.abs(x[0] + 1.2247) < 1e-3 && x[3] === 0); // (1 − 2)/√(2/3 + 1e-5)
 * const y = Float32Array.of(0, 1, 0, 1); // forecasts of H = 2 in the normalised frame
 * denormalizeRows(y, 2, 2, s);
 * assert.ok(Math.abs(y[1] - (2 + Math.sqrt(2 / 3 + 1e-5))) < 1e-6 && y[2] === 10);
 * ```
 * @module
 */

/** RevIN's ε under the square root. */
export const REVIN_EPS = 1e-5;

/** Each row's mean and standard deviation √(var + ε). */
export interface RowStats {
  /** Mean of each row. */
  mean: Float32Array;
  /** √(population variance + ε) of each row. */
  std: Float32Array;
}

/**
 * Normalises each of the `rows` rows of length `L` of `x` in place (module doc; `eps` defaults
 * to {@linkcode REVIN_EPS}) and returns their statistics.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizeRows } from "./revin.ts";
 * const x = Float32Array.of(5, 5);
 * assert.deepEqual(Array.from(normalizeRows(x, 1, 2).mean), [5]);
 * assert.deepEqual(Array.from(x), [0, 0]); // a flat window stays finite (ε)
 * ```
 */
export function normalizeRows(
  x: Float32Array,
  rows: number,
  L: number,
  eps: number = REVIN_EPS,
): RowStats {
  const mean = new Float32Array(rows), std = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * L;
    let s = 0;
    for (let i = 0; i < L; i++) s += x[o + i];
    const m = s / L;
    let q = 0;
    for (let i = 0; i < L; i++) q += (x[o + i] - m) ** 2;
    const sd = Math.sqrt(q / L + eps);
    for (let i = 0; i < L; i++) x[o + i] = (x[o + i] - m) / sd;
    mean[r] = m;
    std[r] = sd;
  }
  return { mean, std };
}

/**
 * Maps `rows` rows of length `H` of `y` from the normalised frame back (y · std + mean) in
 * place; with `copies` > 1, `y` holds that many stacked copies of the rows (e.g. samples).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denormalizeRows } from "./revin.ts";
 * const y = Float32Array.of(1, 1);
 * denormalizeRows(y, 1, 1, { mean: Float32Array.of(3), std: Float32Array.of(2) }, 2);
 * assert.deepEqual(Array.from(y), [5, 5]); // two copies of one row
 * ```
 */
export function denormalizeRows(
  y: Float32Array,
  rows: number,
  H: number,
  s: RowStats,
  copies = 1,
): void {
  for (let k = 0; k < copies; k++) {
    for (let r = 0; r < rows; r++) {
      const o = (k * rows + r) * H, m = s.mean[r], sd = s.std[r];
      for (let i = 0; i < H; i++) y[o + i] = y[o + i] * sd + m;
    }
  }
}

/**
 * Normalises `y` [rows × H] in place with the statistics of its windows (the future in the
 * window's own frame: the direct target u of the NoProp forecaster).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizeWith } from "./revin.ts";
 * const y = Float32Array.of(5, 7);
 * normalizeWith(y, 1, 2, { mean: Float32Array.of(5), std: Float32Array.of(2) });
 * assert.deepEqual(Array.from(y), [0, 1]);
 * ```
 */
export function normalizeWith(y: Float32Array, rows: number, H: number, s: RowStats): void {
  for (let r = 0; r < rows; r++) {
    const o = r * H, m = s.mean[r], sd = s.std[r];
    for (let i = 0; i < H; i++) y[o + i] = (y[o + i] - m) / sd;
  }
}
