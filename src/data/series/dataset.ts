/**
 * A series table prepared by the protocol: the model's channels chosen by the feature mode,
 * the 12/4/4-month split (`split.ts`), z-scored with the training split's statistics
 * (`scaler.ts`), and the stride-1 windows of each split (`windows.ts`).
 *
 * Feature modes (Informer's `--features`): `M` forecasts every column from every column; `S`
 * forecasts the target column from itself alone; `MS` forecasts the target from every column.
 * The models here are channel-independent (one window of one channel in, the same channel's
 * future out, weights shared by all channels), so `MS` trains on every column's windows and
 * evaluates and forecasts the target channel only — as the published channel-independent
 * models (DLinear, PatchTST) do with `MS`. Plain TypeScript, no tfjs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { prepareSeries } from "./dataset.ts";
 * import { parseSeriesCsv } from "./csv.ts";
 * // 120 days of a daily series with two columns; months 2/1/1 → rows 0–59, 60–89, 90–119.
 * const text = "date,a,OT\n" + Array.from({ length: 120 }, (_, i) => {
 *   const d = new Date(Date.UTC(2020, 0, 1) + i * 86400e3).toISOString().slice(0, 10);
 *   return `${d},${Math.sin(i)},${i % 7}`;
 * }).join("\n");
 * const table = parseSeriesCsv(text, "d.csv");
 * const s = prepareSeries(table, {
 *   lookback: 10, horizon: 5, features: "MS", target: "OT", splitMonths: [2, 1, 1],
 * });
 * assert.deepEqual(s.borders, [0, 60, 90, 120]);
 * assert.deepEqual([s.channels, s.outputs], [["a", "OT"], [1]]);
 * // Stride-1 windows: train targets in rows [10, 60), validation inputs start 10 rows early.
 * assert.deepEqual([s.splits.train.count, s.splits.val.count, s.splits.test.count], [46, 26, 26]);
 * ```
 * @module
 */
import { DatasetError } from "../errors.ts";
import { columnStats, zscore } from "./scaler.ts";
import { monthBorders } from "./split.ts";
import type { FeatureMode, SeriesTable, SplitName } from "./types.ts";
import { splitWindows, type WindowSplit } from "./windows.ts";

/** How a table is turned into windows. */
export interface SeriesOptions {
  /** Input rows per window (L). */
  lookback: number;
  /** Forecast rows per window (H). */
  horizon: number;
  /** Feature mode (module doc). */
  features: FeatureMode;
  /** Target column of `S` and `MS`. */
  target: string;
  /** Months (30 days) of train, validation and test. */
  splitMonths: readonly number[];
}

/** A table ready for the forecasting methods. */
export interface SeriesData {
  /** The file read. */
  path: string;
  /** The feature mode. */
  features: FeatureMode;
  /** The model's channels (column names): all columns for M/MS, the target for S. */
  channels: string[];
  /** Indices into `channels` that are evaluated and forecast (M: all; S, MS: the target). */
  outputs: number[];
  /** The target column, when the mode uses one (S, MS), else null. */
  target: string | null;
  /** Training-split mean of each channel (raw units). */
  mean: number[];
  /** Training-split standard deviation of each channel (raw units). */
  std: number[];
  /** Timestamps of all rows, ms UTC. */
  times: Float64Array;
  /** rows × channels z-scored values, row-major. */
  z: Float32Array;
  /** Row borders [0, end of train, end of validation, end of test]. */
  borders: [number, number, number, number];
  /** Input rows per window. */
  lookback: number;
  /** Forecast rows per window. */
  horizon: number;
  /** The windows of each split. */
  splits: Record<SplitName, WindowSplit>;
}

/**
 * Prepares `table` for forecasting (module doc); refuses in one line (naming the file) a
 * missing target column, a split too short for lookback + horizon, or a constant column.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { prepareSeries } from "./dataset.ts";
 * const table = {
 *   path: "t.csv", dateColumn: "date", columns: ["a"], rows: 3,
 *   times: Float64Array.of(0, 1, 2), values: Float64Array.of(1, 2, 3),
 * };
 * const opts = { lookback: 1, horizon: 1, features: "S" as const, target: "OT", splitMonths: [1, 1, 1] };
 * assert.throws(() => prepareSeries(table, opts), /t\.csv: target column "OT" not found \(columns: a\)/);
 * ```
 */
export function prepareSeries(table: SeriesTable, o: SeriesOptions): SeriesData {
  const { path } = table;
  const usesTarget = o.features !== "M";
  const targetIdx = table.columns.indexOf(o.target);
  if (usesTarget && targetIdx < 0) {
    throw new DatasetError(
      `${path}: target column "${o.target}" not found (columns: ${table.columns.join(", ")})`,
    );
  }
  const pick = o.features === "S" ? [targetIdx] : table.columns.map((_, i) => i);
  const channels = pick.map((i) => table.columns[i]);
  const C = channels.length, all = table.columns.length;
  const values = new Float64Array(table.rows * C);
  for (let r = 0; r < table.rows; r++) {
    for (let c = 0; c < C; c++) values[r * C + c] = table.values[r * all + pick[c]];
  }
  const borders = monthBorders(table.times, o.splitMonths, path);
  const stats = columnStats(values, borders[1], C, channels, path);
  const z = zscore(values, C, stats);
  const splits = splitWindows(borders, o.lookback, o.horizon, path);
  return {
    path,
    features: o.features,
    channels,
    outputs: o.features === "MS" ? [targetIdx] : channels.map((_, i) => i),
    target: usesTarget ? o.target : null,
    mean: stats.mean,
    std: stats.std,
    times: table.times,
    z,
    borders,
    lookback: o.lookback,
    horizon: o.horizon,
    splits,
  };
}
