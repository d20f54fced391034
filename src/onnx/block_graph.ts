/**
 * One NoProp-DT denoising block as an ONNX graph: inputs `x` [N, C, H, W] (normalised
 * image, NCHW) and `z` [N, d] (the noisy label embedding z_{t−1}), output `uhat` [N, d] =
 * softmax(block logits)·W_Embed — the runtime only ever sees û.
 *
 * Node structure (inference mode: dropout is gone, BatchNorm uses running statistics and is
 * folded into the Gemm before it; see `layout.ts`):
 *
 *     x → Conv → Relu → MaxPool → Conv → Relu → Conv → Relu → MaxPool → Flatten → Gemm(img.fc⊙bn) ─┐
 *     z → Gemm(lab.fc1⊙bn1) → Relu = h → Gemm(fc2⊙bn2) → Relu → Gemm(fc3⊙bn3) → Add(h) ──────────────┤
 *     Concat → Gemm(head.fc1⊙bn1) → Relu → Gemm(head.fc2⊙bn2) → Relu → Gemm(head.fc3) → Softmax → MatMul(W_Embed) → uhat
 *
 * With a ResNet backbone (`spec.backbone`) the image conv stack is replaced by the ResNet of
 * `resnet_graph.ts` (its BatchNorms folded into its convs) ending in GlobalAveragePool → Flatten,
 * and `Gemm(img.fc⊙bn)` follows as above (the pooled features need no row permutation).
 *
 * The img.fc (and, for the prototype embedding, lab.fc1) rows are permuted to NCHW flatten
 * order, so no Transpose is needed. With the one-hot embedding W_Embed = I and the MatMul is
 * left out. With the prototype embedding (z is an NHWC-flattened image) z is reshaped to an
 * image and goes through its own conv stack; for C > 1 that needs one Transpose
 * (NHWC → NCHW) of z.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectEngine } from "@noprop/infer";
 * import { initBackend } from "../backend/mod.ts";
 * import { blockSpec, createBlock } from "../model/block.ts";
 * import { Rng } from "../rng.ts";
 * import { blockGraph } from "./block_graph.ts";
 * import { WeightMap } from "./weights.ts";
 * await initBackend("cpu");
 * // A freshly initialised block for 8×8 grey images and 3 classes (one-hot embedding).
 * const spec = blockSpec({
 *   height: 8, width: 8, channels: 1, classes: 3, embedDim: 3, widths: [2, 2, 2], hidden: 8,
 * });
 * const weights = new WeightMap("block_01", await createBlock(spec, new Rng(0)).toArrays());
 * const embed = { shape: [3, 3], data: Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1) };
 * const bytes = blockGraph({ spec, weights, embed, name: "block_01" }).encode();
 * const { engine } = await selectEngine("cpu", { threads: 1 });
 * const session = await engine.open(bytes, "block_01.onnx");
 * const { uhat } = await session.run({
 *   x: { data: new Float32Array(2 * 64), dims: [2, 1, 8, 8] },
 *   z: { data: new Float32Array(2 * 3), dims: [2, 3] },
 * });
 * assert.equal(uhat.length, 2 * 3);
 * assert.ok(Math.abs(uhat[0] + uhat[1] + uhat[2] - 1) < 1e-6); // softmax·I: a distribution
 * await session.release();
 * ```
 * @module
 */
import type { BlockSpec } from "../model/block.ts";
import { backboneOf, resnetPlan } from "../model/backbone.ts";
import { GraphBuilder } from "./graph.ts";
import { resnetGraph } from "./resnet_graph.ts";
import { convKernelToOihw, foldBatchNorm, nhwcRowsToNchw } from "./layout.ts";
import type { NamedTensor, WeightMap } from "./weights.ts";

/**
 * Inputs of {@linkcode blockGraph}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { blockSpec, createBlock } from "../model/block.ts";
 * import { Rng } from "../rng.ts";
 * import { blockGraph, type BlockGraphOptions } from "./block_graph.ts";
 * import { WeightMap } from "./weights.ts";
 * await initBackend("cpu");
 * const spec = blockSpec({
 *   height: 8, width: 8, channels: 1, classes: 2, embedDim: 4, widths: [2, 2, 2], hidden: 8,
 * });
 * const o: BlockGraphOptions = {
 *   spec,
 *   weights: new WeightMap("block_01", await createBlock(spec, new Rng(0)).toArrays()),
 *   embed: { shape: [2, 4], data: Float32Array.of(1, 0, 1, 0, 0, 1, 0, 1) }, // a learned W_Embed
 *   name: "block_01",
 * };
 * assert.equal(blockGraph(o).opTypes().at(-1), "MatMul"); // û = softmax(logits)·W_Embed
 * ```
 */
export interface BlockGraphOptions {
  /** Block shapes (from the run's metadata). */
  spec: BlockSpec;
  /** The block's weights, names without the `block_XX.` prefix. */
  weights: WeightMap;
  /** W_Embed [classes, d]. */
  embed: NamedTensor;
  /** Graph name (e.g. `block_01`). */
  name: string;
}

