/**
 * Statistics of an ensemble of forecast samples at one point: quantiles (linear interpolation
 * between order statistics, NumPy's default "type 7"), interval coverage and the CRPS of the
 * empirical distribution,
 *
 *   CRPS(F̂, y) = (1/N)·Σ_i |x_i − y| − (1/(2N²))·Σ_i Σ_j |x_i − x_j|,
 *
 * computed from the sorted samples in O(N) with Σ_i Σ_j |x_i − x_j| = 2·Σ_k (2k − N + 1)·x_(k)
 * (k = 0..N−1). Shared by `deno task eval` and the runtime forecaster. Plain TypeScript.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { crpsSorted, quantileSorted } from "./ensemble.ts";
 * const xs = Float64Array.of(0, 1, 2, 3, 4); // sorted
 * assert.equal(quantileSorted(xs, 0.5), 2);
 * assert.equal(quantileSorted(xs, 0.1), 0.4);
 * // One sample: CRPS is the absolute error.
 * assert.equal(crpsSorted(Float64Array.of(2), 5), 3);
 * ```
 * @module
 */

/**
 * The `p`-quantile of the ascending `sorted` samples (type 7: h = (N − 1)·p, interpolate
 * between x_⌊h⌋ and x_⌈h⌉).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quantileSorted } from "./ensemble.ts";
 * assert.equal(quantileSorted(Float64Array.of(10, 20), 0.25), 12.5);
 * ```
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const h = (sorted.length - 1) * p, lo = Math.floor(h), hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * CRPS of the empirical distribution of the ascending `sorted` samples at the observation `y`
 * (module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { crpsSorted } from "./ensemble.ts";
 * // Samples {0, 2}, y = 1: mean |x − y| = 1, minus ½ · mean |x − x'| = ½ · 1.
 * assert.equal(crpsSorted(Float64Array.of(0, 2), 1), 0.5);
 * ```
 */
export function crpsSorted(sorted: ArrayLike<number>, y: number): number {
  const N = sorted.length;
  let abs = 0, spread = 0;
  for (let k = 0; k < N; k++) {
    abs += Math.abs(sorted[k] - y);
    spread += (2 * k - N + 1) * sorted[k];
  }
  return abs / N - spread / (N * N);
}

/** The central intervals reported: 80% = [q10, q90], 90% = [q5, q95]. */
export const INTERVALS = [
  { level: 0.8, lo: 0.1, hi: 0.9 },
  { level: 0.9, lo: 0.05, hi: 0.95 },
] as const;
