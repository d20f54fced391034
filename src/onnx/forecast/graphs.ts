/**
 * The ONNX graphs of the NoProp-DT forecaster (`src/model/forecast/noprop.ts`), opset 17.
 * Block t, inputs x̃ [N, L] (the RevIN-normalised window) and z [N, d], output uhat [N, d]:
 *
 *     x → Gemm(x.w, x.b) = b ─┬──────────────────────────────┐
 *     z ─────────────────────┼─ Concat(b, z) → Gemm(fc1) → Relu → Gemm(fc2) ─┐
 *     z → Gemm(z.w, z.b) ─────┴─ Add(b, ·) ─────────────────────────────────── Add → uhat
 *
 * (8 nodes). The decoder of autoencoder mode: z [N, d] → Gemm(dec.w, dec.b) → y [N, H]. Dense
 * weights are tfjs's [in, out], which is Gemm's B without transposition.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forecastBlockGraph } from "./graphs.ts";
 * import { WeightMap } from "../weights.ts";
 * const w = (i: number, o: number) => ({ shape: [i, o], data: new Float32Array(i * o) });
 * const b = (o: number) => ({ shape: [o], data: new Float32Array(o) });
 * const weights = new WeightMap("block_01", {
 *   "x.w": w(6, 2), "x.b": b(2), "z.w": w(2, 2), "z.b": b(2), "fc1.w": w(4, 3), "fc1.b": b(3),
 *   "fc2.w": w(3, 2), "fc2.b": b(2),
 * });
 * const g = forecastBlockGraph({ lookback: 6, latentDim: 2, hidden: 3, weights, name: "block_01" });
 * assert.equal(g.nodeCount, 8);
 * ```
 * @module
 */
import { GraphBuilder } from "../graph.ts";
import type { WeightMap } from "../weights.ts";

function gemm(g: GraphBuilder, w: WeightMap, name: string, x: string, i: number, o: number) {
  return g.node("Gemm", [
    x,
    g.floats(`${name}.w`, w.get(`${name}.w`, [i, o]), [i, o]),
    g.floats(`${name}.b`, w.get(`${name}.b`, [o]), [o]),
  ], { outputs: [g.fresh(name)] });
}

/**
 * Block t's graph (module doc).
 *
 * @example
 * ```ts
 * import type { WeightMap } from "../weights.ts";
 * import { forecastBlockGraph } from "./graphs.ts";
 * const build = (weights: WeightMap) =>
 *   forecastBlockGraph({ lookback: 336, latentDim: 96, hidden: 128, weights, name: "block_01" });
 * ```
 */
export function forecastBlockGraph(o: {
  lookback: number;
  latentDim: number;
  hidden: number;
  weights: WeightMap;
  name: string;
}): GraphBuilder {
  const { lookback: L, latentDim: d, hidden: h, weights: w } = o;
  const g = new GraphBuilder(o.name);
  g.input("x", ["N", L]);
  g.input("z", ["N", d]);
  const base = gemm(g, w, "x", "x", L, d);
  const cat = g.node("Concat", [base, "z"], { outputs: [g.fresh("cat")], attrs: { axis: 1 } });
  const hid = g.node("Relu", [gemm(g, w, "fc1", cat, 2 * d, h)], { outputs: [g.fresh("h")] });
  const mlp = gemm(g, w, "fc2", hid, h, d);
  const lin = g.node("Add", [base, gemm(g, w, "z", "z", d, d)], { outputs: [g.fresh("lin")] });
  g.node("Add", [lin, mlp], { outputs: ["uhat"] });
  g.output("uhat", ["N", d]);
  return g;
}

/**
 * The autoencoder's decoder graph z [N, d] → y [N, H] (module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WeightMap } from "../weights.ts";
 * import { decoderGraph } from "./graphs.ts";
 * const weights = new WeightMap("ae", {
 *   "dec.w": { shape: [2, 3], data: new Float32Array(6) },
 *   "dec.b": { shape: [3], data: new Float32Array(3) },
 * });
 * assert.equal(decoderGraph({ latentDim: 2, horizon: 3, weights }).nodeCount, 1);
 * ```
 */
export function decoderGraph(
  o: { latentDim: number; horizon: number; weights: WeightMap },
): GraphBuilder {
  const g = new GraphBuilder("decoder");
  g.input("z", ["N", o.latentDim]);
  g.node("Gemm", [
    "z",
    g.floats("dec.w", o.weights.get("dec.w", [o.latentDim, o.horizon]), [o.latentDim, o.horizon]),
    g.floats("dec.b", o.weights.get("dec.b", [o.horizon]), [o.horizon]),
  ], { outputs: ["y"] });
  g.output("y", ["N", o.horizon]);
  return g;
}
