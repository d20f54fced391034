/**
 * Float16 weight storage: a graph transform that stores the large weight tensors of a float32
 * ONNX graph as FLOAT16 initializers, each widened back by a `Cast(to = FLOAT)` node whose
 * output carries the initializer's original name. Every node therefore still sees a float32
 * tensor and computes in float32; the only change is that each converted weight is rounded
 * once to the nearest float16 (ties to even). `Cast` from float16 to float32 is exact, and
 * onnxruntime folds these casts into float32 constants when it creates the session, so the
 * running graph is the float32 graph of the rounded weights (`tools/bench_fp16.ts` measures
 * session creation and throughput both ways). The files are about half the size.
 *
 * Which initializers (the rest stay float32, with the reason in the report):
 * - only FLOAT initializers every consumer of which reads them as the multiplied operand of a
 *   multiply-accumulate op — `Conv`/`ConvTranspose` input 1 (the kernel), `Gemm` inputs 0 and
 *   1, `MatMul` inputs 0 and 1 ({@linkcode FP16_WEIGHT_INPUTS}). There a weight's relative
 *   rounding error of at most 2⁻¹¹ is averaged over a whole reduction. Biases (`Gemm` input 2,
 *   `Conv` input 2) go into the output unattenuated and are tiny; elementwise constants (the
 *   sampler's a_t, b_t, √c_t baked into `chain.onnx`, time frequencies, a ct schedule's
 *   coefficients, the nearest-embedding decoder's ‖w_k‖²) must keep the exact values the
 *   runtime and the other graphs use; `Split` sizes, indices and shapes are integers anyway;
 * - with at least {@linkcode FP16_MIN_ELEMENTS} values: smaller ones (the 1-channel first
 *   convolution, the last head layer) would save under 2 KB each, not worth a rounded tensor
 *   and a node;
 * - whose values all stay finite in float16 (|w| ≤ 65504);
 * - not also a graph input or output (their type is part of the graph's interface).
 *
 * The threshold is per tensor: `chain.onnx` stacks the T blocks' first convolutions into one
 * kernel, which may reach it while each block graph's does not (the chain's copy is then rounded
 * and the blocks' are not); for the shipped MNIST model (10 × 72 values) neither is.
 *
 * The opset and IR version are the model's own (`Cast` exists since opset 1, float16 since
 * IR 1), so a converted exporter graph still passes the reference checker.
 * {@linkcode expandFp16Weights} is the exact inverse (float16 → float32 is lossless): the graph
 * transforms that need float32 initializers (int8 quantization, rebuilding a chain from block
 * graphs) run on the expanded graph.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeModel } from "./quantize/proto.ts";
 * import { storeWeightsFp16 } from "./fp16_weights.ts";
 * const block = decodeModel(await Deno.readFile("models/mnist/block_01.onnx"), "block_01.onnx");
 * const { report } = storeWeightsFp16(block);
 * // The shipped model is stored in fp16 already: nothing is left to convert, and what stayed
 * // float32 says why.
 * assert.deepEqual(report.converted, []);
 * assert.deepEqual(report.kept.slice(0, 2), [
 *   { name: "img.conv1.w", why: "72 values (< 1024)" },
 *   { name: "img.conv1.b", why: "input 2 of Conv (not a multiplied weight)" },
 * ]);
 * ```
 * @module
 */
import { onnx, type OnnxProto } from "../deps_onnx.ts";
import { decodeModel, encodeModel, initializerFloats, toNumber } from "./quantize/proto.ts";

const DT = onnx.TensorProto.DataType;

/**
 * The smallest initializer (in values) that is stored as float16.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FP16_MIN_ELEMENTS } from "./fp16_weights.ts";
 * assert.equal(FP16_MIN_ELEMENTS, 1024);
 * ```
 */
export const FP16_MIN_ELEMENTS = 1024;

/**
 * Per op type, the inputs that are a multiplied weight operand (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FP16_WEIGHT_INPUTS } from "./fp16_weights.ts";
 * assert.deepEqual(FP16_WEIGHT_INPUTS.Gemm, [0, 1]); // not 2, the bias
 * ```
 */
export const FP16_WEIGHT_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Conv: [1],
  ConvTranspose: [1],
  Gemm: [0, 1],
  MatMul: [0, 1],
};

/**
 * What {@linkcode storeWeightsFp16} did: the initializers converted, and why each other float32
 * one was kept.
 *
 * @example
 * ```ts
 * import type { Fp16Report } from "./fp16_weights.ts";
 * const line = (r: Fp16Report) => `${r.converted.length} converted, ${r.kept.length} kept`;
 * ```
 */
export interface Fp16Report {
  /** Names of the initializers now stored as float16. */
  converted: string[];
  /** The float32 initializers left as they were, with the reason. */
  kept: { name: string; why: string }[];
}

