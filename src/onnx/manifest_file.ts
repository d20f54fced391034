/**
 * Writing an export's files, shared by both exporters (`export.ts` for DT and the backprop
 * baseline, `export_continuous.ts` for CT/FM): each graph atomically with its SHA-256 as a
 * {@linkcode GraphRef}, and `manifest.json` — the fields every variant has, laid out the way
 * `deno fmt` leaves it — written last, atomically.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseManifest } from "@noprop/infer";
 * import { writeGraph, writeManifest } from "./manifest_file.ts";
 * const outDir = await Deno.makeTempDir();
 * const network = await writeGraph(outDir, "network.onnx", new Uint8Array([1])); // graph bytes
 * const classifier = await writeGraph(outDir, "classifier.onnx", new Uint8Array([2]));
 * await writeManifest(outDir, {
 *   variant: "fm", T: 1, classNames: ["0", "1"],
 *   spec: { channels: 1, height: 28, width: 28, embedDim: 2 },
 *   normalization: { mean: [0.1307], std: [0.3081] },
 *   schedule: { name: "fm", a: [], b: [], c: [] },
 *   sampler: { name: "euler", steps: 10, noise: false },
 *   blocks: [network], classifier,
 * });
 * // What the runtime reads back:
 * const m = parseManifest(await Deno.readTextFile(`${outDir}/manifest.json`), "manifest.json");
 * assert.deepEqual([m.variant, m.blocks[0].file], ["fm", "network.onnx"]);
 * assert.equal(m.classifier.sha256, classifier.sha256);
 * await Deno.remove(outDir, { recursive: true });
 * ```
 * @module
 */
import { writeFileAtomic } from "../atomic.ts";
import { createHash } from "../deps.ts";
import {
  type ChainRef,
  firstLine,
  type ForecastManifest,
  type GraphRef,
  type Manifest,
} from "@noprop/infer";
import { ExportError } from "./export_types.ts";
import { OPSET } from "./graph.ts";

/**
 * How a file is written: {@linkcode writeFileAtomic} by default (a parameter so that a failing
 * disk can be simulated).
 *
 * @example
 * ```ts
 * import type { FileWriter } from "./manifest_file.ts";
 * const diskFull: FileWriter = () => Promise.reject(new Error("No space left on device"));
 * ```
 */
export type FileWriter = (path: string, data: Uint8Array | string) => Promise<void>;

/** Writes with `write`; a failure is one {@linkcode ExportError} line naming the path. */
async function writeNamed(path: string, data: Uint8Array | string, write: FileWriter) {
  try {
    await write(path, data);
  } catch (e) {
    throw new ExportError(`cannot write ${path}: ${firstLine(e)}`);
  }
}

/**
 * The variant-specific parts of a manifest, and the model shapes the rest is made of.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ManifestParts, writeManifest } from "./manifest_file.ts";
 * const p: ManifestParts = {
 *   variant: "fm",
 *   T: 1,
 *   classNames: ["0", "1"],
 *   spec: { channels: 1, height: 28, width: 28, embedDim: 2 },
 *   normalization: { mean: [0.1307], std: [0.3081] },
 *   schedule: { name: "fm", a: [], b: [], c: [] },
 *   sampler: { name: "euler", steps: 10, noise: false },
 *   blocks: [{ file: "network.onnx", sha256: "0".repeat(64) }],
 *   classifier: { file: "classifier.onnx", sha256: "0".repeat(64) },
 * };
 * const outDir = await Deno.makeTempDir();
 * assert.equal((await writeManifest(outDir, p)).input.height, 28);
 * await Deno.remove(outDir, { recursive: true });
 * ```
 */
export interface ManifestParts {
  /** The model variant. */
  variant: Manifest["variant"];
  /** Number of block graph steps (1 for ct/fm). */
  T: number;
  /** Class names, in logit order. */
  classNames: string[];
  /** Input image shape and embedding width. */
  spec: { channels: number; height: number; width: number; embedDim: number };
  /** Per-channel normalisation. */
  normalization: { mean: number[]; std: number[] };
  /** The sampler's schedule. */
  schedule: Manifest["schedule"];
  /** The default sampler. */
  sampler: Manifest["sampler"];
  /** The block graphs. */
  blocks: GraphRef[];
  /** The classifier graph. */
  classifier: GraphRef;
  /** The fused chain graph (dt, `--fused`), if written. */
  chain?: ChainRef;
}

