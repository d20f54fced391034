/**
 * Trains a subset of the blocks (all of them in one process, or a share of them in each
 * worker) over ranges of batches. Everything that decides the numbers is derived from the seed
 * and never from how blocks are spread over processes: the epoch's data order comes from the
 * stream `(seed, 5000 + epoch)`, block t's label noise from its own stream `(seed, 3000 + t)`
 * and its dropout masks from (t, step). So with the one-hot embedding, a block's weights after
 * training do not depend on the number of workers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { defaultConfig } from "../../config.ts";
 * import { NORMALIZATION } from "../../data/normalize.ts";
 * import type { RunData } from "../batches.ts";
 * import { buildDtModel, trainerHyper } from "./setup.ts";
 * import { BlockTrainer } from "./trainer.ts";
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
 * const model = buildDtModel(cfg, run);
 * // Block 2 alone, as a worker owning it would train it.
 * const bt = new BlockTrainer(model, trainerHyper(cfg), [2], run.train, run.stats);
 * const r = await bt.runBatches(0, 0, 2);
 * assert.equal(r.lossSum[0], 0); // block 1 is not trained here
 * assert.ok(r.lossSum[1] > 0);
 * const s = await bt.state();
 * assert.equal(s.blocks[2].opt.step, 2);
 * // A second trainer picks up where the first stopped (as on resume).
 * const again = new BlockTrainer(model, trainerHyper(cfg), [2], run.train, run.stats);
 * again.load(s);
 * assert.deepEqual(await again.state(), s);
 * ```
 * @module
 */
import { tf } from "../../deps_tf.ts";
import type { NormStats } from "../../data/normalize.ts";
import type { ImageSet } from "../../data/types.ts";
import { type NoPropDT, streamSeed } from "../../model/noprop.ts";
import { Rng, type RngState } from "../../rng.ts";
import { AdamW, type AdamWState } from "../adamw.ts";
import { type RangeResult, runRange } from "../batches.ts";
import type { AugmentName } from "../../data/augment.ts";
import { sharedVariables, trainBlockStep, type TrainState } from "./step.ts";

/** Hyper-parameters a block trainer needs. */
export interface TrainerHyper {
  /** Batch size. */
  batchSize: number;
  /** Learning rate. */
  lr: number;
  /** Weight decay. */
  weightDecay: number;
  /** AdamW β1. */
  beta1: number;
  /** AdamW β2. */
  beta2: number;
  /** AdamW ε. */
  adamEps: number;
  /** η. */
  eta: number;
  /** Dropout. */
  dropout: number;
  /** BN momentum. */
  bnMomentum: number;
  /** Seed. */
  seed: number;
  /** Augmentations of the training batches (config `augment`). */
  augment: readonly AugmentName[];
}

/** Serialisable trainer state: optimizer moments and noise streams of the owned blocks. */
export interface TrainerState {
  /** Per owned block t: AdamW state and noise RNG state. */
  blocks: Record<number, { opt: AdamWState; rng: RngState }>;
  /** Shared-parameter optimizer state. */
  shared: AdamWState;
}

/**
 * The state {@linkcode trainBlockStep} needs: one AdamW per owned block (values of t in 1..T;
 * null for the others) and one for the shared parameters (`sharedOpt`, else a new AdamW), with
 * the hyper-parameters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { defaultConfig } from "../../config.ts";
 * import { NORMALIZATION } from "../../data/normalize.ts";
 * import type { RunData } from "../batches.ts";
 * import { buildDtModel, trainerHyper } from "./setup.ts";
 * import { createTrainState } from "./trainer.ts";
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
 * const model = buildDtModel(cfg, run);
 * const state = createTrainState(model, trainerHyper(cfg), [1]); // block 1 only
 * assert.ok(state.blockOpt[0] !== null);
 * assert.equal(state.blockOpt[1], null); // block 2 belongs to another worker
 * assert.equal(state.eta, 0.1); // η of eq. 8
 * ```
 */
