/**
 * The NoProp-DT forecaster behind the training loop's {@linkcode TrainMethod} seam
 * (`--dataset etth1 --method noprop`): T blocks, each with its own AdamW and noise stream,
 * trained locally on its eq. 8 term (`step.ts`); the autoencoder (`--forecast-mode
 * autoencoder`) with its own AdamW. Evaluated on the validation split with the eq. 3 sampler:
 * one stochastic sample and the noise-free one, the latter's MSE selecting the model.
 *
 * Checkpoint names: optimizers `block_XX` and `ae`, random streams by t and `ae`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../../backend/mod.ts";
 * import { defaultConfig } from "../../../config.ts";
 * import type { SeriesRun } from "../data.ts";
 * import { createNoPropForecastMethod } from "./method.ts";
 * await initBackend("cpu");
 * const z = Float32Array.from({ length: 120 }, (_, i) => Math.sin(i / 4));
 * const series = { path: "x.csv", features: "M", channels: ["a"], outputs: [0], target: null,
 *   mean: [0], std: [1], z, lookback: 8, horizon: 4, splits: {
 *     train: { name: "train", first: 8, count: 60 }, val: { name: "val", first: 80, count: 20 },
 *   } } as never;
 * const run: SeriesRun = { kind: "series", series, trainSamples: 60 };
 * const cfg = { ...defaultConfig(), dataset: "etth1" as const, T: 3, hidden: 8, batchSize: 16 };
 * const m = await createNoPropForecastMethod({ cfg, series: run });
 * assert.equal(m.lossParts, 3); // one per block (direct mode)
 * const r = await m.run(0, 0, 3, () => {});
 * assert.equal(r.batches, 3);
 * const e = await m.evaluate();
 * assert.ok("kind" in e && e.scores.mseNoiseFree !== null && e.scores.select === e.scores.mseNoiseFree);
 * m.close();
 * ```
 * @module
 */
import { tf } from "../../../deps_tf.ts";
import { normalizeRows, normalizeWith } from "../../../infer/forecast/revin.ts";
import { createNoPropForecaster, disposeForecaster } from "../../../model/forecast/noprop.ts";
import type { NoPropForecastSpec } from "../../../model/forecast/spec.ts";
import { streamSeed } from "../../../model/noprop.ts";
import { Rng } from "../../../rng.ts";
import { AdamW } from "../../adamw.ts";
import { blockPrefix } from "../../dt/weights.ts";
import type { TrainMethod } from "../../method.ts";
import type { ForecastContext } from "../context.ts";
import { evalBatches, runSeriesRange, type SeriesBatch } from "../data.ts";
import { forecastMetadata } from "../meta.ts";
import { ErrorSums } from "../scores.ts";
import { sampleForecasts } from "./sample.ts";
import { trainForecastBatch } from "./step.ts";
import { assignForecaster, forecasterTensors } from "./weights.ts";

/**
 * The forecaster's spec from a config and the run's window sizes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../../../config.ts";
 * import { forecastSpec } from "./method.ts";
 * const s = forecastSpec({ ...defaultConfig(), T: 4 }, 336, 96);
 * assert.deepEqual([s.T, s.mode, s.alphaBar.length], [4, "direct", 0]); // ᾱ filled by the model
 * ```
 */
export function forecastSpec(
  cfg: Pick<ForecastContext["cfg"], "T" | "schedule" | "hidden" | "forecastMode" | "latentDim">,
  lookback: number,
  horizon: number,
): NoPropForecastSpec {
  return {
    kind: "noprop-dt",
    lookback,
    horizon,
    T: cfg.T,
    schedule: cfg.schedule,
    alphaBar: [],
    hidden: cfg.hidden,
    mode: cfg.forecastMode,
    latentDim: cfg.latentDim,
  };
}

/** A training batch as tensors in the window's own frame: x̃ [n, L] and ỹ [n, H]. */
function normalizedBatch(b: SeriesBatch, L: number, H: number): [tf.Tensor2D, tf.Tensor2D] {
  const stats = normalizeRows(b.x, b.size, L);
  normalizeWith(b.y, b.size, H, stats);
  return [tf.tensor2d(b.x, [b.size, L]), tf.tensor2d(b.y, [b.size, H])];
}

/**
 * Builds the forecaster for a run (restoring the checkpoint when given).
 *
 * @example
 * ```ts
 * import type { ForecastContext } from "../context.ts";
 * import { createNoPropForecastMethod } from "./method.ts";
 * const build = (ctx: ForecastContext) => createNoPropForecastMethod(ctx);
 * ```
 */
