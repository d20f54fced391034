/**
 * One training step of NoProp-CT (paper v1 Algorithm 2, loss eq. 9) or NoProp-FM (Algorithm 3,
 * eq. 10–13). One AdamW updates every trainable variable: the network, and for CT the
 * classifier and the learnable schedule, and W_Embed when learnable.
 *
 * CT (t_i ~ U(0, 1) per example, z_t ~ N(√ᾱ(t) u_y, (1 − ᾱ(t)) I), η = 1 in the paper):
 *   L = CE(classifier(z_1), y) + KL(q(z_0|y) ‖ N(0, I)) + (η/2)·SNR′(t)·‖û_θ(z_t, x, t) − u_y‖²
 * All three terms are differentiable in the schedule's parameters (z_1 and z_t are
 * reparameterised; SNR′ is the exact analytic derivative, `snrPrime`).
 *
 * FM: z_0 ~ N(0, I), z_t = t·u_y + (1 − t)·z_0 + σ·ε (eq. 10), target u_y − z_0 (eq. 11):
 *   L = ‖v̂_θ(z_t, x, t) − (u_y − z_0)‖²  [+ −log p̂(y | z_t + (1 − t)·v̂) when W_Embed learns]
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../../deps_tf.ts";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createContinuousModel } from "../../model/continuous_model.ts";
 * import { continuousVariables } from "../../model/continuous_model.ts";
 * import { AdamW } from "../adamw.ts";
 * import { continuousStep } from "./step.ts";
 * await initBackend("cpu");
 * const model = createContinuousModel({
 *   variant: "ct", image: { height: 8, width: 8, channels: 1 }, classes: 2, embedding: "onehot",
 *   embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0, gamma0: -5, gamma1: 5, gammaHidden: 4,
 * });
 * const opt = new AdamW(continuousVariables(model), { lr: 1e-3, weightDecay: 1e-3 });
 * const state = { model, opt, eta: 1, fmSigma: 0, dropout: 0 };
 * const x = tf.randomNormal([4, 8, 8, 1]) as tf.Tensor4D, y = tf.tensor1d([0, 1, 0, 1], "int32");
 * const noise = {
 *   t: tf.tensor1d([0.1, 0.4, 0.6, 0.9]), // t_i ~ U(0, 1)
 *   e1: tf.randomNormal([4, 2]) as tf.Tensor2D, e2: tf.randomNormal([4, 2]) as tf.Tensor2D,
 * };
 * const [gamma0] = await model.schedule!.get("sched.gamma0").data();
 * const loss = continuousStep(state, x, y, noise, 0); // scalar, the caller disposes it
 * assert.ok(Number.isFinite((await loss.data())[0]));
 * loss.dispose();
 * // One AdamW step moved the learnable schedule too.
 * assert.notEqual((await model.schedule!.get("sched.gamma0").data())[0], gamma0);
 * ```
 * @module
 */
import { tf } from "../../deps_tf.ts";
import { continuousForward, velocity } from "../../model/continuous.ts";
import { type ContinuousModel, continuousVariables } from "../../model/continuous_model.ts";
import { denoised } from "../../model/embedding.ts";
import { dense, type ForwardContext } from "../../model/layers.ts";
import { crossEntropy, ctDenoiseLoss, fmAnchorLoss, fmLoss, klPriorGamma } from "../../losses.ts";
import { ctGamma, snrPrime } from "../../model/ct_schedule.ts";
import type { AdamW } from "../adamw.ts";

/** Everything a step needs besides the batch. */
export interface ContinuousState {
  /** The model. */
  model: ContinuousModel;
  /** One optimizer over {@linkcode continuousVariables}. */
  opt: AdamW;
  /** η of eq. 9 (CT). */
  eta: number;
  /** σ of eq. 10 (FM). */
  fmSigma: number;
  /** Dropout rate. */
  dropout: number;
}

/** The random numbers of one step: t [N] in [0, 1) and two standard-normal [N, d]. */
export interface StepNoise {
  /** t_i ~ U(0, 1). */
  t: tf.Tensor1D;
  /** CT: ε of z_t; FM: z_0. */
  e1: tf.Tensor2D;
  /** CT: ε of z_1; FM: the σ-noise of z_t. */
  e2: tf.Tensor2D;
}

