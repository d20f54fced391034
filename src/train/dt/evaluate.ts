/**
 * Training-side evaluation with the NoProp-DT sampler (paper eq. 3):
 *   z_0 ~ N(0, I);  z_t = a_t û_t(z_{t−1}, x) + b_t z_{t−1} + √c_t ε,  t = 1..T;
 *   prediction = argmax classifier(z_T).
 * The chain is the runtime's own (`dtChain` in `src/infer/sampler/dt.ts`, the code that runs
 * the exported ONNX graphs); only û_t comes from the tfjs blocks here.
 *
 * The stochastic sampler and its noise-free variant (ε = 0, same z_0) run as one chain over a
 * batch of 2n: rows 0..n−1 are the stochastic trajectory, rows n..2n−1 the noise-free one. Each
 * block's image branch is computed once and shared by the two. Noise, per batch, in the
 * runtime's order: z_0 [n, d], then ε_1 … ε_T [n, d] each.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createNoPropDT } from "../../model/noprop.ts";
 * import { batches } from "../../data/batches.ts";
 * import { NORMALIZATION } from "../../data/normalize.ts";
 * import { evaluateDT } from "./evaluate.ts";
 * await initBackend("cpu");
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * const test = {
 *   count: 6, height: 8, width: 8, channels: 1, labels: Uint8Array.of(0, 1, 0, 1, 0, 1),
 *   images: Uint8Array.from({ length: 6 * 64 }, (_, i) => (i * 37) % 256),
 * };
 * const { accNoisy, accClean, count } = await evaluateDT(
 *   model,
 *   batches(test, { batchSize: 4, stats: NORMALIZATION.mnist }), // a batch of 4, then of 2
 *   { seed: 0 },
 * );
 * assert.equal(count, 6);
 * assert.ok(accNoisy >= 0 && accNoisy <= 1 && accClean >= 0 && accClean <= 1);
 * ```
 * @module
 */
import { tf } from "../../deps_tf.ts";
import { dtChain } from "../../infer/sampler/dt.ts";
import type { NoiseSource } from "../../infer/sampler/random.ts";
import { blockHead, imageFeatures } from "../../model/block.ts";
import { denoised } from "../../model/embedding.ts";
import { dense, evalContext } from "../../model/layers.ts";
import type { NoPropDT } from "../../model/noprop.ts";
import { Rng } from "../../rng.ts";
import type { ChainCoefficients } from "../../schedule.ts";
import { batchImages } from "../batch_tensor.ts";
import { type Confusion, countPredictions, emptyConfusion } from "../confusion.ts";

/** Accuracy with and without sampler noise. */
export interface DtAccuracy {
  /** Accuracy of the stochastic sampler (eq. 3 with ε ~ N(0, I)). */
  accNoisy: number;
  /** Accuracy of the noise-free sampler (ε = 0). */
  accClean: number;
  /** Number of images evaluated. */
  count: number;
  /** Confusion counts of the stochastic sampler (rows: true class). */
  confusion: Confusion;
}

/**
 * The tfjs blocks as the chain's denoiser: û_t = softmax(block_t(x, z))·W_Embed for z of
 * `copies` stacked trajectories of the n images x ([copies·n·d] in, [copies·n·d] out). Block t's
 * image branch runs once for the copies. One tidy per call, so memory stays at one block's
 * activations (a tidy around the whole chain held all T blocks' and overflowed wasm memory at
 * paper widths).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createNoPropDT } from "../../model/noprop.ts";
 * import { tf } from "../../deps_tf.ts";
 * import { blockDenoiser } from "./evaluate.ts";
 * await initBackend("cpu");
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * const x = tf.zeros([3, 8, 8, 1]) as tf.Tensor4D;
 * const z0 = new Float32Array(3 * 2).fill(0.5); // three images, d = 2
 * const uHat = await blockDenoiser(model, x)(1, z0); // û_1 for z_0
 * assert.equal(uHat.length, 3 * 2);
 * // One-hot W_Embed: û is the block's class distribution, each row sums to 1.
 * assert.ok(Math.abs(uHat[0] + uHat[1] - 1) < 1e-6);
 * ```
 */
export function blockDenoiser(
  model: NoPropDT,
  x: tf.Tensor4D,
  copies = 1,
): (t: number, z: Float32Array) => Promise<Float32Array> {
  const ctx = evalContext();
  const rows = copies * x.shape[0], d = model.embedding.dim;
  return async (t, z) => {
    const u = tf.tidy(() => {
      const block = model.blocks[t - 1];
      const feat = imageFeatures(block, model.spec, x, ctx);
      const stacked = copies === 1 ? feat : tf.concat(Array(copies).fill(feat), 0);
      const logits = blockHead(block, model.spec, stacked, tf.tensor2d(z, [rows, d]), ctx);
      return denoised(logits, model.embedding.W);
    });
    const data = await u.data() as Float32Array;
    u.dispose();
    return data;
  };
}

/**
 * A schedule's eq. 3 coefficients (index t, entry 0 unused) as the chain takes them (index
 * t − 1, as in the manifest).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chainSchedule } from "./evaluate.ts";
 * import { makeSchedule } from "../../schedule.ts";
 * const s = makeSchedule("cosine", 10);
 * const chain = chainSchedule(s);
 * assert.equal(chain.a.length, 10);
 * assert.equal(chain.a[0], s.a[1]); // block 1's a_t at index 0
 * ```
 */
