/**
 * The linear classifier on z_T as an ONNX graph: input `z` [N, d], output
 * `logits` [N, classes] = z·cls.w + cls.b (one Gemm).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectEngine } from "@noprop/infer";
 * import { classifierGraph } from "./classifier_graph.ts";
 * import { WeightMap } from "./weights.ts";
 * const w = new WeightMap("cls", {
 *   w: { shape: [2, 3], data: Float32Array.of(1, 0, 0, 0, 1, 0) },
 *   b: { shape: [3], data: Float32Array.of(0, 0, 0.5) },
 * });
 * const bytes = classifierGraph(w, 2, 3).encode();
 * const { engine } = await selectEngine("cpu", { threads: 1 });
 * const session = await engine.open(bytes, "classifier.onnx");
 * const { logits } = await session.run({ z: { data: Float32Array.of(2, 3), dims: [1, 2] } });
 * assert.deepEqual(logits, Float32Array.of(2, 3, 0.5)); // z·w + b
 * await session.release();
 * ```
 * @module
 */
import { GraphBuilder } from "./graph.ts";
import type { LayerTensors } from "./layer_source.ts";
import type { WeightMap } from "./weights.ts";

/**
 * The classifier's tensors from its weights (`w` [d, classes], `b` [classes] of the `cls`
 * group); initializer names `cls.w`, `cls.b`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classifierLayer } from "./classifier_graph.ts";
 * import { WeightMap } from "./weights.ts";
 * const w = new WeightMap("cls", {
 *   w: { shape: [2, 1], data: Float32Array.of(1, 2) },
 *   b: { shape: [1], data: Float32Array.of(0) },
 * });
 * assert.equal(classifierLayer(w, 2, 1).tag, "cls");
 * ```
 */
export function classifierLayer(w: WeightMap, d: number, classes: number): LayerTensors {
  return { tag: "cls", w: w.get("w", [d, classes]), b: w.get("b", [classes]) };
}

/**
 * Adds the classifier (one Gemm: z·w + b) on `z` [N, d] to `g`; the output is named `out`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addClassifier } from "./classifier_graph.ts";
 * import { GraphBuilder } from "./graph.ts";
 * const g = new GraphBuilder("c");
 * const layer = { tag: "cls", w: new Float32Array(6), b: new Float32Array(3) };
 * addClassifier(g, layer, g.input("z", ["N", 2]), "logits");
 * assert.deepEqual(g.opTypes(), ["Gemm"]);
 * ```
 */
export function addClassifier(
  g: GraphBuilder,
  layer: LayerTensors,
  z: string,
  out: string,
): string {
  const K = layer.b.length, d = layer.w.length / K;
  return g.node("Gemm", [
    z,
    g.floats(`${layer.tag}.w`, layer.w, [d, K]),
    g.floats(`${layer.tag}.b`, layer.b, [K]),
  ], { outputs: [out] });
}

/**
 * Builds the classifier graph from `cls.w` [d, classes] and `cls.b` [classes].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classifierGraph } from "./classifier_graph.ts";
 * import { WeightMap } from "./weights.ts";
 * const tensors = {
 *   "cls.w": { shape: [10, 10], data: new Float32Array(100) },
 *   "cls.b": { shape: [10], data: new Float32Array(10) },
 * };
 * const w = WeightMap.withPrefix(tensors, "cls");
 * assert.deepEqual(classifierGraph(w, 10, 10).opTypes(), ["Gemm"]);
 * assert.throws(() => classifierGraph(w, 10, 3), /"cls\.w" has shape \[10,10\], expected/);
 * ```
 */
export function classifierGraph(w: WeightMap, d: number, classes: number): GraphBuilder {
  const g = new GraphBuilder("classifier");
  addClassifier(g, classifierLayer(w, d, classes), g.input("z", ["N", d]), "logits");
  g.output("logits", ["N", classes]);
  return g;
}
