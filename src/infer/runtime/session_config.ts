/**
 * The onnxruntime session config entries both engines pass (`ort_node.ts`,
 * `ort_web_engine.ts`), as the `extra` of their session options: whether idle intra-op threads
 * spin-wait ({@linkcode EngineOptions.spinning}, by default only for a session that runs alone)
 * and the QDQ optimizer setting for int8 graphs (`qdq.ts`; a no-op for float graphs).
 *
 * A spinning session spins only while it runs: `session.force_spinning_stop` parks its threads
 * when a run ends, so they never take a core from the next session, or from anything else the
 * process does between runs. Measured on the paper-width int8 fused chain at batch 1 (2
 * threads, each setting in its own process, alternating, 3 times): no spinning 2.04–2.05 ms,
 * spinning 1.30–1.34 ms, spinning stopped after each run 1.29–1.37 ms. Without the stop, a
 * benchmark's next chain ran up to a third slower.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sessionExtra } from "./session_config.ts";
 * assert.equal(sessionExtra({}, {}).session.intra_op.allow_spinning, "0");
 * assert.equal(sessionExtra({}, { alone: true }).session.intra_op.allow_spinning, "1");
 * assert.equal(sessionExtra({ spinning: false }, { alone: true }).session.intra_op.allow_spinning, "0");
 * assert.equal(sessionExtra({ spinning: true }, {}).session.intra_op.allow_spinning, "1");
 * assert.equal(sessionExtra({}, { alone: true }).session.force_spinning_stop, "1");
 * ```
 * @module
 */
import { QDQ_SESSION_CONFIG } from "./qdq.ts";
import type { EngineOptions, OpenHints } from "./types.ts";

/** onnxruntime's `extra` session options for a session opened with `hints` (see the module doc). */
export function sessionExtra(opts: EngineOptions, hints: OpenHints = {}): {
  session: { intra_op: { allow_spinning: "0" | "1" }; force_spinning_stop: "0" | "1" };
  optimization: Readonly<Record<string, string>>;
} {
  const spin = opts.spinning ?? hints.alone ?? false;
  return {
    session: { intra_op: { allow_spinning: spin ? "1" : "0" }, force_spinning_stop: "1" },
    optimization: QDQ_SESSION_CONFIG,
  };
}