/**
 * The network as the losses see it: logits [N, classes] from x, z_t and t. The default is
 * `continuousForward` of the model's network with the step's context; tests pass a stub.
 */
export type NetLogits = (x: tf.Tensor4D, z: tf.Tensor2D, t: tf.Tensor1D) => tf.Tensor2D;

/**
 * CT loss (eq. 9) for a batch, as a scalar tensor (differentiable; see the module doc). A pure
 * function of (model, batch, noise); `net` defaults to the model's network.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../../deps_tf.ts";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createContinuousModel } from "../../model/continuous_model.ts";
 * import { ctLoss } from "./step.ts";
 * await initBackend("cpu");
 * const model = createContinuousModel({
 *   variant: "ct", image: { height: 8, width: 8, channels: 1 }, classes: 2, embedding: "onehot",
 *   embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0, gamma0: -5, gamma1: 5, gammaHidden: 4,
 * });
 * const x = tf.randomNormal([4, 8, 8, 1]) as tf.Tensor4D, y = tf.tensor1d([0, 1, 0, 1], "int32");
 * const noise = {
 *   t: tf.tensor1d([0.1, 0.4, 0.6, 0.9]), // t_i ~ U(0, 1)
 *   e1: tf.randomNormal([4, 2]) as tf.Tensor2D, e2: tf.randomNormal([4, 2]) as tf.Tensor2D,
 * };
 * const ctx = { training: false, dropout: 0, bnMomentum: 0, seed: 0, updates: [] };
 * const { value, grads } = tf.variableGrads(() => ctLoss(model, x, y, noise, ctx, 1));
 * assert.ok((await value.data())[0] > 0);
 * // Every term is differentiable in the schedule's parameters (eq. 9 with eq. 65–67).
 * const delta = model.schedule!.get("sched.delta");
 * assert.ok(Math.abs((await grads[delta.name].data())[0]) > 0);
 * ```
 */
export function ctLoss(
  m: ContinuousModel,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  n: StepNoise,
  ctx: ForwardContext,
  eta: number,
  net: NetLogits = (xb, z, t) => continuousForward(m.net, m.spec, xb, z, t, ctx),
): tf.Scalar {
  const W = m.embedding.W;
  const u = tf.gather(W, y) as tf.Tensor2D; // u_y
  const g = ctGamma(m.schedule!, n.t);
  const ab = tf.expandDims(tf.sigmoid(tf.neg(g.gamma)), 1); // ᾱ(t)
  const om = tf.expandDims(tf.sigmoid(g.gamma), 1); // 1 − ᾱ(t), computed without cancellation
  const zt = tf.add(tf.mul(tf.sqrt(ab), u), tf.mul(tf.sqrt(om), n.e1)) as tf.Tensor2D;
  const uHat = denoised(net(x, zt, n.t), W);
  const ends = ctGamma(m.schedule!, tf.tensor1d([0, 1])).gamma;
  const [g0, g1] = tf.split(ends, 2) as tf.Tensor1D[]; // γ(0), γ(1)
  const z1 = tf.add(
    tf.mul(tf.sqrt(tf.sigmoid(tf.neg(g1))), u),
    tf.mul(tf.sqrt(tf.sigmoid(g1)), n.e2),
  ) as tf.Tensor2D;
  const ce = crossEntropy(dense(m.classifier, "cls", z1), y);
  const kl = klPriorGamma(u, g0);
  return tf.add(tf.add(ce, kl), ctDenoiseLoss(uHat, u, snrPrime(g), eta)) as tf.Scalar;
}

/**
 * FM loss (eq. 10–13) for a batch, as a scalar tensor; `net` as in {@linkcode ctLoss}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../../deps_tf.ts";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createContinuousModel } from "../../model/continuous_model.ts";
 * import { fmLossOf } from "./step.ts";
 * await initBackend("cpu");
 * const model = createContinuousModel({
 *   variant: "fm", image: { height: 8, width: 8, channels: 1 }, classes: 2, embedding: "onehot",
 *   embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0, gamma0: -5, gamma1: 5, gammaHidden: 4,
 * });
 * const x = tf.randomNormal([4, 8, 8, 1]) as tf.Tensor4D, y = tf.tensor1d([0, 1, 0, 1], "int32");
 * const noise = {
 *   t: tf.tensor1d([0.1, 0.4, 0.6, 0.9]), // t_i ~ U(0, 1)
 *   e1: tf.randomNormal([4, 2]) as tf.Tensor2D, e2: tf.randomNormal([4, 2]) as tf.Tensor2D,
 * };
 * const ctx = { training: false, dropout: 0, bnMomentum: 0, seed: 0, updates: [] };
 * // A stand-in network that predicts the exact velocity u_y − z_0 (one-hot W: v̂ = logits).
 * const exact = () => tf.sub(tf.oneHot(y, 2), noise.e1) as tf.Tensor2D;
 * const [zero] = await fmLossOf(model, x, y, noise, ctx, 0, exact).data();
 * assert.ok(Math.abs(zero) < 1e-6);
 * const [loss] = await fmLossOf(model, x, y, noise, ctx, 0).data(); // the model's network
 * assert.ok(loss > 0);
 * ```
 */
