/**
 * The onnxruntime session config entries both engines pass (`ort_node.ts`,
 * `ort_web_engine.ts`), as the `extra` of their session options: whether idle intra-op threads
 * spin-wait ({@linkcode EngineOptions.spinning}, by default only for a session that runs alone)
 * and the QDQ optimizer setting for int8 graphs (`qdq.ts`; a no-op for float graphs).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sessionExtra } from "./session_config.ts";
 * assert.equal(sessionExtra({}, {}).session.intra_op.allow_spinning, "0");
 * assert.equal(sessionExtra({}, { alone: true }).session.intra_op.allow_spinning, "1");
 * assert.equal(sessionExtra({ spinning: false }, { alone: true }).session.intra_op.allow_spinning, "0");
 * assert.equal(sessionExtra({ spinning: true }, {}).session.intra_op.allow_spinning, "1");
 * ```
 * @module
 */
import { QDQ_SESSION_CONFIG } from "./qdq.ts";
import type { EngineOptions, OpenHints } from "./types.ts";

/** onnxruntime's `extra` session options for a session opened with `hints` (see the module doc). */
export function sessionExtra(opts: EngineOptions, hints: OpenHints = {}): {
  session: { intra_op: { allow_spinning: "0" | "1" } };
  optimization: Readonly<Record<string, string>>;
} {
  const spin = opts.spinning ?? hints.alone ?? false;
  return {
    session: { intra_op: { allow_spinning: spin ? "1" : "0" } },
    optimization: QDQ_SESSION_CONFIG,
  };
}
