/**
 * Every NoProp-DT loss term (paper eq. 8, Algorithm 1), each averaged over the batch.
 *
 * For block t and a batch (x, y) with u_y = W_Embed[y]:
 *
 *   L_t = CE(classifier(z_T), y)                                    (z_T ~ q(z_T | y))
 *       + KL(q(z_0 | y) ‖ N(0, I))
 *       + (T/2)·η·(SNR(t) − SNR(t−1))·‖û_t(z_{t−1}, x) − u_y‖²      (z_{t−1} ~ q(z_{t−1} | y))
 *
 * with q(z_t | y) = N(√ᾱ_t u_y, (1 − ᾱ_t) I). The KL term in closed form:
 * KL(N(√ᾱ_0 u, (1−ᾱ_0) I) ‖ N(0, I)) = ½[ᾱ_0‖u‖² − d·ᾱ_0 − d·log(1 − ᾱ_0)].
 * It only has a gradient when W_Embed is learnable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "./deps_tf.ts";
 * import { initBackend, readTensor } from "./backend/mod.ts";
 * import { denoiseLoss } from "./losses.ts";
 * await initBackend("cpu");
 * // Block t's denoising term with T = 10, η = 0.1, SNR(t) − SNR(t−1) = 2 and ‖û − u‖² = 1:
 * const uHat = tf.tensor2d([[1, 0]]), u = tf.tensor2d([[0, 0]]);
 * const [l] = await readTensor(denoiseLoss(uHat, u, 10, 0.1, 2));
 * assert.ok(Math.abs(l - 1) < 1e-6); // 10/2 · 0.1 · 2 · 1
 * ```
 * @module
 */
import { tf } from "./deps_tf.ts";

/**
 * Mean cross-entropy of `logits` [N, K] against integer labels `y` [N].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "./deps_tf.ts";
 * import { initBackend, readTensor } from "./backend/mod.ts";
 * import { crossEntropy } from "./losses.ts";
 * await initBackend("cpu");
 * const [ce] = await readTensor(crossEntropy(tf.zeros([1, 2]), tf.tensor1d([0], "int32")));
 * assert.ok(Math.abs(ce - Math.log(2)) < 1e-6); // equal logits: −log ½
 * ```
 */
export function crossEntropy(logits: tf.Tensor2D, y: tf.Tensor1D): tf.Scalar {
  const logp = tf.logSoftmax(logits);
  const oh = tf.oneHot(y, logits.shape[1]);
  return tf.neg(tf.mean(tf.sum(tf.mul(logp, oh), 1)));
}

/**
 * Mean over the batch of KL(q(z_0|y) ‖ N(0, I)) = ½[ᾱ_0‖u‖² − d·ᾱ_0 − d·log(1 − ᾱ_0)].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "./deps_tf.ts";
 * import { initBackend, readTensor } from "./backend/mod.ts";
 * import { klPrior } from "./losses.ts";
 * await initBackend("cpu");
 * const [kl] = await readTensor(klPrior(tf.tensor2d([[1, 0]]), 0.5));
 * // ½[ᾱ_0‖u‖² − d·ᾱ_0 − d·log(1 − ᾱ_0)] with ᾱ_0 = ½, ‖u‖² = 1, d = 2:
 * assert.ok(Math.abs(kl - 0.5 * (0.5 - 1 - 2 * Math.log(0.5))) < 1e-6);
 * ```
 */
export function klPrior(u: tf.Tensor2D, alphaBar0: number): tf.Scalar {
  const d = u.shape[1];
  const sq = tf.mean(tf.sum(tf.square(u), 1));
  return tf.mul(0.5, tf.sub(tf.mul(alphaBar0, sq), d * alphaBar0 + d * Math.log(1 - alphaBar0)));
}

/**
 * The weighted denoising term (T/2)·η·snrWeight·mean‖û − u‖².
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "./deps_tf.ts";
 * import { initBackend, readTensor } from "./backend/mod.ts";
 * import { denoiseLoss } from "./losses.ts";
 * await initBackend("cpu");
 * const uHat = tf.tensor2d([[0.5, 0.5]]), u = tf.tensor2d([[1, 0]]);
 * const [l] = await readTensor(denoiseLoss(uHat, u, 10, 0.1, 1));
 * assert.ok(Math.abs(l - 0.25) < 1e-6); // (10/2) · 0.1 · 1 · (0.25 + 0.25)
 * ```
 */
export function denoiseLoss(
  uHat: tf.Tensor2D,
  u: tf.Tensor2D,
  T: number,
  eta: number,
  snrWeight: number,
): tf.Scalar {
  return tf.mul((T / 2) * eta * snrWeight, tf.mean(tf.sum(tf.square(tf.sub(uHat, u)), 1)));
}

// ---------------------------------------------------------------------------------------------
// NoProp-CT (eq. 9, Algorithm 2) and NoProp-FM (eq. 10–13, Algorithm 3) loss terms.
// ---------------------------------------------------------------------------------------------

