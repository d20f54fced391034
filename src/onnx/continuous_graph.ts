/**
 * ONNX graphs of NoProp-CT / NoProp-FM (opset 17):
 *
 * - {@linkcode continuousGraph}: the one network, inputs `x` [N, C, H, W] (NCHW), `z` [N, d] and
 *   `t` [N]; output `uhat` = softmax(logits)·W_Embed (CT) or `vhat` = logits·W_Embed (FM). The
 *   time branch computes the same float32 ops as tfjs: arg = (t·1000)·f, [sin, cos] (64-d).
 *   No BatchNorm; dropout is dropped; conv kernels and the first dense rows are re-laid out as
 *   for the DT blocks (`layout.ts`). With a ResNet backbone (`spec.backbone`) the image conv
 *   stack is the ResNet of `resnet_graph.ts` (no BatchNorm here either) → GlobalAveragePool.
 *   With the prototype embedding (`spec.zAsImage`) z is reshaped to an NCHW image (plus one
 *   Transpose for C > 1) and goes through its own conv stack `z.conv1..3` before `z.fc`, as in
 *   the DT block graph (the paper's stack with `spec.widths`, whatever the image backbone is).
 * - {@linkcode ctScheduleGraph}: the learnable schedule (eq. 65–67), input `t` [M], outputs
 *   `gamma` = γ(t), `alpha` = √ᾱ(t) = √sigmoid(−γ) and `sigma` = √(1 − ᾱ(t)) = √sigmoid(γ), so a
 *   runtime can sample on any grid. γ̃(0) and γ̃(1) are folded into constants (float64):
 *   γ(t) = γ_1 + B·(γ̃(t) − γ̃(0)), B = −(γ_1 − γ_0)/(γ̃(1) − γ̃(0)).
 *
 * `deno task export` calls them for a ct/fm run (`export_continuous.ts`);
 * `tests/onnx/continuous_parity_test.ts` proves they match tfjs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectEngine } from "@noprop/infer";
 * import { initBackend } from "../backend/mod.ts";
 * import { continuousSpec, createContinuousNet } from "../model/continuous.ts";
 * import { Rng } from "../rng.ts";
 * import { continuousGraph } from "./continuous_graph.ts";
 * import { WeightMap } from "./weights.ts";
 * await initBackend("cpu");
 * const spec = continuousSpec({
 *   height: 8, width: 8, channels: 1, classes: 3, embedDim: 3, widths: [2, 2, 2], hidden: 8,
 * });
 * const weights = new WeightMap("net", await createContinuousNet(spec, new Rng(0)).toArrays());
 * const embed = { shape: [3, 3], data: Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1) };
 * const bytes = continuousGraph({ variant: "fm", spec, weights, embed, name: "net" }).encode();
 * const { engine } = await selectEngine("cpu", { threads: 1 });
 * const session = await engine.open(bytes, "network.onnx");
 * const { vhat } = await session.run({
 *   x: { data: new Float32Array(64), dims: [1, 1, 8, 8] },
 *   z: { data: new Float32Array(3), dims: [1, 3] },
 *   t: { data: Float32Array.of(0.5), dims: [1] },
 * });
 * assert.equal(vhat.length, 3); // FM: the velocity v̂ [N, d]
 * await session.release();
 * ```
 * @module
 */
import type { ContinuousSpec } from "../model/continuous.ts";
import { TIME_EMBED_DIM, TIME_SCALE, timeFrequencies } from "../model/time_frequencies.ts";
import type { CtScheduleValues } from "../model/ct_schedule_values.ts";
import { backboneOf, type ResNetPlan, resnetPlan } from "../model/backbone.ts";
import { convStack, isIdentity, zAsImage } from "./block_graph.ts";
import { GraphBuilder } from "./graph.ts";
import { trainedLayers } from "./layer_source.ts";
import { resnetGraph } from "./resnet_graph.ts";
import { nhwcRowsToNchw } from "./layout.ts";
import type { NamedTensor, WeightMap } from "./weights.ts";

