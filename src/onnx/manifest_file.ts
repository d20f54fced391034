/**
 * Writing an export's files, shared by both exporters (`export.ts` for DT and the backprop
 * baseline, `export_continuous.ts` for CT/FM): each graph atomically with its SHA-256 as a
 * {@linkcode GraphRef}, and `manifest.json` — the fields every variant has, laid out the way
 * `deno fmt` leaves it — written last, atomically.
 *
 * @example
 * ```ts
 * import { writeGraph, writeManifest } from "./manifest_file.ts";
 * // const cls = await writeGraph(outDir, "classifier.onnx", bytes);
 * // const manifest = await writeManifest(outDir, { variant: "dt", T, ..., classifier: cls });
 * ```
 * @module
 */
import { writeFileAtomic } from "../atomic.ts";
import { createHash } from "../deps.ts";
import type { GraphRef, Manifest } from "@noprop/infer";
import { OPSET } from "./graph.ts";

/**
 * The variant-specific parts of a manifest, and the model shapes the rest is made of.
 *
 * @example
 * ```ts
 * import type { ManifestParts } from "./manifest_file.ts";
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
}

/**
 * Writes `bytes` to `outDir/name` atomically; returns its manifest reference (name and
 * SHA-256).
 *
 * @example
 * ```ts
 * import { writeGraph } from "./manifest_file.ts";
 * const ref = await writeGraph("/tmp/onnx", "classifier.onnx", new Uint8Array([1, 2]));
 * ref.sha256.length; // 64
 * ```
 */
export async function writeGraph(
  outDir: string,
  name: string,
  bytes: Uint8Array,
): Promise<GraphRef> {
  await writeFileAtomic(`${outDir}/${name}`, bytes);
  return { file: name, sha256: createHash("sha256").update(bytes).digest("hex") };
}

/**
 * Builds the manifest from `p` and writes it to `outDir/manifest.json` atomically (call it
 * last, once every graph is written); returns the manifest.
 *
 * @example
 * ```ts
 * import { type ManifestParts, writeManifest } from "./manifest_file.ts";
 * declare const parts: ManifestParts;
 * const manifest = await writeManifest("/tmp/onnx", parts);
 * manifest.format; // "noprop-onnx"
 * ```
 */
export async function writeManifest(outDir: string, p: ManifestParts): Promise<Manifest> {
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
  };
  await writeFileAtomic(`${outDir}/manifest.json`, manifestJson(manifest));
  return manifest;
}

/**
 * The manifest as JSON text laid out the way `deno fmt` leaves it: two-space indentation,
 * arrays of numbers or strings on one line.
 *
 * @example
 * ```ts
 * import { manifestJson } from "./manifest_file.ts";
 * // manifestJson(manifest).endsWith("}\n"); // true
 * ```
 */
export function manifestJson(m: Manifest): string {
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
