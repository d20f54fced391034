/**
 * Label embeddings W_Embed ∈ R^{classes×d} and the block output û = softmax(logits)·W_Embed.
 *
 * - `onehot`: W = I (d = classes), fixed.
 * - `learned`: d configurable; orthogonal rows when d ≥ classes (Gram–Schmidt on Gaussian rows),
 *   otherwise Gaussian rows scaled to unit norm (same norm as one-hot rows); trained.
 * - `prototype`: d = image size H·W·C; row y is the (normalised, NHWC-flattened) training image
 *   of class y with the smallest median distance to the other images of its class; trained.
 *   Deviation, for speed: the medians are computed over at most `maxCandidates` images per class
 *   (default 512, drawn with the seeded RNG) instead of all of them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, readTensor } from "../backend/mod.ts";
 * import { oneHotEmbedding } from "./embedding.ts";
 * await initBackend("cpu");
 * const e = oneHotEmbedding(3);
 * assert.equal(e.dim, 3);
 * assert.equal(e.trainable, false);
 * assert.deepEqual(await readTensor(e.W), Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1)); // I_3
 * ```
 * @module
 */
import { tf } from "../deps_tf.ts";
import type { Rng } from "../rng.ts";

/** Kinds of label embedding. */
export type EmbeddingKind = "onehot" | "learned" | "prototype";

/** A label embedding: W [classes, d]. */
export interface Embedding {
  /** Kind. */
  kind: EmbeddingKind;
  /** W_Embed [classes, d] (a variable; trainable unless one-hot). */
  W: tf.Variable;
  /** Dimension d. */
  dim: number;
  /** Whether W is updated by training. */
  trainable: boolean;
}

/**
 * What the prototype embedding is chosen from: the normalised, NHWC-flattened training images
 * (`features`, [n, H·W·C]) and their labels.
 *
 * @example
 * ```ts
 * import type { PrototypeData } from "./embedding.ts";
 * const data: PrototypeData = { features: new Float32Array(2 * 4), labels: Uint8Array.of(0, 1) };
 * ```
 */
export interface PrototypeData {
  /** Normalised NHWC-flattened training images, [n, d] row-major. */
  features: Float32Array;
  /** Their class labels. */
  labels: Uint8Array | Int32Array;
}

/**
 * The fixed one-hot embedding W = I.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { oneHotEmbedding } from "./embedding.ts";
 * await initBackend("cpu");
 * assert.deepEqual(oneHotEmbedding(3).W.shape, [3, 3]);
 * ```
 */
export function oneHotEmbedding(classes: number): Embedding {
  const W = tf.tidy(() => tf.variable(tf.eye(classes), false));
  return { kind: "onehot", W, dim: classes, trainable: false };
}

/**
 * Row-orthonormal (d ≥ classes) or unit-norm Gaussian (d < classes) matrix [classes, d].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { learnedInit } from "./embedding.ts";
 * import { Rng } from "../rng.ts";
 * const rows = learnedInit(10, 20, new Rng(0));
 * assert.equal(rows.length, 10 * 20);
 * assert.deepEqual(learnedInit(10, 20, new Rng(0)), rows); // seeded
 * ```
 */
export function learnedInit(classes: number, d: number, rng: Rng): Float32Array {
  const W = new Float64Array(classes * d);
  for (let i = 0; i < W.length; i++) W[i] = rng.normal();
  for (let r = 0; r < classes; r++) {
    const row = W.subarray(r * d, (r + 1) * d);
    if (d >= classes) { // Gram–Schmidt against previous rows
      for (let q = 0; q < r; q++) {
        const prev = W.subarray(q * d, (q + 1) * d);
        let dot = 0;
        for (let i = 0; i < d; i++) dot += row[i] * prev[i];
        for (let i = 0; i < d; i++) row[i] -= dot * prev[i];
      }
    }
    let n = 0;
    for (let i = 0; i < d; i++) n += row[i] * row[i];
    n = Math.sqrt(n);
    for (let i = 0; i < d; i++) row[i] /= n;
  }
  return Float32Array.from(W);
}

