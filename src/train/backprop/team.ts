/**
 * {@linkcode BackpropTeam}: the backprop baseline's trainer. One AdamW over every parameter; each batch runs the whole chain
 * (see `backprop_model.ts`) and back-propagates CE(classifier(z_T), y) through all T blocks.
 * The data order is NoProp's (stream `(seed, 5000 + epoch)`), so both methods see the same
 * batches; z_0 comes from the stream `(seed, 3000)` and block t's dropout masks from (t, step).
 * {@linkcode BackpropTeam.state} and {@linkcode BackpropTeam.load} carry the optimizer and the
 * z_0 stream across a checkpoint.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { defaultConfig } from "../../config.ts";
 * import { NORMALIZATION } from "../../data/normalize.ts";
 * import { createMix } from "../../model/backprop.ts";
 * import { createNoPropDT } from "../../model/noprop.ts";
 * import { trainerHyper } from "../dt/setup.ts";
 * import { BackpropTeam } from "./team.ts";
 * await initBackend("cpu");
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * const train = {
 *   count: 8, height: 8, width: 8, channels: 1, labels: Uint8Array.of(0, 1, 0, 1, 0, 1, 0, 1),
 *   images: Uint8Array.from({ length: 8 * 64 }, (_, i) => (Math.floor(i / 64) % 2) * 200),
 * };
 * const hyper = { ...trainerHyper(defaultConfig()), batchSize: 4 };
 * const team = new BackpropTeam(model, createMix(2), hyper, train, NORMALIZATION.mnist);
 * const losses: number[] = [];
 * const r = await team.run(0, 0, 2, (loss) => losses.push(loss)); // the chain's cross-entropy
 * assert.deepEqual([r.batches, losses.length], [2, 2]);
 * assert.equal(r.lossSum[0], losses[0] + losses[1]);
 * team.close();
 * ```
 * @module
 */
import { tf } from "../../deps_tf.ts";
import type { NormStats } from "../../data/normalize.ts";
import type { ImageSet } from "../../data/types.ts";
import { applyBatchNormUpdates, type ForwardContext } from "../../model/layers.ts";
import { type NoPropDT, streamSeed } from "../../model/noprop.ts";
import { crossEntropy } from "../../losses.ts";
import { Rng, type RngState } from "../../rng.ts";
import { AdamW, type AdamWState } from "../adamw.ts";
import { backpropForward, backpropVariables } from "../../model/backprop.ts";
import { type RangeRunner, runRange } from "../batches.ts";
import type { TrainerHyper } from "../dt/trainer.ts";

/**
 * What {@linkcode BackpropTeam} holds besides the model: its one AdamW and the z_0 stream.
 *
 * @example
 * ```ts
 * import type { BackpropTeamState } from "./team.ts";
 * const stepsTaken = (s: BackpropTeamState) => s.opt.step;
 * ```
 */
export interface BackpropTeamState {
  /** The AdamW over every parameter. */
  opt: AdamWState;
  /** The z_0 stream `(seed, 3000)`. */
  rng: RngState;
}

/** Trains the whole chain end to end in this process. */
export class BackpropTeam {
  readonly #opt: AdamW;
  readonly #vars: tf.Variable[];
  #rng: Rng;

