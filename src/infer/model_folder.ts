/**
 * Reads an exported model folder: `manifest.json` (validated) and every graph it lists, each
 * checked against its SHA-256 and required to resolve (symbolic links included) to a file
 * inside the folder. The graphs are returned as bytes, so the sessions are created from
 * exactly the bytes that were checked.
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
  /** The validated manifest. */
  manifest: Manifest;
  /** Block graph bytes 1..T (index t − 1). */
  blocks: Uint8Array[];
  /** Classifier graph bytes. */
  classifier: Uint8Array;
  /** The ct schedule graph's bytes (manifest `schedule.graph`), if any. */
  schedule?: Uint8Array;
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

/**
 * The bytes of graph `g` of the model folder `dir`, checked to lie inside the folder and to
 * match its SHA-256 (one {@linkcode InferError} line otherwise).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readFolderGraph } from "./model_folder.ts";
 * const g = { file: "classifier.onnx", sha256: "0".repeat(64) };
 * await assert.rejects(readFolderGraph("models/mnist", g), /classifier\.onnx is corrupt/);
 * ```
 */
export async function readFolderGraph(dir: string, g: GraphRef): Promise<Uint8Array> {
  const d = dir.replace(/[\\/]+$/, "") || dir;
  return await readGraph(d, await realDir(d), g);
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
export async function loadModelFolder(dir: string): Promise<ModelFolder> {
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
  const manifest = parseManifest(text, mpath);
  const blocks: Uint8Array[] = [];
  for (const g of manifest.blocks) blocks.push(await readGraph(d, real, g));
  const classifier = await readGraph(d, real, manifest.classifier);
  const sg = manifest.schedule.graph;
  const schedule = sg ? await readGraph(d, real, sg) : undefined;
  return { dir: d, manifest, blocks, classifier, ...(schedule ? { schedule } : {}) };
}
