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
 * import { trainedLayers } from "./layer_source.ts";
 * import { WeightMap } from "./weights.ts";
 * await initBackend("cpu");
 * // A freshly initialised block for 8×8 grey images and 3 classes (one-hot embedding).
 * const spec = blockSpec({
 *   height: 8, width: 8, channels: 1, classes: 3, embedDim: 3, widths: [2, 2, 2], hidden: 8,
 * });
 * const weights = new WeightMap("block_01", await createBlock(spec, new Rng(0)).toArrays());
 * const embed = { shape: [3, 3], data: Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1) };
 * const layers = trainedLayers(weights); // conv kernels to OIHW, BatchNorm folded
 * const bytes = blockGraph({ spec, layers, embed, name: "block_01" }).encode();
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
import type { FlattenRows, LayerSource } from "./layer_source.ts";
import { resnetGraph } from "./resnet_graph.ts";
import type { NamedTensor } from "./weights.ts";

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
 * import { trainedLayers } from "./layer_source.ts";
 * import { WeightMap } from "./weights.ts";
 * await initBackend("cpu");
 * const spec = blockSpec({
 *   height: 8, width: 8, channels: 1, classes: 2, embedDim: 4, widths: [2, 2, 2], hidden: 8,
 * });
 * const o: BlockGraphOptions = {
 *   spec,
 *   layers: trainedLayers(
 *     new WeightMap("block_01", await createBlock(spec, new Rng(0)).toArrays()),
 *   ),
 *   embed: { shape: [2, 4], data: Float32Array.of(1, 0, 1, 0, 0, 1, 0, 1) }, // a learned W_Embed
 *   name: "block_01",
 * };
 * assert.equal(blockGraph(o).opTypes().at(-1), "MatMul"); // û = softmax(logits)·W_Embed
 * ```
 */
export interface BlockGraphOptions {
  /** Block shapes (from the run's metadata). */
  spec: BlockSpec;
  /**
   * The block's layer tensors: `trainedLayers` of its weights (names without the `block_XX.`
   * prefix), or `exportedLayers` of an exported block graph.
   */
  layers: LayerSource;
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
 * Adds one conv stack (`<prefix>.conv1..3` of `src`: Conv → Relu → MaxPool → Conv → Relu → Conv →
 * Relu → MaxPool → Flatten) on the NCHW input `x` to `g`; returns the flattened output's name
 * (NCHW order: the next dense layer's rows must be permuted, see `nhwcRowsToNchw`).
 *
 * With a stacked source (`src.copies` = T, `stackedLayers`) it computes T blocks' stacks at once:
 * the first conv reads the shared `x` and writes T·widths[0] channels; the next two are grouped
 * (ONNX Conv `group` = T), so block t's channels only ever see block t's. `layers` [first, last]
 * adds only convs first … last (with their ReLU and pool; the Flatten only after the third):
 * the fused chain stacks the first conv alone (`chain_graph.ts`). `nhwc` flattens in NHWC order
 * (a Transpose first): the order of the trainer's dense rows, and the layout onnxruntime's int8
 * convolutions compute in, so that its own transpose back to NCHW cancels against this one.
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
 * import { trainedLayers } from "./layer_source.ts";
 * import { WeightMap } from "./weights.ts";
 * await initBackend("cpu");
 * const spec = blockSpec({
 *   height: 8, width: 8, channels: 1, classes: 2, embedDim: 2, widths: [2, 2, 2],
 * });
 * const p = new ParamSet();
 * addConvStack(p, "img", spec, new Rng(0));
 * const g = new GraphBuilder("stack");
 * const src = trainedLayers(new WeightMap("net", await p.toArrays()));
 * convStack(g, src, "img", g.input("x", ["N", 1, 8, 8]), spec);
 * assert.deepEqual(g.opTypes().filter((op) => op === "Conv").length, 3);
 * assert.equal(g.opTypes().at(-1), "Flatten");
 * const first = new GraphBuilder("first");
 * convStack(first, src, "img", first.input("x", ["N", 1, 8, 8]), spec, { layers: [1, 1] });
 * assert.deepEqual(first.opTypes(), ["Conv", "Relu", "MaxPool"]);
 * ```
 */
