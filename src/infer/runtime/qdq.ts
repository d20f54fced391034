/**
 * onnxruntime session settings for int8 graphs in the QDQ format (`deno task export
 * --quantize int8`): the graph says where values are quantized, and onnxruntime is asked to
 * keep it that way. Its `QDQPropagationTransformer` would otherwise move a QuantizeLinear
 * backwards across a MaxPool that the exporter deliberately left in float — after a float
 * convolution too small to gain from int8 (the first conv of a block, 1 input channel: a
 * reduction of 9) — and onnxruntime's uint8 MaxPool in NCHW layout then costs more than the
 * convolutions it feeds (measured on the paper-width MNIST block at batch 128: 6.3 ms for that
 * MaxPool against 0.4 ms in float). Float graphs hold no Q/DQ nodes, so this changes nothing
 * for them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { QDQ_SESSION_CONFIG } from "./qdq.ts";
 * // Passed as `extra.optimization` of onnxruntime's session options:
 * // the config entry "optimization.disable_specified_optimizers".
 * assert.equal(QDQ_SESSION_CONFIG.disable_specified_optimizers, "QDQPropagationTransformer");
 * ```
 * @module
 */

/** The `optimization.*` session config entries (see the module doc). */
export const QDQ_SESSION_CONFIG: Readonly<Record<string, string>> = Object.freeze({
  disable_specified_optimizers: "QDQPropagationTransformer",
});
