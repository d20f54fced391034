/**
 * The linear classifier on z_T as an ONNX graph: input `z` [N, d], output
 * `logits` [N, classes] = z·cls.w + cls.b (one Gemm).
 *
 * @example
 * ```ts
 * import { classifierGraph } from "./classifier_graph.ts";
 * import { WeightMap } from "./weights.ts";
 * const w = new WeightMap("cls", {
 *   w: { shape: [2, 3], data: new Float32Array(6) },
 *   b: { shape: [3], data: new Float32Array(3) },
 * });
 * const bytes = classifierGraph(w, 2, 3).encode();
 * ```
 * @module
 */
import { GraphBuilder } from "./graph.ts";
import type { WeightMap } from "./weights.ts";

/**
 * Builds the classifier graph from `cls.w` [d, classes] and `cls.b` [classes].
 *
 * @example
 * ```ts
 * import { classifierGraph } from "./classifier_graph.ts";
 * // classifierGraph(WeightMap.withPrefix(tensors, "cls"), 10, 10).encode()
 * ```
 */
export function classifierGraph(w: WeightMap, d: number, classes: number): GraphBuilder {
  const g = new GraphBuilder("classifier");
  const z = g.input("z", ["N", d]);
  g.node("Gemm", [
    z,
    g.floats("cls.w", w.get("w", [d, classes]), [d, classes]),
    g.floats(
      "cls.b",
      w.get("b", [classes]),
      [classes],
    ),
  ], { outputs: ["logits"] });
  g.output("logits", ["N", classes]);
  return g;
}