export function convStack(
  g: GraphBuilder,
  src: LayerSource,
  prefix: string,
  x: string,
  s: BlockSpec,
  o: { layers?: [number, number]; nhwc?: boolean } = {},
): string {
  const layers = o.layers ?? [1, 3];
  const chans = [s.channels, ...s.widths];
  const T = src.copies;
  let h = x, tag = "";
  for (let k = layers[0]; k <= layers[1]; k++) {
    const layer = src.conv(`${prefix}.conv${k}`, null, KERNEL, chans[k - 1], chans[k]);
    const { w, b } = layer;
    tag = layer.tag;
    const wt = g.floats(`${tag}.w`, w, [T * chans[k], chans[k - 1], KERNEL, KERNEL]);
    const bias = g.floats(`${tag}.b`, b, [T * chans[k]]);
    const pad = (KERNEL - 1) / 2;
    h = g.node("Conv", [h, wt, bias], {
      outputs: [g.fresh(tag)],
      attrs: {
        kernel_shape: [KERNEL, KERNEL],
        pads: [pad, pad, pad, pad],
        strides: [1, 1],
        ...(k > 1 && T > 1 ? { group: T } : {}),
      },
    });
    h = g.node("Relu", [h], { outputs: [g.fresh(`${tag}.relu`)] });
    if (k !== 2) {
      h = g.node("MaxPool", [h], {
        outputs: [g.fresh(`${tag}.pool`)],
        attrs: { kernel_shape: [2, 2], strides: [2, 2] },
      });
    }
  }
  if (layers[1] < 3) return h;
  // Named in the source's scope, as its layers are (conv3's tag `b03.img.conv3` in the fused
  // chain → `b03.img.flat`).
  const scope = tag.slice(0, -".conv3".length);
  if (o.nhwc) {
    h = g.node("Transpose", [h], {
      outputs: [g.fresh(`${scope}.nhwc`)],
      attrs: { perm: [0, 2, 3, 1] },
    });
  }
  return g.node("Flatten", [h], { outputs: [g.fresh(`${scope}.flat`)], attrs: { axis: 1 } });
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
    return g.node("Reshape", [z, g.int64s(g.fresh("z.nchw_shape"), [-1, 1, s.height, s.width])]);
  }
  const nhwc = g.node("Reshape", [
    z,
    g.int64s(g.fresh("z.nhwc_shape"), [-1, s.height, s.width, s.channels]),
  ]);
  return g.node("Transpose", [nhwc], { attrs: { perm: [0, 3, 1, 2] } });
}

/**
 * Adds a dense layer `fc` of `src` (BatchNorm `bn` folded, rows permuted to `rows`' NCHW order
 * when given) as one Gemm on `x` [N, inDim]; returns its output's name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addDense } from "./block_graph.ts";
 * import { GraphBuilder } from "./graph.ts";
 * import { trainedLayers } from "./layer_source.ts";
 * import { WeightMap } from "./weights.ts";
 * const src = trainedLayers(new WeightMap("b", {
 *   "fc.w": { shape: [2, 1], data: Float32Array.of(1, 2) },
 *   "fc.b": { shape: [1], data: Float32Array.of(0) },
 * }));
 * const g = new GraphBuilder("dense");
 * assert.equal(addDense(g, src, g.input("x", ["N", 2]), "fc", 2, 1), "fc");
 * assert.deepEqual(g.opTypes(), ["Gemm"]);
 * ```
 */
export function addDense(
  g: GraphBuilder,
  src: LayerSource,
  x: string,
  fc: string,
  inDim: number,
  outDim: number,
  bn?: string,
  rows?: FlattenRows,
): string {
  const { tag, w, b } = src.dense(fc, bn, inDim, outDim, rows);
  return g.node("Gemm", [
    x,
    g.floats(`${tag}.w`, w, [inDim, outDim]),
    g.floats(`${tag}.b`, b, [outDim]),
  ], { outputs: [g.fresh(tag)] });
}

/**
 * The image branch's features before `img.fc`, as {@linkcode imageFeatures} adds them.
 *
 * @example
 * ```ts
 * import type { ImageFeatures } from "./block_graph.ts";
 * const f: ImageFeatures = { name: "img.flat", size: 6272, rows: { h: 7, w: 7, c: 128 } };
 * ```
 */
