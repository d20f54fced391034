/**
 * Static int8 quantization of a float ONNX graph in the QDQ format: QuantizeLinear →
 * DequantizeLinear pairs on the activations of the quantized groups (`plan.ts`), weights
 * stored as int8 behind a DequantizeLinear, biases as int32 behind one. The graph stays a
 * valid float-in, float-out ONNX graph that any runtime can run as written ("fake
 * quantization"); onnxruntime's graph optimizer (level ≥ extended) fuses each
 * DQ → Conv/Gemm/MatMul → Q group into an integer kernel (QLinearConv, QGemm, QLinearMatMul
 * or MatMulIntegerToFloat), which on a CPU with AVX-512 VNNI multiplies u8·s8 in one
 * instruction.
 *
 * The transform is generic: it reads only op types, initializers and the calibrated ranges
 * (`calibrate.ts`), never which graph it is given — a block graph, a classifier, or a whole
 * fused chain.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectEngine } from "@noprop/infer";
 * import { decodeModel, encodeModel } from "./proto.ts";
 * import { quantizeModel } from "./transform.ts";
 * const m = decodeModel(await Deno.readFile("models/mnist/classifier.onnx"), "classifier.onnx");
 * // The classifier z → logits: one Gemm. Its input range, as calibration would measure it:
 * const ranges = new Map([["z", { min: -2, max: 2 }]]);
 * // Its reduction (d = 10) is below the default minimum: it stays float unless asked.
 * assert.deepEqual(quantizeModel(m, ranges).report.skipped, [
 *   { node: "Gemm:logits", reason: "its reduction length 10 is below 16" },
 * ]);
 * const { model, report } = quantizeModel(m, ranges, { minReduction: 0 });
 * assert.deepEqual(report.quantized, ["Gemm:logits"]);
 * const ops = model.graph!.node!.map((n) => n.opType);
 * assert.deepEqual(ops, [
 *   "DequantizeLinear", "DequantizeLinear", "QuantizeLinear", "DequantizeLinear", "Gemm",
 * ]); // weight, bias, then z's pair, then the Gemm
 * const { engine } = await selectEngine("cpu", { threads: 1 });
 * const s = await engine.open(encodeModel(model), "classifier.int8.onnx");
 * const z = Float32Array.from({ length: 10 }, (_, i) => i / 5 - 1);
 * assert.equal((await s.run({ z: { data: z, dims: [1, 10] } })).logits.length, 10);
 * await s.release();
 * ```
 * @module
 */
import { onnx, type OnnxProto } from "../../deps_onnx.ts";
import {
  activationParams,
  type ActivationType,
  quantizeBias,
  quantizeWeights,
  type QuantParams,
} from "./params.ts";
import { DEFAULT_TARGET_OPS, planQuantization } from "./plan.ts";
import {
  defaultOpset,
  floatTensor,
  initializerFloats,
  intAttr,
  intTensor,
  toNumber,
} from "./proto.ts";

/**
 * A calibrated range of one tensor.
 *
 * @example
 * ```ts
 * import type { Range } from "./transform.ts";
 * const r: Range = { min: -1.5, max: 4 };
 * ```
 */
export interface Range {
  /** Smallest value seen. */
  min: number;
  /** Largest value seen. */
  max: number;
}

/**
 * Options of {@linkcode quantizeModel}.
 *
 * @example
 * ```ts
 * import type { QuantizeOptions } from "./transform.ts";
 * const o: QuantizeOptions = { activations: "u8", perChannel: true, ops: ["Conv"] };
 * ```
 */
export interface QuantizeOptions {
  /** Activation type (default `u8`: what onnxruntime's x86 integer kernels take). */
  activations?: ActivationType;
  /** One weight scale per output channel (default true) or one per tensor. */
  perChannel?: boolean;
  /** 7-bit weights (default false; for CPUs without VNNI). */
  reduceRange?: boolean;
  /** Op types to quantize (default Conv, Gemm, MatMul). */
  ops?: readonly string[];
  /**
   * Leave float the nodes whose reduction length (C_in/group · kh · kw, or K) is below this
   * (default {@linkcode MIN_REDUCTION}).
   */
  minReduction?: number;
}

/**
 * What {@linkcode quantizeModel} did.
 *
 * @example
 * ```ts
 * import type { QuantizeReport } from "./transform.ts";
 * const line = (r: QuantizeReport) => `${r.quantized.length} nodes quantized, ${r.pairs} Q/DQ pairs`;
 * ```
 */
export interface QuantizeReport {
  /** Names of the quantized nodes. */
  quantized: string[];
  /** Nodes of the target types left in float, with the reason. */
  skipped: { node: string; reason: string }[];
  /** Activation Q/DQ pairs inserted. */
  pairs: number;
  /** ReLU nodes folded into a zero point. */
  foldedRelus: number;
}