export function chainSchedule(
  s: ChainCoefficients,
): { a: Float64Array; b: Float64Array; c: Float64Array } {
  return { a: s.a.subarray(1), b: s.b.subarray(1), c: s.c.subarray(1) };
}

/**
 * Noise for the two trajectories stacked in one chain: rows 0..n−1 get `source`'s draws, rows
 * n..2n−1 the same z_0 and then ε = 0. So `source` sees exactly the draws of one stochastic
 * chain: z_0, ε_1 … ε_T.
 */
class PairedNoise implements NoiseSource {
  #first = true;
  constructor(readonly source: NoiseSource) {}

  fill(out: Float32Array): Float32Array {
    const half = out.length / 2;
    this.source.fill(out.subarray(0, half));
    if (this.#first) out.copyWithin(half, 0, half);
    else out.fill(0, half);
    this.#first = false;
    return out;
  }
}

/** Classifier logits of z [rows·d] → [rows·K]. */
async function classify(model: NoPropDT, z: Float32Array, rows: number): Promise<Float32Array> {
  const logits = tf.tidy(() =>
    dense(model.classifier, "cls", tf.tensor2d(z, [rows, model.embedding.dim]))
  );
  const data = await logits.data() as Float32Array;
  logits.dispose();
  return data;
}

/**
 * Runs the DT chain on one batch x [n, H, W, C] and returns the classifier logits [n·K] of the
 * stochastic and the noise-free trajectory. Draws z_0 and then ε_1 … ε_T (each n·d) from
 * `noise`; the noise-free trajectory starts from the same z_0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createNoPropDT } from "../../model/noprop.ts";
 * import { tf } from "../../deps_tf.ts";
 * import { Rng } from "../../rng.ts";
 * import { sampleDT } from "./evaluate.ts";
 * await initBackend("cpu");
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * const x = tf.randomNormal([3, 8, 8, 1]) as tf.Tensor4D;
 * const { noisy, clean } = await sampleDT(model, x, new Rng(0));
 * assert.equal(noisy.length, 3 * 2); // classifier logits [n·K]
 * assert.equal(clean.length, 3 * 2);
 * // The same noise stream gives the same logits.
 * assert.deepEqual(await sampleDT(model, x, new Rng(0)), { noisy, clean });
 * ```
 */
export async function sampleDT(
  model: NoPropDT,
  x: tf.Tensor4D,
  noise: NoiseSource,
): Promise<{ noisy: Float32Array; clean: Float32Array }> {
  const n = x.shape[0], K = model.spec.classes;
  const zT = await dtChain({
    schedule: chainSchedule(model.schedule),
    size: 2 * n * model.embedding.dim,
    stochastic: true,
    noise: new PairedNoise(noise),
    denoise: blockDenoiser(model, x, 2),
  });
  const logits = await classify(model, zT, 2 * n);
  return { noisy: logits.subarray(0, n * K), clean: logits.subarray(n * K) };
}

/**
 * Row-wise argmax of logits [n·K] (the first of equal maxima, as `tf.argMax`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { argmaxRows } from "./evaluate.ts";
 * assert.deepEqual(argmaxRows(new Float32Array([0, 2, 1, 5, 3, 4]), 3), Int32Array.of(1, 0));
 * assert.deepEqual(argmaxRows(new Float32Array([1, 1]), 2), Int32Array.of(0)); // ties: the first
 * ```
 */
export function argmaxRows(logits: Float32Array, K: number): Int32Array {
  const out = new Int32Array(logits.length / K);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (logits[i * K + k] > logits[i * K + best]) best = k;
    out[i] = best;
  }
  return out;
}

/**
 * Test accuracy of the DT sampler over batches of normalised NHWC images; the noise comes
 * from `new Rng(seed)` (per batch z_0, then ε_1 … ε_T).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createNoPropDT } from "../../model/noprop.ts";
 * import { evaluateDT } from "./evaluate.ts";
 * await initBackend("cpu");
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * // One batch of two normalised NHWC images, given directly.
 * const batch = { x: new Float32Array(2 * 64).fill(-0.42), y: Int32Array.of(0, 1), size: 2 };
 * const a = await evaluateDT(model, [batch], { seed: 0 });
 * assert.equal(a.count, 2);
 * assert.deepEqual(await evaluateDT(model, [batch], { seed: 0 }), a); // seeded: repeatable
 * ```
 */
export async function evaluateDT(
  model: NoPropDT,
  batches: Iterable<{ x: Float32Array; y: Int32Array | Uint8Array; size: number }>,
  opts: { seed: number },
): Promise<DtAccuracy> {
  const rng = new Rng(opts.seed);
  const K = model.spec.classes;
  let okN = 0, okC = 0, count = 0;
  const confusion = emptyConfusion(K);
  for (const b of batches) {
    const x = batchImages(b, model.spec);
    const { noisy, clean } = await sampleDT(model, x, rng);
    x.dispose();
    const pN = argmaxRows(noisy, K), pC = argmaxRows(clean, K);
    for (let i = 0; i < b.size; i++) {
      if (pN[i] === b.y[i]) okN++;
      if (pC[i] === b.y[i]) okC++;
    }
    countPredictions(confusion, b.y, pN, b.size);
    count += b.size;
  }
  return {
    accNoisy: okN / Math.max(1, count),
    accClean: okC / Math.max(1, count),
    count,
    confusion,
  };
}
