/**
 * From logits to results: softmax per image (`softmaxRows`, float64) and the top-k classes,
 * best first, as {@linkcode Classification}s. Shared by `Classifier.classify` and
 * `classifyStream`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rankLogits } from "./rank.ts";
 * const [r] = rankLogits(Float32Array.of(0, 2, 1), ["cat", "dog", "fox"], 2);
 * assert.deepEqual([r.label, r.top.map((t) => t.label)], ["dog", ["dog", "fox"]]);
 * ```
 * @module
 */
/**
 * One class and its probability.
 *
 * @example
 * ```ts
 * import type { Prediction } from "./rank.ts";
 * const p: Prediction = { index: 7, label: "7", probability: 0.98 };
 * ```
 */
export interface Prediction {
  /** Class index. */
  index: number;
  /** Class name. */
  label: string;
  /** Probability (softmax of the classifier's logits). */
  probability: number;
}

/**
 * The result for one image.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Classification } from "./rank.ts";
 * function show(r: Classification) {
 *   return `${r.label} ${r.probability.toFixed(3)} (top: ${r.top.map((t) => t.label).join(", ")})`;
 * }
 * const seven = { index: 7, label: "7", probability: 0.98 };
 * const one = { index: 1, label: "1", probability: 0.01 };
 * const r: Classification = { ...seven, top: [seven, one], probabilities: new Float32Array(10) };
 * assert.equal(show(r), "7 0.980 (top: 7, 1)");
 * ```
 */
export interface Classification extends Prediction {
  /** The `top` most probable classes, best first. */
  top: Prediction[];
  /** Every class's probability. */
  probabilities: Float32Array;
}

/**
 * Softmax in float64 over each row of `logits` [n × k].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { softmaxRows } from "./rank.ts";
 * assert.deepEqual(softmaxRows(new Float32Array([0, 0]), 2), Float32Array.of(0.5, 0.5));
 * const p = softmaxRows(new Float32Array([1000, 0, 0, 0]), 2); // no overflow
 * assert.deepEqual(p, Float32Array.of(1, 0, 0.5, 0.5));
 * ```
 */
export function softmaxRows(logits: Float32Array, k: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length / k; r++) {
    let m = -Infinity, s = 0;
    for (let j = 0; j < k; j++) m = Math.max(m, logits[r * k + j]);
    for (let j = 0; j < k; j++) s += Math.exp(logits[r * k + j] - m);
    for (let j = 0; j < k; j++) out[r * k + j] = Math.exp(logits[r * k + j] - m) / s;
  }
  return out;
}

/**
 * Ranks each row of `logits` [n × classNames.length]: every class's probability and the
 * `top` most probable classes (at most all of them), best first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rankLogits } from "./rank.ts";
 * const r = rankLogits(Float32Array.of(0, 0, 5, 0), ["a", "b"], 5); // two images, two classes
 * assert.deepEqual(r.map((x) => x.label), ["a", "a"]); // a tie keeps class order
 * assert.equal(r[1].top.length, 2);
 * assert.ok(r[1].probability > 0.99);
 * ```
 */
export function rankLogits(
  logits: Float32Array,
  classNames: readonly string[],
  top: number,
): Classification[] {
  const K = classNames.length, k = Math.min(top, K);
  const p = softmaxRows(logits, K);
  return Array.from({ length: logits.length / K }, (_, i) => {
    const probabilities = p.slice(i * K, (i + 1) * K);
    const order = Array.from(probabilities.keys()).sort((a, b) =>
      probabilities[b] - probabilities[a]
    );
    const ranked = order.slice(0, k).map((index) => ({
      index,
      label: classNames[index],
      probability: probabilities[index],
    }));
    return { ...ranked[0], top: ranked, probabilities };
  });
}