export function createTrainState(
  model: NoPropDT,
  hyper: Omit<TrainerHyper, "batchSize" | "seed">,
  owned: number[],
  sharedOpt?: AdamW,
): TrainState {
  const o = {
    lr: hyper.lr,
    weightDecay: hyper.weightDecay,
    beta1: hyper.beta1,
    beta2: hyper.beta2,
    eps: hyper.adamEps,
  };
  return {
    model,
    blockOpt: model.blocks.map((b, i) =>
      owned.includes(i + 1) ? new AdamW(b.variables(), o) : null
    ),
    sharedOpt: sharedOpt ?? new AdamW(sharedVariables(model), o),
    eta: hyper.eta,
    dropout: hyper.dropout,
    bnMomentum: hyper.bnMomentum,
  };
}

/** Trains the owned blocks of a model. */
export class BlockTrainer {
  readonly #state: TrainState;
  readonly #rngs = new Map<number, Rng>();

  /**
   * Sets up optimizers and noise streams for the blocks `owned` (values of t in 1..T).
   * `sharedOpt`, if given, takes the shared parameters' updates instead of a new AdamW (the
   * distributed driver passes one that records them, `src/dist/recorder.ts`).
   */
  constructor(
    readonly model: NoPropDT,
    readonly hyper: TrainerHyper,
    readonly owned: number[],
    readonly train: ImageSet,
    readonly stats: NormStats,
    sharedOpt?: AdamW,
  ) {
    this.#state = createTrainState(model, hyper, owned, sharedOpt);
    for (const t of owned) this.#rngs.set(t, new Rng(streamSeed(hyper.seed, 3000 + t)));
  }

  /**
   * Runs batches [from, to) of `epoch` through every owned block (Algorithm 1's inner loop).
   * `onBatch` is called after each batch with the mean loss over the owned blocks.
   */
  runBatches(
    epoch: number,
    from: number,
    to: number,
    onBatch?: (meanLoss: number) => void,
  ): Promise<RangeResult> {
    const { model, hyper } = this;
    const d = model.embedding.dim, B = hyper.batchSize;
    const src = { train: this.train, stats: this.stats, hyper };
    const parts = { parts: model.blocks.length, partName: (i: number) => `loss of block ${i + 1}` };
    return runRange(src, epoch, from, to, parts, async (x, y, step) => {
      const losses: [number, number][] = [];
      for (const t of this.owned) {
        const rng = this.#rngs.get(t)!;
        const e1 = tf.tensor2d(rng.fillNormal(new Float32Array(B * d)), [B, d]);
        const e2 = tf.tensor2d(rng.fillNormal(new Float32Array(B * d)), [B, d]);
        const loss = trainBlockStep(this.#state, t, x, y, e1, e2, streamSeed(step, 7000 + t));
        const v = (await loss.data())[0];
        tf.dispose([loss, e1, e2]);
        losses.push([t - 1, v]);
        if (!Number.isFinite(v)) break;
      }
      return losses;
    }, onBatch);
  }

  /** Optimizer and RNG state of the owned blocks (async: safe on webgpu). */
  async state(): Promise<TrainerState> {
    const blocks: TrainerState["blocks"] = {};
    for (const t of this.owned) {
      blocks[t] = {
        opt: await this.#state.blockOpt[t - 1]!.state(),
        rng: this.#rngs.get(t)!.state(),
      };
    }
    return { blocks, shared: await this.#state.sharedOpt.state() };
  }

  /** Restores the state of the owned blocks from {@linkcode BlockTrainer.state}'s output. */
  load(s: TrainerState): void {
    for (const t of this.owned) {
      const b = s.blocks[t];
      if (!b) throw new Error(`checkpoint has no optimizer state for block ${t}`);
      this.#state.blockOpt[t - 1]!.load(b.opt);
      this.#rngs.set(t, Rng.fromState(b.rng));
    }
    this.#state.sharedOpt.load(s.shared);
  }

  /** Frees the optimizers' moment buffers (the model stays). */
  dispose(): void {
    for (const o of this.#state.blockOpt) o?.dispose();
    this.#state.sharedOpt.dispose();
  }
}
