/**
 * One fused NoProp-DT step: Algorithm 1's inner loop over t = 1..T done as ONE forward and
 * backward pass over all T blocks (`src/model/fused_block.ts`) for a batch.
 *
 * The losses are block t's L_t of eq. 8 (as `dtBlockLoss` in `step.ts`), computed for every
 * block at once and summed. The block parameters are disjoint (block t's stack slab appears in
 * L_t only), so the gradient of Σ_t L_t with respect to block t's parameters IS ∇L_t: one AdamW
 * update of the stacks equals T separate block steps, each block with its own moments, dropout
 * masks, BatchNorm statistics and loss weight SNR(t) − SNR(t−1).
 *
 * The shared parameters (classifier, learnable W_Embed) appear in every L_t. Each block's loss
 * reads its own copy of them (tiled [T, ...]), so the step has each block's gradient g_t at hand:
 * with `shared: "summed"` they get ONE AdamW update per batch with Σ_t g_t (the gradient of the
 * summed loss); with `"per-block"` T updates, one with each g_t, like the T updates separate
 * steps make, but all g_t are taken at the batch's starting values (README 'Fused block steps').
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../../deps_tf.ts";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createNoPropDT } from "../../model/noprop.ts";
 * import { StackedBlocks } from "../../model/stacked.ts";
 * import { AdamW } from "../adamw.ts";
 * import { fusedTrainStep } from "./fused_step.ts";
 * import { sharedVariables } from "./step.ts";
 * await initBackend("cpu");
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * const stacked = new StackedBlocks(model.blocks);
 * const o = { lr: 1e-3, weightDecay: 1e-3 };
 * const state = {
 *   model, stacked, blockOpt: new AdamW(stacked.variables(), o),
 *   sharedOpt: new AdamW(sharedVariables(model), o), shared: "summed" as const,
 *   eta: 0.1, dropout: 0.2, bnMomentum: 0.1,
 * };
 * const x = tf.randomNormal([4, 8, 8, 1]) as tf.Tensor4D, y = tf.tensor1d([0, 1, 0, 1], "int32");
 * const eps = () => tf.randomNormal([2, 4, 2]) as tf.Tensor3D; // [T, N, d]
 * const losses = fusedTrainStep(state, x, y, eps(), eps(), [11, 12]); // L_1, L_2
 * assert.deepEqual(losses.shape, [2]);
 * assert.equal(state.blockOpt.step, 1); // one update of every block
 * assert.equal(state.sharedOpt.step, 1); // and one of the classifier ("summed")
 * ```
 * @module
 */
import { tf } from "../../deps_tf.ts";
import type { FuseShared } from "../../config/schema.ts";
import { fusedBlockForward, type FusedContext } from "../../model/fused_block.ts";
import type { NoPropDT } from "../../model/noprop.ts";
import type { StackedBlocks } from "../../model/stacked.ts";
import type { AdamW } from "../adamw.ts";
import { sharedVariables } from "./step.ts";

/** Everything a fused step needs besides the batch. */
export interface FusedState {
  /** The model (its classifier, embedding and schedule; the blocks train as `stacked`). */
  model: NoPropDT;
  /** The T blocks' parameters, stacked. */
  stacked: StackedBlocks;
  /** AdamW over `stacked.variables()`: block t's moments are slab t − 1 of each. */
  blockOpt: AdamW;
  /** AdamW over the shared parameters (classifier, learnable W_Embed). */
  sharedOpt: AdamW;
  /** How the shared parameters are updated (module doc). */
  shared: FuseShared;
  /** η of eq. 8. */
  eta: number;
  /** Dropout rate. */
  dropout: number;
  /** BatchNorm momentum. */
  bnMomentum: number;
}