/** Inputs of {@linkcode continuousGraph}. */
export interface ContinuousGraphOptions {
  /** `ct` (û output) or `fm` (v̂ output). */
  variant: "ct" | "fm";
  /** Network shapes. */
  spec: ContinuousSpec;
  /** The network's weights, names without the `net.` prefix. */
  weights: WeightMap;
  /** W_Embed [classes, d]. */
  embed: NamedTensor;
  /** Graph name. */
  name: string;
}

function gemm(
  g: GraphBuilder,
  x: string,
  w: Float32Array,
  b: Float32Array,
  dims: number[],
  tag: string,
) {
  return g.node("Gemm", [x, g.floats(`${tag}.w`, w, dims), g.floats(`${tag}.b`, b, [dims[1]])], {
    outputs: [g.fresh(tag)],
  });
}

function relu(g: GraphBuilder, x: string): string {
  return g.node("Relu", [x]);
}

/** The paper's image branch: the DT conv stack (no BatchNorm), flatten, FC → ReLU. */
function paperImageBranch(g: GraphBuilder, w: WeightMap, s: ContinuousSpec, x: string): string {
  const H = s.hidden;
  const fh = Math.floor(s.height / 4), fw = Math.floor(s.width / 4), fc = s.widths[2];
  const flat = fh * fw * fc;
  const imgW = nhwcRowsToNchw(w.get("img.fc.w", [flat, H]), fh, fw, fc, H);
  const imgFlat = convStack(g, trainedLayers(w), "img", x, s);
  return relu(g, gemm(g, imgFlat, imgW, w.get("img.fc.b", [H]), [flat, H], "img.fc"));
}

/** The ResNet image branch (no BatchNorm): pooled features, FC → ReLU. */
function resnetImageBranch(
  g: GraphBuilder,
  w: WeightMap,
  s: ContinuousSpec,
  x: string,
  plan: ResNetPlan,
): string {
  const H = s.hidden, F = plan.outCh;
  const feat = resnetGraph(g, trainedLayers(w), plan, x);
  return relu(
    g,
    gemm(g, feat, w.get("img.fc.w", [F, H]), w.get("img.fc.b", [H]), [F, H], "img.fc"),
  );
}

/**
 * Builds the network graph (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { continuousSpec, createContinuousNet } from "../model/continuous.ts";
 * import { Rng } from "../rng.ts";
 * import { continuousGraph } from "./continuous_graph.ts";
 * import { WeightMap } from "./weights.ts";
 * await initBackend("cpu");
 * const spec = continuousSpec({
 *   height: 8, width: 8, channels: 1, classes: 2, embedDim: 2, widths: [2, 2, 2], hidden: 8,
 * });
 * const g = continuousGraph({
 *   variant: "ct", spec, name: "net",
 *   weights: new WeightMap("net", await createContinuousNet(spec, new Rng(0)).toArrays()),
 *   embed: { shape: [2, 2], data: Float32Array.of(1, 0, 0, 1) },
 * });
 * assert.ok(g.opTypes().includes("Sin") && g.opTypes().includes("Cos")); // the time embedding
 * assert.equal(g.opTypes().at(-2), "Softmax"); // CT: û = softmax(logits), W_Embed = I
 * // Prototype embedding (d = 8·8·1): z is an image with its own three convolutions.
 * const proto = continuousSpec({ ...spec, embedDim: 64, zAsImage: true });
 * const gp = continuousGraph({
 *   variant: "fm", spec: proto, name: "net",
 *   weights: new WeightMap("net", await createContinuousNet(proto, new Rng(0)).toArrays()),
 *   embed: { shape: [2, 64], data: new Float32Array(128).fill(0.5) },
 * });
 * assert.equal(gp.opTypes().filter((op) => op === "Conv").length, 6);
 * ```
 */
