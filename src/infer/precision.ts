/**
 * Numeric precision of the graphs a model runs, and the manifest with the int8 replacements
 * swapped in. Shared by the Deno entry and the browser entry; no Deno or Node API.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseManifest } from "./manifest.ts";
 * import { withPrecision } from "./precision.ts";
 * const m = parseManifest(await Deno.readTextFile("models/mnist/manifest.json"), "manifest.json");
 * assert.equal(withPrecision(m, "fp32", "models/mnist").classifier.file, m.classifier.file);
 * ```
 * @module
 */
import { InferError } from "./errors.ts";
import type { GraphRef, Manifest } from "./manifest.ts";

/**
 * Numeric precision of the graphs a model runs: the exported float32 graphs (`fp32`, the
 * default) or their statically quantized replacements (`int8`, listed in the manifest's
 * `int8`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRECISIONS, type Precision } from "./precision.ts";
 * const p: Precision = "int8";
 * assert.ok(PRECISIONS.includes(p));
 * ```
 */
export type Precision = "fp32" | "int8";

/**
 * Every precision name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRECISIONS } from "./precision.ts";
 * assert.deepEqual(PRECISIONS, ["fp32", "int8"]);
 * ```
 */
export const PRECISIONS: readonly Precision[] = ["fp32", "int8"];

/**
 * The manifest with each graph the `int8` list replaces swapped for its int8 replacement
 * (`precision` int8), or unchanged (fp32). The fused `chain` is swapped like the others when
 * `int8` replaces it; when it does not, the int8 manifest has no `chain`, so an int8 run uses
 * the per-block graphs (int8 where replaced) rather than silently running the float chain.
 * An int8 request for a manifest without int8 graphs
 * is an {@linkcode InferError} naming the command that writes them; `dir` (a path or a URL)
 * names the folder in messages.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseManifest } from "./manifest.ts";
 * import { withPrecision } from "./precision.ts";
 * const m = parseManifest(await Deno.readTextFile("models/mnist/manifest.json"), "manifest.json");
 * assert.equal(withPrecision(m, "fp32", "models/mnist"), m);
 * const q = { ...m, int8: [{ replaces: "block_02.onnx", file: "b2.int8.onnx", sha256: "0".repeat(64) }] };
 * const swapped = withPrecision(q, "int8", "models/mnist");
 * assert.deepEqual(swapped.blocks.slice(0, 3).map((b) => b.file), [
 *   "block_01.onnx", "b2.int8.onnx", "block_03.onnx",
 * ]);
 * assert.throws(() => withPrecision(m, "int8", "models/mnist"), /has no int8 graphs/);
 * // A float chain the int8 list does not replace is dropped; a replaced one is swapped.
 * const chain = { file: "chain.onnx", sha256: "1".repeat(64), modes: ["noise-free" as const] };
 * assert.equal(withPrecision({ ...q, chain }, "int8", "models/mnist").chain, undefined);
 * const qc = { ...q, chain, int8: [{ replaces: "chain.onnx", file: "chain.int8.onnx", sha256: "2".repeat(64) }] };
 * assert.deepEqual(withPrecision(qc, "int8", "models/mnist").chain, {
 *   file: "chain.int8.onnx", sha256: "2".repeat(64), modes: ["noise-free"],
 * });
 * ```
 */
export function withPrecision(m: Manifest, precision: Precision, dir: string): Manifest {
  if (precision === "fp32") return m;
  if (precision !== "int8") {
    throw new InferError("bad-option", `precision must be fp32 or int8, got "${precision}"`);
  }
  if (!m.int8) {
    throw new InferError(
      "bad-option",
      `model folder ${dir} has no int8 graphs (write them with \`deno task export --run ${dir} --quantize int8\`)`,
    );
  }
  const swap = (g: GraphRef): GraphRef => {
    const q = m.int8!.find((r) => r.replaces === g.file);
    return q ? { file: q.file, sha256: q.sha256 } : g;
  };
  const sg = m.schedule.graph;
  // The fused chain only where an int8 replacement of it exists: a float chain under int8
  // would silently run fp32 (the per-block graphs run instead).
  const { chain: floatChain, ...rest } = m;
  const q = floatChain && m.int8.find((r) => r.replaces === floatChain.file);
  return {
    ...rest,
    blocks: m.blocks.map(swap),
    classifier: swap(m.classifier),
    schedule: sg ? { ...m.schedule, graph: swap(sg) } : m.schedule,
    ...(floatChain && q ? { chain: { ...floatChain, file: q.file, sha256: q.sha256 } } : {}),
  };
}