/** Each block's copy of the shared tensors: classifier [T, d, C], [T, C]; W_Embed [T, C, d]. */
export interface TiledShared {
  /** `cls.w` per block. */
  clsW: tf.Tensor3D;
  /** `cls.b` per block. */
  clsB: tf.Tensor2D;
  /** W_Embed per block. */
  W: tf.Tensor3D;
}

/** The forward pass of all blocks as the losses see it: logits [T, N, C] from x and z [T, N, d]. */
export type FusedLogits = (x: tf.Tensor4D, z: tf.Tensor3D) => tf.Tensor3D;

/**
 * L_t of eq. 8 for t = 1..T at index t − 1 (shape [T]); block t reads `epsPrev[t − 1]`,
 * `epsT[t − 1]` and slab t − 1 of `shared`. Term by term as `dtBlockLoss`:
 * CE(classifier(z_T), y) + KL(q(z_0|y) ‖ N(0, I)) + (T/2)·η·(SNR(t) − SNR(t−1))·‖û_t − u_y‖².
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../../deps_tf.ts";
 * import { initBackend, readTensor } from "../../backend/mod.ts";
 * import { createNoPropDT } from "../../model/noprop.ts";
 * import { dtBlockLoss } from "./step.ts";
 * import { fusedDtLosses } from "./fused_step.ts";
 * await initBackend("cpu");
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * const x = tf.zeros([3, 8, 8, 1]) as tf.Tensor4D, y = tf.tensor1d([0, 1, 1], "int32");
 * const e1 = tf.randomNormal([2, 3, 2]) as tf.Tensor3D, e2 = tf.randomNormal([2, 3, 2]) as tf.Tensor3D;
 * const logits = tf.randomNormal([2, 3, 2]) as tf.Tensor3D; // stand-in block outputs
 * const tile = (v: tf.Tensor) => tf.stack([v, v]);
 * const shared = {
 *   clsW: tile(model.classifier.get("cls.w")) as tf.Tensor3D,
 *   clsB: tile(model.classifier.get("cls.b")) as tf.Tensor2D,
 *   W: tile(model.embedding.W) as tf.Tensor3D,
 * };
 * const fused = await readTensor(fusedDtLosses(model, x, y, e1, e2, 0.1, shared, () => logits));
 * // Entry t − 1 is block t's own loss.
 * const part = (t: tf.Tensor3D, i: number) => tf.unstack(t)[i] as tf.Tensor2D;
 * for (const t of [1, 2]) {
 *   const alone = dtBlockLoss(
 *     model, t, x, y, part(e1, t - 1), part(e2, t - 1), 0.1, () => part(logits, t - 1),
 *   );
 *   assert.ok(Math.abs((await readTensor(alone))[0] - fused[t - 1]) < 1e-5);
 * }
 * ```
 */
export function fusedDtLosses(
  model: NoPropDT,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  epsPrev: tf.Tensor3D,
  epsT: tf.Tensor3D,
  eta: number,
  shared: TiledShared,
  logits: FusedLogits,
): tf.Tensor1D {
  const sch = model.schedule, T = sch.T, d = epsPrev.shape[2];
  const ab = sch.alphaBar;
  // Per block t (index t − 1): √ᾱ_{t−1}, √(1 − ᾱ_{t−1}) and the weight SNR(t) − SNR(t−1).
  const perBlock = (f: (t: number) => number) =>
    tf.tensor(Float32Array.from({ length: T }, (_, i) => f(i + 1)), [T, 1, 1]);
  const u = tf.gather(shared.W, y, 1) as tf.Tensor3D; // u_y = W_Embed[y], [T, N, d]
  const zPrev = tf.add(
    tf.mul(u, perBlock((t) => Math.sqrt(ab[t - 1]))),
    tf.mul(epsPrev, perBlock((t) => Math.sqrt(1 - ab[t - 1]))),
  ); // z_{t−1} ~ q(z_{t−1}|y)
  const zT = tf.add(tf.mul(u, Math.sqrt(ab[T])), tf.mul(epsT, Math.sqrt(1 - ab[T])));
  const uHat = tf.matMul(tf.softmax(logits(x, zPrev as tf.Tensor3D)), shared.W); // [T, N, d]
  const clsLogits = tf.add(
    tf.matMul(zT as tf.Tensor3D, shared.clsW),
    tf.expandDims(shared.clsB, 1),
  );
  const oneHot = tf.oneHot(y, shared.clsW.shape[2]);
  const ce = tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(clsLogits), oneHot), 2), 1));
  const sqU = tf.mean(tf.sum(tf.square(u), 2), 1);
  const kl = tf.mul(0.5, tf.sub(tf.mul(ab[0], sqU), d * ab[0] + d * Math.log(1 - ab[0])));
  const sq = tf.mean(tf.sum(tf.square(tf.sub(uHat, u)), 2), 1); // ‖û_t − u_y‖², batch mean
  const weight = tf.reshape(perBlock((t) => (T / 2) * eta * sch.snrWeight[t]), [T]);
  return tf.add(tf.add(ce, kl), tf.mul(weight, sq)) as tf.Tensor1D;
}

