/**
 * The ResNet image backbone (`src/model/backbone.ts`) as ONNX nodes, for the DT block graph and
 * the CT/FM network graph: input an NCHW image, output the globally average-pooled features
 * [N, plan.outCh]. Every BatchNorm (DT) is folded into the convolution before it with its
 * running statistics, s = γ/√(var + ε): w' = w·s (per output channel), b' = (b − mean)·s + β
 * (`foldBatchNorm` of `layout.ts`, applied by `layer_source.ts`; the tfjs kernel layout
 * [kh, kw, in, out] keeps the output channel last, as a dense weight's), so the graph holds no
 * BatchNormalization node:
 *
 *     x → Conv(stem⊙bn) → Relu → [Conv⊙bn → Relu → … → Conv⊙bn] + (x | Conv(short⊙bn)) → Relu → …
 *       → GlobalAveragePool → Flatten
 *
 * Convs use PyTorch's symmetric padding (k − 1)/2, as the trainer does (`paddedConv`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resnetPlan } from "../model/backbone.ts";
 * import { GraphBuilder } from "./graph.ts";
 * import { trainedLayers } from "./layer_source.ts";
 * import { resnetGraph } from "./resnet_graph.ts";
 * import { WeightMap } from "./weights.ts";
 * const plan = resnetPlan({ backbone: "resnet18", backboneWidth: 1 / 64 }, 1, true);
 * // Weights as a run file holds them (here: zeros, BN γ = 1, var = 1).
 * const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
 * for (const c of plan.convs) {
 *   const shape = [c.k, c.k, c.inCh, c.outCh];
 *   tensors[`${c.name}.w`] = { shape, data: new Float32Array(c.k * c.k * c.inCh * c.outCh) };
 *   tensors[`${c.name}.b`] = { shape: [c.outCh], data: new Float32Array(c.outCh) };
 *   for (const s of ["gamma", "beta", "mean", "var"]) {
 *     const fill = s === "gamma" || s === "var" ? 1 : 0;
 *     tensors[`${c.bn}.${s}`] = { shape: [c.outCh], data: new Float32Array(c.outCh).fill(fill) };
 *   }
 * }
 * const g = new GraphBuilder("backbone");
 * g.input("x", ["N", 1, 8, 8]);
 * resnetGraph(g, trainedLayers(new WeightMap("block_01", tensors)), plan, "x");
 * assert.equal(g.opTypes().filter((op) => op === "Conv").length, plan.convs.length);
 * assert.ok(!g.opTypes().includes("BatchNormalization")); // folded
 * assert.equal(g.opTypes().at(-1), "Flatten");
 * ```
 * @module
 */
import type { ResConv, ResNetPlan } from "../model/backbone.ts";
import type { GraphBuilder } from "./graph.ts";
import type { LayerSource } from "./layer_source.ts";

/** One conv of the plan; `grouped`: its input holds `src.copies` blocks' channels side by side. */
function conv(g: GraphBuilder, src: LayerSource, c: ResConv, x: string, grouped: boolean): string {
  const T = src.copies;
  const { tag, w, b } = src.conv(c.name, c.bn, c.k, c.inCh, c.outCh);
  const pad = (c.k - 1) / 2;
  return g.node("Conv", [
    x,
    g.floats(`${tag}.w`, w, [T * c.outCh, c.inCh, c.k, c.k]),
    g.floats(`${tag}.b`, b, [T * c.outCh]),
  ], {
    outputs: [g.fresh(c.name)],
    attrs: {
      kernel_shape: [c.k, c.k],
      pads: [pad, pad, pad, pad],
      strides: [c.stride, c.stride],
      ...(grouped && T > 1 ? { group: T } : {}),
    },
  });
}

/**
 * Appends the backbone's nodes to `g`, reading the layers named in `plan` from `src`; returns
 * the name of the pooled features [N, plan.outCh] (see the module doc). With a stacked source
 * (`src.copies` = T) it computes T blocks' backbones at once: the stem reads the shared `x` and
 * writes T·stem channels, every later conv is grouped (ONNX Conv `group` = T); the features are
 * [N, T·plan.outCh], block t's at columns t·outCh ….
 */
export function resnetGraph(
  g: GraphBuilder,
  src: LayerSource,
  plan: ResNetPlan,
  x: string,
): string {
  let h = g.node("Relu", [conv(g, src, plan.stem, x, false)]);
  for (const u of plan.units) {
    let m = h;
    u.main.forEach((c, i) => {
      m = conv(g, src, c, m, true);
      if (i < u.main.length - 1) m = g.node("Relu", [m]);
    });
    const short = u.shortcut ? conv(g, src, u.shortcut, h, true) : h;
    h = g.node("Relu", [g.node("Add", [m, short], { outputs: [g.fresh(`${u.name}.add`)] })]);
  }
  const pooled = g.node("GlobalAveragePool", [h], { outputs: [g.fresh("img.res.pool")] });
  return g.node("Flatten", [pooled], { outputs: [g.fresh("img.res.flat")], attrs: { axis: 1 } });
}
