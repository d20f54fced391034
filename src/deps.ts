/**
 * The one place the project imports its light external dependencies: YAML and the Node
 * built-ins. TensorFlow.js has its own home, `deps_tf.ts`, and the ONNX protobuf classes
 * theirs, `deps_onnx.ts`, so that the configuration, the data loaders and the CLIs' `--help`
 * never load either (tests/import_graph_test.ts checks this).
 *
 * Every external dependency is imported in exactly one of these files, so swapping one (for
 * example `npm:yaml` for JSR's `@std/yaml` once JSR is reachable) is a change to that file only.
 * Versions are pinned in `deno.json`'s import map.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseArgs, YAML } from "./deps.ts";
 * const { values } = parseArgs({ args: ["--n", "3"], options: { n: { type: "string" } } });
 * assert.equal(YAML.stringify(values), "n: \"3\"\n");
 * ```
 * @module
 */
export * as YAML from "yaml";
export { parseArgs } from "node:util";
export { gunzipSync } from "node:zlib";
export { createHash } from "node:crypto";