/** `v` repeated T times along a new leading axis. */
function tile(v: tf.Tensor, T: number): tf.Tensor {
  return tf.tile(tf.expandDims(v, 0), [T, ...v.shape.map(() => 1)]);
}

/**
 * One fused step (module doc): trains every block on the batch, updates the shared parameters,
 * applies each block's BatchNorm statistics. `epsPrev`, `epsT` [T, N, d] hold block t's
 * standard-normal noise at index t − 1; `seeds[t − 1]` is block t's first dropout seed. Returns
 * the losses L_1..L_T [T] (kept: the caller disposes them); reads nothing back from the device.
 */
export function fusedTrainStep(
  s: FusedState,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  epsPrev: tf.Tensor3D,
  epsT: tf.Tensor3D,
  seeds: readonly number[],
): tf.Tensor1D {
  const { model, stacked } = s;
  const T = stacked.T;
  const ctx: FusedContext = {
    training: true,
    dropout: s.dropout,
    bnMomentum: s.bnMomentum,
    seeds: [...seeds],
    updates: [],
  };
  const blockVars = stacked.variables();
  const sharedVars = sharedVariables(model); // cls.w, cls.b, and W_Embed when learnable
  let losses: tf.Tensor1D | undefined;
  tf.tidy(() => {
    const tiled = sharedVars.map((v) => tile(v, T));
    const f = (...xs: tf.Tensor[]) => {
      const [clsW, clsB, learnedW] = xs.slice(blockVars.length);
      const W = learnedW ?? tile(model.embedding.W, T);
      const shared = {
        clsW: clsW as tf.Tensor3D,
        clsB: clsB as tf.Tensor2D,
        W: W as tf.Tensor3D,
      };
      const forward: FusedLogits = (xb, z) => fusedBlockForward(stacked, model.spec, xb, z, ctx);
      const l = fusedDtLosses(model, x, y, epsPrev, epsT, s.eta, shared, forward);
      losses = tf.keep(l);
      return tf.sum(l);
    };
    // The stacked variables are passed as themselves: the forward reads them from `stacked`.
    const { grads } = tf.valueAndGrads(f)([...blockVars, ...tiled]);
    s.blockOpt.apply(grads.slice(0, blockVars.length));
    const perBlock = grads.slice(blockVars.length); // g_t of block t at index t − 1
    if (s.shared === "summed") s.sharedOpt.apply(perBlock.map((g) => tf.sum(g, 0)));
    else {
      const slabs = perBlock.map((g) => tf.unstack(g));
      for (let t = 0; t < T; t++) s.sharedOpt.apply(slabs.map((g) => g[t]));
    }
  });
  for (const u of ctx.updates) {
    stacked.get(u.name).assign(u.value);
    u.value.dispose();
  }
  return losses!;
}
