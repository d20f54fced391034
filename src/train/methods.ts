/**
 * The training methods by config: `method: backprop` → the baseline, else NoProp with
 * `variant` dt, ct or fm; for a time-series dataset the forecasters (`forecast/methods.ts`:
 * NoProp-DT, DLinear, repeat-last). The one place the loop learns which {@linkcode TrainMethod}
 * to build, and which data to load for it ({@linkcode loadMethodData}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../config.ts";
 * import { formatOf } from "./methods.ts";
 * assert.equal(formatOf({ ...defaultConfig(), variant: "fm" }), "noprop-fm");
 * ```
 * @module
 */
import { checkSeriesConfig } from "../config/series.ts";
import { type Config, isSeriesDataset } from "../config/schema.ts";
import { ConfigError } from "../config/errors.ts";
import type { CheckpointFile } from "../run/checkpoint.ts";
import type { Format } from "../run/metadata.ts";
import { batchesPerEpoch, loadRunData, type RunData } from "./batches.ts";
import { loadSeriesRun, seriesBatchesPerEpoch, type SeriesRun } from "./forecast/data.ts";
import { createForecastMethod, forecastFormatOf } from "./forecast/methods.ts";
import type { MethodContext, TrainMethod } from "./method.ts";
import { createBackpropMethod } from "./backprop/method.ts";
import { createContinuousMethod } from "./continuous/method.ts";
import { createDtMethod } from "./dt/method.ts";

/**
 * The weight format a config trains (and the checkpoint format it can resume).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatOf } from "./methods.ts";
 * assert.equal(formatOf({ method: "backprop", variant: "dt" }), "noprop-backprop");
 * assert.equal(formatOf({ method: "noprop", variant: "dt" }), "noprop-dt");
 * ```
 */
export function formatOf(
  cfg: Pick<Config, "method" | "variant"> & Partial<Pick<Config, "dataset">>,
): Format {
  if (cfg.dataset && isSeriesDataset(cfg.dataset)) return forecastFormatOf(cfg.method);
  return cfg.method === "backprop" ? "noprop-backprop" : `noprop-${cfg.variant}`;
}

/** A run's data: images for the classifiers, a series for the forecasters. */
export type MethodData = { kind: "images"; run: RunData } | SeriesRun;

/**
 * Loads the data the configured method trains on (after the cross-field checks of the
 * forecasting settings).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../config.ts";
 * import { loadMethodData } from "./methods.ts";
 * await assert.rejects(
 *   loadMethodData({ ...defaultConfig(), method: "last" }),
 *   /--method last forecasts a time series/,
 * );
 * ```
 */
export async function loadMethodData(cfg: Config): Promise<MethodData> {
  checkSeriesConfig(cfg);
  if (isSeriesDataset(cfg.dataset)) return await loadSeriesRun(cfg);
  return { kind: "images", run: await loadRunData(cfg) };
}

/**
 * Training batches per epoch of `data` (the last partial batch is dropped).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { methodBatchesPerEpoch } from "./methods.ts";
 * const series = { kind: "series" as const, series: {} as never, trainSamples: 1000 };
 * assert.equal(methodBatchesPerEpoch(series, 128), 7);
 * ```
 */
export function methodBatchesPerEpoch(data: MethodData, batchSize: number): number {
  return data.kind === "series"
    ? seriesBatchesPerEpoch(data, batchSize)
    : batchesPerEpoch(data.run.train, batchSize);
}

/**
 * Builds the configured method on `data` (from `checkpoint` when resuming).
 *
 * @example
 * ```ts
 * import type { Config } from "../config.ts";
 * import { buildMethod, type MethodData } from "./methods.ts";
 * const fresh = (cfg: Config, data: MethodData) => buildMethod(cfg, data);
 * ```
 */
export function buildMethod(
  cfg: Config,
  data: MethodData,
  checkpoint?: CheckpointFile,
): Promise<TrainMethod> {
  return data.kind === "series"
    ? createForecastMethod({ cfg, series: data, checkpoint })
    : createMethod({ cfg, run: data.run, checkpoint });
}

/**
 * Builds the configured method.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { defaultConfig } from "../config.ts";
 * import { NORMALIZATION } from "../data/normalize.ts";
 * import type { RunData } from "./batches.ts";
 * import { createMethod } from "./methods.ts";
 * await initBackend("cpu");
 * // Eight 8×8 grey images of two classes (dark, bright), used as both splits.
 * const set = {
 *   count: 8, height: 8, width: 8, channels: 1, labels: Uint8Array.of(0, 1, 0, 1, 0, 1, 0, 1),
 *   images: Uint8Array.from({ length: 8 * 64 }, (_, i) => (Math.floor(i / 64) % 2) * 200),
 * };
 * const info = {
 *   name: "mnist" as const, height: 8, width: 8, channels: 1, numClasses: 2,
 *   classNames: ["dark", "bright"], mean: [0.1307], std: [0.3081],
 * };
 * const run: RunData = {
 *   data: { train: set, test: set, info }, train: set, test: set, stats: NORMALIZATION.mnist,
 * };
 * const cfg = {
 *   ...defaultConfig(), T: 2, widths: [2, 2, 2], hidden: 8, batchSize: 4, evalBatch: 8,
 * };
 * const ct = await createMethod({ cfg: { ...cfg, variant: "ct" }, run });
 * assert.equal(ct.name, "ct");
 * ct.close();
 * const baseline = await createMethod({ cfg: { ...cfg, method: "backprop" }, run });
 * assert.equal(baseline.description, `backprop baseline, T=2, ${baseline.params} params`);
 * baseline.close();
 * // Fusing the blocks' steps is NoProp-DT's: refused, in one line, for the others.
 * assert.throws(
 *   () => createMethod({ cfg: { ...cfg, variant: "fm", fuseBlocks: true }, run }),
 *   /^ConfigError: --fuse-blocks fuses NoProp-DT's block steps: not for --variant fm$/,
 * );
 * ```
 */
export function createMethod(ctx: MethodContext): Promise<TrainMethod> {
  const { cfg } = ctx;
  if (cfg.fuseBlocks && (cfg.method !== "noprop" || cfg.variant !== "dt")) {
    throw new ConfigError(
      "--fuse-blocks fuses NoProp-DT's block steps: not for " +
        (cfg.method === "backprop" ? "--method backprop" : `--variant ${cfg.variant}`),
    );
  }
  if (ctx.cfg.method === "backprop") return createBackpropMethod(ctx);
  return ctx.cfg.variant === "dt" ? createDtMethod(ctx) : createContinuousMethod(ctx);
}
