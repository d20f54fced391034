/**
 * A minimal ONNX graph builder over `npm:onnx-proto`: named float32 inputs and outputs (a
 * string dimension such as `"N"` is dynamic), float32/int64 initializers stored as raw
 * little-endian bytes, nodes with int/ints/float attributes, and serialisation to a
 * `ModelProto` (IR version 8, default-domain opset 17 unless told otherwise).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectEngine } from "@noprop/infer";
 * import { GraphBuilder } from "./graph.ts";
 * const g = new GraphBuilder("relu");
 * g.input("x", ["N", 4]);
 * g.node("Relu", ["x"], { outputs: ["y"] });
 * g.output("y", ["N", 4]);
 * const bytes = g.encode(); // an .onnx file
 * // Run it with the inference runtime (onnxruntime, cpu):
 * const { engine } = await selectEngine("cpu", { threads: 1 });
 * const session = await engine.open(bytes, "relu.onnx");
 * const { y } = await session.run({ x: { data: Float32Array.of(-1, 2, -3, 4), dims: [1, 4] } });
 * assert.deepEqual(y, Float32Array.of(0, 2, 0, 4));
 * await session.release();
 * ```
 * @module
 */
import { onnx, type OnnxProto } from "../deps_onnx.ts";

/**
 * The ONNX opset the exporter targets.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OPSET } from "./graph.ts";
 * assert.equal(OPSET, 17);
 * ```
 */
export const OPSET = 17;
/**
 * The ONNX IR version written (the newest `npm:onnx-proto@8` knows; opset 17 needs ≥ 8).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IR_VERSION } from "./graph.ts";
 * assert.equal(IR_VERSION, 8);
 * ```
 */
export const IR_VERSION = 8;

/**
 * A dimension: a fixed size or a symbolic (dynamic) name.
 *
 * @example
 * ```ts
 * import type { Dim } from "./graph.ts";
 * const dims: Dim[] = ["N", 1, 28, 28]; // dynamic batch
 * ```
 */
export type Dim = number | string;

/**
 * Attribute values a node may carry.
 *
 * @example
 * ```ts
 * import type { AttrValue } from "./graph.ts";
 * const attrs: Record<string, AttrValue> = {
 *   axis: 1, pads: [1, 1, 1, 1], epsilon: { float: 1e-5 }, // ints, int lists, floats
 * };
 * ```
 */
export type AttrValue = number | number[] | string | { float: number };

/**
 * Options of {@linkcode GraphBuilder.node}.
 *
 * @example
 * ```ts
 * import type { NodeOptions } from "./graph.ts";
 * const o: NodeOptions = { outputs: ["y"], attrs: { axis: 1 } };
 * ```
 */
export interface NodeOptions {
  /** Output names (default: one fresh name). */
  outputs?: string[];
  /** Attributes: integers (`number`), integer lists, strings, or `{ float }`. */
  attrs?: Record<string, AttrValue>;
  /** Node name (default: derived from the first output). */
  name?: string;
}

/**
 * Metadata written into the model.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GraphBuilder, type ModelInfo } from "./graph.ts";
 * const g = new GraphBuilder("identity");
 * g.input("x", [1]);
 * g.node("Identity", ["x"], { outputs: ["y"] });
 * g.output("y", [1]);
 * const info: ModelInfo = { docString: "block 1 of 10", metadata: { source: "noprop" } };
 * const text = new TextDecoder().decode(g.encode(info)); // protobuf keeps strings as UTF-8
 * assert.ok(["block 1 of 10", "source", "noprop"].every((s) => text.includes(s)));
 * ```
 */
export interface ModelInfo {
  /** Free-form description. */
  docString?: string;
  /** Key/value metadata (`metadata_props`). */
  metadata?: Record<string, string>;
  /** Default-domain opset (default {@linkcode OPSET}). */
  opset?: number;
}

const DT = onnx.TensorProto.DataType;

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

function valueInfo(name: string, dims: Dim[]): OnnxProto.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DT.FLOAT,
        shape: { dim: dims.map((d) => typeof d === "number" ? { dimValue: d } : { dimParam: d }) },
      },
    },
  };
}

