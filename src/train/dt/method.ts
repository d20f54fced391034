/**
 * NoProp-DT behind the training loop's {@linkcode TrainMethod} seam (paper Algorithm 1): T
 * blocks, each with its own AdamW and label-noise stream, trained in this process or spread
 * over `--workers` Deno workers (`team.ts`); evaluated with the eq. 3 sampler, stochastic and
 * noise-free (`evaluate.ts`).
 *
 * Checkpoint names: optimizers `block_XX` (one per block) and `shared_<k>` (worker k's copy of
 * the classifier / W_Embed optimizer), random streams by t.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { defaultConfig } from "../../config.ts";
 * import { NORMALIZATION } from "../../data/normalize.ts";
 * import type { RunData } from "../batches.ts";
 * import { isForecastEvaluation } from "../method.ts";
 * import { createDtMethod } from "./method.ts";
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
 * const method = await createDtMethod({ cfg, run });
 * assert.equal(method.lossParts, 2); // one loss per block
 * const r = await method.run(0, 0, 2, () => {}); // both batches of epoch 0
 * assert.equal(r.batches, 2);
 * assert.ok(r.lossSum.every((v) => v > 0));
 * const e = await method.evaluate(); // the eq. 3 sampler, stochastic and noise-free
 * assert.ok(!isForecastEvaluation(e)); // a classifier's evaluation
 * assert.equal(e.count, 8);
 * assert.ok(e.accNoiseFree !== null);
 * method.close();
 * // Fused block steps (--fuse-blocks) train all T blocks in one step, in one process.
 * await assert.rejects(
 *   createDtMethod({ cfg: { ...cfg, fuseBlocks: true, workers: 2 }, run }),
 *   /^ConfigError: --fuse-blocks trains all T blocks in one step in one process: use --workers 1$/,
 * );
 * // It stacks the paper block's conv stack; a ResNet backbone trains in separate steps.
 * await assert.rejects(
 *   createDtMethod({ cfg: { ...cfg, fuseBlocks: true, backbone: "resnet18" }, run }),
 *   /^ConfigError: --fuse-blocks fuses the paper backbone's blocks: not for --backbone resnet18$/,
 * );
 * ```
 * @module
 */
import { tf } from "../../deps_tf.ts";
import { batches } from "../../data/batches.ts";
import { ConfigError } from "../../config/errors.ts";
import type { AdamWState } from "../adamw.ts";
import type { RngState } from "../../rng.ts";
import type { Evaluation, MethodContext, TrainMethod } from "../method.ts";
import type { RunData } from "../batches.ts";
import type { Config } from "../../config/schema.ts";
import type { NoPropDT } from "../../model/noprop.ts";
import { evaluateDT } from "./evaluate.ts";
import { buildDtModel, trainerHyper } from "./setup.ts";
import { LocalTeam, type RestoreState, type Team, WorkerTeam } from "./team.ts";
import type { TrainerState } from "./trainer.ts";
import { assignModel, blockPrefix, dtMetadata, modelArrays } from "./weights.ts";
import { disposeModel } from "../../model/noprop.ts";