/**
 * Writes `bytes` to `outDir/name` atomically; returns its manifest reference (name and
 * SHA-256). A write that fails (e.g. a full disk) is an {@linkcode ExportError} naming the
 * file: `cannot write <path>: <reason>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Hex } from "@noprop/infer";
 * import { writeGraph } from "./manifest_file.ts";
 * const outDir = await Deno.makeTempDir();
 * const bytes = new Uint8Array([1, 2]);
 * const ref = await writeGraph(outDir, "classifier.onnx", bytes);
 * assert.equal(ref.file, "classifier.onnx");
 * assert.equal(ref.sha256, await sha256Hex(bytes)); // what the runtime checks on load
 * assert.deepEqual(await Deno.readFile(`${outDir}/classifier.onnx`), bytes);
 * await Deno.remove(outDir, { recursive: true });
 * ```
 */
export async function writeGraph(
  outDir: string,
  name: string,
  bytes: Uint8Array,
  write: FileWriter = writeFileAtomic,
): Promise<GraphRef> {
  await writeNamed(`${outDir}/${name}`, bytes, write);
  return { file: name, sha256: createHash("sha256").update(bytes).digest("hex") };
}

/**
 * Builds the manifest from `p` and writes it to `outDir/manifest.json` atomically (call it
 * last, once every graph is written); returns the manifest. A failed write is an
 * {@linkcode ExportError} naming the file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ManifestParts, writeManifest } from "./manifest_file.ts";
 * const ref = { file: "classifier.onnx", sha256: "0".repeat(64) };
 * const parts: ManifestParts = {
 *   variant: "dt", T: 1, classNames: ["a", "b"],
 *   spec: { channels: 1, height: 8, width: 8, embedDim: 2 },
 *   normalization: { mean: [0.5], std: [0.5] },
 *   schedule: { name: "cosine", a: [0.5], b: [0.1], c: [0.2] },
 *   sampler: { name: "dt", steps: 1, noise: true },
 *   blocks: [{ file: "block_01.onnx", sha256: "0".repeat(64) }], classifier: ref,
 * };
 * const outDir = await Deno.makeTempDir();
 * const manifest = await writeManifest(outDir, parts);
 * assert.equal(manifest.format, "noprop-onnx");
 * assert.deepEqual(JSON.parse(await Deno.readTextFile(`${outDir}/manifest.json`)), manifest);
 * await Deno.remove(outDir, { recursive: true });
 * ```
 */
export async function writeManifest(
  outDir: string,
  p: ManifestParts,
  write: FileWriter = writeFileAtomic,
): Promise<Manifest> {
  const manifest: Manifest = {
    format: "noprop-onnx",
    version: 1,
    variant: p.variant,
    T: p.T,
    classNames: p.classNames,
    input: {
      layout: "NCHW",
      dtype: "float32",
      channels: p.spec.channels,
      height: p.spec.height,
      width: p.spec.width,
    },
    normalization: { mean: p.normalization.mean, std: p.normalization.std },
    embedDim: p.spec.embedDim,
    schedule: p.schedule,
    sampler: p.sampler,
    opset: OPSET,
    blocks: p.blocks,
    classifier: p.classifier,
    ...(p.chain ? { chain: p.chain } : {}),
  };
  await writeNamed(`${outDir}/manifest.json`, manifestJson(manifest), write);
  return manifest;
}

/**
 * The manifest as JSON text laid out the way `deno fmt` leaves it: two-space indentation,
 * arrays of numbers or strings on one line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseManifest } from "@noprop/infer";
 * import { manifestJson } from "./manifest_file.ts";
 * const path = new URL("../../models/mnist/manifest.json", import.meta.url); // the shipped model
 * const shipped = await Deno.readTextFile(path);
 * const m = parseManifest(shipped, "manifest.json");
 * assert.equal(manifestJson(m), shipped); // the layout `deno fmt` leaves
 * ```
 */
export function manifestJson(m: Manifest | ForecastManifest): string {
  const width = 100; // deno.json "fmt.lineWidth"
  const fmt = (v: unknown, pad: string, column: number): string => {
    if (Array.isArray(v) && v.every((x) => x === null || typeof x !== "object")) {
      const inline = `[${v.map((x) => JSON.stringify(x)).join(", ")}]`;
      if (column + inline.length + 1 <= width) return inline;
      return `[\n${v.map((x) => `${pad}  ${JSON.stringify(x)}`).join(",\n")}\n${pad}]`;
    }
    if (Array.isArray(v)) {
      const inner = pad + "  ";
      return `[\n${v.map((x) => inner + fmt(x, inner, inner.length)).join(",\n")}\n${pad}]`;
    }
    if (v !== null && typeof v === "object") {
      const inner = pad + "  ";
      const items = Object.entries(v).map(([k, x]) => {
        const head = `${inner}${JSON.stringify(k)}: `;
        return head + fmt(x, inner, head.length);
      });
      return `{\n${items.join(",\n")}\n${pad}}`;
    }
    return JSON.stringify(v);
  };
  return fmt(m, "", 0) + "\n";
}