const KERNEL = 3;

/**
 * Whether `w` ([K, d]) is exactly the identity.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isIdentity } from "./block_graph.ts";
 * assert.equal(isIdentity({ shape: [2, 2], data: new Float32Array([1, 0, 0, 1]) }), true);
 * assert.equal(isIdentity({ shape: [2, 2], data: new Float32Array([0, 1, 1, 0]) }), false);
 * ```
 */
export function isIdentity(w: NamedTensor): boolean {
  const [k, d] = w.shape;
  if (k !== d) return false;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < d; j++) if (w.data[i * d + j] !== (i === j ? 1 : 0)) return false;
  }
  return true;
}

/**
 * Adds one conv stack (`<prefix>.conv1..3` of `w`: Conv → Relu → MaxPool → Conv → Relu → Conv →
 * Relu → MaxPool → Flatten) on the NCHW input `x` to `g`; returns the flattened output's name
 * (NCHW order: the next Gemm's rows must be permuted, see `nhwcRowsToNchw`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { addConvStack, blockSpec } from "../model/block.ts";
 * import { ParamSet } from "../model/params.ts";
 * import { Rng } from "../rng.ts";
 * import { convStack } from "./block_graph.ts";
 * import { GraphBuilder } from "./graph.ts";
 * import { WeightMap } from "./weights.ts";
 * await initBackend("cpu");
 * const spec = blockSpec({
 *   height: 8, width: 8, channels: 1, classes: 2, embedDim: 2, widths: [2, 2, 2],
 * });
 * const p = new ParamSet();
 * addConvStack(p, "img", spec, new Rng(0));
 * const g = new GraphBuilder("stack");
 * convStack(g, new WeightMap("net", await p.toArrays()), "img", g.input("x", ["N", 1, 8, 8]), spec);
 * assert.deepEqual(g.opTypes().filter((op) => op === "Conv").length, 3);
 * assert.equal(g.opTypes().at(-1), "Flatten");
 * ```
 */
export function convStack(
  g: GraphBuilder,
  w: WeightMap,
  prefix: string,
  x: string,
  s: BlockSpec,
): string {
  const chans = [s.channels, ...s.widths];
  let h = x;
  for (let k = 1; k <= 3; k++) {
    const name = `${prefix}.conv${k}`;
    const shape = [KERNEL, KERNEL, chans[k - 1], chans[k]];
    const wt = g.floats(`${name}.w`, convKernelToOihw(w.get(`${name}.w`, shape), shape), [
      chans[k],
      chans[k - 1],
      KERNEL,
      KERNEL,
    ]);
    const b = g.floats(`${name}.b`, w.get(`${name}.b`, [chans[k]]), [chans[k]]);
    const pad = (KERNEL - 1) / 2;
    h = g.node("Conv", [h, wt, b], {
      outputs: [g.fresh(name)],
      attrs: { kernel_shape: [KERNEL, KERNEL], pads: [pad, pad, pad, pad], strides: [1, 1] },
    });
    h = g.node("Relu", [h], { outputs: [g.fresh(`${name}.relu`)] });
    if (k !== 2) {
      h = g.node("MaxPool", [h], {
        outputs: [g.fresh(`${name}.pool`)],
        attrs: { kernel_shape: [2, 2], strides: [2, 2] },
      });
    }
  }
  return g.node("Flatten", [h], { outputs: [g.fresh(`${prefix}.flat`)], attrs: { axis: 1 } });
}

/**
 * z [N, H·W·C] (an NHWC-flattened image: the prototype embedding) as an NCHW image
 * [N, C, H, W]: a Reshape, and for C > 1 a Transpose.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blockSpec } from "../model/block.ts";
 * import { zAsImage } from "./block_graph.ts";
 * import { GraphBuilder } from "./graph.ts";
 * const g = new GraphBuilder("z");
 * const spec = blockSpec({ height: 4, width: 4, channels: 3, classes: 2, embedDim: 48 });
 * zAsImage(g, g.input("z", ["N", 48]), spec);
 * assert.deepEqual(g.opTypes(), ["Reshape", "Transpose"]); // NHWC → NCHW
 * ```
 */
export function zAsImage(g: GraphBuilder, z: string, s: BlockSpec): string {
  if (s.embedDim !== s.height * s.width * s.channels) {
    throw new Error(`spec: zAsImage needs embedDim = H·W·C, got ${s.embedDim}`);
  }
  if (s.channels === 1) {
    return g.node("Reshape", [z, g.int64s("z.nchw_shape", [-1, 1, s.height, s.width])]);
  }
  const nhwc = g.node("Reshape", [
    z,
    g.int64s("z.nhwc_shape", [-1, s.height, s.width, s.channels]),
  ]);
  return g.node("Transpose", [nhwc], { attrs: { perm: [0, 3, 1, 2] } });
}