export function continuousGraph(o: ContinuousGraphOptions): GraphBuilder {
  const { spec: s, weights: w, embed } = o;
  const H = s.hidden, d = s.embedDim, K = s.classes;
  if (embed.shape.join(",") !== `${K},${d}`) {
    throw new Error(`weights: "embed.W" has shape [${embed.shape}], expected [${K},${d}]`);
  }
  const g = new GraphBuilder(o.name);
  const x = g.input("x", ["N", s.channels, s.height, s.width]);
  const z = g.input("z", ["N", d]);
  const t = g.input("t", ["N"]);
  const choice = backboneOf(s);
  const img = choice.backbone === "paper"
    ? paperImageBranch(g, w, s, x)
    : resnetImageBranch(g, w, s, x, resnetPlan(choice, s.channels, false));
  // z branch; with the prototype embedding z is an image with its own (paper) conv stack.
  let zf: string;
  if (s.zAsImage) {
    const fh = Math.floor(s.height / 4), fw = Math.floor(s.width / 4), fc = s.widths[2];
    const flat = fh * fw * fc;
    const zFlat = convStack(g, trainedLayers(w), "z", zAsImage(g, z, s), s);
    const zW = nhwcRowsToNchw(w.get("z.fc.w", [flat, H]), fh, fw, fc, H);
    zf = relu(g, gemm(g, zFlat, zW, w.get("z.fc.b", [H]), [flat, H], "z.fc"));
  } else {
    zf = relu(g, gemm(g, z, w.get("z.fc.w", [d, H]), w.get("z.fc.b", [H]), [d, H], "z.fc"));
  }
  // Time branch: [sin, cos]((t·1000)·f) → FC → ReLU.
  const ts = g.node("Mul", [t, g.floats("time.scale", Float32Array.of(TIME_SCALE), [1])]);
  const col = g.node("Reshape", [ts, g.int64s("time.col", [-1, 1])]);
  const arg = g.node("Mul", [col, g.floats("time.freq", timeFrequencies(), [TIME_EMBED_DIM / 2])]);
  const emb = g.node("Concat", [g.node("Sin", [arg]), g.node("Cos", [arg])], {
    attrs: { axis: 1 },
  });
  const tw = w.get("time.fc.w", [TIME_EMBED_DIM, H]);
  const tf_ = relu(g, gemm(g, emb, tw, w.get("time.fc.b", [H]), [TIME_EMBED_DIM, H], "time.fc"));
  // Head.
  const cat = g.node("Concat", [img, zf, tf_], { attrs: { axis: 1 } });
  const o1 = relu(
    g,
    gemm(g, cat, w.get("head.fc1.w", [3 * H, H]), w.get("head.fc1.b", [H]), [3 * H, H], "head.fc1"),
  );
  const o2 = relu(
    g,
    gemm(
      g,
      o1,
      w.get("head.fc2.w", [H, H / 2]),
      w.get("head.fc2.b", [H / 2]),
      [H, H / 2],
      "head.fc2",
    ),
  );
  const logits = gemm(
    g,
    o2,
    w.get("head.fc3.w", [H / 2, K]),
    w.get("head.fc3.b", [K]),
    [H / 2, K],
    "head.fc3",
  );
  const out = o.variant === "ct" ? "uhat" : "vhat";
  const pre = o.variant === "ct" ? g.node("Softmax", [logits], { attrs: { axis: 1 } }) : logits;
  if (isIdentity(embed)) g.node("Identity", [pre], { outputs: [out] });
  else g.node("MatMul", [pre, g.floats("embed.W", embed.data, [K, d])], { outputs: [out] });
  g.output(out, ["N", d]);
  return g;
}

/**
 * Builds the CT schedule graph t [M] → gamma, alpha, sigma [M] (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectEngine } from "@noprop/infer";
 * import { ctScheduleGraph } from "./continuous_graph.ts";
 * const g = ctScheduleGraph({
 *   a: Float64Array.of(1), b: Float64Array.of(0), c: Float64Array.of(1), gamma0: -5, gamma1: 5,
 * });
 * const { engine } = await selectEngine("cpu", { threads: 1 });
 * const session = await engine.open(g.encode(), "schedule.onnx");
 * const t = { data: Float32Array.of(0, 1), dims: [2] };
 * const { gamma, alpha, sigma } = await session.run({ t });
 * // γ(0) = γ_1 and γ(1) = γ_0: ᾱ = sigmoid(−γ) grows from noise at t = 0 to the label at t = 1.
 * assert.ok(Math.abs(gamma[0] - 5) < 1e-5 && Math.abs(gamma[1] + 5) < 1e-5);
 * assert.ok(Math.abs(alpha[1] ** 2 + sigma[1] ** 2 - 1) < 1e-6); // ᾱ + (1 − ᾱ) = 1
 * await session.release();
 * ```
 */