/**
 * A learned embedding with {@linkcode learnedInit}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { learnedEmbedding } from "./embedding.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * const e = learnedEmbedding(10, 20, new Rng(0));
 * assert.equal(e.trainable, true);
 * assert.deepEqual(e.W.shape, [10, 20]);
 * ```
 */
export function learnedEmbedding(classes: number, d: number, rng: Rng): Embedding {
  const W = tf.tidy(() =>
    tf.variable(tf.tensor2d(learnedInit(classes, d, rng), [classes, d]), true)
  );
  return { kind: "learned", W, dim: d, trainable: true };
}

/**
 * Prototype rows: per class, the image (of `features`, normalised and flattened, [n, d]) with
 * the smallest median Euclidean distance to the other images of that class.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { prototypeRows } from "./embedding.ts";
 * import { Rng } from "../rng.ts";
 * const f = new Float32Array([0, 0, 1, 1, 9, 9, 5, 5]); // 4 images, d = 2
 * const rows = prototypeRows(f, 2, new Uint8Array([0, 0, 0, 1]), 2, new Rng(0));
 * assert.deepEqual(rows, Float32Array.of(1, 1, 5, 5)); // class 0: [1, 1] is the most central
 * ```
 */
export function prototypeRows(
  features: Float32Array,
  d: number,
  labels: Uint8Array | Int32Array,
  classes: number,
  rng: Rng,
  maxCandidates = 512,
): Float32Array {
  const out = new Float32Array(classes * d);
  for (let c = 0; c < classes; c++) {
    let idx: number[] = [];
    for (let i = 0; i < labels.length; i++) if (labels[i] === c) idx.push(i);
    if (idx.length === 0) throw new Error(`prototype embedding: class ${c} has no training image`);
    if (idx.length > maxCandidates) {
      idx = Array.from(rng.shuffle(Int32Array.from(idx))).slice(0, maxCandidates);
    }
    let best = idx[0], bestMed = Infinity;
    const dists = new Float64Array(Math.max(0, idx.length - 1));
    for (const i of idx) {
      let k = 0;
      for (const j of idx) {
        if (j === i) continue;
        let s = 0;
        for (let q = 0; q < d; q++) {
          const diff = features[i * d + q] - features[j * d + q];
          s += diff * diff;
        }
        dists[k++] = Math.sqrt(s);
      }
      dists.sort();
      const m = dists.length === 0
        ? 0
        : dists.length % 2
        ? dists[(dists.length - 1) / 2]
        : (dists[dists.length / 2 - 1] + dists[dists.length / 2]) / 2;
      if (m < bestMed) bestMed = m, best = i;
    }
    out.set(features.subarray(best * d, (best + 1) * d), c * d);
  }
  return out;
}

/**
 * A prototype embedding from {@linkcode prototypeRows}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, readTensor } from "../backend/mod.ts";
 * import { prototypeEmbedding } from "./embedding.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * const features = new Float32Array([0, 1, 2, 3]); // 2 images, d = 2
 * const e = prototypeEmbedding(features, 2, new Uint8Array([0, 1]), 2, new Rng(0));
 * assert.equal(e.dim, 2);
 * assert.deepEqual(await readTensor(e.W), features); // one image per class: itself
 * ```
 */
export function prototypeEmbedding(
  features: Float32Array,
  d: number,
  labels: Uint8Array | Int32Array,
  classes: number,
  rng: Rng,
): Embedding {
  const rows = prototypeRows(features, d, labels, classes, rng);
  return {
    kind: "prototype",
    W: tf.tidy(() => tf.variable(tf.tensor2d(rows, [classes, d]), true)),
    dim: d,
    trainable: true,
  };
}

/**
 * û = softmax(logits)·W_Embed: a convex combination of class embeddings.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend, readTensor } from "../backend/mod.ts";
 * import { denoised, oneHotEmbedding } from "./embedding.ts";
 * await initBackend("cpu");
 * const uHat = denoised(tf.zeros([1, 4]), oneHotEmbedding(4).W);
 * assert.deepEqual(await readTensor(uHat), Float32Array.of(0.25, 0.25, 0.25, 0.25));
 * ```
 */
export function denoised(logits: tf.Tensor2D, W: tf.Tensor): tf.Tensor2D {
  return tf.matMul(tf.softmax(logits), W as tf.Tensor2D);
}
