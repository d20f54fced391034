/**
 * The backprop baseline of the paper (eq. 17–19): the same T blocks, classifier and label
 * embedding as NoProp-DT, chained and trained end to end:
 *   z_0 ~ N(0, I);  z_t = (1 − α_t)·z_{t−1} + α_t·û_t(z_{t−1}, x),  α_t = tanh(w_t);
 *   loss = CE(classifier(z_T), y).
 * The mixing weights w_t are learnable scalars, stored as `mix.w` [T] in the weights file.
 * Unlike NoProp, block t's input is block t−1's output, so gradients cross every block.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "../backend/mod.ts";
 * import { backpropForward, createMix } from "./backprop.ts";
 * import { evalContext } from "./layers.ts";
 * import { createNoPropDT } from "./noprop.ts";
 * await initBackend("cpu");
 * // A tiny T = 2 chain on two 8×8 grey images.
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 3, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 3, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * const mix = createMix(model.schedule.T);
 * const x = tf.zeros([2, 8, 8, 1]) as tf.Tensor4D, z0 = tf.randomNormal([2, 3]) as tf.Tensor2D;
 * const logits = backpropForward(model, mix, x, z0, model.blocks.map(() => evalContext()));
 * assert.deepEqual(logits.shape, [2, 3]);
 * ```
 * @module
 */
import { tf } from "../deps_tf.ts";
import { batchImages } from "../train/batch_tensor.ts";
import { blockForward } from "./block.ts";
import { denoised } from "./embedding.ts";
import { dense, type ForwardContext } from "./layers.ts";
import type { NoPropDT } from "./noprop.ts";
import { Rng } from "../rng.ts";
import { mixCoefficients } from "../schedule.ts";
import { dtChain } from "../infer/sampler/dt.ts";
import { argmaxRows, blockDenoiser, chainSchedule } from "../train/dt/evaluate.ts";
import { type Confusion, countPredictions, emptyConfusion } from "../train/confusion.ts";

/**
 * Initial w_t: atanh(0.5), so every α_t starts at 0.5. (w_t = 0 would make α_t = 0 and give
 * the blocks no gradient on the first step; the paper does not say how w_t is initialised.)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MIX_INIT } from "./backprop.ts";
 * assert.ok(Math.abs(Math.tanh(MIX_INIT) - 0.5) < 1e-15); // α_t = 0.5
 * ```
 */
export const MIX_INIT: number = Math.atanh(0.5);

/**
 * The learnable mixing weights w_1..w_T as one variable of shape [T].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { createMix } from "./backprop.ts";
 * await initBackend("cpu");
 * const mix = createMix(3);
 * assert.deepEqual(mix.shape, [3]);
 * assert.ok(mix.trainable);
 * mix.dispose();
 * ```
 */
export function createMix(T: number): tf.Variable {
  // tidy frees the initial tensor (the variable keeps its own reference to the data).
  const name = `mix.w_${T}_${mixId++}`;
  return tf.tidy(() => tf.variable(tf.fill([T], MIX_INIT), true, name));
}
let mixId = 0;

/**
 * Initialises the classifier as the nearest-embedding read-out: logits_k = 2·u_k·z − ‖u_k‖²
 * (= −‖z − u_k‖² + ‖z‖², and ‖z‖² is the same for every class), i.e. weights 2·W_Embedᵀ and
 * bias −‖u_k‖². Deviation from the paper, which does not state the baseline's initialisation.
 * Reason: z_T is a convex combination of the blocks' û_t = softmax(·)·W_Embed (plus a vanishing
 * (1 − α)^T·z_0), so a linear classifier's best logits lie at a vertex u_k. With PyTorch's
 * default random init each vertex picks its argmax class at random, and a class that wins at no
 * vertex can hardly be predicted; the blocks' softmaxes saturate onto the reachable vertices
 * before the classifier recovers. Measured on MNIST (README, "backprop baseline"): 7 of 10
 * classes reachable and 59.8% test accuracy after 3 epochs with the random init. With this
 * init vertex u_k scores class k highest, for any embedding.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { initClassifierFromEmbedding } from "./backprop.ts";
 * import { createNoPropDT } from "./noprop.ts";
 * await initBackend("cpu");
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 3, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 3, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * initClassifierFromEmbedding(model);
 * // One-hot: W_Embed = I, so cls.w = 2·I and cls.b = −1 for every class.
 * const read = async (name: string) => Array.from(await model.classifier.get(name).data());
 * assert.deepEqual(await read("cls.w"), [2, 0, 0, 0, 2, 0, 0, 0, 2]);
 * assert.deepEqual(await read("cls.b"), [-1, -1, -1]);
 * ```
 */
export function initClassifierFromEmbedding(model: NoPropDT): void {
  tf.tidy(() => {
    const W = model.embedding.W;
    model.classifier.get("cls.w").assign(tf.mul(2, tf.transpose(W)));
    model.classifier.get("cls.b").assign(tf.neg(tf.sum(tf.square(W), 1)));
  });
}

