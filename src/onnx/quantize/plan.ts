/**
 * Which tensors of a float ONNX graph static quantization puts into int8, before any range is
 * known (so that calibration measures exactly those): the plan of `transform.ts`.
 *
 * - Targets: the nodes where the multiply-adds are — Conv, Gemm and MatMul by default — whose
 *   weight (input 1) is a float initializer and whose data input (input 0) is not (Gemm only
 *   with transA = 0, alpha = beta = 1), and whose reduction length (C_in/group · kh · kw, or K)
 *   is at least `minReduction` (the transform's default is 16, see `MIN_REDUCTION`).
 * - Groups: tensors that share one scale and zero point. A target's output is joined with the
 *   output of a ReLU that is its only consumer (the ReLU is then folded away: a zero point at
 *   the bottom of the integer range clips at 0 exactly as ReLU does), and the input and output
 *   of value-preserving ops (MaxPool, Flatten, Reshape, Transpose, Squeeze, Unsqueeze,
 *   Identity) are joined, so that those ops run on the integers unchanged (onnxruntime drops
 *   the Q/DQ pair around such an op only when both sides have the same parameters).
 * - Quantized groups: those holding a target's data input or a Conv's output (onnxruntime
 *   fuses DQ → Conv → Q into QLinearConv only with a quantized output). A Gemm or MatMul
 *   whose output feeds no target keeps a float output (QGemm / MatMulIntegerToFloat).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeModel } from "./proto.ts";
 * import { planQuantization } from "./plan.ts";
 * const m = decodeModel(await Deno.readFile("models/mnist/block_01.onnx"), "block_01.onnx");
 * const plan = planQuantization(m);
 * assert.equal(plan.targets.filter((n) => n.opType === "Conv").length, 3);
 * assert.ok(plan.calibrate.includes("x") && plan.calibrate.includes("z")); // graph inputs
 * assert.equal(plan.foldedRelus.size, 7); // after 3 convs, 2 label-branch and 2 head Gemms
 * ```
 * @module
 */
import type { OnnxProto } from "../../deps_onnx.ts";
import { onnx } from "../../deps_onnx.ts";
import { floatAttr, intAttr, toNumber } from "./proto.ts";

/**
 * The operators quantized by default.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_TARGET_OPS } from "./plan.ts";
 * assert.deepEqual(DEFAULT_TARGET_OPS, ["Conv", "Gemm", "MatMul"]);
 * ```
 */
export const DEFAULT_TARGET_OPS: readonly string[] = ["Conv", "Gemm", "MatMul"];

/** Ops whose output values are a subset of their input values: they share its scale. */
const PASS_THROUGH = new Set([
  "MaxPool",
  "Flatten",
  "Reshape",
  "Transpose",
  "Squeeze",
  "Unsqueeze",
  "Identity",
]);

/**
 * The plan (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeModel } from "./proto.ts";
 * import { planQuantization, type QuantizationPlan } from "./plan.ts";
 * const m = decodeModel(await Deno.readFile("models/mnist/classifier.onnx"), "classifier.onnx");
 * const p: QuantizationPlan = planQuantization(m);
 * assert.deepEqual(p.targets.map((n) => n.opType), ["Gemm"]);
 * assert.deepEqual(p.calibrate, ["z"]); // its output feeds no target: it stays float
 * ```
 */
export interface QuantizationPlan {
  /** The nodes to quantize, in graph order. */
  targets: OnnxProto.INodeProto[];
  /** Nodes of the target op types left in float, with the reason. */
  skipped: { node: string; reason: string }[];
  /** Quantized groups: each a list of tensor names sharing one scale and zero point. */
  groups: string[][];
  /** Per group: whether a folded ReLU pins its range's bottom at 0. */
  reluGroups: boolean[];
  /**
   * Per group: whether its source tensor is a target's output (already integer in the fused
   * kernel). Only then do the value-preserving ops of the group run on integers; otherwise
   * they stay float and only the tensors a target reads are quantized, right before it.
   */
  integerSource: boolean[];
  /** ReLU nodes folded away, by output name → the tensor that replaces it. */
  foldedRelus: Map<string, string>;
  /** Every tensor whose range calibration must measure (members of quantized groups). */
  calibrate: string[];
}

class UnionFind {
  readonly #parent = new Map<string, string>();
  find(a: string): string {
    let p = this.#parent.get(a) ?? a;
    if (p !== a) {
      p = this.find(p);
      this.#parent.set(a, p);
    }
    return p;
  }
  union(a: string, b: string): void {
    const ra = this.find(a), rb = this.find(b);
    if (ra !== rb) this.#parent.set(rb, ra);
  }
}

function isFloatInit(inits: Map<string, OnnxProto.ITensorProto>, name: string | undefined) {
  const t = name === undefined ? undefined : inits.get(name);
  return t !== undefined && t.dataType === onnx.TensorProto.DataType.FLOAT;
}

/**
 * The reduction length of a target: the products summed into one output value (C_in/group ·
 * kh · kw for a Conv, K for a Gemm or MatMul).
 */
