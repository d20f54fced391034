/**
 * Z-scoring with the training split's statistics only (the protocol's rule): per column, mean
 * and population standard deviation (ddof 0, as scikit-learn's `StandardScaler` that the
 * published code uses) over the training rows, applied to every row. Plain TypeScript, no tfjs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { columnStats, zscore } from "./scaler.ts";
 * // Two columns, three rows; statistics from the first two rows only.
 * const values = Float64Array.of(1, 10, 3, 10.5, 100, 0);
 * const s = columnStats(values, 2, 2, ["a", "b"], "x.csv");
 * assert.deepEqual([s.mean, s.std], [[2, 10.25], [1, 0.25]]);
 * assert.deepEqual([...zscore(values, 2, s)], [-1, -1, 1, 1, 98, -41]);
 * ```
 * @module
 */
import { DatasetError } from "../errors.ts";

/** Per-column mean and standard deviation. */
export interface ColumnStats {
  /** Mean of each column over the training rows. */
  mean: number[];
  /** Population standard deviation of each column over the training rows (> 0). */
  std: number[];
}

/**
 * Mean and population std of each of `cols` columns over the first `rows` rows of the
 * row-major `values`; a column that is constant there cannot be z-scored and is refused in
 * one line naming it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { columnStats } from "./scaler.ts";
 * assert.throws(
 *   () => columnStats(Float64Array.of(5, 5), 2, 1, ["flat"], "x.csv"),
 *   /x\.csv: column "flat" is constant \(5\) over the 2 training rows: it cannot be z-scored/,
 * );
 * ```
 */
export function columnStats(
  values: Float64Array,
  rows: number,
  cols: number,
  names: readonly string[],
  path: string,
): ColumnStats {
  const mean: number[] = [], std: number[] = [];
  for (let c = 0; c < cols; c++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += values[r * cols + c];
    const m = s / rows;
    let q = 0;
    for (let r = 0; r < rows; r++) q += (values[r * cols + c] - m) ** 2;
    const sd = Math.sqrt(q / rows);
    if (!(sd > 0)) {
      throw new DatasetError(
        `${path}: column "${names[c]}" is constant (${m}) over the ${rows} training rows: ` +
          `it cannot be z-scored`,
      );
    }
    mean.push(m);
    std.push(sd);
  }
  return { mean, std };
}

/**
 * (value − mean[c]) / std[c] for every cell of the row-major `values` with `cols` columns,
 * as float32.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { zscore } from "./scaler.ts";
 * assert.deepEqual([...zscore(Float64Array.of(4), 1, { mean: [2], std: [2] })], [1]);
 * ```
 */
export function zscore(values: Float64Array, cols: number, s: ColumnStats): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const c = i % cols;
    out[i] = (values[i] - s.mean[c]) / s.std[c];
  }
  return out;
}
