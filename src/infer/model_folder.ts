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
import { assembleFolder, type ModelFolder, verifyGraph } from "./folder.ts";
import type { Precision } from "./precision.ts";
import { type GraphRef, MANIFEST_FILE } from "./manifest.ts";

export { type ModelFolder, sha256Hex } from "./folder.ts";
export { type Precision, PRECISIONS, withPrecision } from "./precision.ts";

function ioError(err: unknown, path: string, what: string): InferError {
  if (err instanceof Deno.errors.NotFound) {
    return new InferError("missing-file", `${what} ${path} does not exist`);
  }
  if (err instanceof Deno.errors.NotCapable) {
    // Deno refuses before looking: whether the path exists cannot be known, so say both.
    return new InferError(
      "missing-file",
      `${what} ${path} cannot be read: it does not exist, or it is not in --allow-read (add --allow-read=${path})`,
    );
  }
  if (err instanceof Deno.errors.PermissionDenied) {
    return new InferError(
      "missing-file",
      `${what} ${path} cannot be read: the operating system denies access (check its permissions)`,
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
  return await verifyGraph(d, g, await readGraph(d, await realDir(d), g));
}

async function readGraph(dir: string, real: string, g: GraphRef): Promise<Uint8Array> {
  const path = `${dir}/${g.file}`;
  try {
    const resolved = await Deno.realPath(path);
    const sep = real.includes("\\") ? "\\" : "/";
    if (!resolved.startsWith(real.endsWith(sep) ? real : real + sep)) {
      throw new InferError(
        "bad-model",
        `model folder ${dir}: ${g.file} resolves outside the folder`,
      );
    }
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof InferError) throw e;
    if (e instanceof Deno.errors.NotFound) {
      throw new InferError("bad-model", `model folder ${dir}: graph ${g.file} is missing`);
    }
    throw ioError(e, path, "graph");
  }
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
  return await assembleFolder(
    d,
    text,
    mpath,
    (_file, g) => readGraph(d, real, g),
    opts.precision ?? "fp32",
  );
}
