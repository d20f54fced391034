/**
 * A model folder in memory, however it was read: the validated manifest and the bytes of every
 * graph it lists, each checked against its SHA-256 (Web Crypto) before anything uses it. Shared
 * by the Deno loader (`model_folder.ts`, files on disk) and the browser loader (`web/fetch.ts`,
 * files by URL); no Deno or Node API.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assembleFolder } from "./folder.ts";
 * const text = await Deno.readTextFile("models/mnist/manifest.json");
 * const read = (file: string) => Deno.readFile(`models/mnist/${file}`); // or fetch()
 * const f = await assembleFolder("models/mnist", text, "models/mnist/manifest.json", read);
 * assert.equal(f.blocks.length, f.manifest.T);
 * ```
 * @module
 */
import { InferError } from "./errors.ts";
import { type GraphRef, type Manifest, parseManifest } from "./manifest.ts";
import { type Precision, withPrecision } from "./precision.ts";

/**
 * A loaded model folder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadModelFolder, type ModelFolder } from "./model_folder.ts";
 * const f: ModelFolder = await loadModelFolder("models/mnist/");
 * assert.equal(f.blocks.length, f.manifest.T);
 * assert.equal(f.schedule, undefined); // only ct models have a schedule graph
 * assert.equal(f.chain !== undefined, f.manifest.chain !== undefined); // dt: the fused chain
 * ```
 */
export interface ModelFolder {
  /** The folder as given (a path, or a URL in the browser). */
  dir: string;
  /**
   * The validated manifest; with int8 precision, `blocks`, `classifier`, `schedule.graph` and
   * `chain` name the graphs loaded (the int8 replacements where there are some; no `chain`
   * when `int8` does not replace it, so int8 never runs the float chain).
   */
  manifest: Manifest;
  /** The precision loaded. */
  precision: Precision;
  /** Block graph bytes 1..T (index t − 1). */
  blocks: Uint8Array[];
  /** Classifier graph bytes. */
  classifier: Uint8Array;
  /** The ct schedule graph's bytes (manifest `schedule.graph`), if any. */
  schedule?: Uint8Array;
  /** The fused chain graph's bytes (manifest `chain`, dt only), if any. */
  chain?: Uint8Array;
}

/**
 * Lower-case hex SHA-256 of `bytes` (Web Crypto).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Hex } from "./folder.ts";
 * assert.equal(
 *   await sha256Hex(new Uint8Array()),
 *   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
 * );
 * ```
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Checks a graph's bytes against the manifest's digest; a mismatch is a one-line
 * {@linkcode InferError} naming the folder and the file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Hex, verifyGraph } from "./folder.ts";
 * const bytes = new Uint8Array([1, 2, 3]);
 * const g = { file: "block_01.onnx", sha256: await sha256Hex(bytes) };
 * assert.equal(await verifyGraph("m", g, bytes), bytes);
 * await assert.rejects(verifyGraph("m", g, new Uint8Array([0])), /m: block_01\.onnx is corrupt/);
 * ```
 */
export async function verifyGraph(
  dir: string,
  g: GraphRef,
  bytes: Uint8Array,
): Promise<Uint8Array> {
  const got = await sha256Hex(bytes);
  if (got !== g.sha256) {
    throw new InferError(
      "bad-model",
      `model folder ${dir}: ${g.file} is corrupt (sha256 ${
        got.slice(0, 12)
      }… does not match the manifest's ${g.sha256.slice(0, 12)}…)`,
    );
  }
  return bytes;
}

/**
 * Builds a {@linkcode ModelFolder} from the manifest's text and a reader of the graph files it
 * lists (plain file names, checked by the manifest parser): parses the manifest, reads every
 * graph in order and verifies it before returning. With `precision` int8 (default fp32), each
 * graph the manifest's `int8` list replaces is read from its int8 file instead (see
 * {@linkcode withPrecision}), and only those files are read; the fused chain is read only when
 * `int8` replaces it (else the int8 run uses the per-block graphs).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assembleFolder } from "./folder.ts";
 * const text = await Deno.readTextFile("models/mnist/manifest.json");
 * const damaged = (file: string) =>
 *   file === "block_02.onnx" ? Promise.resolve(new Uint8Array(1)) : Deno.readFile(`models/mnist/${file}`);
 * await assert.rejects(assembleFolder("mnist", text, "manifest.json", damaged), {
 *   name: "InferError",
 *   message: /^model folder mnist: block_02\.onnx is corrupt \(sha256 /,
 * });
 * // The shipped model has no int8 graphs: asking for them is a one-line error.
 * await assert.rejects(assembleFolder("mnist", text, "manifest.json", damaged, "int8"), {
 *   name: "InferError",
 *   message: /^model folder mnist has no int8 graphs/,
 * });
 * ```
 */
export async function assembleFolder(
  dir: string,
  manifestText: string,
  manifestPath: string,
  read: (file: string, g: GraphRef) => Promise<Uint8Array>,
  precision: Precision = "fp32",
): Promise<ModelFolder> {
  const manifest = withPrecision(parseManifest(manifestText, manifestPath), precision, dir);
  const load = async (g: GraphRef) => await verifyGraph(dir, g, await read(g.file, g));
  const blocks: Uint8Array[] = [];
  for (const g of manifest.blocks) blocks.push(await load(g));
  const classifier = await load(manifest.classifier);
  const sg = manifest.schedule.graph;
  const schedule = sg ? await load(sg) : undefined;
  const chain = manifest.chain ? await load(manifest.chain) : undefined;
  return {
    dir,
    manifest,
    precision,
    blocks,
    classifier,
    ...(schedule ? { schedule } : {}),
    ...(chain ? { chain } : {}),
  };
}
