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
 * import { tf } from "./deps.ts";
 * import { denoiseLoss } from "./losses.ts";
 * const l = denoiseLoss(tf.tensor2d([[1, 0]]), tf.tensor2d([[0, 0]]), 10, 0.1, 2); // 10/2·0.1·2·1 = 1
 * ```
 * @module
 */
import { tf } from "./deps.ts";

/**
 * Mean cross-entropy of `logits` [N, K] against integer labels `y` [N].
 *
 * @example
 * ```ts
 * import { tf } from "./deps.ts";
 * import { crossEntropy } from "./losses.ts";
 * crossEntropy(tf.zeros([1, 2]), tf.tensor1d([0], "int32")); // log 2
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
 * import { tf } from "./deps.ts";
 * import { klPrior } from "./losses.ts";
 * klPrior(tf.tensor2d([[1, 0]]), 0.5); // ½[0.5 − 1 − 2·log 0.5]
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
 * import { tf } from "./deps.ts";
 * import { denoiseLoss } from "./losses.ts";
 * denoiseLoss(tf.tensor2d([[0.5, 0.5]]), tf.tensor2d([[1, 0]]), 10, 0.1, 1); // 0.5·0.5 = 0.25
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
