/**
 * Trains the classifier alone, as a one-process NoProp-DT run trains it, for the distributed
 * driver's classifier unit (`src/dist/`). With the one-hot embedding the classifier is the only
 * parameter every block's loss shares, and its gradient comes from CE(classifier(z_T), y)
 * alone (`step.ts` {@linkcode trainClassifierStep}). A one-process run updates it T times per
 * batch, once after each block t = 1..T, with z_T drawn from block t's noise stream; this
 * trainer replays exactly that: it keeps its own copy of every block's stream `(seed, 3000 + t)`,
 * draws ε_{t−1} and ε_T from it as the block trainer does (`trainer.ts`), and applies the
 * classifier's update with ε_T. Same batches (`runRange`), same noise, same order: the same
 * classifier, bit for bit, whichever process trains the blocks.
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
 * import { ClassifierTrainer } from "./classifier_trainer.ts";
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
 * // Every block and the classifier in one trainer, as a one-process run does…
 * const whole = buildDtModel(cfg, run);
 * await new BlockTrainer(whole, trainerHyper(cfg), [1, 2], run.train, run.stats)
 *   .runBatches(0, 0, 2);
 * // …and the classifier alone: the same classifier.
 * const alone = buildDtModel(cfg, run);
 * const ct = new ClassifierTrainer(alone, trainerHyper(cfg), run.train, run.stats);
 * await ct.runBatches(0, 0, 2);
 * assert.deepEqual(await alone.classifier.toArrays(), await whole.classifier.toArrays());
 * assert.equal((await ct.state()).shared.step, 4); // T updates per batch
 * ct.dispose();
 * ```
 * @module
 */
import { tf } from "../../deps_tf.ts";
import type { NormStats } from "../../data/normalize.ts";
import type { ImageSet } from "../../data/types.ts";
import { type NoPropDT, streamSeed } from "../../model/noprop.ts";
import { Rng, type RngState } from "../../rng.ts";
import type { AdamWState } from "../adamw.ts";
import { type RangeResult, runRange } from "../batches.ts";
import { trainClassifierStep, type TrainState } from "./step.ts";
import { createTrainState, type TrainerHyper } from "./trainer.ts";

/** Serialisable state of a {@linkcode ClassifierTrainer}. */
export interface ClassifierState {
  /** The classifier's AdamW (a one-process run's `shared_0`). */
  shared: AdamWState;
  /** Its copies of the blocks' noise streams, by t. */
  rngs: Record<number, RngState>;
}

/** Trains the classifier of a one-hot NoProp-DT model alone (see the module doc). */
export class ClassifierTrainer {
  readonly #state: TrainState;
  readonly #rngs: Rng[] = [];

  /** Sets up the classifier's AdamW and the T noise streams from the seed. */
  constructor(
    readonly model: NoPropDT,
    readonly hyper: TrainerHyper,
    readonly train: ImageSet,
    readonly stats: NormStats,
  ) {
    if (model.embedding.trainable) {
      throw new Error("ClassifierTrainer: only for a fixed (one-hot) W_Embed");
    }
    this.#state = createTrainState(model, hyper, []);
    for (let t = 1; t <= model.blocks.length; t++) {
      this.#rngs.push(new Rng(streamSeed(hyper.seed, 3000 + t)));
    }
  }

  /** Trains the classifier on batches [from, to) of `epoch` (no loss parts are reported). */
  runBatches(epoch: number, from: number, to: number): Promise<RangeResult> {
    const d = this.model.embedding.dim, B = this.hyper.batchSize;
    const src = { train: this.train, stats: this.stats, hyper: this.hyper };
    const parts = { parts: this.model.blocks.length, partName: () => "classifier loss" };
    return runRange(src, epoch, from, to, parts, async (_x, y) => {
      for (const rng of this.#rngs) {
        rng.fillNormal(new Float32Array(B * d)); // ε_{t−1}: block t's, not the classifier's
        const e2 = tf.tensor2d(rng.fillNormal(new Float32Array(B * d)), [B, d]);
        const loss = trainClassifierStep(this.#state, y, e2);
        const v = (await loss.data())[0];
        tf.dispose([loss, e2]);
        if (!Number.isFinite(v)) throw new Error(`classifier loss is ${v}: training stopped`);
      }
      return [];
    });
  }

  /** The classifier's optimizer and noise-stream state. */
  async state(): Promise<ClassifierState> {
    const rngs: Record<number, RngState> = {};
    this.#rngs.forEach((r, i) => rngs[i + 1] = r.state());
    return { shared: await this.#state.sharedOpt.state(), rngs };
  }

  /** Restores {@linkcode ClassifierTrainer.state}'s output. */
  load(s: ClassifierState): void {
    this.#state.sharedOpt.load(s.shared);
    this.#rngs.forEach((_, i) => {
      const r = s.rngs[i + 1];
      if (!r) throw new Error(`classifier state has no noise stream for block ${i + 1}`);
      this.#rngs[i] = Rng.fromState(r);
    });
  }

  /** Frees the optimizer's moment buffers. */
  dispose(): void {
    this.#state.sharedOpt.dispose();
  }
}
