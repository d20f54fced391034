/**
 * The one place the training side imports its external dependencies.
 *
 * Every npm package the trainer uses is re-exported from here, so that swapping a
 * dependency (for example `npm:yaml` for JSR's `@std/yaml` once JSR is reachable)
 * is a change to this file only. Versions are pinned in `deno.json`'s import map.
 *
 * @example
 * ```ts
 * import { tf, YAML } from "./deps.ts";
 * const t = tf.tensor1d([1, 2, 3]);
 * console.log(YAML.stringify({ rank: t.rank }));
 * ```
 * @module
 */
export * as tf from "@tensorflow/tfjs";
export * as YAML from "yaml";
export { parseArgs } from "node:util";
export { gunzipSync } from "node:zlib";
export { createHash } from "node:crypto";

// The ONNX protobuf classes (npm:onnx-proto, CommonJS: default-import, then take `.onnx`),
// for the exporter in src/onnx. `OnnxProto` is the type namespace (OnnxProto.IModelProto, …).
import onnxProto from "onnx-proto";
import type { onnx as OnnxProto } from "onnx-proto";
export type { OnnxProto };
/** The runtime ONNX protobuf namespace (`onnx.ModelProto.encode(…)`, `onnx.TensorProto.DataType`). */
export const onnx: typeof OnnxProto = onnxProto.onnx;
