/**
 * Training-side evaluation with the NoProp-DT sampler (paper eq. 3) on tfjs:
 *   z_0 ~ N(0, I);  z_t = a_t û_t(z_{t−1}, x) + b_t z_{t−1} + √c_t ε,  t = 1..T;
 *   prediction = argmax classifier(z_T).
 * Both the stochastic sampler and its noise-free variant (ε = 0, same z_0) are run in one pass:
 * each block's image branch is computed once and shared by the two trajectories.
 *
 * @example
 * ```ts
 * import { evaluateDT } from "./evaluate.ts";
 * // const { accNoisy, accClean } = await evaluateDT(model, batches, { seed: 0 });
 * ```
 * @module
 */
import { tf } from "../../deps_tf.ts";
import { batchImages } from "../batch_tensor.ts";
import { blockHead, imageFeatures } from "../../model/block.ts";
import { denoised } from "../../model/embedding.ts";
import { dense, evalContext } from "../../model/layers.ts";
import type { NoPropDT } from "../../model/noprop.ts";
import { Rng } from "../../rng.ts";

/** Accuracy with and without sampler noise. */
export interface DtAccuracy {
  /** Accuracy of the stochastic sampler (eq. 3 with ε ~ N(0, I)). */
  accNoisy: number;
  /** Accuracy of the noise-free sampler (ε = 0). */
  accClean: number;
  /** Number of images evaluated. */
  count: number;
}

/**
 * Runs the DT chain on one batch and returns the final classifier logits of both trajectories
 * ([N, K] each). `z0` and `eps` (T arrays of [N, d]) are standard-normal noise.
 */
export function sampleDT(
  model: NoPropDT,
  x: tf.Tensor4D,
  z0: tf.Tensor2D,
  eps: tf.Tensor2D[],
): { noisy: tf.Tensor2D; clean: tf.Tensor2D } {
  const { schedule: s, embedding } = model;
  const n = x.shape[0];
  const ctx = evalContext();
  let zN = z0, zC = z0;
  for (let t = 1; t <= s.T; t++) {
    // One tidy per block: only z_t survives, so memory stays at one block's activations
    // (a tidy around the whole chain kept all T blocks' and overflowed wasm memory at paper widths).
    const [nextN, nextC] = tf.tidy(() => {
      const block = model.blocks[t - 1];
      const feat = imageFeatures(block, x, ctx);
      const logits = blockHead(
        block,
        model.spec,
        tf.concat([feat, feat], 0),
        tf.concat([zN, zC], 0),
        ctx,
      );
      const uHat = denoised(logits, embedding.W);
      const [uN, uC] = tf.split(uHat, [n, n], 0) as tf.Tensor2D[];
      return [
        tf.add(
          tf.add(tf.mul(uN, s.a[t]), tf.mul(zN, s.b[t])),
          tf.mul(eps[t - 1], Math.sqrt(s.c[t])),
        ),
        tf.add(tf.mul(uC, s.a[t]), tf.mul(zC, s.b[t])),
      ] as tf.Tensor2D[];
    });
    if (zN !== z0) tf.dispose([zN, zC]);
    zN = nextN;
    zC = nextC;
  }
  const out = tf.tidy(() => ({
    noisy: dense(model.classifier, "cls", zN),
    clean: dense(model.classifier, "cls", zC),
  }));
  if (zN !== z0) tf.dispose([zN, zC]);
  return out;
}

/**
 * Test accuracy of the DT sampler over batches of normalised NHWC images.
 *
 * @example
 * ```ts
 * import { evaluateDT } from "./evaluate.ts";
 * // await evaluateDT(model, [{ x, y, size }], { seed: 0 });
 * ```
 */
export async function evaluateDT(
  model: NoPropDT,
  batches: Iterable<{ x: Float32Array; y: Int32Array | Uint8Array; size: number }>,
  opts: { seed: number },
): Promise<DtAccuracy> {
  const rng = new Rng(opts.seed);
  const d = model.embedding.dim, T = model.schedule.T;
  let okN = 0, okC = 0, count = 0;
  for (const b of batches) {
    const n = b.size;
    const x = batchImages(b, model.spec);
    const z0 = tf.tensor2d(rng.fillNormal(new Float32Array(n * d)), [n, d]);
    const eps = Array.from(
      { length: T },
      () => tf.tensor2d(rng.fillNormal(new Float32Array(n * d)), [n, d]),
    );
    const { noisy, clean } = sampleDT(model, x, z0, eps);
    const aN = tf.argMax(noisy, 1), aC = tf.argMax(clean, 1);
    const [pN, pC] = await Promise.all([aN.data(), aC.data()]);
    for (let i = 0; i < n; i++) {
      if (pN[i] === b.y[i]) okN++;
      if (pC[i] === b.y[i]) okC++;
    }
    count += n;
    tf.dispose([x, z0, ...eps, noisy, clean, aN, aC]);
  }
  return { accNoisy: okN / Math.max(1, count), accClean: okC / Math.max(1, count), count };
}
