/**
 * The one place the project imports the ONNX protobuf classes (`npm:onnx-proto`, pinned in
 * `deno.json`), for the exporter in `onnx/`. Kept out of `deps.ts` so that the trainer's
 * configuration and `--help` do not load protobufjs.
 *
 * npm:onnx-proto is CommonJS: default-import it, then take `.onnx`. `OnnxProto` is the type
 * namespace (OnnxProto.IModelProto, …).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { onnx } from "./deps_onnx.ts";
 * assert.equal(onnx.TensorProto.DataType.FLOAT, 1);
 * ```
 * @module
 */
import onnxProto from "onnx-proto";
import type { onnx as OnnxProto } from "onnx-proto";
export type { OnnxProto };
/** The runtime ONNX protobuf namespace (`onnx.ModelProto.encode(…)`, `onnx.TensorProto.DataType`). */
export const onnx: typeof OnnxProto = onnxProto.onnx;