const DT = onnx.TensorProto.DataType;

/**
 * The default smallest reduction length quantized. Below it an int8 kernel's fixed costs
 * (quantizing and repacking its input, requantizing every output) outweigh its arithmetic:
 * the first convolution of the paper-width MNIST block (1 input channel, 3×3: a reduction of
 * 9, 32 outputs per pixel) took 5.4 ms as QLinearConv against 0.84 ms in float at batch 128
 * on onnxruntime-node cpu (2 threads, AVX-512 VNNI), while the next two (reductions 288 and
 * 576) ran 3–4× faster in int8. It also leaves the label branch's first dense layer (z in,
 * a reduction of d = 10) in float.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MIN_REDUCTION } from "./transform.ts";
 * assert.equal(MIN_REDUCTION, 16);
 * ```
 */
export const MIN_REDUCTION = 16;

/** Output-channel axis of a target's weight. */
function weightAxis(n: OnnxProto.INodeProto): number {
  if (n.opType === "Conv") return 0;
  if (n.opType === "Gemm") return intAttr(n, "transB", 0) === 1 ? 0 : 1;
  return 1; // MatMul [K, N]
}

/**
 * Quantizes `model` with the calibrated `ranges` of the tensors `planQuantization` lists (see
 * the module doc); returns a new model and a report. A missing range is an error naming the
 * tensor. The input model is not modified.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeModel } from "./proto.ts";
 * import { quantizeModel } from "./transform.ts";
 * const m = decodeModel(await Deno.readFile("models/mnist/classifier.onnx"), "classifier.onnx");
 * const all = { minReduction: 0 }; // the classifier's Gemm has a reduction of 10
 * assert.throws(() => quantizeModel(m, new Map(), all), /no calibrated range for tensor "z"/);
 * const s8 = quantizeModel(m, new Map([["z", { min: -1, max: 1 }]]), { ...all, activations: "s8" });
 * const zp = s8.model.graph!.initializer!.find((t) => t.name === "z_zero_point")!;
 * assert.equal(zp.dataType, 3); // INT8
 * ```
 */