export function createNoPropForecastMethod(ctx: ForecastContext): Promise<TrainMethod> {
  const { cfg, series: run, checkpoint: ck } = ctx;
  const { lookback: L, horizon: H } = run.series;
  const model = createNoPropForecaster(forecastSpec(cfg, L, H), cfg.seed);
  const T = cfg.T;
  const adam = (vars: tf.Variable[]) =>
    new AdamW(vars, {
      lr: cfg.lr,
      weightDecay: cfg.weightDecay,
      beta1: cfg.beta1,
      beta2: cfg.beta2,
      eps: cfg.adamEps,
    });
  const state = {
    model,
    eta: cfg.eta,
    bnMomentum: cfg.bnMomentum,
    blockOpt: model.blocks.map((b) => adam(b.variables())),
    aeOpt: model.ae ? adam(model.ae.variables()) : null,
    blockRng: model.blocks.map((_, i) =>
      ck ? Rng.fromState(ck.rng(String(i + 1))) : new Rng(streamSeed(cfg.seed, 100 + i + 1))
    ),
    aeRng: ck && model.ae ? Rng.fromState(ck.rng("ae")) : new Rng(streamSeed(cfg.seed, 1100)),
  };
  if (ck) {
    assignForecaster(model, ck.tensors);
    state.blockOpt.forEach((o, i) => o.load(ck.optimizer(blockPrefix(i + 1))));
    state.aeOpt?.load(ck.optimizer("ae"));
  }
  const parts = T + (model.ae ? 1 : 0);
  const partName = (p: number) => p === T ? "autoencoder loss" : `loss of block ${p + 1}`;
  const hyper = { batchSize: cfg.batchSize, seed: cfg.seed };
  const perBlock = model.blocks[0].size();
  const params = perBlock * T + (model.ae?.size() ?? 0);
  return Promise.resolve({
    name: "forecast-dt",
    params,
    meta: forecastMetadata(cfg, run, model.spec),
    description: `NoProp-DT forecaster (${model.spec.mode}), T=${T}, ${perBlock} params/block` +
      (model.ae ? `, autoencoder ${model.ae.size()} params` : ""),
    lossParts: parts,
    rangeSize: 5,
    sampler: { name: "dt", steps: T },
    run: (epoch, from, to, onBatch) => {
      for (const o of [...state.blockOpt, ...(state.aeOpt ? [state.aeOpt] : [])]) {
        o.lr = cfg.lr * cfg.lrDecay ** epoch; // lr of epoch e: lr · lrDecay^e
      }
      return runSeriesRange(run, hyper, epoch, from, to, { parts, partName }, async (b) => {
        const [x, y] = normalizedBatch(b, L, H);
        try {
          return await trainForecastBatch(state, x, y);
        } finally {
          tf.dispose([x, y]);
        }
      }, onBatch);
    },
    async state() {
      const optimizers: Record<string, Awaited<ReturnType<AdamW["state"]>>> = {};
      const rngs: Record<string, ReturnType<Rng["state"]>> = {};
      for (let t = 1; t <= T; t++) {
        optimizers[blockPrefix(t)] = await state.blockOpt[t - 1].state();
        rngs[String(t)] = state.blockRng[t - 1].state();
      }
      if (state.aeOpt) {
        optimizers.ae = await state.aeOpt.state();
        rngs.ae = state.aeRng.state();
      }
      return { weights: await forecasterTensors(model), optimizers, rngs };
    },
    async evaluate() {
      const noisy = new ErrorSums(), clean = new ErrorSums(), rng = new Rng(cfg.seed + 1);
      for (const b of evalBatches(run.series, "val", cfg.evalBatch)) {
        const f = await sampleForecasts(model, b.x, b.size, { samples: 1, noiseFree: true }, rng);
        noisy.add(f.samples, b.y);
        clean.add(f.noiseFree!, b.y);
      }
      return {
        kind: "forecast",
        scores: {
          split: "val",
          mse: noisy.mse,
          mae: noisy.mae,
          mseNoiseFree: clean.mse,
          maeNoiseFree: clean.mae,
          windows: run.series.splits.val.count,
          select: clean.mse,
        },
      };
    },
    extra: () => Promise.resolve({}),
    close() {
      for (const o of state.blockOpt) o.dispose();
      state.aeOpt?.dispose();
      disposeForecaster(model);
    },
  });
}