/**
 * Builds the DT method for a run (restoring the checkpoint when given).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { defaultConfig } from "../../config.ts";
 * import { NORMALIZATION } from "../../data/normalize.ts";
 * import type { RunData } from "../batches.ts";
 * import { readCheckpoint, writeCheckpoint } from "../../run/checkpoint.ts";
 * import { createDtMethod } from "./method.ts";
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
 * // Train one batch and checkpoint it.
 * const first = await createDtMethod({ cfg, run });
 * await first.run(0, 0, 1, () => {});
 * const saved = await first.state();
 * const dir = await Deno.makeTempDir();
 * await writeCheckpoint(dir, saved.weights, first.meta, {
 *   ...saved, pos: { epoch: 0, batch: 1, step: 1 }, metrics: [],
 * });
 * first.close();
 * // The method rebuilt from the checkpoint holds the same weights and optimizer states.
 * const checkpoint = await readCheckpoint(dir, "noprop-dt");
 * const resumed = await createDtMethod({ cfg, run, checkpoint });
 * const now = await resumed.state();
 * assert.deepEqual(now.weights["block_02.head.fc3.w"], saved.weights["block_02.head.fc3.w"]);
 * assert.equal(now.optimizers["block_01"].step, 1);
 * resumed.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function createDtMethod(ctx: MethodContext): Promise<TrainMethod> {
  const { cfg, run, checkpoint: ck } = ctx;
  if (cfg.fuseBlocks && cfg.workers > 1) {
    throw new ConfigError(
      "--fuse-blocks trains all T blocks in one step in one process: use --workers 1",
    );
  }
  if (cfg.fuseBlocks && cfg.backbone !== "paper") {
    // The fused forward (src/model/fused_block.ts) stacks the paper's three convolutions; a
    // ResNet's batch norms and strides are not stacked (yet), so it is refused, not run wrong.
    throw new ConfigError(
      `--fuse-blocks fuses the paper backbone's blocks: not for --backbone ${cfg.backbone}`,
    );
  }
  const model = buildDtModel(cfg, run);
  let restore: RestoreState | undefined;
  if (ck) {
    assignModel(model, ck.tensors);
    const slots = ck.optimizerNames.filter((n) => n.startsWith("shared_")).length;
    restore = (owned, slot) => {
      const blocks: TrainerState["blocks"] = {};
      for (const t of owned) {
        blocks[t] = { opt: ck.optimizer(blockPrefix(t)), rng: ck.rng(String(t)) };
      }
      return { blocks, shared: ck.optimizer(`shared_${Math.min(slot, slots - 1)}`) };
    };
  }
  const team: Team = cfg.workers > 1
    ? await WorkerTeam.start(model, cfg, restore)
    : new LocalTeam(model, trainerHyper(cfg), run.train, run.stats, restore);
  const params = model.blocks.reduce((n, b) => n + b.size(), 0) + model.classifier.size() +
    (model.embedding.trainable ? model.embedding.W.size : 0);
  // Ranges are the loss read-back interval (`runRange`): on webgpu a range is syncEvery batches,
  // so a training step never waits for the GPU.
  const longRanges = cfg.workers > 1 || tf.getBackend() === "webgpu";
  return {
    name: "dt",
    params,
    meta: dtMetadata(model, run.data.info),
    description: `NoProp-DT, T=${cfg.T}, ${model.blocks[0].size()} params/block` +
      (cfg.workers > 1 ? `, ${cfg.workers} workers` : "") +
      (cfg.fuseBlocks ? `, fused block steps (${cfg.fuseShared} shared updates)` : ""),
    lossParts: cfg.T,
    rangeSize: longRanges ? cfg.syncEvery : 1,
    sampler: { name: "dt", steps: cfg.T },
    run: (epoch, from, to, onBatch) => team.run(epoch, from, to, onBatch),
    async state() {
      const states = await team.collect(); // every block's weights into `model`
      const optimizers: Record<string, AdamWState> = {};
      const rngs: Record<string, RngState> = {};
      states.forEach((s, k) => {
        optimizers[`shared_${k}`] = s.shared;
        for (const [t, b] of Object.entries(s.blocks)) {
          optimizers[blockPrefix(Number(t))] = b.opt;
          rngs[t] = b.rng;
        }
      });
      return { weights: await modelArrays(model), optimizers, rngs };
    },
    evaluate: () => evaluateDtModel(model, run, cfg),
    extra: () => Promise.resolve({}),
    close() {
      team.close();
      disposeModel(model);
    },
  };
}

/**
 * The evaluation of a DT model on the run's test images, as every DT driver reports it: the
 * eq. 3 sampler, stochastic (seed + 1) and noise-free.
 */
export async function evaluateDtModel(
  model: NoPropDT,
  run: RunData,
  cfg: Pick<Config, "evalBatch" | "seed">,
): Promise<Evaluation> {
  const test = batches(run.test, { batchSize: cfg.evalBatch, stats: run.stats });
  const a = await evaluateDT(model, test, { seed: cfg.seed + 1 });
  return { acc: a.accNoisy, accNoiseFree: a.accClean, count: a.count, confusion: a.confusion };
}
