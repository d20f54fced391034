/**
 * DLinear behind the training loop's {@linkcode TrainMethod} seam (`--method dlinear`): the
 * model of `src/model/forecast/dlinear.ts` trained end to end by ordinary back-propagation on
 * tfjs (one AdamW, the batch's MSE on the z-scored values, as the paper). Format
 * `forecast-dlinear`; checkpoint names: optimizer `all`, no random streams.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { defaultConfig } from "../../config.ts";
 * import type { SeriesRun } from "./data.ts";
 * import { createDLinearMethod } from "./dlinear.ts";
 * await initBackend("cpu");
 * const z = Float32Array.from({ length: 80 }, (_, i) => Math.sin(i / 3));
 * const series = { path: "x.csv", features: "M", channels: ["a"], outputs: [0], target: null,
 *   mean: [0], std: [1], z, lookback: 8, horizon: 4, splits: {
 *     train: { name: "train", first: 8, count: 40 }, val: { name: "val", first: 60, count: 10 },
 *   } } as never;
 * const run: SeriesRun = { kind: "series", series, trainSamples: 40 };
 * const cfg = {
 *   ...defaultConfig(), dataset: "etth1" as const, method: "dlinear" as const, batchSize: 8,
 *   dlinearKernel: 3, lr: 0.01,
 * };
 * const m = await createDLinearMethod({ cfg, series: run });
 * const first = await m.run(0, 0, 5, () => {});
 * for (let e = 1; e < 20; e++) await m.run(e, 0, 5, () => {});
 * const later = await m.run(20, 0, 5, () => {});
 * assert.ok(later.lossSum[0] < first.lossSum[0]); // it learns
 * assert.equal(m.params, 2 * (8 * 4 + 4));
 * assert.ok("seasonal.w" in (await m.state()).weights);
 * m.close();
 * ```
 * @module
 */
import { tf } from "../../deps_tf.ts";
import { createDLinear, disposeDLinear, dlinearForward } from "../../model/forecast/dlinear.ts";
import type { DLinearSpec } from "../../model/forecast/spec.ts";
import { streamSeed } from "../../model/noprop.ts";
import { AdamW } from "../adamw.ts";
import type { TrainMethod } from "../method.ts";
import { f32Tensors, pickArrays } from "../named_tensors.ts";
import type { ForecastContext } from "./context.ts";
import { runSeriesRange } from "./data.ts";
import { pointValidation } from "./evaluate.ts";
import { forecastMetadata } from "./meta.ts";

/**
 * Builds DLinear for a run (restoring the checkpoint when given).
 *
 * @example
 * ```ts
 * import type { ForecastContext } from "./context.ts";
 * import { createDLinearMethod } from "./dlinear.ts";
 * const build = (ctx: ForecastContext) => createDLinearMethod(ctx);
 * ```
 */
export function createDLinearMethod(ctx: ForecastContext): Promise<TrainMethod> {
  const { cfg, series: run, checkpoint: ck } = ctx;
  const { lookback: L, horizon: H } = run.series;
  const spec: DLinearSpec = { kind: "dlinear", lookback: L, horizon: H, kernel: cfg.dlinearKernel };
  const model = createDLinear(spec, streamSeed(cfg.seed, 1));
  const vars = model.params.variables();
  const opt = new AdamW(vars, {
    lr: cfg.lr,
    weightDecay: cfg.weightDecay,
    beta1: cfg.beta1,
    beta2: cfg.beta2,
    eps: cfg.adamEps,
  });
  if (ck) {
    model.params.assignFrom(pickArrays(ck.tensors, "", false));
    opt.load(ck.optimizer("all"));
  }
  const hyper = { batchSize: cfg.batchSize, seed: cfg.seed };
  const forecast = async (x: Float32Array, n: number) => {
    const y = tf.tidy(() => dlinearForward(model, tf.tensor2d(x, [n, L])));
    const out = await y.data() as Float32Array;
    y.dispose();
    return out;
  };
  const params = model.params.size();
  return Promise.resolve({
    name: "dlinear",
    params,
    meta: forecastMetadata(cfg, run, spec),
    description: `DLinear (backprop), kernel ${spec.kernel}, ${params} params`,
    lossParts: 1,
    rangeSize: 20,
    sampler: { name: "linear", steps: 0 },
    run: (epoch, from, to, onBatch) => {
      for (const o of [opt]) o.lr = cfg.lr * cfg.lrDecay ** epoch; // lr of epoch e: lr · lrDecay^e
      return runSeriesRange(
        run,
        hyper,
        epoch,
        from,
        to,
        { parts: 1, partName: () => "loss" },
        async (b) => {
          const x = tf.tensor2d(b.x, [b.size, L]), y = tf.tensor2d(b.y, [b.size, H]);
          const { value, grads } = tf.variableGrads(
            () => tf.mean(tf.square(tf.sub(dlinearForward(model, x), y))) as tf.Scalar,
            vars,
          );
          opt.apply(vars.map((v) => grads[v.name]));
          const loss = (await value.data())[0];
          tf.dispose([x, y, value, grads]);
          return [[0, loss]];
        },
        onBatch,
      );
    },
    async state() {
      return {
        weights: f32Tensors(await model.params.toArrays()),
        optimizers: { all: await opt.state() },
        rngs: {},
      };
    },
    evaluate: () => pointValidation(run.series, cfg.evalBatch, forecast),
    extra: () => Promise.resolve({}),
    close() {
      opt.dispose();
      disposeDLinear(model);
    },
  });
}
