/**
 * Cross-field checks of the forecasting settings, before tfjs and the data load: a series
 * dataset trains the NoProp-DT forecaster (`--method noprop --variant dt`), DLinear
 * (`--method dlinear`) or repeat-last (`--method last`), in one process, without image
 * augmentation or image-set limits (`trainLimit`, `evalSamples`); an image dataset trains none of the forecasting baselines and reads no
 * `--data-file`. Each refusal is one line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkSeriesConfig, defaultConfig } from "../config.ts";
 * const cfg = { ...defaultConfig(), dataset: "etth1" as const };
 * checkSeriesConfig(cfg); // the NoProp-DT forecaster
 * assert.throws(
 *   () => checkSeriesConfig({ ...cfg, variant: "fm" }),
 *   /^ConfigError: the NoProp forecaster is discrete-time: use --variant dt \(ct\/fm are not offered for series\)$/,
 * );
 * ```
 * @module
 */
import { ConfigError } from "./errors.ts";
import { type Config, isSeriesDataset } from "./schema.ts";

/**
 * Throws a {@linkcode ConfigError} for a combination the forecasters do not train (module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkSeriesConfig, defaultConfig } from "../config.ts";
 * assert.throws(
 *   () => checkSeriesConfig({ ...defaultConfig(), method: "dlinear" }),
 *   /^ConfigError: --method dlinear forecasts a time series: use it with --dataset etth1/,
 * );
 * assert.throws(
 *   () => checkSeriesConfig({ ...defaultConfig(), dataset: "etth1", method: "backprop" }),
 *   /use --method dlinear for the backprop baseline on a series/,
 * );
 * ```
 */
export function checkSeriesConfig(cfg: Config): void {
  if (!isSeriesDataset(cfg.dataset)) {
    if (cfg.method === "dlinear" || cfg.method === "last") {
      throw new ConfigError(
        `--method ${cfg.method} forecasts a time series: use it with --dataset etth1`,
      );
    }
    if (cfg.lrDecay !== 1) {
      throw new ConfigError("--lr-decay is implemented for the forecasters only: leave it at 1");
    }
    if (cfg.dataFile !== null) {
      throw new ConfigError(
        `--data-file is a series CSV, but ${cfg.dataset} is an image dataset: use --dataset etth1`,
      );
    }
    return;
  }
  if (cfg.method === "backprop") {
    throw new ConfigError(
      `--method backprop is the image classifiers' baseline: use --method dlinear for the ` +
        `backprop baseline on a series (or --method last)`,
    );
  }
  if (cfg.method === "noprop" && cfg.variant !== "dt") {
    throw new ConfigError(
      "the NoProp forecaster is discrete-time: use --variant dt (ct/fm are not offered for series)",
    );
  }
  if (cfg.workers > 1) {
    throw new ConfigError("the forecasters train in one process: use --workers 1");
  }
  if (cfg.augment.length) {
    throw new ConfigError("--augment is for images: use --augment none with a series");
  }
  for (const k of ["trainLimit", "evalSamples"] as const) {
    if (cfg[k] !== 0) {
      throw new ConfigError(
        `${k} limits image sets; a series always uses every window of its splits: leave it at 0`,
      );
    }
  }
}