export interface ImageFeatures {
  /** Value name: [N, copies·size] (block t's features at columns t·size … (t + 1)·size − 1). */
  name: string;
  /** Features per block. */
  size: number;
  /** For the paper conv stack: the flattened map's shape (img.fc's rows are permuted to it). */
  rows?: FlattenRows;
}

/**
 * Adds the image branch up to `img.fc` (the paper conv stack, or the ResNet of `spec.backbone`)
 * on the NCHW input `x`: one block's, or with a stacked source every block's at once (see
 * {@linkcode convStack}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { blockSpec, createBlock } from "../model/block.ts";
 * import { Rng } from "../rng.ts";
 * import { imageFeatures } from "./block_graph.ts";
 * import { GraphBuilder } from "./graph.ts";
 * import { trainedLayers } from "./layer_source.ts";
 * import { WeightMap } from "./weights.ts";
 * await initBackend("cpu");
 * const spec = blockSpec({
 *   height: 8, width: 8, channels: 1, classes: 2, embedDim: 2, widths: [2, 3, 4], hidden: 8,
 * });
 * const src = trainedLayers(new WeightMap("b", await createBlock(spec, new Rng(0)).toArrays()));
 * const g = new GraphBuilder("img");
 * const f = imageFeatures(g, src, spec, g.input("x", ["N", 1, 8, 8]));
 * assert.deepEqual([f.size, f.rows], [2 * 2 * 4, { h: 2, w: 2, c: 4 }]);
 * ```
 */
export function imageFeatures(
  g: GraphBuilder,
  src: LayerSource,
  s: BlockSpec,
  x: string,
): ImageFeatures {
  const choice = backboneOf(s);
  if (choice.backbone !== "paper") {
    const plan = resnetPlan(choice, s.channels, true);
    return { name: resnetGraph(g, src, plan, x), size: plan.outCh };
  }
  const rows = stackRows(s);
  return { name: convStack(g, src, "img", x, s), size: rows.h * rows.w * rows.c, rows };
}

/**
 * The shape of a paper conv stack's output (two 2×2 max-pools, `widths[2]` channels).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blockSpec } from "../model/block.ts";
 * import { stackRows } from "./block_graph.ts";
 * const spec = blockSpec({ height: 28, width: 28, channels: 1, classes: 10, embedDim: 10 });
 * assert.deepEqual(stackRows(spec), { h: 7, w: 7, c: 128 });
 * ```
 */
export function stackRows(s: BlockSpec): FlattenRows {
  return { h: Math.floor(s.height / 4), w: Math.floor(s.width / 4), c: s.widths[2] };
}

/**
 * What {@linkcode blockStep} needs.
 *
 * @example
 * ```ts
 * import type { BlockStepOptions } from "./block_graph.ts";
 * const names: Pick<BlockStepOptions, "img" | "z" | "scope" | "out"> = {
 *   img: "img.fc+bn", z: "z", scope: "", out: "uhat",
 * };
 * ```
 */
export interface BlockStepOptions {
  /** The block's layer tensors (label branch and head). */
  src: LayerSource;
  /** Block shapes. */
  spec: BlockSpec;
  /** Image features after `img.fc`⊙`img.bn`, [N, hidden]. */
  img: string;
  /** z_{t−1}, [N, embedDim]. */
  z: string;
  /** Prefix of the value names (empty in a block graph). */
  scope: string;
  /** Name of the output û_t. */
  out: string;
  /** The W_Embed [classes, d] initializer's name (created on first call); absent: W = I. */
  embedW?: () => string;
}

/**
 * Adds z's branch and the head of one block (paper Fig. 6): û = softmax(logits)·W_Embed from
 * the image features and z; returns `o.out`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { blockSpec, createBlock } from "../model/block.ts";
 * import { Rng } from "../rng.ts";
 * import { blockStep } from "./block_graph.ts";
 * import { GraphBuilder } from "./graph.ts";
 * import { trainedLayers } from "./layer_source.ts";
 * import { WeightMap } from "./weights.ts";
 * await initBackend("cpu");
 * const spec = blockSpec({
 *   height: 8, width: 8, channels: 1, classes: 2, embedDim: 2, widths: [2, 2, 2], hidden: 8,
 * });
 * const w = new WeightMap("b", await createBlock(spec, new Rng(0)).toArrays());
 * const g = new GraphBuilder("step");
 * const [img, z] = [g.input("img", ["N", 8]), g.input("z", ["N", 2])];
 * blockStep(g, { src: trainedLayers(w, "b01."), spec, img, z, scope: "b01.", out: "u1" });
 * assert.equal(g.opTypes().at(-1), "Softmax"); // W_Embed = I
 * ```
 */
