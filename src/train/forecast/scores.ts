/**
 * Accumulates a forecaster's scores over a split, on the z-scored values (the protocol's
 * metric): MSE and MAE over every window, evaluated channel and horizon step; with samples, also
 * the CRPS and the empirical coverage of the central 80% and 90% intervals
 * (`src/infer/forecast/ensemble.ts`). Plain TypeScript.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ErrorSums } from "./scores.ts";
 * const e = new ErrorSums();
 * e.add(Float32Array.of(1, 2), Float32Array.of(0, 0));
 * assert.deepEqual([e.mse, e.mae], [2.5, 1.5]);
 * ```
 * @module
 */
import { crpsSorted, INTERVALS, quantileSorted } from "../../infer/forecast/ensemble.ts";

/** Sums of squared and absolute errors. */
export class ErrorSums {
  /** Σ (pred − target)². */
  sq = 0;
  /** Σ |pred − target|. */
  abs = 0;
  /** Values added. */
  n = 0;

  /** Adds the errors of `pred` against `target` (same length). */
  add(pred: ArrayLike<number>, target: ArrayLike<number>): void {
    for (let i = 0; i < target.length; i++) {
      const d = pred[i] - target[i];
      this.sq += d * d;
      this.abs += Math.abs(d);
    }
    this.n += target.length;
  }

  /** Mean squared error. */
  get mse(): number {
    return this.sq / Math.max(1, this.n);
  }

  /** Mean absolute error. */
  get mae(): number {
    return this.abs / Math.max(1, this.n);
  }
}

/**
 * CRPS and interval coverage over an ensemble's points.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EnsembleSums } from "./scores.ts";
 * const e = new EnsembleSums();
 * // Two points, three samples each (sample-major: samples[s · points + p]).
 * e.add(Float32Array.of(0, 10, 1, 11, 2, 12), Float32Array.of(1, 20), 3);
 * assert.deepEqual([e.coverage[0], e.coverage[1]], [0.5, 0.5]); // 1 is inside, 20 is not
 * assert.ok(e.crps > 0);
 * ```
 */
export class EnsembleSums {
  /** Σ CRPS. */
  crpsSum = 0;
  /** Points inside each interval of `INTERVALS`. */
  inside: number[] = INTERVALS.map(() => 0);
  /** Points added. */
  n = 0;

  /** Adds `points` observations `target` and their `S` samples (sample-major). */
  add(samples: Float32Array, target: ArrayLike<number>, S: number): void {
    const P = target.length, col = new Float64Array(S);
    for (let p = 0; p < P; p++) {
      for (let s = 0; s < S; s++) col[s] = samples[s * P + p];
      col.sort();
      const y = target[p];
      this.crpsSum += crpsSorted(col, y);
      INTERVALS.forEach((iv, k) => {
        if (y >= quantileSorted(col, iv.lo) && y <= quantileSorted(col, iv.hi)) this.inside[k]++;
      });
    }
    this.n += P;
  }

  /** Mean CRPS. */
  get crps(): number {
    return this.crpsSum / Math.max(1, this.n);
  }

  /** Empirical coverage of each interval of `INTERVALS` (80%, 90%). */
  get coverage(): number[] {
    return this.inside.map((k) => k / Math.max(1, this.n));
  }
}