/**
 * Every trainable variable of the baseline: all blocks, the classifier, W_Embed when
 * learnable, and the mixing weights (one optimizer over all of them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { backpropVariables, createMix } from "./backprop.ts";
 * import { createNoPropDT } from "./noprop.ts";
 * await initBackend("cpu");
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 3, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 3, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * const mix = createMix(2);
 * const vars = backpropVariables(model, mix);
 * // Both blocks and the classifier; the one-hot W_Embed is fixed, so it is not among them.
 * const blockVars = model.blocks[0].variables().length;
 * assert.equal(vars.length, 2 * blockVars + 2 + 1);
 * assert.equal(vars.at(-1), mix);
 * ```
 */
export function backpropVariables(model: NoPropDT, mix: tf.Variable): tf.Variable[] {
  return [
    ...model.blocks.flatMap((b) => b.variables()),
    ...model.classifier.variables(),
    ...(model.embedding.trainable ? [model.embedding.W] : []),
    mix,
  ];
}

/**
 * The end-to-end chain (eq. 17–19): classifier logits [N, K] from x [N, H, W, C] and the
 * starting noise z0 [N, d]. `ctxs[t−1]` is block t's forward context (training or eval).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "../backend/mod.ts";
 * import { backpropForward, createMix } from "./backprop.ts";
 * import { evalContext } from "./layers.ts";
 * import { createNoPropDT } from "./noprop.ts";
 * await initBackend("cpu");
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 3, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 3, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * const mix = createMix(2);
 * const x = tf.randomNormal([4, 8, 8, 1]) as tf.Tensor4D;
 * const z0 = tf.randomNormal([4, 3]) as tf.Tensor2D;
 * const ctxs = model.blocks.map(() => evalContext());
 * const logits = backpropForward(model, mix, x, z0, ctxs);
 * assert.deepEqual(logits.shape, [4, 3]);
 * // The chain is differentiable in the mixing weights (gradients cross every block).
 * const chain = (w: tf.Tensor) => tf.sum(backpropForward(model, w as tf.Variable, x, z0, ctxs));
 * assert.deepEqual(tf.grad(chain)(mix).shape, [2]);
 * ```
 */
export function backpropForward(
  model: NoPropDT,
  mix: tf.Variable,
  x: tf.Tensor4D,
  z0: tf.Tensor2D,
  ctxs: ForwardContext[],
): tf.Tensor2D {
  const alpha = tf.tanh(mix);
  let z = z0;
  model.blocks.forEach((block, i) => {
    const a = tf.slice(alpha, [i], [1]);
    const uHat = denoised(blockForward(block, model.spec, x, z, ctxs[i]), model.embedding.W);
    z = tf.add(tf.mul(tf.sub(1, a), z), tf.mul(a, uHat));
  });
  return dense(model.classifier, "cls", z);
}

/**
 * Test accuracy of the baseline (deterministic given z_0, drawn from `seed`), and its
 * confusion counts (rows: true class). The chain of
 * eq. 17–19 is eq. 3 with (a_t, b_t, c_t) = (α_t, 1 − α_t, 0) (`mixCoefficients`), so it runs
 * through the runtime's DT chain (`dtChain`), as the exported model does, with the tfjs blocks
 * as the denoiser (one tidy per block).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { createMix, evaluateBackprop } from "./backprop.ts";
 * import { createNoPropDT } from "./noprop.ts";
 * await initBackend("cpu");
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 3, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 3, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * const batch = { x: new Float32Array(4 * 8 * 8), y: Int32Array.of(0, 1, 2, 0), size: 4 };
 * const { acc, count } = await evaluateBackprop(model, createMix(2), [batch], { seed: 1 });
 * assert.equal(count, 4);
 * assert.ok(acc >= 0 && acc <= 1);
 * ```
 */
export async function evaluateBackprop(
  model: NoPropDT,
  mix: tf.Variable,
  batches: Iterable<{ x: Float32Array; y: Int32Array | Uint8Array; size: number }>,
  opts: { seed: number },
): Promise<{ acc: number; count: number; confusion: Confusion }> {
  const rng = new Rng(opts.seed);
  const schedule = chainSchedule(mixCoefficients(await mix.data()));
  const d = model.embedding.dim, K = model.spec.classes;
  let ok = 0, count = 0;
  const confusion = emptyConfusion(K);
  for (const b of batches) {
    const n = b.size;
    const x = batchImages(b, model.spec);
    const zT = await dtChain({
      schedule,
      size: n * d,
      stochastic: false,
      noise: rng,
      denoise: blockDenoiser(model, x),
    });
    x.dispose();
    const logits = tf.tidy(() => dense(model.classifier, "cls", tf.tensor2d(zT, [n, d])));
    const p = argmaxRows(await logits.data() as Float32Array, K);
    logits.dispose();
    for (let i = 0; i < n; i++) if (p[i] === b.y[i]) ok++;
    countPredictions(confusion, b.y, p, n);
    count += n;
  }
  return { acc: ok / Math.max(1, count), count, confusion };
}