/**
 * The value of `v` rounded to the nearest float16 (ties to even), as float32 values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { roundToFp16 } from "./fp16_weights.ts";
 * assert.deepEqual(roundToFp16(Float32Array.of(1, 0.1, 65504, 1e-8)), Float32Array.of(1, 0.0999755859375, 65504, 0));
 * ```
 */
export function roundToFp16(v: Float32Array): Float32Array {
  return new Float32Array(Float16Array.from(v));
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

function count(t: OnnxProto.ITensorProto): number {
  return (t.dims ?? []).reduce((a: number, d) => a * toNumber(d), 1);
}

/** Why `t` stays float32, or undefined when it is converted (see the module doc). */
function keepReason(
  t: OnnxProto.ITensorProto,
  uses: { op: string; index: number }[],
  io: Set<string>,
  minElements: number,
): string | undefined {
  if (io.has(t.name ?? "")) return "a graph input or output";
  if (uses.length === 0) return "no consumer in the graph";
  const other = uses.find((u) => !(FP16_WEIGHT_INPUTS[u.op] ?? []).includes(u.index));
  if (other) return `input ${other.index} of ${other.op} (not a multiplied weight)`;
  const n = count(t);
  if (n < minElements) return `${n} values (< ${minElements})`;
  return undefined;
}

/**
 * Stores `model`'s large weight initializers as float16 behind `Cast` nodes (see the module
 * doc); returns the new model (the input is not modified) and a report. `minElements` defaults
 * to {@linkcode FP16_MIN_ELEMENTS}. A float16 initializer keeps its position in the list and
 * is named `<name>.fp16` (made unique); the casts come first in the node list. Idempotent: a
 * converted graph has nothing left to convert.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GraphBuilder } from "./graph.ts";
 * import { decodeModel } from "./quantize/proto.ts";
 * import { storeWeightsFp16 } from "./fp16_weights.ts";
 * const g = new GraphBuilder("dense");
 * g.input("x", ["N", 64]);
 * g.node("Gemm", ["x", g.floats("w", new Float32Array(64 * 32).fill(0.1), [64, 32]),
 *   g.floats("b", new Float32Array(32), [32])], { outputs: ["y"] });
 * g.output("y", ["N", 32]);
 * const { model, report } = storeWeightsFp16(decodeModel(g.encode(), "dense"));
 * assert.deepEqual(report.converted, ["w"]);
 * assert.deepEqual(report.kept, [{ name: "b", why: "input 2 of Gemm (not a multiplied weight)" }]);
 * const [cast, gemm] = model.graph!.node!;
 * assert.deepEqual([cast.opType, cast.input, cast.output, gemm.input], ["Cast", ["w.fp16"], ["w"], ["x", "w", "b"]]);
 * assert.equal(model.graph!.initializer![0].dataType, 10); // FLOAT16
 * ```
 */
export function storeWeightsFp16(
  model: OnnxProto.IModelProto,
  minElements: number = FP16_MIN_ELEMENTS,
): { model: OnnxProto.IModelProto; report: Fp16Report } {
  const g = model.graph!;
  const nodes = g.node ?? [];
  const uses = new Map<string, { op: string; index: number }[]>();
  for (const n of nodes) {
    (n.input ?? []).forEach((name, index) => {
      if (name) uses.set(name, [...(uses.get(name) ?? []), { op: n.opType ?? "", index }]);
    });
  }
  const io = new Set([...(g.input ?? []), ...(g.output ?? [])].map((v) => v.name ?? ""));
  const used = new Set<string>([
    ...(g.initializer ?? []).map((t) => t.name ?? ""),
    ...io,
    ...nodes.flatMap((n) => [...(n.output ?? []), n.name ?? ""]),
  ]);
  const fresh = (hint: string) => {
    let name = hint;
    for (let k = 1; used.has(name); k++) name = `${hint}_${k}`;
    used.add(name);
    return name;
  };
  const report: Fp16Report = { converted: [], kept: [] };
  const casts: OnnxProto.INodeProto[] = [];
  const initializer = (g.initializer ?? []).map((t) => {
    if (t.dataType !== DT.FLOAT) return t;
    const name = t.name ?? "";
    let why = keepReason(t, uses.get(name) ?? [], io, minElements);
    const v = why === undefined ? initializerFloats(t) : undefined;
    const h = v && Float16Array.from(v);
    if (v && h && !h.every((x, i) => Number.isFinite(x) || !Number.isFinite(v[i]))) {
      why = "values beyond float16's range (|w| > 65504)";
    }
    if (why !== undefined || !h) {
      report.kept.push({ name, why: why! });
      return t;
    }
    const half = fresh(`${name}.fp16`);
    casts.push({
      opType: "Cast",
      name: fresh(`Cast:${name}`),
      input: [half],
      output: [name],
      attribute: [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: DT.FLOAT }],
    });
    report.converted.push(name);
    return { name: half, dims: t.dims, dataType: DT.FLOAT16, rawData: bytesOf(h) };
  });
  return {
    model: { ...model, graph: { ...g, initializer, node: [...casts, ...nodes] } },
    report,
  };
}

