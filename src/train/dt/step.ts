/**
 * One NoProp-DT training step for block t (paper Algorithm 1, loss eq. 8; terms in
 * `src/losses.ts`). Only block t, the classifier and (when learnable) W_Embed receive
 * gradients: block t's input z_{t−1} is sampled from q(z_{t−1} | y), never produced by
 * block t−1, so no gradient can cross from one block to another.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../../deps_tf.ts";
 * import { initBackend } from "../../backend/mod.ts";
 * import { defaultConfig } from "../../config.ts";
 * import { createNoPropDT } from "../../model/noprop.ts";
 * import { trainerHyper } from "./setup.ts";
 * import { createTrainState } from "./trainer.ts";
 * import { trainBlockStep } from "./step.ts";
 * await initBackend("cpu");
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * const state = createTrainState(model, trainerHyper(defaultConfig()), [1, 2]);
 * const x = tf.randomNormal([4, 8, 8, 1]) as tf.Tensor4D, y = tf.tensor1d([0, 1, 0, 1], "int32");
 * const eps = () => tf.randomNormal([4, 2]) as tf.Tensor2D; // standard normal [N, d]
 * const read = (t: number) => model.blocks[t - 1].get("head.fc3.b").data();
 * const [b1, b2] = [await read(1), await read(2)];
 * const loss = trainBlockStep(state, 1, x, y, eps(), eps(), 0);
 * assert.ok((await loss.data())[0] > 0);
 * assert.notDeepEqual(await read(1), b1); // block 1 learned
 * assert.deepEqual(await read(2), b2); // no gradient reaches block 2
 * ```
 * @module
 */
import { tf } from "../../deps_tf.ts";
import { blockForward } from "../../model/block.ts";
import { denoised } from "../../model/embedding.ts";
import { applyBatchNormUpdates, dense, type ForwardContext } from "../../model/layers.ts";
import type { NoPropDT } from "../../model/noprop.ts";
import { crossEntropy, denoiseLoss, klPrior } from "../../losses.ts";
import type { AdamW } from "../adamw.ts";

/** Everything a block step needs besides the batch. */
export interface TrainState {
  /** The model. */
  model: NoPropDT;
  /** One optimizer per block (index t−1). */
  blockOpt: (AdamW | null)[];
  /** Optimizer for the shared parameters (classifier, learnable W_Embed). */
  sharedOpt: AdamW;
  /** η of eq. 8. */
  eta: number;
  /** Dropout rate. */
  dropout: number;
  /** BatchNorm momentum. */
  bnMomentum: number;
}

/**
 * The variables shared by every block's loss: classifier, and W_Embed if learnable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createNoPropDT } from "../../model/noprop.ts";
 * import { sharedVariables } from "./step.ts";
 * await initBackend("cpu");
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * // One-hot: W_Embed is fixed, so only the classifier is shared.
 * assert.deepEqual(sharedVariables(model), model.classifier.variables());
 * ```
 */
export function sharedVariables(model: NoPropDT): tf.Variable[] {
  return [
    ...model.classifier.variables(),
    ...(model.embedding.trainable ? [model.embedding.W] : []),
  ];
}

/**
 * Samples z ~ N(√ᾱ u, (1 − ᾱ) I) from given standard-normal noise (reparameterised).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../../deps_tf.ts";
 * import { initBackend } from "../../backend/mod.ts";
 * import { sampleMarginal } from "./step.ts";
 * await initBackend("cpu");
 * // √ᾱ·u + √(1 − ᾱ)·ε with ᾱ = 0.25: half the label, plus √0.75 of the noise.
 * const z = sampleMarginal(tf.tensor2d([[1, 0]]), 0.25, tf.tensor2d([[0, 2]]));
 * const [a, b] = await z.data();
 * assert.equal(a, 0.5);
 * assert.ok(Math.abs(b - 2 * Math.sqrt(0.75)) < 1e-6);
 * ```
 */
export function sampleMarginal(u: tf.Tensor2D, alphaBar: number, eps: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.mul(u, Math.sqrt(alphaBar)), tf.mul(eps, Math.sqrt(1 - alphaBar)));
}

/**
 * The forward pass of one block as the loss sees it: logits [N, classes] from x and z_{t−1}.
 * {@linkcode trainBlockStep} passes `blockForward` of block t in training mode; tests pass a stub.
 */