function attribute(name: string, v: AttrValue): OnnxProto.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof v === "number") {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: use { float } for ${v}`);
    return { name, type: A.INT, i: v };
  }
  if (typeof v === "string") return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
  return { name, type: A.FLOAT, f: v.float };
}

/**
 * Builds one ONNX graph; see the module doc.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectEngine } from "@noprop/infer";
 * import { GraphBuilder } from "./graph.ts";
 * const g = new GraphBuilder("affine");
 * g.input("x", ["N", 2]);
 * const w = g.floats("w", Float32Array.of(1, 0, 2, 0, 1, 3), [2, 3]);
 * const b = g.floats("b", Float32Array.of(0, 0, 1), [3]);
 * g.node("Gemm", ["x", w, b], { outputs: ["y"] });
 * g.output("y", ["N", 3]);
 * assert.deepEqual(g.opTypes(), ["Gemm"]);
 * const { engine } = await selectEngine("cpu", { threads: 1 });
 * const session = await engine.open(g.encode(), "affine.onnx");
 * const { y } = await session.run({ x: { data: Float32Array.of(1, 1), dims: [1, 2] } });
 * assert.deepEqual(y, Float32Array.of(1, 1, 6)); // [1, 1]·w + b
 * await session.release();
 * ```
 */
export class GraphBuilder {
  readonly #name: string;
  readonly #inputs: OnnxProto.IValueInfoProto[] = [];
  readonly #outputs: OnnxProto.IValueInfoProto[] = [];
  readonly #inits: OnnxProto.ITensorProto[] = [];
  readonly #nodes: OnnxProto.INodeProto[] = [];
  readonly #names = new Set<string>();
  #counter = 0;

  /** Starts an empty graph called `name`. */
  constructor(name: string) {
    this.#name = name;
  }

  #claim(name: string): string {
    if (this.#names.has(name)) throw new Error(`graph ${this.#name}: name "${name}" used twice`);
    this.#names.add(name);
    return name;
  }

  /** A fresh value name starting with `hint`. */
  fresh(hint: string): string {
    let n = hint;
    while (this.#names.has(n)) n = `${hint}_${++this.#counter}`;
    return n;
  }

  /** Declares a float32 graph input. */
  input(name: string, dims: Dim[]): string {
    this.#inputs.push(valueInfo(this.#claim(name), dims));
    return name;
  }

  /** Declares a float32 graph output (the value must be produced by a node). */
  output(name: string, dims: Dim[]): string {
    this.#outputs.push(valueInfo(name, dims));
    return name;
  }

  /** Adds a float32 initializer with `dims`; returns its name. */
  floats(name: string, data: Float32Array, dims: number[]): string {
    const n = dims.reduce((a, b) => a * b, 1);
    if (n !== data.length) {
      throw new Error(`initializer ${name}: dims [${dims}] need ${n} values, got ${data.length}`);
    }
    this.#inits.push({ name: this.#claim(name), dims, dataType: DT.FLOAT, rawData: bytesOf(data) });
    return name;
  }

  /**
   * Adds an int64 initializer (e.g. a Reshape target; `dims` [] for a scalar such as a Gather
   * index); returns its name.
   */
  int64s(name: string, data: number[], dims: number[] = [data.length]): string {
    if (dims.reduce((a, b) => a * b, 1) !== data.length) {
      throw new Error(`initializer ${name}: dims [${dims}] need another count than ${data.length}`);
    }
    const raw = BigInt64Array.from(data.map((v) => BigInt(v)));
    this.#inits.push({
      name: this.#claim(name),
      dims,
      dataType: DT.INT64,
      rawData: bytesOf(raw),
    });
    return name;
  }

  /** Adds a node of type `op`; returns its (first) output name. */
  node(op: string, inputs: string[], opts: NodeOptions = {}): string {
    const outputs = (opts.outputs ?? [this.fresh(op.toLowerCase())]).map((o) => this.#claim(o));
    this.#nodes.push({
      opType: op,
      name: opts.name ?? `${op}:${outputs[0]}`,
      input: inputs,
      output: outputs,
      attribute: Object.entries(opts.attrs ?? {}).map(([k, v]) => attribute(k, v)),
    });
    return outputs[0];
  }

  /** Number of nodes so far. */
  get nodeCount(): number {
    return this.#nodes.length;
  }

  /** Operator types used, in node order. */
  opTypes(): string[] {
    return this.#nodes.map((n) => n.opType ?? "");
  }

  /** The serialised model (`.onnx` bytes). */
  encode(info: ModelInfo = {}): Uint8Array {
    const model: OnnxProto.IModelProto = {
      irVersion: IR_VERSION,
      producerName: "noprop",
      producerVersion: "0.1.0",
      docString: info.docString ?? "",
      opsetImport: [{ domain: "", version: info.opset ?? OPSET }],
      metadataProps: Object.entries(info.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.#name,
        input: this.#inputs,
        output: this.#outputs,
        initializer: this.#inits,
        node: this.#nodes,
      },
    };
    return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  }
}