function reductionLength(n: OnnxProto.INodeProto, dims: number[]): number {
  if (n.opType === "Conv") return dims.slice(1).reduce((a, b) => a * b, 1);
  if (n.opType === "Gemm" && intAttr(n, "transB", 0) === 1) return dims[1];
  return dims[0];
}

function whyNot(
  n: OnnxProto.INodeProto,
  inits: Map<string, OnnxProto.ITensorProto>,
  minReduction: number,
): string | undefined {
  const [x, w] = n.input ?? [];
  if (!x || inits.has(x)) return "its data input is a constant";
  if (!isFloatInit(inits, w)) return "its weight is not a float32 initializer";
  const dims = (inits.get(w!)!.dims ?? []).map(toNumber);
  if (n.opType === "Gemm") {
    if (intAttr(n, "transA", 0) !== 0) return "transA = 1";
    if (floatAttr(n, "alpha", 1) !== 1 || floatAttr(n, "beta", 1) !== 1) return "alpha or beta ≠ 1";
    if (dims.length !== 2) return "its weight is not a matrix";
  }
  if (n.opType === "MatMul" && dims.length !== 2) return "its weight is not a matrix";
  const k = reductionLength(n, dims);
  if (k < minReduction) return `its reduction length ${k} is below ${minReduction}`;
  return undefined;
}

/**
 * Plans the quantization of `model`'s graph (see the module doc); `ops` are the target op
 * types.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeModel } from "./proto.ts";
 * import { planQuantization } from "./plan.ts";
 * const m = decodeModel(await Deno.readFile("models/mnist/block_01.onnx"), "block_01.onnx");
 * const convsOnly = planQuantization(m, ["Conv"]);
 * assert.equal(convsOnly.targets.length, 3);
 * // The image branch: x, then each conv's (ReLU-folded, pooled) output.
 * assert.equal(convsOnly.groups.length, 4);
 * ```
 */
export function planQuantization(
  model: OnnxProto.IModelProto,
  ops: readonly string[] = DEFAULT_TARGET_OPS,
  minReduction = 0,
): QuantizationPlan {
  const g = model.graph!;
  const nodes = g.node ?? [];
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? "", t]));
  const graphOutputs = new Set((g.output ?? []).map((o) => o.name ?? ""));
  const consumers = new Map<string, OnnxProto.INodeProto[]>();
  const producer = new Map<string, OnnxProto.INodeProto>();
  for (const n of nodes) {
    for (const i of n.input ?? []) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
    for (const o of n.output ?? []) producer.set(o, n);
  }

  const targets: OnnxProto.INodeProto[] = [];
  const skipped: QuantizationPlan["skipped"] = [];
  for (const n of nodes) {
    if (!ops.includes(n.opType ?? "")) continue;
    const reason = whyNot(n, inits, minReduction);
    if (reason) skipped.push({ node: n.name || n.output![0], reason });
    else targets.push(n);
  }
  const isTarget = new Set(targets);

  const uf = new UnionFind();
  const reluCandidates = new Map<string, string>(); // relu output → target output
  for (const n of nodes) {
    const x = n.input?.[0], y = n.output?.[0];
    if (!x || !y) continue;
    if (n.opType === "Relu") {
      const p = producer.get(x);
      const sole = (consumers.get(x) ?? []).length === 1;
      if (p && isTarget.has(p) && sole && !graphOutputs.has(x) && !graphOutputs.has(y)) {
        reluCandidates.set(y, x);
        uf.union(x, y);
      }
    } else if (PASS_THROUGH.has(n.opType ?? "") && (n.output ?? []).length === 1) {
      if (!inits.has(x)) uf.union(x, y);
    }
  }

  const members = new Map<string, Set<string>>();
  const add = (t: string) => {
    const r = uf.find(t);
    if (!members.has(r)) members.set(r, new Set());
    members.get(r)!.add(t);
  };
  for (const i of g.input ?? []) if (!inits.has(i.name ?? "")) add(i.name ?? "");
  for (const n of nodes) for (const o of n.output ?? []) if (o) add(o);

  const quantizedRoots = new Set<string>();
  for (const n of targets) {
    quantizedRoots.add(uf.find(n.input![0]));
    if (n.opType === "Conv") quantizedRoots.add(uf.find(n.output![0]));
  }
  const groups: string[][] = [];
  const reluGroups: boolean[] = [];
  const integerSource: boolean[] = [];
  const foldedRelus = new Map<string, string>();
  for (const root of quantizedRoots) {
    const list = [...(members.get(root) ?? [root])];
    groups.push(list);
    integerSource.push(list.some((t) => isTarget.has(producer.get(t)!)));
    const relus = list.filter((t) => reluCandidates.has(t));
    reluGroups.push(relus.length > 0);
    for (const r of relus) foldedRelus.set(r, reluCandidates.get(r)!);
  }
  return {
    targets,
    skipped,
    groups,
    reluGroups,
    integerSource,
    foldedRelus,
    calibrate: groups.flat(),
  };
}