export type BlockLogits = (x: tf.Tensor4D, z: tf.Tensor2D) => tf.Tensor2D;

/**
 * Block t's loss L_t of eq. 8 (Algorithm 1) for a batch, as a differentiable scalar tensor:
 *
 *   L_t = CE(classifier(z_T), y) + KL(q(z_0|y) ‖ N(0, I))
 *       + (T/2)·η·(SNR(t) − SNR(t−1))·‖û_t(z_{t−1}, x) − u_y‖²,
 *   z_{t−1} = √ᾱ_{t−1} u_y + √(1 − ᾱ_{t−1}) ε_prev,  z_T = √ᾱ_T u_y + √(1 − ᾱ_T) ε_T.
 *
 * `logits` is block t's forward; everything else comes from `model` (schedule, classifier,
 * W_Embed). A pure function of (model, batch, noise).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../../deps_tf.ts";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createNoPropDT } from "../../model/noprop.ts";
 * import { dtBlockLoss } from "./step.ts";
 * await initBackend("cpu");
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * const x = tf.zeros([4, 8, 8, 1]) as tf.Tensor4D, y = tf.tensor1d([0, 1, 0, 1], "int32");
 * const eps = tf.zeros([4, 2]) as tf.Tensor2D;
 * // A stand-in block whose logits always pick the true class with certainty: û_t = u_y, so
 * // the denoising term vanishes and only CE(classifier(z_T), y) and the KL term remain.
 * const perfect = () => tf.mul(tf.oneHot(y, 2), 1e4) as tf.Tensor2D;
 * const random = () => tf.zeros([4, 2]) as tf.Tensor2D;
 * const [lossPerfect] = await dtBlockLoss(model, 1, x, y, eps, eps, 0.1, perfect).data();
 * const [lossRandom] = await dtBlockLoss(model, 1, x, y, eps, eps, 0.1, random).data();
 * assert.ok(lossRandom > lossPerfect);
 * ```
 */
export function dtBlockLoss(
  model: NoPropDT,
  t: number,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  epsPrev: tf.Tensor2D,
  epsT: tf.Tensor2D,
  eta: number,
  logits: BlockLogits,
): tf.Scalar {
  const { schedule: sch, embedding } = model;
  const T = sch.T;
  const u = tf.gather(embedding.W, y) as tf.Tensor2D; // u_y = W_Embed[y]
  const zPrev = sampleMarginal(u, sch.alphaBar[t - 1], epsPrev); // z_{t−1} ~ q(z_{t−1}|y)
  const uHat = denoised(logits(x, zPrev), embedding.W);
  const ce = classifierTerm(model, u, y, epsT);
  const kl = klPrior(u, sch.alphaBar[0]);
  return tf.add(tf.add(ce, kl), denoiseLoss(uHat, u, T, eta, sch.snrWeight[t])) as tf.Scalar;
}

/**
 * The classifier's term of eq. 8, CE(classifier(z_T), y) with z_T = √ᾱ_T u_y + √(1 − ᾱ_T) ε_T:
 * the only part of L_t that reaches the classifier. With the one-hot embedding (W_Embed fixed)
 * it does not involve block t at all, which is what lets a distributed run train the
 * classifier as a work unit of its own ({@linkcode trainClassifierStep}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../../deps_tf.ts";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createNoPropDT } from "../../model/noprop.ts";
 * import { classifierTerm } from "./step.ts";
 * await initBackend("cpu");
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * const y = tf.tensor1d([0, 1], "int32");
 * const u = tf.gather(model.embedding.W, y) as tf.Tensor2D;
 * const [ce] = await classifierTerm(model, u, y, tf.zeros([2, 2]) as tf.Tensor2D).data();
 * assert.ok(ce > 0);
 * ```
 */
export function classifierTerm(
  model: NoPropDT,
  u: tf.Tensor2D,
  y: tf.Tensor1D,
  epsT: tf.Tensor2D,
): tf.Scalar {
  const sch = model.schedule, T = sch.T;
  const zT = sampleMarginal(u, sch.alphaBar[T], epsT); // z_T ~ q(z_T|y)
  return crossEntropy(dense(model.classifier, "cls", zT), y);
}

