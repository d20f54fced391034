/**
 * Series data for forecasting: read a CSV (`csv.ts`), choose the channels by feature mode,
 * split by months, z-score with training statistics and cut stride-1 windows (`dataset.ts`).
 * {@linkcode loadSeries} does it all for a named dataset or a `--data-file`. Plain TypeScript:
 * importing it never loads tfjs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSeries } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const lines = ["date,x"];
 * for (let i = 0; i < 40; i++) {
 *   lines.push(`${new Date(Date.UTC(2021, 0, 1) + i * 86400e3).toISOString().slice(0, 10)},${i % 5}`);
 * }
 * await Deno.writeTextFile(`${dir}/s.csv`, lines.join("\n"));
 * const s = await loadSeries("etth1", {
 *   dataFile: `${dir}/s.csv`, lookback: 4, horizon: 2, features: "M", target: "OT",
 *   splitMonths: [0.5, 0.5, 0.3],
 * });
 * assert.deepEqual(s.borders, [0, 15, 30, 39]);
 * assert.equal(s.target, null); // M uses no target
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import { parseSeriesCsv } from "./csv.ts";
import { prepareSeries, type SeriesData, type SeriesOptions } from "./dataset.ts";
import { readSeriesFile, type SeriesDatasetName, type SeriesFileOptions } from "./source.ts";

export { parseSeriesCsv } from "./csv.ts";
export { prepareSeries, type SeriesData, type SeriesOptions } from "./dataset.ts";
export {
  readSeriesFile,
  SERIES_DATASET_NAMES,
  SERIES_SOURCES,
  type SeriesDatasetName,
  type SeriesFileOptions,
} from "./source.ts";
export { copySample, splitWindows, type WindowSplit } from "./windows.ts";
export {
  FEATURE_MODES,
  type FeatureMode,
  type SeriesTable,
  SPLIT_NAMES,
  type SplitName,
} from "./types.ts";
export { MONTH_MS, monthBorders } from "./split.ts";
export { formatTimestamp, parseTimestamp } from "./timestamp.ts";

/**
 * Reads and prepares a series dataset (module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSeries } from "./mod.ts";
 * await assert.rejects(
 *   loadSeries("etth1", {
 *     dataFile: "/nonexistent.csv", lookback: 4, horizon: 2, features: "M", target: "OT",
 *     splitMonths: [12, 4, 4],
 *   }),
 *   /^DatasetError: \/nonexistent\.csv: cannot be read/,
 * );
 * ```
 */
export async function loadSeries(
  dataset: SeriesDatasetName,
  o: SeriesOptions & SeriesFileOptions,
): Promise<SeriesData> {
  const { path, text } = await readSeriesFile(dataset, o);
  return prepareSeries(parseSeriesCsv(text, path), o);
}
