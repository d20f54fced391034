/**
 * The whole NoProp-DT chain as one ONNX graph (`chain.onnx`): inputs `x` [N, C, H, W]
 * (normalised image, NCHW), `z0` [N, d] (z_0) and `eps` [T, N, d] (ε_1 … ε_T stacked; all zeros
 * for the noise-free sampler), output `logits` [N, classes] — the T blocks, the sampler of
 * paper eq. 3 and the classifier in one session.
 *
 * Block t's image branch depends only on x, not on z, so all T branches run before the first
 * z-step. The first conv of the T blocks is one conv (`stackedLayers`) that reads x once and
 * writes T·w0 channels; after its ReLU and pool, one Split hands block t its w0 channels, and
 * each block's conv2 and conv3 run on their own, as in its block graph:
 *
 *     x → Conv(T·w0) → ReLU → MaxPool → Split → [block t: Conv → ReLU → Conv → ReLU → MaxPool → Flatten] → F_t
 *
 * Block t's features are flattened in NHWC order (a Transpose before the Flatten, `img.fc`'s rows
 * permuted to match, `nhwcRows`): onnxruntime runs its int8 convolutions in NHWC and transposes
 * back to NCHW after them, and that transpose then cancels against this one (measured on the
 * paper-width int8 chain at batch 1: 5–7% less time per image).
 *
 * (Grouped convolutions, ONNX Conv `group` = T, for conv2 and conv3 were the first layout: as
 * fast in float, but onnxruntime's int8 grouped convolution is not: measured on the paper-width
 * MNIST chain, int8, 2 threads, batch 128, the grouped conv2 took about 4× the time of the ten
 * blocks' own, and the int8 chain ran at 79.4 ms per batch against 62.9 ms split this way
 * (batch 1: 1.09 against 0.99 ms); the float chain was within 5% either way.) A ResNet
 * backbone runs stacked throughout: its stem reads x once, every later conv is grouped, and one
 * Split cuts the flattened features [N, T·F] into F_1 … F_T.
 *
 * Then the T z-steps: block t's `img.fc` (BatchNorm folded) on F_t, its z branch and head
 * exactly as in its block graph (`addDense`, `blockStep` of `block_graph.ts`), and eq. 3 with
 * a_t, b_t and s_t = √c_t baked in as constants (`dtStepFactors` of the runtime's DT sampler,
 * the one place they are computed):
 *
 *     û_t = blockStep_t(img.fc_t(F_t), z_{t−1});  z_t = a_t·û_t + b_t·z_{t−1} + s_t·ε_t
 *
 * (the noise terms s_t·ε_t for all t in four nodes up front, `stepNoise`, and each step's eq. 3
 * as Mul, Mul, Sum)
 *
 * (`img.fc` as T Gemms rather than one batched MatMul [T, N, F]·[T, F, hidden] or a grouped
 * convolution: measured on the paper-width chain, onnxruntime's cpu Gemm with its prepacked
 * constant weight was 8–11% faster at batch 1 and as fast at batch 128 as the batched MatMul,
 * and the grouped convolution ran at 0.6× the images/s at batch 128.)
 *
 * and the classifier on z_T. One graph serves both sampler modes: the noise-free chain is the
 * stochastic one with ε = 0 (s_t·0 adds exactly zero), so the mode is chosen by what is fed
 * to `eps`, not by a second graph or a flag.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectEngine } from "@noprop/infer";
 * import { initBackend } from "../backend/mod.ts";
 * import { blockSpec, createBlock } from "../model/block.ts";
 * import { Rng } from "../rng.ts";
 * import { chainGraph } from "./chain_graph.ts";
 * import { trainedLayers } from "./layer_source.ts";
 * import { WeightMap } from "./weights.ts";
 * await initBackend("cpu");
 * // T = 2 fresh blocks for 8×8 grey images, 3 classes, one-hot embedding.
 * const spec = blockSpec({
 *   height: 8, width: 8, channels: 1, classes: 3, embedDim: 3, widths: [2, 2, 2], hidden: 8,
 * });
 * const blocks = [];
 * for (const t of [1, 2]) {
 *   const w = new WeightMap(`block_0${t}`, await createBlock(spec, new Rng(t)).toArrays());
 *   blocks.push(trainedLayers(w, `b${t}.`));
 * }
 * const g = chainGraph({
 *   spec, blocks, embed: { shape: [3, 3], data: Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1) },
 *   classifier: { tag: "cls", w: Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1), b: new Float32Array(3) },
 *   schedule: { a: [0.5, 0.9], b: [0.4, 0.1], c: [0.3, 0.01] },
 * });
 * // The first conv once for both blocks, conv2 and conv3 per block:
 * assert.equal(g.opTypes().filter((op) => op === "Conv").length, 1 + 2 * 2);
 * const { engine } = await selectEngine("cpu", { threads: 1 });
 * const session = await engine.open(g.encode(), "chain.onnx");
 * const { logits } = await session.run({
 *   x: { data: new Float32Array(64), dims: [1, 1, 8, 8] },
 *   z0: { data: new Float32Array(3), dims: [1, 3] },
 *   eps: { data: new Float32Array(6), dims: [2, 1, 3] }, // noise-free: ε = 0
 * });
 * assert.equal(logits.length, 3);
 * await session.release();
 * ```
 * @module
 */
