/**
 * The weights' description of a forecaster (`src/run/forecast_metadata.ts`) from a run's
 * config, data and model spec.
 *
 * @example
 * ```ts
 * import type { ForecastMetadata } from "../../run/forecast_metadata.ts";
 * const kind = (m: ForecastMetadata) => m.spec.kind;
 * ```
 * @module
 */
import type { Config, SeriesDatasetName } from "../../config/schema.ts";
import type { ForecastSpec } from "../../model/forecast/spec.ts";
import type { ForecastFormat, ForecastMetadata } from "../../run/forecast_metadata.ts";
import { seriesInfo, type SeriesRun } from "./data.ts";

const FORMAT: Record<ForecastSpec["kind"], ForecastFormat> = {
  "noprop-dt": "forecast-dt",
  dlinear: "forecast-dlinear",
  last: "forecast-last",
};

/**
 * The metadata of a forecaster with `spec` trained by `cfg` on `run`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../../config.ts";
 * import { forecastMetadata } from "./meta.ts";
 * const series = { path: "/d/ETTh1.csv", features: "S", channels: ["OT"], outputs: [0],
 *   target: "OT", mean: [1], std: [2], lookback: 4, horizon: 2 } as never;
 * const m = forecastMetadata({ ...defaultConfig(), dataset: "etth1" }, { kind: "series", series,
 *   trainSamples: 9 }, { kind: "last", lookback: 4, horizon: 2 });
 * assert.deepEqual([m.format, m.series.file], ["forecast-last", "ETTh1.csv"]);
 * ```
 */
export function forecastMetadata(
  cfg: Config,
  run: SeriesRun,
  spec: ForecastSpec,
): ForecastMetadata {
  return {
    format: FORMAT[spec.kind],
    variant: "forecast",
    dataset: cfg.dataset as SeriesDatasetName,
    series: seriesInfo(run.series, cfg.splitMonths),
    spec,
  };
}
