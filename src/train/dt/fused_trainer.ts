/**
 * Trains all T blocks with fused steps (`--fuse-blocks`, `fused_step.ts`): one forward and
 * backward pass over every block per batch, through the one batch loop (`runRange`). Everything
 * that decides the numbers is what {@linkcode BlockTrainer} uses: the data order, block t's noise
 * stream `(seed, 3000 + t)` (z_{t−1} noise, then z_T noise, per batch) and its dropout seeds
 * from (t, step). So with the one-hot embedding the blocks' weights equal those of separate
 * steps up to float rounding.
 *
 * The blocks train as stacks (`src/model/stacked.ts`): read from the model's blocks when a range
 * starts and written back when it ends, so the model (checkpoints, evaluation, export) always
 * holds the trained weights between ranges. The state is that of separate steps: block t's AdamW
 * moments (slab t − 1 of the stacked moments) and noise stream, and the shared optimizer, so a
 * fused run's checkpoint resumes unfused and the other way round.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { defaultConfig } from "../../config.ts";
 * import { NORMALIZATION } from "../../data/normalize.ts";
 * import type { RunData } from "../batches.ts";
 * import { FusedTrainer } from "./fused_trainer.ts";
 * import { buildDtModel, trainerHyper } from "./setup.ts";
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
 *   ...defaultConfig(), T: 2, widths: [2, 2, 2], hidden: 8, batchSize: 4, fuseBlocks: true,
 * };
 * const model = buildDtModel(cfg, run);
 * const ft = new FusedTrainer(model, trainerHyper(cfg), run.train, run.stats);
 * const r = await ft.runBatches(0, 0, 2);
 * assert.ok(r.lossSum[0] > 0 && r.lossSum[1] > 0); // both blocks trained on both batches
 * const s = await ft.state(); // the state separate steps keep: per block, and shared
 * // Every block took a step per batch; the classifier T per batch (fuseShared "per-block").
 * assert.deepEqual([s.blocks[1].opt.step, s.blocks[2].opt.step, s.shared.step], [2, 2, 4]);
 * ft.dispose();
 * ```
 * @module
 */
import { tf } from "../../deps_tf.ts";
import type { NormStats } from "../../data/normalize.ts";
import type { ImageSet } from "../../data/types.ts";
import { type NoPropDT, streamSeed } from "../../model/noprop.ts";
import { StackedBlocks } from "../../model/stacked.ts";
import { Rng } from "../../rng.ts";
import { AdamW, type AdamWState } from "../adamw.ts";
import { type RangeResult, runRange } from "../batches.ts";
import { type FusedState, fusedTrainStep } from "./fused_step.ts";
import { sharedVariables } from "./step.ts";
import { adamOptions, type Trainer, type TrainerHyper, type TrainerState } from "./trainer.ts";

/**
 * Block t's AdamW state (index t − 1) out of the state of an AdamW over stacked variables:
 * slab t − 1 of every moment.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitStackedState, stackStates } from "./fused_trainer.ts";
 * // One stacked variable [2, 2]: block 1's moments are its first row.
 * const s = { step: 3, m: [Float32Array.of(1, 2, 3, 4)], v: [Float32Array.of(5, 6, 7, 8)] };
 * const [b1, b2] = splitStackedState(s, 2);
 * assert.deepEqual(b1, { step: 3, m: [Float32Array.of(1, 2)], v: [Float32Array.of(5, 6)] });
 * assert.deepEqual(b2.m, [Float32Array.of(3, 4)]);
 * assert.deepEqual(stackStates([b1, b2]), s); // and back
 * ```
 */
export function splitStackedState(s: AdamWState, T: number): AdamWState[] {
  const slab = (a: Float32Array, t: number) => {
    const per = a.length / T;
    return a.slice(t * per, (t + 1) * per);
  };
  return Array.from({ length: T }, (_, t) => ({
    step: s.step,
    m: s.m.map((a) => slab(a, t)),
    v: s.v.map((a) => slab(a, t)),
  }));
}

/**
 * The state of an AdamW over stacked variables from the blocks' own states (block t at index
 * t − 1); they must have taken the same number of steps.
 */
export function stackStates(states: readonly AdamWState[]): AdamWState {
  const steps = new Set(states.map((s) => s.step));
  if (steps.size !== 1) {
    throw new Error(
      `the blocks' optimizers took different numbers of steps (${[...steps]}): cannot fuse them`,
    );
  }
  const join = (arrays: Float32Array[]) => {
    const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
    let at = 0;
    for (const a of arrays) out.set(a, at), at += a.length;
    return out;
  };
  return {
    step: states[0].step,
    m: states[0].m.map((_, i) => join(states.map((s) => s.m[i]))),
    v: states[0].v.map((_, i) => join(states.map((s) => s.v[i]))),
  };
}

