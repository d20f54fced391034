/**
 * Confusion counts of an evaluation: a K×K table whose row is the true class and whose column
 * is the predicted one, and the per-class accuracy it gives (diagonal / row sum). Every
 * method's evaluation fills one for the sampler of its accuracy; the training loop records the
 * per-class accuracy in the metrics line and draws the table into `confusion.svg`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { countPredictions, emptyConfusion, perClassAccuracy } from "./confusion.ts";
 * const c = emptyConfusion(3);
 * countPredictions(c, Int32Array.of(0, 0, 1, 2), Int32Array.of(0, 1, 1, 1), 4);
 * assert.deepEqual(perClassAccuracy(c), [0.5, 1, 0]);
 * ```
 * @module
 */

/**
 * A confusion table: `counts[true · classes + predicted]`, images of class `true` predicted as
 * `predicted`.
 *
 * @example
 * ```ts
 * import type { Confusion } from "./confusion.ts";
 * const at = (c: Confusion, truth: number, predicted: number) =>
 *   c.counts[truth * c.classes + predicted];
 * ```
 */
export interface Confusion {
  /** K, the number of classes. */
  classes: number;
  /** K·K counts, row-major, rows = true class. */
  counts: Uint32Array;
}

/**
 * An all-zero table for `classes` classes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptyConfusion } from "./confusion.ts";
 * assert.equal(emptyConfusion(10).counts.length, 100);
 * ```
 */
export function emptyConfusion(classes: number): Confusion {
  return { classes, counts: new Uint32Array(classes * classes) };
}

/**
 * Adds the first `n` (true label, prediction) pairs to `c`. Throws a RangeError naming the
 * image for a label or prediction outside 0..K−1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { countPredictions, emptyConfusion } from "./confusion.ts";
 * const c = emptyConfusion(2);
 * countPredictions(c, Uint8Array.of(1, 1), Int32Array.of(0, 1), 2);
 * assert.deepEqual([...c.counts], [0, 0, 1, 1]); // row 1: one predicted 0, one predicted 1
 * ```
 */
export function countPredictions(
  c: Confusion,
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  n: number,
): void {
  const K = c.classes;
  for (let i = 0; i < n; i++) {
    const t = truth[i], p = predicted[i];
    if (!(t >= 0 && t < K && p >= 0 && p < K)) {
      throw new RangeError(`image ${i}: label ${t} or prediction ${p} is not a class 0..${K - 1}`);
    }
    c.counts[t * K + p]++;
  }
}

/**
 * The accuracy of each true class (its diagonal entry over its row's sum); null for a class
 * with no image.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { perClassAccuracy } from "./confusion.ts";
 * const c = { classes: 2, counts: Uint32Array.of(3, 1, 0, 0) };
 * assert.deepEqual(perClassAccuracy(c), [0.75, null]);
 * ```
 */
export function perClassAccuracy(c: Confusion): (number | null)[] {
  const K = c.classes;
  return Array.from({ length: K }, (_, t) => {
    let row = 0;
    for (let p = 0; p < K; p++) row += c.counts[t * K + p];
    return row ? c.counts[t * K + t] / row : null;
  });
}