  /** Creates the single optimizer over all parameters. */
  constructor(
    readonly model: NoPropDT,
    readonly mix: tf.Variable,
    readonly hyper: TrainerHyper,
    readonly train: ImageSet,
    readonly stats: NormStats,
  ) {
    this.#vars = backpropVariables(model, mix);
    this.#opt = new AdamW(this.#vars, {
      lr: hyper.lr,
      weightDecay: hyper.weightDecay,
      beta1: hyper.beta1,
      beta2: hyper.beta2,
      eps: hyper.adamEps,
    });
    this.#rng = new Rng(streamSeed(hyper.seed, 3000));
  }

  /**
   * One end-to-end step on a batch; returns the loss. Exposed for tests.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { tf } from "../../deps_tf.ts";
   * import { initBackend } from "../../backend/mod.ts";
   * import { defaultConfig } from "../../config.ts";
   * import { NORMALIZATION } from "../../data/normalize.ts";
   * import { createMix } from "../../model/backprop.ts";
   * import { createNoPropDT } from "../../model/noprop.ts";
   * import { trainerHyper } from "../dt/setup.ts";
   * import { BackpropTeam } from "./team.ts";
   * await initBackend("cpu");
   * const model = createNoPropDT({
   *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
   *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
   * });
   * const train = {
   *   count: 8, height: 8, width: 8, channels: 1, labels: Uint8Array.of(0, 1, 0, 1, 0, 1, 0, 1),
   *   images: Uint8Array.from({ length: 8 * 64 }, (_, i) => (Math.floor(i / 64) % 2) * 200),
   * };
   * const hyper = { ...trainerHyper(defaultConfig()), batchSize: 4 };
   * const team = new BackpropTeam(model, createMix(2), hyper, train, NORMALIZATION.mnist);
   * const x = tf.randomNormal([4, 8, 8, 1]) as tf.Tensor4D, y = tf.tensor1d([0, 1, 0, 1], "int32");
   * const first = await team.step(x, y, 0);
   * assert.ok(first > 0);
   * // The same batch again: updated weights (every block, the classifier, mix.w), a new z_0.
   * assert.notEqual(await team.step(x, y, 1), first);
   * ```
   */
  async step(x: tf.Tensor4D, y: tf.Tensor1D, step: number): Promise<number> {
    const { model, hyper } = this;
    const B = x.shape[0], d = model.embedding.dim;
    const z0 = tf.tensor2d(this.#rng.fillNormal(new Float32Array(B * d)), [B, d]);
    const ctxs: ForwardContext[] = model.blocks.map((_, i) => ({
      training: true,
      dropout: hyper.dropout,
      bnMomentum: hyper.bnMomentum,
      seed: streamSeed(step, 7000 + i + 1),
      updates: [],
    }));
    const { value, grads } = tf.variableGrads(
      () => crossEntropy(backpropForward(model, this.mix, x, z0, ctxs), y),
      this.#vars,
    );
    const v = (await value.data())[0]; // async read: dataSync fails under webgpu in Deno
    if (Number.isFinite(v)) {
      this.#opt.apply(this.#vars.map((w) => grads[w.name] ?? tf.zerosLike(w)));
      model.blocks.forEach((b, i) => applyBatchNormUpdates(b, ctxs[i]));
    } else {
      for (const c of ctxs) tf.dispose(c.updates.map((u) => u.value));
    }
    tf.dispose([value, z0]);
    tf.dispose(grads);
    return v;
  }

  /** Trains batches [from, to) of `epoch`; the loss reported per batch is the cross-entropy. */
  readonly run: RangeRunner = (epoch, from, to, onBatch) =>
    runRange(
      { train: this.train, stats: this.stats, hyper: this.hyper },
      epoch,
      from,
      to,
      { parts: 1, partName: () => "backprop loss" },
      async (x, y, step) => [[0, await this.step(x, y, step)]],
      onBatch,
    );

  /**
   * The optimizer's and the z_0 stream's state, for checkpoints (async: safe on webgpu).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { initBackend } from "../../backend/mod.ts";
   * import { defaultConfig } from "../../config.ts";
   * import { NORMALIZATION } from "../../data/normalize.ts";
   * import { createMix } from "../../model/backprop.ts";
   * import { createNoPropDT } from "../../model/noprop.ts";
   * import { trainerHyper } from "../dt/setup.ts";
   * import { BackpropTeam } from "./team.ts";
   * await initBackend("cpu");
   * const model = createNoPropDT({
   *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
   *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
   * });
   * const train = {
   *   count: 8, height: 8, width: 8, channels: 1, labels: Uint8Array.of(0, 1, 0, 1, 0, 1, 0, 1),
   *   images: Uint8Array.from({ length: 8 * 64 }, (_, i) => (Math.floor(i / 64) % 2) * 200),
   * };
   * const hyper = { ...trainerHyper(defaultConfig()), batchSize: 4 };
   * const team = new BackpropTeam(model, createMix(2), hyper, train, NORMALIZATION.mnist);
   * await team.run(0, 0, 1, () => {});
   * const { opt, rng } = await team.state(); // e.g. into a checkpoint
   * assert.equal(opt.step, 1);
   * assert.equal(typeof rng.s, "number");
   * ```
   */
  async state(): Promise<BackpropTeamState> {
    return { opt: await this.#opt.state(), rng: this.#rng.state() };
  }

  /**
   * Restores {@linkcode BackpropTeam.state}'s output (the model's weights are restored apart).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { initBackend } from "../../backend/mod.ts";
   * import { defaultConfig } from "../../config.ts";
   * import { NORMALIZATION } from "../../data/normalize.ts";
   * import { createMix } from "../../model/backprop.ts";
   * import { createNoPropDT } from "../../model/noprop.ts";
   * import { trainerHyper } from "../dt/setup.ts";
   * import { BackpropTeam } from "./team.ts";
   * await initBackend("cpu");
   * const model = createNoPropDT({
   *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
   *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
   * });
   * const train = {
   *   count: 8, height: 8, width: 8, channels: 1, labels: Uint8Array.of(0, 1, 0, 1, 0, 1, 0, 1),
   *   images: Uint8Array.from({ length: 8 * 64 }, (_, i) => (Math.floor(i / 64) % 2) * 200),
   * };
   * const hyper = { ...trainerHyper(defaultConfig()), batchSize: 4 };
   * const team = new BackpropTeam(model, createMix(2), hyper, train, NORMALIZATION.mnist);
   * await team.run(0, 0, 1, () => {});
   * const saved = await team.state();
   * // Another team on the same weights continues with the saved optimizer and z_0 stream.
   * const again = new BackpropTeam(model, team.mix, hyper, train, NORMALIZATION.mnist);
   * again.load(saved);
   * assert.deepEqual(await again.state(), saved);
   * ```
   */
  load(s: BackpropTeamState): void {
    this.#opt.load(s.opt);
    this.#rng = Rng.fromState(s.rng);
  }

  /** Frees the optimizer state. */
  close(): void {
    this.#opt.dispose();
  }
}
