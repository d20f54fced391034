/**
 * Reads an exported model folder: `manifest.json` (validated) and every graph it lists, each
 * checked against its SHA-256 and required to resolve (symbolic links included) to a file
 * inside the folder. The graphs are returned as bytes, so the sessions are created from
 * exactly the bytes that were checked. With `precision: "int8"`, each graph that the
 * manifest's `int8` list replaces is read from its int8 file instead (and only those files are
 * read); the returned manifest then names the graphs actually loaded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadModelFolder } from "./model_folder.ts";
 * const { manifest, blocks, classifier } = await loadModelFolder("models/mnist");
 * assert.equal(blocks.length, manifest.T); // graph bytes, checked against their SHA-256
 * assert.ok(classifier.byteLength > 0);
 * ```
 * @module
 */
import { InferError } from "./errors.ts";
import { type GraphRef, type Manifest, MANIFEST_FILE, parseManifest } from "./manifest.ts";

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
 * ```
 */
export interface ModelFolder {
  /** The folder path as given. */
  dir: string;
  /**
   * The validated manifest; with int8 precision, `blocks`, `classifier` and `schedule.graph`
   * name the graphs loaded (the int8 replacements where there are some).
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
}

/**
 * Numeric precision of the graphs a model runs: the exported float32 graphs (`fp32`, the
 * default) or their statically quantized replacements (`int8`, listed in the manifest's
 * `int8`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRECISIONS, type Precision } from "./model_folder.ts";
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
 * import { PRECISIONS } from "./model_folder.ts";
 * assert.deepEqual(PRECISIONS, ["fp32", "int8"]);
 * ```
 */
export const PRECISIONS: readonly Precision[] = ["fp32", "int8"];

/**
 * The manifest with each graph the `int8` list replaces swapped for its int8 replacement
 * (`precision` int8), or unchanged (fp32). An int8 request for a manifest without int8 graphs
 * is an {@linkcode InferError} naming the command that writes them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseManifest } from "./manifest.ts";
 * import { withPrecision } from "./model_folder.ts";
 * const m = parseManifest(await Deno.readTextFile("models/mnist/manifest.json"), "manifest.json");
 * assert.equal(withPrecision(m, "fp32", "models/mnist"), m);
 * const q = { ...m, int8: [{ replaces: "block_02.onnx", file: "b2.int8.onnx", sha256: "0".repeat(64) }] };
 * const swapped = withPrecision(q, "int8", "models/mnist");
 * assert.deepEqual(swapped.blocks.slice(0, 3).map((b) => b.file), [
 *   "block_01.onnx", "b2.int8.onnx", "block_03.onnx",
 * ]);
 * assert.throws(() => withPrecision(m, "int8", "models/mnist"), /has no int8 graphs/);
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
  return {
    ...m,
    blocks: m.blocks.map(swap),
    classifier: swap(m.classifier),
    schedule: sg ? { ...m.schedule, graph: swap(sg) } : m.schedule,
  };
}

/**
 * Lower-case hex SHA-256 of `bytes` (Web Crypto).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Hex } from "./model_folder.ts";
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

function ioError(err: unknown, path: string, what: string): InferError {
  if (err instanceof Deno.errors.NotFound) {
    return new InferError("missing-file", `${what} ${path} does not exist`);
  }
  if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
    return new InferError(
      "missing-file",
      `no permission to read ${path} (grant it with --allow-read=${path})`,
    );
  }
  return new InferError("missing-file", `cannot read ${path}: ${(err as Error).message}`);
}

async function realDir(dir: string): Promise<string> {
  try {
    const info = await Deno.stat(dir);
    if (!info.isDirectory) throw new InferError("bad-model", `model folder ${dir} is not a folder`);
    return await Deno.realPath(dir);
  } catch (e) {
    if (e instanceof InferError) throw e;
    throw ioError(e, dir, "model folder");
  }
}

async function readGraph(dir: string, real: string, g: GraphRef): Promise<Uint8Array> {
  const path = `${dir}/${g.file}`;
  let bytes: Uint8Array;
  try {
    const resolved = await Deno.realPath(path);
    const sep = real.includes("\\") ? "\\" : "/";
    if (!resolved.startsWith(real.endsWith(sep) ? real : real + sep)) {
      throw new InferError(
        "bad-model",
        `model folder ${dir}: ${g.file} resolves outside the folder`,
      );
    }
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof InferError) throw e;
    if (e instanceof Deno.errors.NotFound) {
      throw new InferError("bad-model", `model folder ${dir}: graph ${g.file} is missing`);
    }
    throw ioError(e, path, "graph");
  }
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
 * Options of {@linkcode loadModelFolder}.
 *
 * @example
 * ```ts
 * import type { LoadFolderOptions } from "./model_folder.ts";
 * const o: LoadFolderOptions = { precision: "int8" };
 * ```
 */
export interface LoadFolderOptions {
  /** Which graphs to read (default `fp32`). */
  precision?: Precision;
}

/**
 * Reads and verifies a model folder (see the module doc). Errors are {@linkcode InferError}s.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadModelFolder } from "./model_folder.ts";
 * // A copy of the shipped model with one block damaged:
 * const dir = await Deno.makeTempDir();
 * for (const e of Deno.readDirSync("models/mnist")) {
 *   await Deno.copyFile(`models/mnist/${e.name}`, `${dir}/${e.name}`);
 * }
 * assert.equal((await loadModelFolder(dir)).manifest.classNames.length, 10);
 * await Deno.writeFile(`${dir}/block_03.onnx`, new Uint8Array([0]));
 * await assert.rejects(loadModelFolder(dir), /block_03\.onnx is corrupt/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadModelFolder(
  dir: string,
  opts: LoadFolderOptions = {},
): Promise<ModelFolder> {
  const d = dir.replace(/[\\/]+$/, "") || dir;
  const real = await realDir(d);
  const mpath = `${d}/${MANIFEST_FILE}`;
  let text: string;
  try {
    text = await Deno.readTextFile(mpath);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new InferError(
        "bad-model",
        `${d} is not an exported model folder: ${MANIFEST_FILE} is missing (create one with \`deno task export --run <run folder> --out ${d}\`)`,
      );
    }
    throw ioError(e, mpath, "manifest");
  }
  const precision = opts.precision ?? "fp32";
  const manifest = withPrecision(parseManifest(text, mpath), precision, d);
  const blocks: Uint8Array[] = [];
  for (const g of manifest.blocks) blocks.push(await readGraph(d, real, g));
  const classifier = await readGraph(d, real, manifest.classifier);
  const sg = manifest.schedule.graph;
  const schedule = sg ? await readGraph(d, real, sg) : undefined;
  return { dir: d, manifest, precision, blocks, classifier, ...(schedule ? { schedule } : {}) };
}
