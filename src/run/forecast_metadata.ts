/**
 * The model description of the forecasting formats (`forecast-dt`, `forecast-dlinear`,
 * `forecast-last`) in the weights' metadata: the series protocol the model was trained under
 * (channels, the evaluated outputs, the training split's mean and std of each channel, lookback,
 * horizon, split) and the model's spec. `metadata.ts` dispatches to it. Plain TypeScript.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeForecastMetadata, encodeForecastMetadata, type ForecastMetadata } from "./forecast_metadata.ts";
 * const m: ForecastMetadata = {
 *   format: "forecast-last", variant: "forecast", dataset: "etth1",
 *   series: {
 *     file: "ETTh1.csv", features: "S", channels: ["OT"], outputs: [0], target: "OT",
 *     mean: [17.1], std: [9.2], lookback: 336, horizon: 96, splitMonths: [12, 4, 4],
 *   },
 *   spec: { kind: "last", lookback: 336, horizon: 96 },
 * };
 * assert.deepEqual(decodeForecastMetadata(encodeForecastMetadata(m), "w.safetensors"), m);
 * ```
 * @module
 */
import {
  FEATURES,
  type Features,
  SERIES_DATASETS,
  type SeriesDatasetName,
} from "../config/schema.ts";
import type { ForecastSpec } from "../model/forecast/spec.ts";

/** The forecasting weight formats, one per forecasting method. */
export const FORECAST_FORMATS = ["forecast-dt", "forecast-dlinear", "forecast-last"] as const;
/** A forecasting weight format. */
export type ForecastFormat = (typeof FORECAST_FORMATS)[number];

/** The protocol a forecaster was trained under. */
export interface SeriesInfo {
  /** Base name of the CSV trained on. */
  file: string;
  /** Feature mode. */
  features: Features;
  /** The model's channels (column names). */
  channels: string[];
  /** Indices into `channels` that are evaluated and forecast. */
  outputs: number[];
  /** Target column (S, MS), else null. */
  target: string | null;
  /** Training-split mean per channel (raw units). */
  mean: number[];
  /** Training-split std per channel (raw units). */
  std: number[];
  /** Input rows L. */
  lookback: number;
  /** Forecast rows H. */
  horizon: number;
  /** Months of train, validation, test. */
  splitMonths: number[];
}

/**
 * A forecaster's description.
 *
 * @example
 * ```ts
 * import type { ForecastMetadata } from "./forecast_metadata.ts";
 * const h = (m: ForecastMetadata) => m.series.horizon;
 * ```
 */
export interface ForecastMetadata {
  /** The format. */
  format: ForecastFormat;
  /** Always `forecast`. */
  variant: "forecast";
  /** Dataset name (its config). */
  dataset: SeriesDatasetName;
  /** The protocol. */
  series: SeriesInfo;
  /** The model. */
  spec: ForecastSpec;
}

/** The spec kind each format holds. */
const KIND: Record<ForecastFormat, ForecastSpec["kind"]> = {
  "forecast-dt": "noprop-dt",
  "forecast-dlinear": "dlinear",
  "forecast-last": "last",
};

/**
 * The safetensors metadata strings of `m`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeForecastMetadata } from "./forecast_metadata.ts";
 * const series = {
 *   file: "a.csv", features: "M" as const, channels: ["a"], outputs: [0], target: null,
 *   mean: [0], std: [1], lookback: 4, horizon: 2, splitMonths: [12, 4, 4],
 * };
 * const md = encodeForecastMetadata({
 *   format: "forecast-dlinear", variant: "forecast", dataset: "etth1", series,
 *   spec: { kind: "dlinear", lookback: 4, horizon: 2, kernel: 3 },
 * });
 * assert.equal(md.spec, '{"kind":"dlinear","lookback":4,"horizon":2,"kernel":3}');
 * ```
 */
export function encodeForecastMetadata(m: ForecastMetadata): Record<string, string> {
  return {
    format: m.format,
    variant: m.variant,
    dataset: m.dataset,
    series: JSON.stringify(m.series),
    spec: JSON.stringify(m.spec),
  };
}

/**
 * Reads a forecaster's description from metadata strings; a missing or malformed field is one
 * line naming `path` and the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeForecastMetadata } from "./forecast_metadata.ts";
 * assert.throws(
 *   () => decodeForecastMetadata({ format: "forecast-last", variant: "forecast", dataset: "etth1" }, "w"),
 *   /^Error: w: metadata "series" is missing$/,
 * );
 * ```
 */
export function decodeForecastMetadata(
  md: Record<string, string>,
  path: string,
): ForecastMetadata {
  const fail = (msg: string) => new Error(`${path}: metadata ${msg}`);
  const str = (k: string) => {
    const v = md[k];
    if (v === undefined) throw fail(`"${k}" is missing`);
    return v;
  };
  const obj = (k: string): Record<string, unknown> => {
    const text = str(k);
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw fail(`"${k}" is not valid JSON`);
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      throw fail(`"${k}" is not an object`);
    }
    return v as Record<string, unknown>;
  };
  const format = str("format") as ForecastFormat;
  if (!FORECAST_FORMATS.includes(format)) throw fail(`format "${format}" is not a forecast format`);
  if (str("variant") !== "forecast") throw fail(`"variant" of a ${format} model must be forecast`);
  const dataset = str("dataset") as SeriesDatasetName;
  if (!SERIES_DATASETS.includes(dataset)) {
    throw fail(`"dataset" ${dataset} is not a series dataset`);
  }
  const series = obj("series") as unknown as SeriesInfo;
  const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  const nums = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "number");
  const C = Array.isArray(series.channels) ? series.channels.length : -1;
  if (
    C < 1 || !series.channels.every((c) => typeof c === "string") ||
    !FEATURES.includes(series.features) || !posInt(series.lookback) ||
    !posInt(series.horizon) || !nums(series.mean) || !nums(series.std) ||
    series.mean.length !== C || series.std.length !== C || !nums(series.outputs) ||
    !series.outputs.every((o) => Number.isInteger(o) && o >= 0 && o < C) ||
    !nums(series.splitMonths)
  ) {
    throw fail(`"series" is not a valid series description`);
  }
  const spec = obj("spec") as unknown as ForecastSpec;
  if (spec.kind !== KIND[format]) {
    throw fail(`"spec" kind ${spec.kind} does not match format ${format}`);
  }
  if (spec.lookback !== series.lookback || spec.horizon !== series.horizon) {
    throw fail(`"spec" lookback/horizon do not match "series"`);
  }
  return { format, variant: "forecast", dataset, series, spec };
}
