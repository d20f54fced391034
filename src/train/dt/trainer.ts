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
 * import { BlockTrainer } from "./trainer.ts";
 * // const bt = new BlockTrainer(model, hyper, [1, 2, 3], dataset.train, NORMALIZATION.mnist);
 * // await bt.runBatches(0, 0, 10);
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
 * null for the others) and one for the shared parameters, with the hyper-parameters.
 *
 * @example
 * ```ts
 * import { createTrainState } from "./trainer.ts";
 * // const state = createTrainState(model, trainerHyper(config), [1]); // block 1 only
 * ```
 */
export function createTrainState(
  model: NoPropDT,
  hyper: Omit<TrainerHyper, "batchSize" | "seed">,
  owned: number[],
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
    sharedOpt: new AdamW(sharedVariables(model), o),
    eta: hyper.eta,
    dropout: hyper.dropout,
    bnMomentum: hyper.bnMomentum,
  };
}

/** Trains the owned blocks of a model. */
export class BlockTrainer {
  readonly #state: TrainState;
  readonly #rngs = new Map<number, Rng>();

  /** Sets up optimizers and noise streams for the blocks `owned` (values of t in 1..T). */
  constructor(
    readonly model: NoPropDT,
    readonly hyper: TrainerHyper,
    readonly owned: number[],
    readonly train: ImageSet,
    readonly stats: NormStats,
  ) {
    this.#state = createTrainState(model, hyper, owned);
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
}