import { type DtCoefficients, dtStepFactors } from "@noprop/infer";
import type { BlockSpec } from "../model/block.ts";
import { backboneOf } from "../model/backbone.ts";
import {
  addDense,
  blockStep,
  checkEmbed,
  convStack,
  imageFeatures,
  isIdentity,
  stackRows,
} from "./block_graph.ts";
import { addClassifier } from "./classifier_graph.ts";
import { GraphBuilder } from "./graph.ts";
import {
  type FlattenRows,
  type LayerSource,
  type LayerTensors,
  stackedLayers,
} from "./layer_source.ts";
import { nchwRowsToNhwc } from "./layout.ts";
import type { NamedTensor } from "./weights.ts";

/**
 * Inputs of {@linkcode chainGraph}.
 *
 * @example
 * ```ts
 * import type { ChainGraphOptions } from "./chain_graph.ts";
 * const schedule: ChainGraphOptions["schedule"] = { a: [0.5], b: [0.5], c: [0.1] }; // T = 1
 * ```
 */
export interface ChainGraphOptions {
  /** Block shapes (every block has the same). */
  spec: BlockSpec;
  /** Block 1..T's layer tensors, each with its own tag scope (e.g. `b01.`). */
  blocks: LayerSource[];
  /** W_Embed [classes, d]. */
  embed: NamedTensor;
  /** The classifier's tensors (`classifierLayer`). */
  classifier: LayerTensors;
  /** a_t, b_t, c_t of eq. 3 for t = 1..T at index t − 1 (the manifest's `schedule`). */
  schedule: DtCoefficients;
  /** Graph name (default `chain`). */
  name?: string;
}

/** The scalar `v` as a float32 initializer (dims []). */
function scalar(g: GraphBuilder, name: string, v: number): string {
  return g.floats(name, Float32Array.of(v), []);
}

/**
 * `v` split along axis 1 into T equal parts of `size` (block t's are entries (t − 1)·size …
 * t·size − 1: the stacked features [N, T·F], or the stacked first conv's channels); one Split,
 * returns the parts' names (`<hint>1` … `<hint>T`).
 */
function splitBlocks(g: GraphBuilder, v: string, T: number, size: number, hint: string): string[] {
  const parts = Array.from({ length: T }, (_, i) => g.fresh(`${hint}${i + 1}`));
  g.node("Split", [v, g.int64s(`${hint}.split`, Array(T).fill(size))], {
    outputs: parts,
    attrs: { axis: 1 },
  });
  return parts;
}

/**
 * The T blocks' flattened image features [N, F] each (see the module doc): for the paper's
 * conv stack, the first conv of all T blocks as one conv reading x once (T·w0 channels), its
 * pooled output split into the blocks' channels, then each block's conv2 and conv3 on its own;
 * for a ResNet backbone, the whole stacked backbone (grouped convs) and one Split.
 */
function blockFeatures(
  g: GraphBuilder,
  blocks: LayerSource[],
  s: BlockSpec,
  x: string,
): { parts: string[]; size: number; nhwc?: FlattenRows } {
  const T = blocks.length, stacked = stackedLayers(blocks, "chain.");
  if (backboneOf(s).backbone !== "paper") {
    const feat = imageFeatures(g, stacked, s, x);
    return { parts: splitBlocks(g, feat.name, T, feat.size, "img.feat"), size: feat.size };
  }
  const first = convStack(g, stacked, "img", x, s, { layers: [1, 1] });
  const split = splitBlocks(g, first, T, s.widths[0], "img.conv1.part");
  const rows = stackRows(s);
  return {
    parts: blocks.map((b, i) =>
      convStack(g, b, "img", split[i], s, { layers: [2, 3], nhwc: true })
    ),
    size: rows.h * rows.w * rows.c,
    nhwc: rows,
  };
}

/**
 * `src` whose dense layers read features flattened in NHWC order (`rows`' shape): the rows every
 * source gives in NCHW flatten order, permuted back (`nchwRowsToNhwc`).
 */