/**
 * One step of Algorithm 1 for block t ∈ 1..T. `epsPrev` and `epsT` are standard-normal noise
 * [N, d] for z_{t−1} and z_T. Minimises {@linkcode dtBlockLoss} with block t's forward in
 * training mode: updates block t, the classifier and learnable W_Embed; returns the scalar loss
 * (caller disposes).
 */
export function trainBlockStep(
  s: TrainState,
  t: number,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  epsPrev: tf.Tensor2D,
  epsT: tf.Tensor2D,
  dropoutSeed: number,
): tf.Scalar {
  const { model } = s;
  const block = model.blocks[t - 1];
  const opt = s.blockOpt[t - 1];
  if (!opt) throw new Error(`block ${t} has no optimizer in this process`);
  const blockVars = block.variables();
  const shared = sharedVariables(model);
  const ctx: ForwardContext = {
    training: true,
    dropout: s.dropout,
    bnMomentum: s.bnMomentum,
    seed: dropoutSeed,
    updates: [],
  };
  const forward: BlockLogits = (xb, z) => blockForward(block, model.spec, xb, z, ctx);
  const { value, grads } = tf.variableGrads(
    () => dtBlockLoss(model, t, x, y, epsPrev, epsT, s.eta, forward),
    [...blockVars, ...shared],
  );
  const g = (v: tf.Variable) => grads[v.name] ?? tf.zerosLike(v);
  opt.apply(blockVars.map(g));
  s.sharedOpt.apply(shared.map(g));
  tf.dispose(grads);
  applyBatchNormUpdates(block, ctx);
  return value;
}

/**
 * The classifier's share of one step of Algorithm 1 for block t: the update that
 * {@linkcode trainBlockStep} gives the shared parameters, computed from
 * {@linkcode classifierTerm} alone. With the one-hot embedding the gradient of L_t with respect
 * to the classifier is exactly the gradient of this term (the KL and denoising terms do not
 * involve it), so replaying it for t = 1..T with each block's noise ε_T reproduces, bit for bit,
 * the classifier a one-process run trains (`src/dist/`, the distributed driver). Refused for a
 * learnable W_Embed, whose gradient also comes from the blocks' terms.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../../deps_tf.ts";
 * import { initBackend } from "../../backend/mod.ts";
 * import { defaultConfig } from "../../config.ts";
 * import { createNoPropDT } from "../../model/noprop.ts";
 * import { trainerHyper } from "./setup.ts";
 * import { createTrainState } from "./trainer.ts";
 * import { trainBlockStep, trainClassifierStep } from "./step.ts";
 * await initBackend("cpu");
 * const spec = {
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2, schedule: "cosine" as const,
 *   embedding: "onehot" as const, embedDim: 2, widths: [2, 2, 2] as [number, number, number],
 *   hidden: 8, seed: 0,
 * };
 * const [a, b] = [createNoPropDT(spec), createNoPropDT(spec)];
 * const hyper = trainerHyper(defaultConfig());
 * const [sa, sb] = [createTrainState(a, hyper, [1]), createTrainState(b, hyper, [])];
 * const x = tf.randomNormal([4, 8, 8, 1]) as tf.Tensor4D, y = tf.tensor1d([0, 1, 0, 1], "int32");
 * const eps = tf.randomNormal([4, 2]) as tf.Tensor2D;
 * trainBlockStep(sa, 1, x, y, eps, eps, 0).dispose(); // block 1 and the classifier
 * trainClassifierStep(sb, y, eps).dispose(); // the classifier alone
 * const w = (m: typeof a) => m.classifier.get("cls.w").data();
 * assert.deepEqual(await w(b), await w(a)); // the same classifier, bit for bit
 * ```
 */
export function trainClassifierStep(s: TrainState, y: tf.Tensor1D, epsT: tf.Tensor2D): tf.Scalar {
  const { model } = s;
  if (model.embedding.trainable) {
    throw new Error("trainClassifierStep: W_Embed is learnable, its gradient needs the blocks");
  }
  const shared = sharedVariables(model);
  const { value, grads } = tf.variableGrads(() => {
    const u = tf.gather(model.embedding.W, y) as tf.Tensor2D;
    return classifierTerm(model, u, y, epsT);
  }, shared);
  s.sharedOpt.apply(shared.map((v) => grads[v.name] ?? tf.zerosLike(v)));
  tf.dispose(grads);
  return value;
}
