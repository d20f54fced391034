/**
 * Repeat-last behind the training loop's {@linkcode TrainMethod} seam (`--method last`): no
 * weights and no training. Each "step" only measures the training batch's MSE of repeating the
 * window's last value (the loss column of the metrics line), so the loop's run folder, metrics
 * and validation scores come out as for every other method, and `deno task eval` reads it like
 * any forecaster. Format `forecast-last`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { SeriesRun } from "./data.ts";
 * import { createLastValueMethod } from "./last.ts";
 * import { defaultConfig } from "../../config.ts";
 * // 40 rows of one channel rising by 1 per row: repeat-last is off by 1 … H.
 * const z = Float32Array.from({ length: 40 }, (_, i) => i);
 * const series = { path: "x.csv", features: "M", channels: ["a"], outputs: [0], target: null,
 *   mean: [0], std: [1], z, lookback: 4, horizon: 2, splits: {
 *     train: { name: "train", first: 4, count: 10 }, val: { name: "val", first: 20, count: 5 },
 *   } } as never;
 * const run: SeriesRun = { kind: "series", series, trainSamples: 10 };
 * const cfg = { ...defaultConfig(), dataset: "etth1" as const, method: "last" as const, batchSize: 5 };
 * const m = await createLastValueMethod({ cfg, series: run });
 * const r = await m.run(0, 0, 2, () => {});
 * assert.equal(r.lossSum[0] / r.batches, (1 + 4) / 2); // errors 1 and 2
 * const e = await m.evaluate();
 * assert.ok("kind" in e && e.scores.mse === 2.5 && e.scores.windows === 5);
 * assert.equal(m.params, 0);
 * ```
 * @module
 */
import type { TrainMethod } from "../method.ts";
import type { ForecastContext } from "./context.ts";
import { runSeriesRange } from "./data.ts";
import { pointValidation, repeatLast } from "./evaluate.ts";
import { forecastMetadata } from "./meta.ts";
import { ErrorSums } from "./scores.ts";

/**
 * Builds repeat-last for a run (module doc).
 *
 * @example
 * ```ts
 * import type { ForecastContext } from "./context.ts";
 * import { createLastValueMethod } from "./last.ts";
 * const build = (ctx: ForecastContext) => createLastValueMethod(ctx);
 * ```
 */
export function createLastValueMethod(ctx: ForecastContext): Promise<TrainMethod> {
  const { cfg, series: run } = ctx;
  const { lookback: L, horizon: H } = run.series;
  const hyper = { batchSize: cfg.batchSize, seed: cfg.seed };
  const forecast = (x: Float32Array, n: number) => Promise.resolve(repeatLast(x, n, L, H));
  return Promise.resolve({
    name: "last",
    params: 0,
    meta: forecastMetadata(cfg, run, { kind: "last", lookback: L, horizon: H }),
    description: "repeat the last value (no training)",
    lossParts: 1,
    rangeSize: 50,
    sampler: { name: "last", steps: 0 },
    run: (epoch, from, to, onBatch) =>
      runSeriesRange(run, hyper, epoch, from, to, { parts: 1, partName: () => "loss" }, (b) => {
        const e = new ErrorSums();
        e.add(repeatLast(b.x, b.size, L, H), b.y);
        return Promise.resolve([[0, e.mse]]);
      }, onBatch),
    state: () => Promise.resolve({ weights: {}, optimizers: {}, rngs: {} }),
    evaluate: () => pointValidation(run.series, cfg.evalBatch, forecast),
    extra: () => Promise.resolve({}),
    close() {},
  });
}
