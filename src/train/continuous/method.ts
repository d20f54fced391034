/**
 * NoProp-CT and NoProp-FM behind the training loop's {@linkcode TrainMethod} seam (paper v1
 * Algorithms 2 and 3): one network (and for CT the classifier and the learnable schedule)
 * updated by one AdamW per batch with the loss of `step.ts`; evaluated with the runtime's
 * Euler/Heun driver (`evaluate.ts`, deterministic, so there is no separate noise-free figure).
 * Each batch draws t ~ U(0, 1) and two standard-normal [B, d] from the stream `noise`
 * `(seed, 3000)`; dropout masks come from the step. Checkpoint names: optimizer `all`, random
 * stream `noise`. One process only (`--workers 1`: one network, nothing to spread).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { defaultConfig } from "../../config.ts";
 * import { NORMALIZATION } from "../../data/normalize.ts";
 * import type { RunData } from "../batches.ts";
 * import { isForecastEvaluation } from "../method.ts";
 * import { createContinuousMethod } from "./method.ts";
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
 *   variant: "fm" as const,
 * };
 * const method = await createContinuousMethod({ cfg, run });
 * assert.equal(method.name, "fm");
 * const r = await method.run(0, 0, 2, () => {});
 * assert.equal(r.batches, 2);
 * assert.deepEqual(Object.keys((await method.state()).rngs), ["noise"]);
 * const e = await method.evaluate(); // Euler or Heun, deterministic
 * assert.ok(!isForecastEvaluation(e)); // a classifier's evaluation
 * assert.equal(e.count, 8);
 * assert.equal(e.accNoiseFree, null);
 * method.close();
 * ```
 * @module
 */
import { configBackbone } from "../../config/backbone.ts";
import { ConfigError } from "../../config/errors.ts";
import { tf } from "../../deps_tf.ts";
import { batches } from "../../data/batches.ts";
import {
  continuousArrays,
  continuousVariables,
  createContinuousModel,
  disposeContinuousModel,
} from "../../model/continuous_model.ts";
import { streamSeed } from "../../model/noprop.ts";
import { dataMetadata } from "../../run/metadata.ts";
import { Rng } from "../../rng.ts";
import { AdamW } from "../adamw.ts";
import { runRange } from "../batches.ts";
import type { MethodContext, TrainMethod } from "../method.ts";
import { prototypeTrainingData } from "../prototype_data.ts";
import { f32Tensors } from "../named_tensors.ts";
import { evaluateContinuous } from "./evaluate.ts";
import { type ContinuousState, continuousStep } from "./step.ts";
import { assignContinuousModel } from "./weights.ts";

/**
 * Builds NoProp-CT or -FM for a run (restoring the checkpoint when given).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { defaultConfig } from "../../config.ts";
 * import { NORMALIZATION } from "../../data/normalize.ts";
 * import type { RunData } from "../batches.ts";
 * import { createContinuousMethod } from "./method.ts";
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
 *   variant: "ct" as const,
 * };
 * const method = await createContinuousMethod({ cfg, run });
 * assert.equal(method.meta.format, "noprop-ct");
 * await method.run(0, 0, 1, () => {});
 * // CT also trains its classifier and the learnable schedule (eq. 65–67).
 * assert.ok("sched.delta" in (await method.state()).weights);
 * method.close();
 * // One network: nothing to spread over workers.
 * assert.throws(
 *   () => createContinuousMethod({ cfg: { ...cfg, workers: 2 }, run }),
 *   /^ConfigError: --workers > 1 is not supported for --variant ct$/,
 * );
 * ```
 */
export function createContinuousMethod(ctx: MethodContext): Promise<TrainMethod> {
  const { cfg, run, checkpoint: ck } = ctx;
  const variant = cfg.variant;
  if (variant === "dt") throw new Error("createContinuousMethod: variant must be ct or fm");
  if (cfg.workers > 1) {
    throw new ConfigError(`--workers > 1 is not supported for --variant ${variant}`);
  }
  const { height, width, channels, numClasses } = run.data.info;
  const model = createContinuousModel({
    variant,
    image: { height, width, channels },
    classes: numClasses,
    embedding: cfg.embedding,
    embedDim: cfg.embeddingDim,
    widths: cfg.widths as [number, number, number],
    hidden: cfg.hidden,
    ...configBackbone(cfg),
    seed: cfg.seed,
    gamma0: cfg.ctGamma0,
    gamma1: cfg.ctGamma1,
    gammaHidden: cfg.ctGammaHidden,
    // A resumed run's W_Embed comes from the checkpoint: no prototype search then.
    prototypeData: cfg.embedding === "prototype" && !ck ? prototypeTrainingData(run) : undefined,
    restoring: !!ck,
  });
  const opt = new AdamW(continuousVariables(model), {
    lr: cfg.lr,
    weightDecay: cfg.weightDecay,
    beta1: cfg.beta1,
    beta2: cfg.beta2,
    eps: cfg.adamEps,
  });
  const state: ContinuousState = {
    model,
    opt,
    eta: cfg.eta,
    fmSigma: cfg.fmSigma,
    dropout: cfg.dropout,
  };
  let noise = new Rng(streamSeed(cfg.seed, 3000));
  if (ck) {
    assignContinuousModel(model, ck.tensors);
    opt.load(ck.optimizer("all"));
    noise = Rng.fromState(ck.rng("noise"));
  }
  const B = cfg.batchSize, d = model.embedding.dim;
  const src = { train: run.train, stats: run.stats, hyper: cfg };
  const parts = { parts: 1, partName: () => "loss" };
  return Promise.resolve({
    name: variant,
    params: continuousVariables(model).reduce((n, v) => n + v.size, 0),
    meta: {
      format: `noprop-${variant}`,
      variant,
      ...dataMetadata(run.data.info),
      embedding: model.embedding.kind,
      spec: model.spec,
    },
    description: `NoProp-${variant.toUpperCase()}, ${model.net.size()} params`,
    lossParts: 1,
    rangeSize: 1,
    sampler: { name: cfg.sampler, steps: cfg.sampleSteps },
    run: (epoch, from, to, onBatch) =>
      runRange(src, epoch, from, to, parts, async (x, y, step) => {
        const n = {
          t: tf.tensor1d(Float32Array.from({ length: B }, () => noise.uniform())),
          e1: tf.tensor2d(noise.fillNormal(new Float32Array(B * d)), [B, d]),
          e2: tf.tensor2d(noise.fillNormal(new Float32Array(B * d)), [B, d]),
        };
        const loss = continuousStep(state, x, y, n, streamSeed(step, 7000));
        const v = (await loss.data())[0];
        tf.dispose([n.t, n.e1, n.e2, loss]);
        return [[0, v]];
      }, onBatch),
    async state() {
      return {
        weights: f32Tensors(await continuousArrays(model)),
        optimizers: { all: await opt.state() },
        rngs: { noise: noise.state() },
      };
    },
    async evaluate() {
      const test = batches(run.test, { batchSize: cfg.evalBatch, stats: run.stats });
      const o = { seed: cfg.seed + 1, sampler: cfg.sampler, steps: cfg.sampleSteps };
      const a = await evaluateContinuous(model, test, o);
      return { acc: a.acc, accNoiseFree: null, count: a.count, confusion: a.confusion };
    },
    extra: () => Promise.resolve({}),
    close() {
      opt.dispose();
      disposeContinuousModel(model);
    },
  });
}
