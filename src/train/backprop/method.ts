/**
 * The backprop baseline behind the training loop's {@linkcode TrainMethod} seam
 * (`deno task train --method backprop`): the same T blocks, classifier and embedding as
 * NoProp-DT plus the learned mixing weights `mix.w` [T] (paper eq. 17–19, `src/model/backprop.ts`),
 * trained end to end by one AdamW on the chain's cross-entropy (`team.ts`). Its weights file
 * is NoProp-DT's plus `mix.w` (format `noprop-backprop`); checkpoint names: optimizer `all`,
 * random stream `z0`. Trains in one process only (`--workers 1`) and only `--variant dt`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { defaultConfig } from "../../config.ts";
 * import { NORMALIZATION } from "../../data/normalize.ts";
 * import type { RunData } from "../batches.ts";
 * import { createBackpropMethod } from "./method.ts";
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
 *   method: "backprop" as const,
 * };
 * const method = await createBackpropMethod({ cfg, run });
 * assert.equal(method.meta.format, "noprop-backprop");
 * const r = await method.run(0, 0, 2, () => {});
 * assert.equal(r.lossSum.length, 1); // one loss: the chain's cross-entropy
 * assert.ok("mix.w" in (await method.state()).weights);
 * const { alpha } = await method.extra(); // the learned α_t = tanh(w_t), for the metrics line
 * assert.equal((alpha as number[]).length, 2);
 * method.close();
 * ```
 * @module
 */
import { ConfigError } from "../../config/errors.ts";
import { tf } from "../../deps_tf.ts";
import { batches } from "../../data/batches.ts";
import {
  backpropVariables,
  createMix,
  evaluateBackprop,
  initClassifierFromEmbedding,
} from "../../model/backprop.ts";
import { disposeModel } from "../../model/noprop.ts";
import type { MethodContext, TrainMethod } from "../method.ts";
import { assignVariable, variableTensor } from "../named_tensors.ts";
import { buildDtModel, trainerHyper } from "../dt/setup.ts";
import { assignModel, dtMetadata, modelArrays } from "../dt/weights.ts";
import { BackpropTeam } from "./team.ts";

/**
 * Builds the baseline for a run (restoring the checkpoint when given).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { defaultConfig } from "../../config.ts";
 * import { NORMALIZATION } from "../../data/normalize.ts";
 * import type { RunData } from "../batches.ts";
 * import { createBackpropMethod } from "./method.ts";
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
 *   method: "backprop" as const,
 * };
 * // The baseline is discrete-time and trains end to end in one process.
 * assert.throws(
 *   () => createBackpropMethod({ cfg: { ...cfg, variant: "fm" }, run }),
 *   /^ConfigError: --method backprop is the discrete-time baseline .*: use --variant dt$/,
 * );
 * assert.throws(
 *   () => createBackpropMethod({ cfg: { ...cfg, workers: 2 }, run }),
 *   /use --workers 1$/,
 * );
 * const method = await createBackpropMethod({ cfg, run });
 * assert.equal(method.sampler.name, "chain");
 * method.close();
 * ```
 */
export function createBackpropMethod(ctx: MethodContext): Promise<TrainMethod> {
  const { cfg, run, checkpoint: ck } = ctx;
  if (cfg.variant !== "dt") {
    throw new ConfigError(
      "--method backprop is the discrete-time baseline (eq. 17–19): use --variant dt",
    );
  }
  if (cfg.workers > 1) {
    throw new ConfigError("--method backprop trains end to end in one process: use --workers 1");
  }
  const model = buildDtModel(cfg, run);
  const mix = createMix(cfg.T);
  if (cfg.backpropClassifierInit === "embedding") initClassifierFromEmbedding(model);
  const team = new BackpropTeam(model, mix, trainerHyper(cfg), run.train, run.stats);
  if (ck) {
    assignModel(model, ck.tensors);
    assignVariable(mix, ck.tensors, "mix.w");
    team.load({ opt: ck.optimizer("all"), rng: ck.rng("z0") });
  }
  const params = backpropVariables(model, mix).reduce((n, v) => n + v.size, 0);
  return Promise.resolve({
    name: "backprop",
    params,
    meta: dtMetadata(model, run.data.info, "noprop-backprop"),
    description: `backprop baseline, T=${cfg.T}, ${params} params`,
    lossParts: 1,
    rangeSize: 1,
    sampler: { name: "chain", steps: cfg.T },
    run: (epoch, from, to, onBatch) => team.run(epoch, from, to, onBatch),
    async state() {
      const { opt, rng } = await team.state();
      const weights = { ...await modelArrays(model), "mix.w": await variableTensor(mix) };
      return { weights, optimizers: { all: opt }, rngs: { z0: rng } };
    },
    async evaluate() {
      const test = batches(run.test, { batchSize: cfg.evalBatch, stats: run.stats });
      const a = await evaluateBackprop(model, mix, test, { seed: cfg.seed + 1 });
      return { acc: a.acc, accNoiseFree: null, count: a.count, confusion: a.confusion };
    },
    async extra() {
      const alpha = tf.tanh(mix);
      const values = Array.from(await alpha.data());
      alpha.dispose();
      return { alpha: values };
    },
    close() {
      team.close();
      disposeModel(model);
      mix.dispose();
    },
  });
}