export function ctScheduleGraph(v: CtScheduleValues): GraphBuilder {
  const Hn = v.a.length;
  const tilde = (x: number) => {
    let s = 0;
    for (let j = 0; j < Hn; j++) s += v.c[j] / (1 + Math.exp(-(v.a[j] * x + v.b[j])));
    return s;
  };
  const t0 = tilde(0), B = -(v.gamma1 - v.gamma0) / (tilde(1) - t0);
  const g = new GraphBuilder("ct_schedule");
  const t = g.input("t", ["M"]);
  const col = g.node("Reshape", [t, g.int64s("col", [-1, 1])]);
  const pre = g.node("Add", [
    g.node("Mul", [col, g.floats("a", Float32Array.from(v.a), [Hn])]),
    g.floats("b", Float32Array.from(v.b), [Hn]),
  ]);
  const mixed = g.node("MatMul", [
    g.node("Sigmoid", [pre]),
    g.floats("c", Float32Array.from(v.c), [Hn, 1]),
  ]);
  const gt = g.node("Reshape", [mixed, g.int64s("flat", [-1])]);
  g.node("Add", [
    g.node("Mul", [gt, g.floats("B", Float32Array.of(B), [1])]),
    g.floats("A", Float32Array.of(v.gamma1 - B * t0), [1]),
  ], { outputs: ["gamma"] });
  g.node("Sqrt", [g.node("Sigmoid", [g.node("Neg", ["gamma"])])], { outputs: ["alpha"] });
  g.node("Sqrt", [g.node("Sigmoid", ["gamma"])], { outputs: ["sigma"] });
  for (const n of ["gamma", "alpha", "sigma"]) g.output(n, ["M"]);
  return g;
}

/**
 * FM's "classifier": logits_k = −‖z − u_k‖² (the nearest embedding has the largest logit),
 * input `z` [N, d], output `logits` [N, K].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectEngine } from "@noprop/infer";
 * import { nearestEmbeddingGraph } from "./continuous_graph.ts";
 * const g = nearestEmbeddingGraph({ shape: [2, 2], data: new Float32Array([1, 0, 0, 1]) });
 * const { engine } = await selectEngine("cpu", { threads: 1 });
 * const session = await engine.open(g.encode(), "classifier.onnx");
 * const { logits } = await session.run({ z: { data: Float32Array.of(1, 0), dims: [1, 2] } });
 * assert.deepEqual(logits, Float32Array.of(0, -2)); // −‖z − u_k‖²: class 0 is nearest
 * await session.release();
 * ```
 */
export function nearestEmbeddingGraph(embed: NamedTensor): GraphBuilder {
  const [K, d] = embed.shape;
  const wt = new Float32Array(d * K), ww = new Float32Array(K);
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < d; j++) {
      const v = embed.data[k * d + j];
      wt[j * K + k] = v;
      ww[k] += v * v;
    }
  }
  const g = new GraphBuilder("classifier");
  const z = g.input("z", ["N", d]);
  const cross = g.node("MatMul", [z, g.floats("embed.WT", wt, [d, K])]);
  const zz = g.node("ReduceSumSquare", [z], { attrs: { axes: [1], keepdims: 1 } });
  const twice = g.node("Mul", [cross, g.floats("two", Float32Array.of(2), [1])]);
  g.node("Sub", [g.node("Sub", [twice, zz]), g.floats("embed.sq", ww, [K])], {
    outputs: ["logits"],
  });
  g.output("logits", ["N", K]);
  return g;
}
