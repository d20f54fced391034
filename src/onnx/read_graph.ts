/**
 * Reads back what the exporter needs from an `.onnx` file it wrote: the float32 initializers
 * (name → tensor) and the model's doc string and opset. Used to add `chain.onnx` to an export
 * whose run folder is gone (`export_chain.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readGraph } from "./read_graph.ts";
 * const bytes = await Deno.readFile("models/mnist/classifier.onnx"); // the shipped model
 * const g = readGraph(bytes, "classifier.onnx");
 * assert.deepEqual(g.initializers["cls.w"].shape, [10, 10]);
 * assert.equal(g.docString, "NoProp classifier: z_T → logits");
 * ```
 * @module
 */
import { onnx } from "../deps_onnx.ts";
import type { NamedTensor } from "./weights.ts";

/**
 * What {@linkcode readGraph} returns.
 *
 * @example
 * ```ts
 * import type { ReadGraph } from "./read_graph.ts";
 * const count = (g: ReadGraph) => Object.keys(g.initializers).length;
 * ```
 */
export interface ReadGraph {
  /** Float32 initializers by name (other types are left out). */
  initializers: Record<string, NamedTensor>;
  /** The model's doc string. */
  docString: string;
  /** The default-domain opset. */
  opset: number;
}

/**
 * Decodes `bytes`; `label` names the file in errors (one line).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readGraph } from "./read_graph.ts";
 * assert.throws(() => readGraph(new Uint8Array([255, 255, 255]), "block_01.onnx"), {
 *   message: /^block_01\.onnx is not an ONNX model: /,
 * });
 * ```
 */
export function readGraph(bytes: Uint8Array, label: string): ReadGraph {
  let model;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new Error(`${label} is not an ONNX model: ${(e as Error).message.split("\n")[0]}`);
  }
  const initializers: Record<string, NamedTensor> = {};
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataType !== onnx.TensorProto.DataType.FLOAT || !t.name) continue;
    const shape = (t.dims ?? []).map((d) => Number(d));
    const n = shape.reduce((a, b) => a * b, 1);
    const data = t.rawData && t.rawData.length > 0
      ? new Float32Array(t.rawData.slice().buffer)
      : Float32Array.from(t.floatData ?? []);
    if (data.length !== n) {
      throw new Error(
        `${label}: initializer "${t.name}" holds ${data.length} values for [${shape}]`,
      );
    }
    initializers[t.name] = { shape, data };
  }
  const opset = model.opsetImport?.find((o) => !o.domain)?.version;
  return { initializers, docString: model.docString ?? "", opset: Number(opset ?? 0) };
}