export function quantizeModel(
  model: OnnxProto.IModelProto,
  ranges: ReadonlyMap<string, Range>,
  o: QuantizeOptions = {},
): { model: OnnxProto.IModelProto; report: QuantizeReport } {
  const act = o.activations ?? "u8", perChannel = o.perChannel ?? true;
  const opset = defaultOpset(model);
  if (opset < 13) {
    throw new Error(`graph ${model.graph?.name}: opset ${opset}; per-channel Q/DQ needs ≥ 13`);
  }
  const g = model.graph!;
  const plan = planQuantization(
    model,
    o.ops ?? DEFAULT_TARGET_OPS,
    o.minReduction ?? MIN_REDUCTION,
  );
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? "", t]));
  const used = new Set<string>([
    ...inits.keys(),
    ...(g.input ?? []).map((i) => i.name ?? ""),
    ...(g.node ?? []).flatMap((n) => [...(n.output ?? []), n.name ?? ""]),
  ]);
  const fresh = (hint: string) => {
    let name = hint;
    for (let k = 1; used.has(name); k++) name = `${hint}_${k}`;
    used.add(name);
    return name;
  };
  const newInits: OnnxProto.ITensorProto[] = [];
  const head: OnnxProto.INodeProto[] = []; // weight and bias DequantizeLinear nodes

  // Activation parameters, one per group.
  const params = new Map<string, QuantParams>();
  const floatSourced = new Set<string>();
  plan.groups.forEach((members, i) => {
    let min = Infinity, max = -Infinity;
    for (const t of members) {
      const r = ranges.get(t);
      if (!r) throw new Error(`graph ${g.name}: no calibrated range for tensor "${t}"`);
      min = Math.min(min, r.min);
      max = Math.max(max, r.max);
    }
    if (plan.reluGroups[i]) min = 0; // a folded ReLU: nothing below 0 reaches a consumer
    const p = activationParams(min, max, act);
    for (const t of members) params.set(t, p);
    if (!plan.integerSource[i]) members.forEach((t) => floatSourced.add(t));
  });

  // One Q → DQ pair per quantized tensor that has a consumer; consumers read the DQ output.
  const alias = (t: string) => plan.foldedRelus.get(t) ?? t;
  const dqOf = new Map<string, string>();
  const pairNodes = (t: string): OnnxProto.INodeProto[] => {
    const p = params.get(t)!;
    const scale = fresh(`${t}_scale`), zp = fresh(`${t}_zero_point`);
    newInits.push(floatTensor(scale, Float32Array.of(p.scale), []));
    const zpData = act === "u8" ? Uint8Array.of(p.zeroPoint) : Int8Array.of(p.zeroPoint);
    newInits.push(intTensor(zp, zpData, []));
    const q = fresh(`${t}_quantized`), dq = fresh(`${t}_dequantized`);
    dqOf.set(t, dq);
    return [
      {
        opType: "QuantizeLinear",
        name: fresh(`${t}_QuantizeLinear`),
        input: [t, scale, zp],
        output: [q],
      },
      {
        opType: "DequantizeLinear",
        name: fresh(`${t}_DequantizeLinear`),
        input: [q, scale, zp],
        output: [dq],
      },
    ];
  };
  const consumed = new Set((g.node ?? []).flatMap((n) => (n.input ?? []).map(alias)));
  const targetInputs = new Set(plan.targets.map((n) => alias(n.input![0])));
  const wantsPair = (t: string) =>
    params.has(t) && !plan.foldedRelus.has(t) && consumed.has(t) &&
    (!floatSourced.has(t) || targetInputs.has(t));

  // Weights and biases of the targets.
  const weightDq = new Map<string, { dq: string; scales: Float32Array }>();
  const replaceInputs = new Map<OnnxProto.INodeProto, string[]>();
  for (const n of plan.targets) {
    const [x, w, b] = n.input!;
    const axis = perChannel ? weightAxis(n) : undefined;
    const key = `${w}|${axis}`;
    if (!weightDq.has(key)) {
      const t = inits.get(w)!;
      const dims = (t.dims ?? []).map(toNumber);
      const { q, scales } = quantizeWeights(initializerFloats(t), dims, axis, o.reduceRange);
      const qn = fresh(`${w}_quantized`), sn = fresh(`${w}_scale`), zn = fresh(`${w}_zero_point`);
      const sdims = axis === undefined ? [] : [scales.length];
      newInits.push(intTensor(qn, q, dims), floatTensor(sn, scales, sdims));
      newInits.push(intTensor(zn, new Int8Array(scales.length), sdims));
      const dq = fresh(`${w}_dequantized`);
      head.push({
        opType: "DequantizeLinear",
        name: fresh(`${w}_DequantizeLinear`),
        input: [qn, sn, zn],
        output: [dq],
        attribute: axis === undefined ? [] : [{ name: "axis", type: 2, i: axis }],
      });
      weightDq.set(key, { dq, scales });
    }
    const wq = weightDq.get(key)!;
    const inputs = [...n.input!];
    inputs[1] = wq.dq;
    const bt = b ? inits.get(b) : undefined;
    const xParams = params.get(alias(x))!;
    if (bt && bt.dataType === DT.FLOAT && (bt.dims ?? []).length === 1) {
      const bias = initializerFloats(bt);
      const channels = wq.scales.length === 1 ? bias.length : wq.scales.length;
      if (bias.length === channels) {
        const { q, scales } = quantizeBias(bias, xParams.scale, wq.scales);
        const qn = fresh(`${b}_quantized`), sn = fresh(`${b}_scale`), zn = fresh(`${b}_zero_point`);
        newInits.push(intTensor(qn, q, [q.length]), floatTensor(sn, scales, [q.length]));
        newInits.push(intTensor(zn, new Int32Array(q.length), [q.length]));
        const dq = fresh(`${b}_dequantized`);
        head.push({
          opType: "DequantizeLinear",
          name: fresh(`${b}_DequantizeLinear`),
          input: [qn, sn, zn],
          output: [dq],
          attribute: [{ name: "axis", type: 2, i: 0 }],
        });
        inputs[2] = dq;
      }
    }
    replaceInputs.set(n, inputs);
  }

  // The node list: weight DQs, then graph-input pairs, then each node followed by its pairs.
  const out: OnnxProto.INodeProto[] = [...head];
  let pairs = 0;
  for (const i of g.input ?? []) {
    const t = i.name ?? "";
    if (wantsPair(t)) {
      out.push(...pairNodes(t));
      pairs++;
    }
  }
  for (const n of g.node ?? []) {
    if (n.opType === "Relu" && plan.foldedRelus.has(n.output![0])) continue;
    const inputs = (replaceInputs.get(n) ?? n.input ?? []).map((t) => {
      const a = alias(t);
      return dqOf.get(a) ?? a;
    });
    out.push({ ...n, input: inputs });
    for (const t of n.output ?? []) {
      if (wantsPair(t)) {
        out.push(...pairNodes(t));
        pairs++;
      }
    }
  }
  const referenced = new Set(out.flatMap((n) => n.input ?? []));
  const initializer = [...(g.initializer ?? []), ...newInits].filter((t) =>
    referenced.has(t.name ?? "")
  );
  const quantized = plan.targets.map((n) => n.name || n.output![0]);
  return {
    model: { ...model, graph: { ...g, node: out, initializer } },
    report: { quantized, skipped: plan.skipped, pairs, foldedRelus: plan.foldedRelus.size },
  };
}