function nhwcRows(src: LayerSource, rows: FlattenRows): LayerSource {
  return {
    ...src,
    dense: (fc, bn, inDim, outDim) => {
      const d = src.dense(fc, bn, inDim, outDim, rows);
      return { ...d, w: nchwRowsToNhwc(d.w, rows.h, rows.w, rows.c, outDim) };
    },
  };
}

/**
 * The noise terms s_t·ε_t of eq. 3 for t = 1..T as T tensors [N, d], from `eps` [T, N, d] in
 * four nodes for the whole chain (one Mul by s = [s_1 … s_T] as [T, 1, 1], then Transpose to
 * [N, T, d], Reshape to [N, T·d] and one Split), rather than a Gather, Squeeze and Mul per
 * step: at batch 1 every node costs about as much as the arithmetic it does.
 */
function stepNoise(g: GraphBuilder, eps: string, s: number[], d: number): string[] {
  const T = s.length;
  const scaled = g.node("Mul", [eps, g.floats("eps.s", Float32Array.from(s), [T, 1, 1])]);
  const nt = g.node("Transpose", [scaled], { attrs: { perm: [1, 0, 2] } });
  const flat = g.node("Reshape", [nt, g.int64s("eps.shape", [0, T * d])]);
  const parts = Array.from(
    { length: T },
    (_, i) => g.fresh(`step${String(i + 1).padStart(2, "0")}.noise`),
  );
  g.node("Split", [flat, g.int64s("eps.split", Array(T).fill(d))], {
    outputs: parts,
    attrs: { axis: 1 },
  });
  return parts;
}

/**
 * Builds `chain.onnx` (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { blockSpec, createBlock } from "../model/block.ts";
 * import { Rng } from "../rng.ts";
 * import { chainGraph } from "./chain_graph.ts";
 * import { trainedLayers } from "./layer_source.ts";
 * import { WeightMap } from "./weights.ts";
 * await initBackend("cpu");
 * const spec = blockSpec({
 *   height: 8, width: 8, channels: 1, classes: 2, embedDim: 2, widths: [2, 2, 2], hidden: 8,
 * });
 * const w = new WeightMap("block_01", await createBlock(spec, new Rng(0)).toArrays());
 * const o = {
 *   spec, blocks: [trainedLayers(w, "b01.")], embed: { shape: [2, 2], data: Float32Array.of(1, 0, 0, 1) },
 *   classifier: { tag: "cls", w: new Float32Array(4), b: new Float32Array(2) },
 * };
 * assert.equal(chainGraph({ ...o, schedule: { a: [1], b: [0], c: [0] } }).opTypes().at(-1), "Gemm");
 * assert.throws(() => chainGraph({ ...o, schedule: { a: [1, 1], b: [0, 0], c: [0, 0] } }), {
 *   message: "chain graph: 1 blocks but 2 schedule steps",
 * });
 * ```
 */
export function chainGraph(o: ChainGraphOptions): GraphBuilder {
  const { spec: s, embed } = o;
  const T = o.blocks.length, H = s.hidden, d = s.embedDim, K = s.classes;
  const f = dtStepFactors(o.schedule);
  if (f.a.length !== T) {
    throw new Error(`chain graph: ${T} blocks but ${f.a.length} schedule steps`);
  }
  checkEmbed(embed, K, d);
  const g = new GraphBuilder(o.name ?? "chain");
  const x = g.input("x", ["N", s.channels, s.height, s.width]);
  let z = g.input("z0", ["N", d]);
  const eps = g.input("eps", [T, "N", d]);

  const { parts, size, nhwc } = blockFeatures(g, o.blocks, s, x);
  let embedName: string | undefined;
  const embedW = isIdentity(embed)
    ? undefined
    : () => (embedName ??= g.floats("embed.W", embed.data, [K, d]));

  const noise = stepNoise(g, eps, f.s, d);
  for (let t = 1; t <= T; t++) {
    const p = `step${String(t).padStart(2, "0")}.`;
    const src = o.blocks[t - 1];
    const fc = nhwc ? nhwcRows(src, nhwc) : src;
    const img = addDense(g, fc, parts[t - 1], "img.fc", size, H, "img.bn", nhwc);
    const u = blockStep(g, {
      src,
      spec: s,
      img,
      z,
      scope: p,
      out: `${p}uhat`,
      embedW,
    });
    // Eq. 3: z_t = a_t·û_t + b_t·z_{t−1} + s_t·ε_t (ε_t = 0 for the noise-free sampler).
    const au = g.node("Mul", [u, scalar(g, `${p}a`, f.a[t - 1])]);
    const bz = g.node("Mul", [z, scalar(g, `${p}b`, f.b[t - 1])]);
    z = g.node("Sum", [au, bz, noise[t - 1]], { outputs: [`${p}z`] });
  }
  addClassifier(g, o.classifier, z, "logits");
  g.output("logits", ["N", K]);
  return g;
}
