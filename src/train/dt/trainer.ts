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
import { type Batch, batchCount, batches } from "../../data/batches.ts";
import type { NormStats } from "../../data/normalize.ts";
import type { ImageSet } from "../../data/types.ts";
import { type NoPropDT, streamSeed } from "../../model/noprop.ts";
import { Rng, type RngState } from "../../rng.ts";
import { AdamW, type AdamWState } from "../adamw.ts";
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
}

/** A non-finite loss, with where it happened. */
export class NonFiniteLossError extends Error {
  /** Creates the error for block `t` at global batch step `step`. */
  constructor(readonly block: number, readonly step: number, value: number) {
    super(`loss of block ${block} is ${value} at step ${step}: training stopped`);
    this.name = "NonFiniteLossError";
  }
}

/** Serialisable trainer state: optimizer moments and noise streams of the owned blocks. */
export interface TrainerState {
  /** Per owned block t: AdamW state and noise RNG state. */
  blocks: Record<number, { opt: AdamWState; rng: RngState }>;
  /** Shared-parameter optimizer state. */
  shared: AdamWState;
}

/** Sum of losses per block over a range of batches. */
export interface RangeResult {
  /** Sum of block t's loss at index t−1 (0 for blocks not owned). */
  lossSum: Float64Array;
  /** Batches run. */
  batches: number;
  /** Samples seen (batches × batch size). */
  samples: number;
}

/** The number of training batches per epoch (the last partial batch is dropped). */
export function batchesPerEpoch(train: ImageSet, batchSize: number): number {
  return batchCount(train.count, batchSize, true);
}

/**
 * The training batches of `epoch` from batch `from` on, in the one data order every trainer
 * shares (NoProp-DT, CT/FM and the backprop baseline): shuffled by the stream `(seed, 5000 +
 * epoch)`, last partial batch dropped. So the methods see the same batches and a resumed run
 * continues exactly where it stopped.
 *
 * @example
 * ```ts
 * import { epochBatches } from "./trainer.ts";
 * // for (const b of epochBatches(train, stats, { batchSize: 128, seed: 0 }, epoch, from)) { … }
 * ```
 */
export function epochBatches(
  train: ImageSet,
  stats: NormStats,
  o: { batchSize: number; seed: number },
  epoch: number,
  from = 0,
): Generator<Batch, void, undefined> {
  return batches(train, {
    batchSize: o.batchSize,
    stats,
    rng: new Rng(streamSeed(o.seed, 5000 + epoch)),
    dropLast: true,
    startBatch: from,
  });
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
  async runBatches(
    epoch: number,
    from: number,
    to: number,
    onBatch?: (meanLoss: number) => void,
  ): Promise<RangeResult> {
    const { model, hyper } = this;
    const { height, width, channels } = model.spec;
    const d = model.embedding.dim, B = hyper.batchSize;
    const perEpoch = batchesPerEpoch(this.train, B);
    const lossSum = new Float64Array(model.blocks.length);
    const it = epochBatches(this.train, this.stats, hyper, epoch, from);
    let done = 0;
    for (const b of it) {
      if (b.index >= to) break;
      const step = epoch * perEpoch + b.index;
      const x = tf.tensor4d(b.x, [B, height, width, channels]);
      const y = tf.tensor1d(b.y, "int32");
      let batchLoss = 0;
      for (const t of this.owned) {
        const rng = this.#rngs.get(t)!;
        const e1 = tf.tensor2d(rng.fillNormal(new Float32Array(B * d)), [B, d]);
        const e2 = tf.tensor2d(rng.fillNormal(new Float32Array(B * d)), [B, d]);
        const loss = trainBlockStep(this.#state, t, x, y, e1, e2, streamSeed(step, 7000 + t));
        const v = (await loss.data())[0];
        tf.dispose([loss, e1, e2]);
        if (!Number.isFinite(v)) {
          tf.dispose([x, y]);
          throw new NonFiniteLossError(t, step, v);
        }
        lossSum[t - 1] += v;
        batchLoss += v;
      }
      tf.dispose([x, y]);
      done++;
      onBatch?.(batchLoss / this.owned.length);
    }
    return { lossSum, batches: done, samples: done * B };
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