/**
 * CT's denoising term (eq. 9): mean over the batch of (η/2)·SNR′(t_i)·‖û_i − u_i‖², with
 * SNR′ [N] per example (each example has its own t_i ~ U(0, 1)).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "./deps_tf.ts";
 * import { initBackend, readTensor } from "./backend/mod.ts";
 * import { ctDenoiseLoss } from "./losses.ts";
 * await initBackend("cpu");
 * const uHat = tf.tensor2d([[1, 0]]), u = tf.tensor2d([[0, 0]]);
 * const [l] = await readTensor(ctDenoiseLoss(uHat, u, tf.tensor1d([4]), 1));
 * assert.equal(l, 2); // η/2 · SNR′ 4 · ‖û − u‖² 1
 * ```
 */
export function ctDenoiseLoss(
  uHat: tf.Tensor2D,
  u: tf.Tensor2D,
  snrPrime: tf.Tensor1D,
  eta: number,
): tf.Scalar {
  const sq = tf.sum(tf.square(tf.sub(uHat, u)), 1);
  return tf.mul(eta / 2, tf.mean(tf.mul(snrPrime, sq)));
}

/**
 * KL(q(z_0|y) ‖ N(0, I)) with ᾱ_0 = sigmoid(−γ(0)) given as a tensor γ(0) [1] (learnable
 * schedule), batch mean: ½[ᾱ_0‖u‖² − d·ᾱ_0 − d·log(1 − ᾱ_0)], log(1 − ᾱ_0) = −softplus(−γ(0)).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "./deps_tf.ts";
 * import { initBackend, readTensor } from "./backend/mod.ts";
 * import { klPrior, klPriorGamma } from "./losses.ts";
 * await initBackend("cpu");
 * const u = tf.tensor2d([[1, 0]]);
 * const [viaGamma] = await readTensor(klPriorGamma(u, tf.tensor1d([0]))); // γ(0) = 0: ᾱ_0 = ½
 * const [direct] = await readTensor(klPrior(u, 0.5));
 * assert.ok(Math.abs(viaGamma - direct) < 1e-6);
 * ```
 */
export function klPriorGamma(u: tf.Tensor2D, gamma0: tf.Tensor1D): tf.Scalar {
  const d = u.shape[1];
  const ab = tf.sigmoid(tf.neg(gamma0));
  const log1m = tf.neg(tf.softplus(tf.neg(gamma0)));
  const sq = tf.mean(tf.sum(tf.square(u), 1));
  return tf.sum(tf.mul(0.5, tf.sub(tf.sub(tf.mul(ab, sq), tf.mul(ab, d)), tf.mul(log1m, d))));
}

/**
 * FM's flow-matching term (eq. 11–12): mean over the batch of ‖v̂ − (u_y − z_0)‖².
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "./deps_tf.ts";
 * import { initBackend, readTensor } from "./backend/mod.ts";
 * import { fmLoss } from "./losses.ts";
 * await initBackend("cpu");
 * const vHat = tf.tensor2d([[1, 1]]), u = tf.tensor2d([[1, 0]]), z0 = tf.tensor2d([[0, 0]]);
 * const [l] = await readTensor(fmLoss(vHat, u, z0));
 * assert.equal(l, 1); // ‖[1, 1] − ([1, 0] − [0, 0])‖²
 * ```
 */
export function fmLoss(vHat: tf.Tensor2D, u: tf.Tensor2D, z0: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.sum(tf.square(tf.sub(vHat, tf.sub(u, z0))), 1));
}

/**
 * FM's anchor term for a learnable embedding (eq. 13): −log p̂(y | ẑ_1), ẑ_1 = z_t + (1 − t)·v̂,
 * with p̂(k | z) = softmax_k(−‖z − u_k‖²) (the nearest-embedding rule FM predicts with).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "./deps_tf.ts";
 * import { initBackend, readTensor } from "./backend/mod.ts";
 * import { fmAnchorLoss } from "./losses.ts";
 * await initBackend("cpu");
 * const z1 = tf.tensor2d([[1, 0]]), y = tf.tensor1d([0], "int32");
 * const [l] = await readTensor(fmAnchorLoss(z1, tf.eye(2), y));
 * assert.ok(Math.abs(l - Math.log(1 + Math.exp(-2))) < 1e-6); // squared distances 0 and 2
 * ```
 */
export function fmAnchorLoss(z1: tf.Tensor2D, W: tf.Tensor, y: tf.Tensor1D): tf.Scalar {
  return crossEntropy(tf.neg(squaredDistances(z1, W)), y);
}

/**
 * ‖z_i − W_k‖² for z [N, d] and W [K, d] → [N, K].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "./deps_tf.ts";
 * import { initBackend, readTensor } from "./backend/mod.ts";
 * import { squaredDistances } from "./losses.ts";
 * await initBackend("cpu");
 * const d = squaredDistances(tf.tensor2d([[1, 0]]), tf.eye(2));
 * assert.deepEqual(await readTensor(d), Float32Array.of(0, 2)); // [[0, 2]]
 * ```
 */
export function squaredDistances(z: tf.Tensor2D, W: tf.Tensor): tf.Tensor2D {
  const W2 = W as tf.Tensor2D;
  const zz = tf.sum(tf.square(z), 1, true);
  const ww = tf.reshape(tf.sum(tf.square(W2), 1), [1, -1]);
  return tf.add(tf.sub(zz, tf.mul(2, tf.matMul(z, W2, false, true))), ww) as tf.Tensor2D;
}
