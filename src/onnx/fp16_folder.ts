/**
 * `deno task export --weights fp16`: converts an exported model folder to float16 weight
 * storage in place (`fp16_weights.ts` on every graph the manifest lists: blocks, classifier, a
 * ct schedule graph, `chain.onnx`, int8 graphs), and records `"weights": "fp16"` with the new
 * SHA-256s in `manifest.json`. The folder is loaded through the runtime first, so every graph
 * is checked against its digest before it is read. The converted folder is written beside the
 * old one and swapped in whole (`export_folder.ts`): a failure leaves the old folder as it
 * was, and whatever else the folder holds (README, config, samples) is carried over.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadModelFolder } from "@noprop/infer";
 * import { storeExportFp16 } from "./fp16_folder.ts";
 * // A copy of the shipped CIFAR-10 model: already fp16, so nothing is rewritten.
 * const dir = await Deno.makeTempDir();
 * for (const e of Deno.readDirSync("models/cifar10")) {
 *   if (e.isFile) await Deno.copyFile(`models/cifar10/${e.name}`, `${dir}/${e.name}`);
 * }
 * const r = await storeExportFp16(dir);
 * assert.equal(r.changed, false);
 * assert.equal((await loadModelFolder(dir)).manifest.weights, "fp16");
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import {
  firstLine,
  type GraphRef,
  InferError,
  loadModelFolder,
  type Manifest,
  MANIFEST_FILE,
  parseManifest,
} from "@noprop/infer";
import { writeFileAtomic } from "../atomic.ts";
import { publishExport } from "./export_folder.ts";
import { ExportError } from "./export_types.ts";
import { fp16GraphBytes, type Fp16Report } from "./fp16_weights.ts";
import { type FileWriter, manifestJson, writeGraph } from "./manifest_file.ts";

/**
 * What {@linkcode storeExportFp16} did.
 *
 * @example
 * ```ts
 * import type { Fp16FolderResult } from "./fp16_folder.ts";
 * const line = (r: Fp16FolderResult) => `${r.bytesBefore} → ${r.bytesAfter} bytes`;
 * ```
 */
export interface Fp16FolderResult {
  /** The folder. */
  outDir: string;
  /** False when the folder already stored fp16 weights (nothing was written). */
  changed: boolean;
  /** The graph files written, then `manifest.json` (empty when unchanged). */
  files: string[];
  /** The manifest now in the folder. */
  manifest: Manifest;
  /** Total bytes of the graphs before. */
  bytesBefore: number;
  /** Total bytes of the graphs after. */
  bytesAfter: number;
  /** Per graph file, what the transform converted and kept. */
  reports: Record<string, Fp16Report>;
}

/** Every graph of the folder `dir` by file name, each verified against the manifest. */
async function readGraphs(dir: string): Promise<{ m: Manifest; graphs: Map<string, Uint8Array> }> {
  const f = await loadModelFolder(dir);
  const m = f.manifest;
  const graphs = new Map<string, Uint8Array>();
  m.blocks.forEach((g, i) => graphs.set(g.file, f.blocks[i]));
  graphs.set(m.classifier.file, f.classifier);
  if (m.schedule.graph && f.schedule) graphs.set(m.schedule.graph.file, f.schedule);
  if (m.chain && f.chain) graphs.set(m.chain.file, f.chain);
  if (m.int8) {
    const q = await loadModelFolder(dir, { precision: "int8" });
    const qm = q.manifest;
    qm.blocks.forEach((g, i) => graphs.set(g.file, q.blocks[i]));
    graphs.set(qm.classifier.file, q.classifier);
    if (qm.schedule.graph && q.schedule) graphs.set(qm.schedule.graph.file, q.schedule);
    if (qm.chain && q.chain) graphs.set(qm.chain.file, q.chain);
  }
  return { m, graphs };
}

/** `m` with each graph's digest from `sha` and `"weights": "fp16"`, in the manifest's order. */
function fp16Manifest(m: Manifest, sha: Map<string, string>, where: string): Manifest {
  const ref = <G extends GraphRef>(g: G): G => ({ ...g, sha256: sha.get(g.file) ?? g.sha256 });
  const sg = m.schedule.graph;
  const next = {
    ...m,
    weights: "fp16",
    blocks: m.blocks.map(ref),
    classifier: ref(m.classifier),
    schedule: sg ? { ...m.schedule, graph: ref(sg) } : m.schedule,
    ...(m.chain ? { chain: ref(m.chain) } : {}),
    ...(m.int8 ? { int8: m.int8.map(ref) } : {}),
  };
  return parseManifest(JSON.stringify(next), where); // validated, fields in the manifest's order
}

/**
 * Converts the exported model folder `dir` to float16 weight storage (see the module doc);
 * `write` writes each file (default {@linkcode writeFileAtomic}; a parameter so that a failing
 * disk can be simulated). A folder already stored in fp16 is left untouched (`changed` false).
 * Errors are one-line {@linkcode ExportError}s.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { storeExportFp16 } from "./fp16_folder.ts";
 * const empty = await Deno.makeTempDir();
 * await assert.rejects(storeExportFp16(empty), (e) =>
 *   e instanceof Error && e.name === "ExportError" && /manifest\.json is missing/.test(e.message));
 * await Deno.remove(empty);
 * ```
 */
export async function storeExportFp16(
  dir: string,
  write: FileWriter = writeFileAtomic,
): Promise<Fp16FolderResult> {
  let read;
  try {
    read = await readGraphs(dir);
  } catch (e) {
    throw e instanceof InferError ? new ExportError(e.message) : e;
  }
  const { m, graphs } = read;
  const bytesBefore = [...graphs.values()].reduce((a, b) => a + b.length, 0);
  if (m.weights === "fp16") {
    return {
      outDir: dir,
      changed: false,
      files: [],
      manifest: m,
      bytesBefore,
      bytesAfter: bytesBefore,
      reports: {},
    };
  }
  const converted = new Map<string, Uint8Array>();
  const reports: Record<string, Fp16Report> = {};
  for (const [file, bytes] of graphs) {
    try {
      const r = fp16GraphBytes(bytes, `${dir}/${file}`);
      converted.set(file, r.bytes);
      reports[file] = r.report;
    } catch (e) {
      throw new ExportError(firstLine(e));
    }
  }
  return await publishExport(dir, async (stage) => {
    const sha = new Map<string, string>();
    for (const [file, bytes] of converted) {
      sha.set(file, (await writeGraph(stage, file, bytes, write)).sha256);
    }
    const manifest = fp16Manifest(m, sha, `${dir}/${MANIFEST_FILE}`);
    try {
      await write(`${stage}/${MANIFEST_FILE}`, manifestJson(manifest));
    } catch (e) {
      throw new ExportError(
        `cannot write ${stage}/${MANIFEST_FILE}: ${firstLine(e)}`,
      );
    }
    return {
      outDir: dir,
      changed: true,
      files: [...converted.keys(), MANIFEST_FILE],
      manifest,
      bytesBefore,
      bytesAfter: [...converted.values()].reduce((a, b) => a + b.length, 0),
      reports,
    };
  });
}