export function fmLossOf(
  m: ContinuousModel,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  n: StepNoise,
  ctx: ForwardContext,
  sigma: number,
  net: NetLogits = (xb, z, t) => continuousForward(m.net, m.spec, xb, z, t, ctx),
): tf.Scalar {
  const W = m.embedding.W;
  const u = tf.gather(W, y) as tf.Tensor2D;
  const t = tf.expandDims(n.t, 1);
  let zt = tf.add(tf.mul(t, u), tf.mul(tf.sub(1, t), n.e1)) as tf.Tensor2D; // eq. 10
  if (sigma > 0) zt = tf.add(zt, tf.mul(sigma, n.e2));
  const vHat = velocity(net(x, zt, n.t), W);
  let loss = fmLoss(vHat, u, n.e1);
  if (m.embedding.trainable) {
    const z1 = tf.add(zt, tf.mul(tf.sub(1, t), vHat)) as tf.Tensor2D; // eq. 13 anchor
    loss = tf.add(loss, fmAnchorLoss(z1, W, y));
  }
  return loss;
}

/**
 * One optimizer step on a batch (x NHWC normalised, y int32); returns the loss (caller disposes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../../deps_tf.ts";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createContinuousModel } from "../../model/continuous_model.ts";
 * import { continuousVariables } from "../../model/continuous_model.ts";
 * import { AdamW } from "../adamw.ts";
 * import { continuousStep } from "./step.ts";
 * await initBackend("cpu");
 * const model = createContinuousModel({
 *   variant: "fm", image: { height: 8, width: 8, channels: 1 }, classes: 2, embedding: "onehot",
 *   embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0, gamma0: -5, gamma1: 5, gammaHidden: 4,
 * });
 * const opt = new AdamW(continuousVariables(model), { lr: 1e-2, weightDecay: 0 });
 * const state = { model, opt, eta: 1, fmSigma: 0, dropout: 0.1 };
 * const x = tf.randomNormal([4, 8, 8, 1]) as tf.Tensor4D, y = tf.tensor1d([0, 1, 0, 1], "int32");
 * const noise = {
 *   t: tf.tensor1d([0.1, 0.4, 0.6, 0.9]), // t_i ~ U(0, 1)
 *   e1: tf.randomNormal([4, 2]) as tf.Tensor2D, e2: tf.randomNormal([4, 2]) as tf.Tensor2D,
 * };
 * const losses = [];
 * for (let step = 0; step < 5; step++) {
 *   const loss = continuousStep(state, x, y, noise, step); // dropout masks from the step
 *   losses.push((await loss.data())[0]);
 *   loss.dispose();
 * }
 * assert.equal((await opt.state()).step, 5);
 * assert.ok(losses.every(Number.isFinite));
 * ```
 */
export function continuousStep(
  s: ContinuousState,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  n: StepNoise,
  dropoutSeed: number,
): tf.Scalar {
  const vars = continuousVariables(s.model);
  const ctx: ForwardContext = {
    training: true,
    dropout: s.dropout,
    bnMomentum: 0,
    seed: dropoutSeed,
    updates: [],
  };
  const { value, grads } = tf.variableGrads(
    () =>
      s.model.variant === "ct"
        ? ctLoss(s.model, x, y, n, ctx, s.eta)
        : fmLossOf(s.model, x, y, n, ctx, s.fmSigma),
    vars,
  );
  s.opt.apply(vars.map((v) => grads[v.name] ?? tf.zerosLike(v)));
  tf.dispose(grads);
  return value;
}