/** Dense `x·W + b`, with the BatchNorm `bn` folded in and the rows optionally permuted. */
function dense(
  g: GraphBuilder,
  w: WeightMap,
  x: string,
  fc: string,
  inDim: number,
  outDim: number,
  bn?: string,
  nchwRows?: { h: number; w: number; c: number },
): string {
  let wt = w.get(`${fc}.w`, [inDim, outDim]);
  let b = w.get(`${fc}.b`, [outDim]);
  if (nchwRows) wt = nhwcRowsToNchw(wt, nchwRows.h, nchwRows.w, nchwRows.c, outDim);
  if (bn) {
    ({ w: wt, b } = foldBatchNorm(wt, b, {
      gamma: w.get(`${bn}.gamma`, [outDim]),
      beta: w.get(`${bn}.beta`, [outDim]),
      mean: w.get(`${bn}.mean`, [outDim]),
      variance: w.get(`${bn}.var`, [outDim]),
    }));
  }
  const tag = bn ? `${fc}+${bn.split(".").pop()}` : fc;
  return g.node("Gemm", [
    x,
    g.floats(`${tag}.w`, wt, [inDim, outDim]),
    g.floats(`${tag}.b`, b, [outDim]),
  ], { outputs: [g.fresh(tag)] });
}

/**
 * Builds the graph of one block (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { blockSpec, createBlock } from "../model/block.ts";
 * import { Rng } from "../rng.ts";
 * import { blockGraph } from "./block_graph.ts";
 * import { WeightMap } from "./weights.ts";
 * await initBackend("cpu");
 * const spec = blockSpec({
 *   height: 8, width: 8, channels: 1, classes: 2, embedDim: 2, widths: [2, 2, 2], hidden: 8,
 * });
 * // Every tensor of a run's weights file, the block's under the prefix "block_01.":
 * const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
 * for (const [k, v] of Object.entries(await createBlock(spec, new Rng(0)).toArrays())) {
 *   tensors[`block_01.${k}`] = v;
 * }
 * const g = blockGraph({
 *   spec, weights: WeightMap.withPrefix(tensors, "block_01"),
 *   embed: { shape: [2, 2], data: Float32Array.of(1, 0, 0, 1) }, name: "block_01",
 * });
 * assert.equal(g.opTypes().filter((op) => op === "Conv").length, 3);
 * assert.equal(g.opTypes().at(-1), "Softmax"); // one-hot: no MatMul by the identity
 * ```
 */
export function blockGraph(o: BlockGraphOptions): GraphBuilder {
  const { spec: s, weights: w, embed } = o;
  const H = s.hidden, d = s.embedDim, K = s.classes;
  if (embed.shape.join(",") !== `${K},${d}`) {
    throw new Error(`weights: "embed.W" has shape [${embed.shape}], expected [${K},${d}]`);
  }
  const fh = Math.floor(s.height / 4), fw = Math.floor(s.width / 4), fc = s.widths[2];
  const flat = fh * fw * fc;
  const rows = { h: fh, w: fw, c: fc };
  const g = new GraphBuilder(o.name);
  const x = g.input("x", ["N", s.channels, s.height, s.width]);
  const z = g.input("z", ["N", d]);

  const choice = backboneOf(s);
  let img: string;
  if (choice.backbone === "paper") {
    img = dense(g, w, convStack(g, w, "img", x, s), "img.fc", flat, H, "img.bn", rows);
  } else {
    const plan = resnetPlan(choice, s.channels, true);
    img = dense(g, w, resnetGraph(g, w, plan, x), "img.fc", plan.outCh, H, "img.bn");
  }

  let zIn = z, zDim = d, zRows;
  if (s.zAsImage) {
    zIn = convStack(g, w, "lab", zAsImage(g, z, s), s);
    zDim = flat;
    zRows = rows;
  }
  const h = g.node("Relu", [dense(g, w, zIn, "lab.fc1", zDim, H, "lab.bn1", zRows)], {
    outputs: ["lab.h"],
  });
  const g2 = g.node("Relu", [dense(g, w, h, "lab.fc2", H, H, "lab.bn2")]);
  const lab = g.node("Add", [dense(g, w, g2, "lab.fc3", H, H, "lab.bn3"), h], {
    outputs: ["lab.out"],
  });

  const cat = g.node("Concat", [img, lab], { outputs: ["head.in"], attrs: { axis: 1 } });
  const o1 = g.node("Relu", [dense(g, w, cat, "head.fc1", 2 * H, H, "head.bn1")]);
  const o2 = g.node("Relu", [dense(g, w, o1, "head.fc2", H, H / 2, "head.bn2")]);
  const logits = dense(g, w, o2, "head.fc3", H / 2, K);
  if (isIdentity(embed)) {
    g.node("Softmax", [logits], { outputs: ["uhat"], attrs: { axis: 1 } });
  } else {
    const p = g.node("Softmax", [logits], { outputs: ["probs"], attrs: { axis: 1 } });
    g.node("MatMul", [p, g.floats("embed.W", embed.data, [K, d])], { outputs: ["uhat"] });
  }
  g.output("uhat", ["N", d]);
  return g;
}
