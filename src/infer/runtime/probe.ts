/**
 * A one-node ONNX model (y = Relu(x), x: float32 [1]) that engines open when they are
 * created, so that an unusable execution provider is reported at once, before any model is
 * loaded. (Built with the project's exporter, `src/onnx/graph.ts`; a test checks the bytes.)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { probeGraph } from "./probe.ts";
 * assert.equal(probeGraph().byteLength, 111);
 * ```
 * @module
 */

/**
 * The probe model, base64.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PROBE_GRAPH_BASE64 } from "./probe.ts";
 * assert.equal(PROBE_GRAPH_BASE64.length, 148); // 111 bytes
 * ```
 */
export const PROBE_GRAPH_BASE64 =
  "CAgSBm5vcHJvcBoFMC4xLjAyFW5vcHJvcCBwcm92aWRlciBwcm9iZTo/ChQKAXgSAXkaBlJlbHU6eSIEUmVsdRIFcHJvYmVaDwoBeBIKCggIARIECgIIAWIPCgF5EgoKCAgBEgQKAggBQgQKABAR";

/**
 * The probe model's bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { probeGraph } from "./probe.ts";
 * const bytes = probeGraph(); // an .onnx file
 * assert.ok(new TextDecoder().decode(bytes).includes("Relu"));
 * ```
 */
export function probeGraph(): Uint8Array {
  return Uint8Array.from(atob(PROBE_GRAPH_BASE64), (c) => c.charCodeAt(0));
}
