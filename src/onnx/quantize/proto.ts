/**
 * Reading and writing the parts of a decoded ONNX `ModelProto` (npm:onnx-proto) that the
 * graph transforms need: integer fields that protobufjs decodes as `Long`, float initializers
 * (raw little-endian bytes or `floatData`), new initializers of the quantized types, and node
 * attributes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeModel, initializerFloats, toNumber } from "./proto.ts";
 * const model = decodeModel(await Deno.readFile("models/mnist/classifier.onnx"), "classifier");
 * const w = model.graph!.initializer!.find((t) => t.name === "cls.w")!;
 * assert.deepEqual(w.dims!.map(toNumber), [10, 10]);
 * assert.equal(initializerFloats(w).length, 100);
 * ```
 * @module
 */
import { onnx, type OnnxProto } from "../../deps_onnx.ts";

/** Element types used here (`onnx.TensorProto.DataType`). */
const DT = onnx.TensorProto.DataType;

/**
 * A protobuf integer as a JS number (protobufjs gives int64 fields as `Long`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toNumber } from "./proto.ts";
 * assert.equal(toNumber(3), 3);
 * assert.equal(toNumber({ toNumber: () => 17 }), 17);
 * assert.equal(toNumber(null), 0);
 * ```
 */
export function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === "number" ? v : v.toNumber();
}

/**
 * Decodes `.onnx` bytes; `label` names the graph in the error when they are not a model.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeModel } from "./proto.ts";
 * assert.throws(() => decodeModel(new Uint8Array([1, 2, 3]), "x.onnx"), /^Error: x\.onnx: /);
 * ```
 */
export function decodeModel(bytes: Uint8Array, label: string): OnnxProto.ModelProto {
  let m: OnnxProto.ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new Error(`${label}: not an ONNX model (${(e as Error).message})`);
  }
  if (!m.graph) throw new Error(`${label}: not an ONNX model (no graph)`);
  return m;
}

/**
 * Encodes a model to `.onnx` bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeModel, encodeModel } from "./proto.ts";
 * const bytes = await Deno.readFile("models/mnist/classifier.onnx");
 * assert.deepEqual(new Uint8Array(encodeModel(decodeModel(bytes, "c"))), bytes); // lossless
 * ```
 */
export function encodeModel(m: OnnxProto.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(m)).finish();
}

/**
 * The values of a float32 initializer (raw bytes or `floatData`), copied; throws for any
 * other element type.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { floatTensor, initializerFloats } from "./proto.ts";
 * const t = floatTensor("w", Float32Array.of(1, 2), [2]);
 * assert.deepEqual(initializerFloats(t), Float32Array.of(1, 2));
 * assert.deepEqual(initializerFloats({ name: "v", dataType: 1, floatData: [3] }), Float32Array.of(3));
 * ```
 */
export function initializerFloats(t: OnnxProto.ITensorProto): Float32Array {
  if (t.dataType !== DT.FLOAT) {
    throw new Error(`initializer ${t.name}: element type ${t.dataType} is not float32`);
  }
  if (t.rawData && t.rawData.length > 0) {
    // A copy at offset 0 (aligned): decoding a Node Buffer gives views into it, and a
    // Buffer's slice() is a view too.
    const raw = new Uint8Array(t.rawData);
    return new Float32Array(raw.buffer, 0, raw.length / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}

function raw(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

/**
 * A float32 initializer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { floatTensor } from "./proto.ts";
 * assert.equal(floatTensor("s", Float32Array.of(0.5), []).rawData!.length, 4);
 * ```
 */
export function floatTensor(name: string, v: Float32Array, dims: number[]): OnnxProto.ITensorProto {
  return { name, dims, dataType: DT.FLOAT, rawData: raw(v) };
}

/**
 * An int8 (`Int8Array`), uint8 (`Uint8Array`) or int32 (`Int32Array`) initializer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { intTensor } from "./proto.ts";
 * assert.equal(intTensor("q", Int8Array.of(-1), [1]).dataType, 3); // INT8
 * assert.equal(intTensor("z", Uint8Array.of(0), []).dataType, 2); // UINT8
 * assert.equal(intTensor("b", Int32Array.of(5), [1]).dataType, 6); // INT32
 * ```
 */
export function intTensor(
  name: string,
  v: Int8Array | Uint8Array | Int32Array,
  dims: number[],
): OnnxProto.ITensorProto {
  const dataType = v instanceof Int8Array ? DT.INT8 : v instanceof Uint8Array ? DT.UINT8 : DT.INT32;
  return { name, dims, dataType, rawData: raw(v) };
}

/**
 * An integer attribute of a node (`fallback` when absent).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { intAttr } from "./proto.ts";
 * const node = { opType: "Gemm", attribute: [{ name: "transB", type: 2, i: 1 }] };
 * assert.equal(intAttr(node, "transB", 0), 1);
 * assert.equal(intAttr(node, "transA", 0), 0);
 * ```
 */
export function intAttr(n: OnnxProto.INodeProto, name: string, fallback: number): number {
  const a = n.attribute?.find((a) => a.name === name);
  return a ? toNumber(a.i) : fallback;
}

/**
 * A float attribute of a node (`fallback` when absent).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { floatAttr } from "./proto.ts";
 * assert.equal(floatAttr({ attribute: [{ name: "alpha", type: 1, f: 2 }] }, "alpha", 1), 2);
 * assert.equal(floatAttr({}, "beta", 1), 1);
 * ```
 */
export function floatAttr(n: OnnxProto.INodeProto, name: string, fallback: number): number {
  const a = n.attribute?.find((a) => a.name === name);
  return a ? a.f ?? 0 : fallback;
}

/**
 * The default-domain opset a model imports (0 if none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeModel, defaultOpset } from "./proto.ts";
 * const m = decodeModel(await Deno.readFile("models/mnist/classifier.onnx"), "classifier");
 * assert.equal(defaultOpset(m), 17);
 * ```
 */
export function defaultOpset(m: OnnxProto.IModelProto): number {
  const o = m.opsetImport?.find((o) => !o.domain || o.domain === "ai.onnx");
  return o ? toNumber(o.version) : 0;
}
