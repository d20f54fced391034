/**
 * Where the ONNX graph builders get a layer's tensors, already in ONNX layout (conv kernels
 * `[out, in, k, k]`, dense weights `[in, out]`, every inference-mode BatchNorm folded in, the
 * dense rows after a conv stack in NCHW flatten order; see `layout.ts`). Three sources:
 *
 * - {@linkcode trainedLayers}: a run's weights (`weights.safetensors`), converted here — what
 *   `deno task export` uses;
 * - {@linkcode exportedLayers}: the initializers of a block graph this exporter wrote, read back
 *   (they are exactly these tensors) — how `chain.onnx` is added to an export whose run folder is
 *   gone;
 * - {@linkcode stackedLayers}: T sources side by side (every tensor of the T blocks concatenated
 *   along the output channels) — the fused image branch of `chain_graph.ts`, where one
 *   convolution computes all T blocks' channels.
 *
 * Each tensor comes with its `tag`: the initializer names are `<tag>.w` and `<tag>.b`, so a
 * graph built from {@linkcode exportedLayers} is byte for byte the one built from
 * {@linkcode trainedLayers}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stackedLayers, trainedLayers } from "./layer_source.ts";
 * import { WeightMap } from "./weights.ts";
 * // Two blocks' 1×1 convs, 1 input and 1 output channel each: stacked, 2 output channels.
 * const block = (v: number) =>
 *   trainedLayers(new WeightMap("b", {
 *     "c.w": { shape: [1, 1, 1, 1], data: Float32Array.of(v) },
 *     "c.b": { shape: [1], data: Float32Array.of(-v) },
 *   }));
 * const both = stackedLayers([block(2), block(3)], "stack.");
 * const c = both.conv("c", null, 1, 1, 1);
 * assert.deepEqual([c.tag, both.copies], ["stack.c", 2]);
 * assert.deepEqual([c.w, c.b], [Float32Array.of(2, 3), Float32Array.of(-2, -3)]);
 * ```
 * @module
 */
import { convKernelToOihw, foldBatchNorm, nhwcRowsToNchw } from "./layout.ts";
import { type NamedTensor, WeightMap } from "./weights.ts";

/**
 * One layer's tensors in ONNX layout, and the name prefix of its initializers.
 *
 * @example
 * ```ts
 * import type { LayerTensors } from "./layer_source.ts";
 * const fc: LayerTensors = { tag: "head.fc3", w: new Float32Array(6), b: new Float32Array(3) };
 * ```
 */
export interface LayerTensors {
  /** Initializer name prefix: the weight is `<tag>.w`, the bias `<tag>.b`. */
  tag: string;
  /** Conv: `[out, in, k, k]`; dense: `[in, out]` (row-major). */
  w: Float32Array;
  /** Bias `[out]`. */
  b: Float32Array;
}

/**
 * The feature-map shape a dense layer reads flattened (its rows are permuted from the trainer's
 * NHWC flatten order to ONNX's NCHW order).
 *
 * @example
 * ```ts
 * import type { FlattenRows } from "./layer_source.ts";
 * const mnist: FlattenRows = { h: 7, w: 7, c: 128 }; // the paper block's conv stack output
 * ```
 */
export interface FlattenRows {
  /** Height. */
  h: number;
  /** Width. */
  w: number;
  /** Channels. */
  c: number;
}

/**
 * A source of layer tensors (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type LayerSource, trainedLayers } from "./layer_source.ts";
 * import { WeightMap } from "./weights.ts";
 * const src: LayerSource = trainedLayers(new WeightMap("cls", {
 *   "fc.w": { shape: [2, 1], data: Float32Array.of(1, 2) },
 *   "fc.b": { shape: [1], data: Float32Array.of(0) },
 * }));
 * assert.deepEqual(src.dense("fc", null, 2, 1).w, Float32Array.of(1, 2));
 * ```
 */
export interface LayerSource {
  /** How many blocks' layers each tensor holds side by side (1: one block). */
  readonly copies: number;
  /**
   * A convolution `name` (k×k, `cin` → `cout` channels per block) with the BatchNorm `bn`
   * folded in.
   */
  conv(
    name: string,
    bn: string | null | undefined,
    k: number,
    cin: number,
    cout: number,
  ): LayerTensors;
  /** A dense layer `fc` (`inDim` → `outDim`) with the BatchNorm `bn` folded in. */
  dense(
    fc: string,
    bn: string | null | undefined,
    inDim: number,
    outDim: number,
    rows?: FlattenRows,
  ): LayerTensors;
}

/**
 * The initializer name prefix of a conv (`<name>+bn` when a BatchNorm is folded in).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { convTag } from "./layer_source.ts";
 * assert.equal(convTag("img.res.stem.conv", "img.res.stem.bn"), "img.res.stem.conv+bn");
 * assert.equal(convTag("img.conv1", null), "img.conv1");
 * ```
 */
export function convTag(name: string, bn: string | null | undefined): string {
  return bn ? `${name}+bn` : name;
}

/**
 * The initializer name prefix of a dense layer (`<fc>+<last part of bn>` when a BatchNorm is
 * folded in).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denseTag } from "./layer_source.ts";
 * assert.equal(denseTag("lab.fc2", "lab.bn2"), "lab.fc2+bn2");
 * assert.equal(denseTag("head.fc3", null), "head.fc3");
 * ```
 */
export function denseTag(fc: string, bn: string | null | undefined): string {
  return bn ? `${fc}+${bn.split(".").pop()}` : fc;
}

function bnParams(w: WeightMap, bn: string, n: number) {
  return {
    gamma: w.get(`${bn}.gamma`, [n]),
    beta: w.get(`${bn}.beta`, [n]),
    mean: w.get(`${bn}.mean`, [n]),
    variance: w.get(`${bn}.var`, [n]),
  };
}