/**
 * The exact inverse of {@linkcode storeWeightsFp16}: every `Cast(to = FLOAT)` of a FLOAT16
 * initializer that nothing else reads becomes a float32 initializer (at the float16 one's
 * position) named by the cast's output, and the cast is dropped. Other graphs come back as
 * they were.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeModel, encodeModel } from "./quantize/proto.ts";
 * import { expandFp16Weights, hasFp16Weights } from "./fp16_weights.ts";
 * const bytes = await Deno.readFile("models/mnist/block_01.onnx"); // stored in fp16
 * const m = decodeModel(bytes, "block_01.onnx");
 * assert.ok(hasFp16Weights(m));
 * const wide = expandFp16Weights(m);
 * assert.ok(!hasFp16Weights(wide));
 * assert.ok(!wide.graph!.node!.some((n) => n.opType === "Cast"));
 * assert.ok(encodeModel(wide).length > 1.9 * bytes.length); // float32 again
 * ```
 */
export function expandFp16Weights(model: OnnxProto.IModelProto): OnnxProto.IModelProto {
  const g = model.graph!;
  const nodes = g.node ?? [];
  const reads = new Map<string, number>();
  for (const n of nodes) for (const i of n.input ?? []) reads.set(i, (reads.get(i) ?? 0) + 1);
  const io = new Set([...(g.input ?? []), ...(g.output ?? [])].map((v) => v.name ?? ""));
  const halves = new Map(
    (g.initializer ?? []).filter((t) => t.dataType === DT.FLOAT16).map((t) => [t.name ?? "", t]),
  );
  const widened = new Map<string, string>(); // float16 initializer → the cast's output
  const kept = nodes.filter((n) => {
    const src = n.input?.[0] ?? "";
    const to = n.attribute?.find((a) => a.name === "to");
    const match = n.opType === "Cast" && n.input?.length === 1 && n.output?.length === 1 &&
      to !== undefined && toNumber(to.i) === DT.FLOAT && halves.has(src) &&
      reads.get(src) === 1 && !io.has(src) && !widened.has(src);
    if (match) widened.set(src, n.output![0]);
    return !match;
  });
  const initializer = (g.initializer ?? []).map((t) => {
    const name = widened.get(t.name ?? "");
    if (name === undefined) return t;
    const raw = new Uint8Array(t.rawData ?? []); // a copy at offset 0 (aligned)
    const h = raw.length > 0
      ? new Float16Array(raw.buffer, 0, raw.length / 2)
      : Float16Array.from((t.int32Data ?? []).map((bits) => bitsToHalf(bits)));
    return { name, dims: t.dims, dataType: DT.FLOAT, rawData: bytesOf(new Float32Array(h)) };
  });
  return { ...model, graph: { ...g, initializer, node: kept } };
}

/** A float16 given as its 16 bits (the `int32_data` form of a FLOAT16 tensor). */
function bitsToHalf(bits: number): number {
  return new Float16Array(Uint16Array.of(bits).buffer)[0];
}

/**
 * Whether `model` stores any weight as float16 behind a `Cast` ({@linkcode storeWeightsFp16}'s
 * pattern).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeModel } from "./quantize/proto.ts";
 * import { hasFp16Weights } from "./fp16_weights.ts";
 * const cls = decodeModel(await Deno.readFile("models/mnist/classifier.onnx"), "classifier");
 * assert.equal(hasFp16Weights(cls), false); // 10 × 10: too small to convert
 * ```
 */
export function hasFp16Weights(model: OnnxProto.IModelProto): boolean {
  return (model.graph?.initializer ?? []).some((t) => t.dataType === DT.FLOAT16);
}

/**
 * {@linkcode storeWeightsFp16} on `.onnx` bytes; `label` names the graph in errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fp16GraphBytes } from "./fp16_weights.ts";
 * const bytes = await Deno.readFile("models/mnist/classifier.onnx");
 * const { bytes: out, report } = fp16GraphBytes(bytes, "classifier.onnx");
 * assert.deepEqual(out, bytes); // nothing converted: the same bytes
 * assert.deepEqual(report.kept.map((k) => k.name), ["cls.w", "cls.b"]);
 * ```
 */
export function fp16GraphBytes(
  bytes: Uint8Array,
  label: string,
): { bytes: Uint8Array; report: Fp16Report } {
  const { model, report } = storeWeightsFp16(decodeModel(bytes, label));
  return { bytes: report.converted.length > 0 ? encodeModel(model) : bytes, report };
}
