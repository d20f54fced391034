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
 * import { BackpropTeam } from "./team.ts";
 * // const team = new BackpropTeam(model, mix, hyper, train, stats);
 * // await team.run(0, 0, 20, (loss) => console.log(loss));
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
import { type RangeResult, runRange } from "../batches.ts";
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
   * // const loss = await team.step(x, y, 0);
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
  run(
    epoch: number,
    from: number,
    to: number,
    onBatch: (loss: number) => void,
  ): Promise<RangeResult> {
    const src = { train: this.train, stats: this.stats, hyper: this.hyper };
    const parts = { parts: 1, partName: () => "backprop loss" };
    return runRange(src, epoch, from, to, parts, async (x, y, step) => {
      return [[0, await this.step(x, y, step)]];
    }, onBatch);
  }

  /**
   * The optimizer's and the z_0 stream's state, for checkpoints (async: safe on webgpu).
   *
   * @example
   * ```ts
   * // const { opt, rng } = await team.state(); // later: team.load({ opt, rng })
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
   * // team.load({ opt: ck.optimizer("all"), rng: ck.rng("z0") });
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