/** Trains every block of a model with fused steps (module doc). */
export class FusedTrainer implements Trainer {
  readonly #stacked: StackedBlocks;
  readonly #state: FusedState;
  readonly #rngs: Rng[];

  /** Stacks the blocks, sets up the optimizers and block t's noise stream `(seed, 3000 + t)`. */
  constructor(
    readonly model: NoPropDT,
    readonly hyper: TrainerHyper,
    readonly train: ImageSet,
    readonly stats: NormStats,
  ) {
    this.#stacked = new StackedBlocks(model.blocks);
    const o = adamOptions(hyper);
    this.#state = {
      model,
      stacked: this.#stacked,
      blockOpt: new AdamW(this.#stacked.variables(), o),
      sharedOpt: new AdamW(sharedVariables(model), o),
      shared: hyper.fuseShared,
      eta: hyper.eta,
      dropout: hyper.dropout,
      bnMomentum: hyper.bnMomentum,
    };
    this.#rngs = model.blocks.map((_, i) => new Rng(streamSeed(hyper.seed, 3000 + i + 1)));
  }

  /** The blocks trained (all of them). */
  get owned(): number[] {
    return this.model.blocks.map((_, i) => i + 1);
  }

  /**
   * Runs batches [from, to) of `epoch`, one fused step each; `onBatch` gets each batch's mean
   * loss over the blocks. The losses stay on the device until the range ends.
   */
  async runBatches(
    epoch: number,
    from: number,
    to: number,
    onBatch?: (meanLoss: number) => void,
  ): Promise<RangeResult> {
    const { model, hyper } = this;
    const T = model.blocks.length, d = model.embedding.dim, B = hyper.batchSize;
    const src = { train: this.train, stats: this.stats, hyper };
    const parts = { parts: T, partName: (i: number) => `loss of block ${i + 1}` };
    const all = this.owned.map((t) => t - 1);
    this.#stacked.pull(); // the model's blocks are the truth between ranges
    const r = await runRange(src, epoch, from, to, parts, (x, y, step) => {
      // Block t's noise from its own stream, in the order a separate step draws it.
      const e1 = new Float32Array(T * B * d), e2 = new Float32Array(T * B * d);
      this.#rngs.forEach((rng, i) => {
        rng.fillNormal(e1.subarray(i * B * d, (i + 1) * B * d));
        rng.fillNormal(e2.subarray(i * B * d, (i + 1) * B * d));
      });
      const epsPrev = tf.tensor3d(e1, [T, B, d]), epsT = tf.tensor3d(e2, [T, B, d]);
      const seeds = this.owned.map((t) => streamSeed(step, 7000 + t));
      try {
        const values = fusedTrainStep(this.#state, x, y, epsPrev, epsT, seeds);
        return Promise.resolve({ parts: all, values });
      } finally {
        tf.dispose([epsPrev, epsT]);
      }
    }, onBatch);
    this.#stacked.push();
    return r;
  }

  /** Per-block optimizer and noise states, and the shared optimizer's (async: safe on webgpu). */
  async state(): Promise<TrainerState> {
    const perBlock = splitStackedState(await this.#state.blockOpt.state(), this.#stacked.T);
    const blocks: TrainerState["blocks"] = {};
    for (const t of this.owned) {
      blocks[t] = { opt: perBlock[t - 1], rng: this.#rngs[t - 1].state() };
    }
    return { blocks, shared: await this.#state.sharedOpt.state() };
  }

  /** Restores {@linkcode FusedTrainer.state}'s (or a {@linkcode BlockTrainer}'s) output. */
  load(s: TrainerState): void {
    const states = this.owned.map((t) => {
      const b = s.blocks[t];
      if (!b) throw new Error(`checkpoint has no optimizer state for block ${t}`);
      return b;
    });
    this.#state.blockOpt.load(stackStates(states.map((b) => b.opt)));
    states.forEach((b, i) => this.#rngs[i] = Rng.fromState(b.rng));
    this.#state.sharedOpt.load(s.shared);
  }

  /** Frees the stacks and the optimizers' moments. */
  dispose(): void {
    this.#stacked.dispose();
    this.#state.blockOpt.dispose();
    this.#state.sharedOpt.dispose();
  }
}
