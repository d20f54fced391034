/**
 * From logits to results: softmax per image (`softmaxRows`, float64) and the top-k classes,
 * best first. Shared by `Classifier.classify` and `classifyStream`.
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
import { type Classification, softmaxRows } from "./classifier.ts";

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
