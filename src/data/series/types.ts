/**
 * The shapes of series data: a parsed CSV table and the feature modes of the long-horizon
 * forecasting protocol (Informer's `--features M|S|MS`). Plain types, no tfjs.
 *
 * @example
 * ```ts
 * import type { SeriesTable } from "./types.ts";
 * const t: SeriesTable = {
 *   path: "x.csv", dateColumn: "date", columns: ["a"], rows: 1,
 *   times: Float64Array.of(0), values: Float64Array.of(1.5),
 * };
 * ```
 * @module
 */

/**
 * A CSV of a date column and numeric columns, as read by `parseSeriesCsv`.
 *
 * @example
 * ```ts
 * import type { SeriesTable } from "./types.ts";
 * const valueAt = (t: SeriesTable, row: number, col: number) => t.values[row * t.columns.length + col];
 * ```
 */
export interface SeriesTable {
  /** The file it came from (for messages). */
  path: string;
  /** Name of the timestamp column. */
  dateColumn: string;
  /** Names of the numeric columns, in file order. */
  columns: string[];
  /** Number of data rows. */
  rows: number;
  /** Timestamp of each row, ms since 1970 UTC, strictly increasing. */
  times: Float64Array;
  /** rows × columns values, row-major. */
  values: Float64Array;
}

/** The feature modes: multivariate → multivariate, univariate (target only), multivariate → target. */
export const FEATURE_MODES = ["M", "S", "MS"] as const;
/** A feature mode. */
export type FeatureMode = (typeof FEATURE_MODES)[number];

/** The three splits of the protocol. */
export const SPLIT_NAMES = ["train", "val", "test"] as const;
/** A split name. */
export type SplitName = (typeof SPLIT_NAMES)[number];