/**
 * Layer tensors from a run's weights (trainer layouts: conv `[k, k, in, out]`, dense
 * `[in, out]` with NHWC-ordered rows, BatchNorm `gamma/beta/mean/var`); `scope` prefixes
 * every tag.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainedLayers } from "./layer_source.ts";
 * import { WeightMap } from "./weights.ts";
 * const w = new WeightMap("block_01", {
 *   "fc.w": { shape: [1, 1], data: Float32Array.of(3) },
 *   "fc.b": { shape: [1], data: Float32Array.of(0.5) },
 *   "bn.gamma": { shape: [1], data: Float32Array.of(2) },
 *   "bn.beta": { shape: [1], data: Float32Array.of(1) },
 *   "bn.mean": { shape: [1], data: Float32Array.of(0.5) },
 *   "bn.var": { shape: [1], data: Float32Array.of(1 - 1e-5) },
 * });
 * // BN(x·3 + 0.5) = 2·(x·3 + 0.5 − 0.5)/√(var + ε) + 1 = x·6 + 1
 * const { tag, w: wt, b } = trainedLayers(w, "b01.").dense("fc", "bn", 1, 1);
 * assert.equal(tag, "b01.fc+bn");
 * assert.ok(Math.abs(wt[0] - 6) < 1e-5 && Math.abs(b[0] - 1) < 1e-6);
 * ```
 */
export function trainedLayers(w: WeightMap, scope = ""): LayerSource {
  return {
    copies: 1,
    conv(name, bn, k, cin, cout) {
      const shape = [k, k, cin, cout];
      let wt = w.get(`${name}.w`, shape);
      let b = w.get(`${name}.b`, [cout]);
      if (bn) ({ w: wt, b } = foldBatchNorm(wt, b, bnParams(w, bn, cout)));
      return { tag: scope + convTag(name, bn), w: convKernelToOihw(wt, shape), b };
    },
    dense(fc, bn, inDim, outDim, rows) {
      let wt = w.get(`${fc}.w`, [inDim, outDim]);
      let b = w.get(`${fc}.b`, [outDim]);
      if (rows) wt = nhwcRowsToNchw(wt, rows.h, rows.w, rows.c, outDim);
      if (bn) ({ w: wt, b } = foldBatchNorm(wt, b, bnParams(w, bn, outDim)));
      return { tag: scope + denseTag(fc, bn), w: wt, b };
    },
  };
}

/**
 * Layer tensors read back from an exported block graph's initializers (name → tensor, already in
 * ONNX layout and folded); `label` names the graph in errors, `scope` prefixes every tag.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exportedLayers } from "./layer_source.ts";
 * const inits = {
 *   "head.fc3.w": { shape: [2, 1], data: Float32Array.of(1, 2) },
 *   "head.fc3.b": { shape: [1], data: Float32Array.of(0) },
 * };
 * const src = exportedLayers(inits, "block_01.onnx");
 * assert.deepEqual(src.dense("head.fc3", null, 2, 1).w, Float32Array.of(1, 2));
 * assert.throws(() => src.dense("head.fc3", null, 3, 1), {
 *   message: 'weights: "block_01.onnx.head.fc3.w" has shape [2,1], expected [3,1]',
 * });
 * ```
 */
export function exportedLayers(
  inits: Record<string, NamedTensor>,
  label: string,
  scope = "",
): LayerSource {
  const w = new WeightMap(label, inits);
  const read = (tag: string, wShape: number[], out: number): LayerTensors => ({
    tag: scope + tag,
    w: w.get(`${tag}.w`, wShape),
    b: w.get(`${tag}.b`, [out]),
  });
  return {
    copies: 1,
    conv: (name, bn, k, cin, cout) => read(convTag(name, bn), [cout, cin, k, k], cout),
    dense: (fc, bn, inDim, outDim) => read(denseTag(fc, bn), [inDim, outDim], outDim),
  };
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * T sources side by side: each tensor is the T blocks' tensors one after another (for a conv,
 * `[T·out, in, k, k]`: the blocks' output channels in block order; for a dense layer, T
 * `[in, out]` weights one after another); `scope` replaces the blocks' tag prefix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stackedLayers, trainedLayers } from "./layer_source.ts";
 * import { WeightMap } from "./weights.ts";
 * const fc = (v: number) => new WeightMap("b", {
 *   "fc.w": { shape: [1, 2], data: Float32Array.of(v, v) },
 *   "fc.b": { shape: [2], data: Float32Array.of(0, v) },
 * });
 * const s = stackedLayers([trainedLayers(fc(1), "b1."), trainedLayers(fc(2), "b2.")], "all.");
 * const d = s.dense("fc", null, 1, 2);
 * assert.equal(d.tag, "all.fc");
 * assert.deepEqual(d.b, Float32Array.of(0, 1, 0, 2));
 * ```
 */
export function stackedLayers(blocks: LayerSource[], scope: string): LayerSource {
  if (blocks.length === 0 || blocks.some((b) => b.copies !== 1)) {
    throw new Error("stackedLayers: needs one or more single-block sources");
  }
  const stack = (parts: LayerTensors[], tag: string): LayerTensors => ({
    tag: scope + tag,
    w: concat(parts.map((p) => p.w)),
    b: concat(parts.map((p) => p.b)),
  });
  return {
    copies: blocks.length,
    conv: (name, bn, k, cin, cout) =>
      stack(blocks.map((s) => s.conv(name, bn, k, cin, cout)), convTag(name, bn)),
    dense: (fc, bn, inDim, outDim, rows) =>
      stack(blocks.map((s) => s.dense(fc, bn, inDim, outDim, rows)), denseTag(fc, bn)),
  };
}