export function blockStep(g: GraphBuilder, o: BlockStepOptions): string {
  const { src, spec: s, scope } = o;
  const H = s.hidden, d = s.embedDim, K = s.classes;
  let zIn = o.z, zDim = d, zRows;
  if (s.zAsImage) {
    zIn = convStack(g, src, "lab", zAsImage(g, o.z, s), s);
    zRows = stackRows(s);
    zDim = zRows.h * zRows.w * zRows.c;
  }
  const h = g.node("Relu", [addDense(g, src, zIn, "lab.fc1", zDim, H, "lab.bn1", zRows)], {
    outputs: [g.fresh(`${scope}lab.h`)],
  });
  const g2 = g.node("Relu", [addDense(g, src, h, "lab.fc2", H, H, "lab.bn2")]);
  const lab = g.node("Add", [addDense(g, src, g2, "lab.fc3", H, H, "lab.bn3"), h], {
    outputs: [g.fresh(`${scope}lab.out`)],
  });
  const cat = g.node("Concat", [o.img, lab], {
    outputs: [g.fresh(`${scope}head.in`)],
    attrs: { axis: 1 },
  });
  const o1 = g.node("Relu", [addDense(g, src, cat, "head.fc1", 2 * H, H, "head.bn1")]);
  const o2 = g.node("Relu", [addDense(g, src, o1, "head.fc2", H, H / 2, "head.bn2")]);
  const logits = addDense(g, src, o2, "head.fc3", H / 2, K);
  if (!o.embedW) return g.node("Softmax", [logits], { outputs: [o.out], attrs: { axis: 1 } });
  const p = g.node("Softmax", [logits], {
    outputs: [g.fresh(`${scope}probs`)],
    attrs: { axis: 1 },
  });
  return g.node("MatMul", [p, o.embedW()], { outputs: [o.out] });
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
 * import { trainedLayers } from "./layer_source.ts";
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
 *   spec, layers: trainedLayers(WeightMap.withPrefix(tensors, "block_01")),
 *   embed: { shape: [2, 2], data: Float32Array.of(1, 0, 0, 1) }, name: "block_01",
 * });
 * assert.equal(g.opTypes().filter((op) => op === "Conv").length, 3);
 * assert.equal(g.opTypes().at(-1), "Softmax"); // one-hot: no MatMul by the identity
 * ```
 */
export function blockGraph(o: BlockGraphOptions): GraphBuilder {
  const { spec: s, layers: src, embed } = o;
  const H = s.hidden, d = s.embedDim, K = s.classes;
  checkEmbed(embed, K, d);
  const g = new GraphBuilder(o.name);
  const x = g.input("x", ["N", s.channels, s.height, s.width]);
  const z = g.input("z", ["N", d]);
  const f = imageFeatures(g, src, s, x);
  const img = addDense(g, src, f.name, "img.fc", f.size, H, "img.bn", f.rows);
  const embedW = isIdentity(embed) ? undefined : () => g.floats("embed.W", embed.data, [K, d]);
  blockStep(g, { src, spec: s, img, z, scope: "", out: "uhat", embedW });
  g.output("uhat", ["N", d]);
  return g;
}

/**
 * Checks that W_Embed has shape [classes, d]; throws a one-line error naming `embed.W`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkEmbed } from "./block_graph.ts";
 * checkEmbed({ shape: [10, 10], data: new Float32Array(100) }, 10, 10); // fine
 * assert.throws(() => checkEmbed({ shape: [2, 3], data: new Float32Array(6) }, 10, 10), {
 *   message: 'weights: "embed.W" has shape [2,3], expected [10,10]',
 * });
 * ```
 */
export function checkEmbed(embed: NamedTensor, K: number, d: number): void {
  if (embed.shape.join(",") !== `${K},${d}`) {
    throw new Error(`weights: "embed.W" has shape [${embed.shape}], expected [${K},${d}]`);
  }
}
