/**
 * The one place the project imports TensorFlow.js (`npm:@tensorflow/tfjs`, pinned in
 * `deno.json`). Only the trainer, the models and the benches import this module; the
 * configuration, the data loaders, the ONNX exporter and the CLIs' `--help` must not (loading
 * tfjs takes most of a second; tests/import_graph_test.ts checks this). The backends are
 * imported, on demand, by `backend/mod.ts`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "./deps_tf.ts";
 * import { initBackend } from "./backend/mod.ts";
 * await initBackend("cpu");
 * const t = tf.tensor1d([1, 2, 3]);
 * assert.equal(t.rank, 1);
 * t.dispose();
 * ```
 * @module
 */
export * as tf from "@tensorflow/tfjs";
