/**
 * Writing `chain.onnx`, the fused DT chain (`chain_graph.ts`), into an export: from a run's
 * weights (`deno task export --fused`, through `exportRun`) or, for an export whose run folder is
 * gone (`deno task export --from-export DIR`), from the export's own block graphs, whose
 * initializers are exactly the folded tensors the chain is made of.
 *
 * Before an export's block graphs are trusted as the source, each one is rebuilt from its own
 * tensors with the exporter's block builder and must come out byte for byte the file it was
 * read from: then the block structure inferred from the tensors (widths, hidden width,
 * embedding) is the one those graphs compute, and so is the chain built from it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addChainToExport } from "./export_chain.ts";
 * // A copy of the shipped model (its run folder is not shipped), given a chain.onnx:
 * const dir = await Deno.makeTempDir();
 * for (const e of Deno.readDirSync("models/mnist")) {
 *   if (e.name.endsWith(".onnx") || e.name === "manifest.json") {
 *     await Deno.copyFile(`models/mnist/${e.name}`, `${dir}/${e.name}`);
 *   }
 * }
 * const { manifest } = await addChainToExport(dir);
 * assert.deepEqual(manifest.chain?.modes, ["noise-free", "stochastic"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import {
  CHAIN_MODES,
  type ChainRef,
  InferError,
  loadModelFolder,
  type Manifest,
  MANIFEST_FILE,
  type ModelFolder,
} from "@noprop/infer";
import { writeFileAtomic } from "../atomic.ts";
import type { BlockSpec } from "../model/block.ts";
import { blockGraph } from "./block_graph.ts";
import { chainGraph, type ChainGraphOptions } from "./chain_graph.ts";
import { ExportError, type ExportResult } from "./export_types.ts";
import { exportedLayers } from "./layer_source.ts";
import { manifestJson, writeGraph } from "./manifest_file.ts";
import { readGraph } from "./read_graph.ts";
import type { NamedTensor } from "./weights.ts";

/**
 * The fused chain's file name in an export.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CHAIN_FILE } from "./export_chain.ts";
 * assert.equal(CHAIN_FILE, "chain.onnx");
 * ```
 */
export const CHAIN_FILE = "chain.onnx";

/**
 * Builds the chain graph of `o`, writes it to `outDir/chain.onnx` atomically and returns its
 * manifest entry (both sampler modes: the noise-free chain is fed ε = 0) and node count.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { blockSpec, createBlock } from "../model/block.ts";
 * import { Rng } from "../rng.ts";
 * import { writeChain } from "./export_chain.ts";
 * import { trainedLayers } from "./layer_source.ts";
 * import { WeightMap } from "./weights.ts";
 * await initBackend("cpu");
 * const spec = blockSpec({
 *   height: 8, width: 8, channels: 1, classes: 2, embedDim: 2, widths: [2, 2, 2], hidden: 8,
 * });
 * const w = new WeightMap("block_01", await createBlock(spec, new Rng(0)).toArrays());
 * const outDir = await Deno.makeTempDir();
 * const { ref } = await writeChain(outDir, {
 *   spec, blocks: [trainedLayers(w, "b01.")], embed: { shape: [2, 2], data: Float32Array.of(1, 0, 0, 1) },
 *   classifier: { tag: "cls", w: new Float32Array(4), b: new Float32Array(2) },
 *   schedule: { a: [1], b: [0], c: [0] },
 * });
 * assert.equal(ref.file, "chain.onnx");
 * await Deno.remove(outDir, { recursive: true });
 * ```
 */
export async function writeChain(
  outDir: string,
  o: ChainGraphOptions,
): Promise<{ ref: ChainRef; nodes: number }> {
  const g = chainGraph(o);
  const T = o.blocks.length;
  const bytes = g.encode({
    docString:
      `NoProp-DT chain of ${T} blocks: (x, z_0, ε_1..ε_${T}) → logits; eq. 3 with a_t, b_t, √c_t baked in`,
  });
  const ref = await writeGraph(outDir, CHAIN_FILE, bytes);
  return { ref: { ...ref, modes: [...CHAIN_MODES] }, nodes: g.nodeCount };
}

/**
 * The tag prefix of block t's tensors inside `chain.onnx` (`b01.` …).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blockScope } from "./export_chain.ts";
 * assert.equal(blockScope(3), "b03.");
 * ```
 */
export function blockScope(t: number): string {
  return `b${String(t).padStart(2, "0")}.`;
}

function need(inits: Record<string, NamedTensor>, name: string, label: string): NamedTensor {
  const t = inits[name];
  if (!t) {
    throw new ExportError(
      `${label} has no initializer "${name}": adding a chain to an export supports the paper conv stack; export from the run folder with --fused instead`,
    );
  }
  return t;
}

/** The block shapes that the tensors of an exported block graph (and the manifest) imply. */
function inferSpec(m: Manifest, inits: Record<string, NamedTensor>, label: string): BlockSpec {
  const widths = [1, 2, 3].map((k) => need(inits, `img.conv${k}.w`, label).shape[0]) as [
    number,
    number,
    number,
  ];
  return {
    height: m.input.height,
    width: m.input.width,
    channels: m.input.channels,
    classes: m.classNames.length,
    embedDim: m.embedDim,
    widths,
    hidden: need(inits, "img.fc+bn.b", label).shape[0],
    zAsImage: "lab.conv1.w" in inits,
    backbone: "paper",
    backboneWidth: 1,
  };
}

function identity(k: number): NamedTensor {
  const data = new Float32Array(k * k);
  for (let i = 0; i < k; i++) data[i * k + i] = 1;
  return { shape: [k, k], data };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * The chain graph's inputs from a loaded dt model folder: its block graphs' and classifier's
 * tensors (each block graph rebuilt byte for byte first, see the module doc), the block shapes
 * they imply and the manifest's eq. 3 coefficients. Errors are one-line
 * {@linkcode ExportError}s.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadModelFolder } from "@noprop/infer";
 * import { chainOptionsFromExport } from "./export_chain.ts";
 * const o = chainOptionsFromExport(await loadModelFolder("models/mnist")); // the shipped model
 * assert.deepEqual([o.blocks.length, o.spec.widths, o.spec.hidden], [10, [8, 16, 16], 128]);
 * ```
 */
export function chainOptionsFromExport(folder: ModelFolder): ChainGraphOptions {
  const { manifest: m, dir } = folder;
  if (m.variant !== "dt") {
    throw new ExportError(`${dir}: a fused chain is for dt models, this one is ${m.variant}`);
  }
  const graphs = folder.blocks.map((b, i) => readGraph(b, `${dir}/${m.blocks[i].file}`));
  const spec = inferSpec(m, graphs[0].initializers, `${dir}/${m.blocks[0].file}`);
  const K = spec.classes, d = spec.embedDim;
  const embedT = graphs[0].initializers["embed.W"];
  if (!embedT && K !== d) {
    throw new ExportError(`${dir}/${m.blocks[0].file}: no "embed.W" but ${K} classes ≠ d = ${d}`);
  }
  const embed = embedT ?? identity(K);
  const blocks = graphs.map((g, i) => {
    const label = `${dir}/${m.blocks[i].file}`;
    try {
      const rebuilt = blockGraph({
        spec,
        layers: exportedLayers(g.initializers, label),
        embed: g.initializers["embed.W"] ?? identity(K),
        name: m.blocks[i].file.replace(/\.onnx$/, ""),
      }).encode({ docString: g.docString, opset: g.opset });
      if (!sameBytes(rebuilt, folder.blocks[i])) throw new Error("rebuilt bytes differ");
    } catch (e) {
      throw new ExportError(
        `${label} is not a block graph this exporter rebuilds exactly from its own tensors (${
          (e as Error).message
        }); export from the run folder with --fused instead`,
      );
    }
    return exportedLayers(g.initializers, label, blockScope(i + 1));
  });
  const cls = readGraph(folder.classifier, `${dir}/${m.classifier.file}`);
  try {
    const classifier = exportedLayers(cls.initializers, `${dir}/${m.classifier.file}`)
      .dense("cls", null, d, K);
    return { spec, blocks, embed, classifier, schedule: m.schedule };
  } catch (e) {
    throw new ExportError((e as Error).message);
  }
}

/**
 * Adds `chain.onnx` to the exported dt model folder `dir`, built from its block and classifier
 * graphs ({@linkcode chainOptionsFromExport}), and rewrites `manifest.json` with the `chain`
 * entry, last. Errors are one-line {@linkcode ExportError}s.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addChainToExport } from "./export_chain.ts";
 * const empty = await Deno.makeTempDir();
 * await assert.rejects(addChainToExport(empty), (e) =>
 *   e instanceof Error && e.name === "ExportError" && /manifest\.json is missing/.test(e.message));
 * await Deno.remove(empty);
 * ```
 */
export async function addChainToExport(dir: string): Promise<ExportResult> {
  let folder;
  try {
    folder = await loadModelFolder(dir);
  } catch (e) {
    throw e instanceof InferError ? new ExportError(e.message) : e;
  }
  const { ref, nodes } = await writeChain(dir, chainOptionsFromExport(folder));
  const manifest: Manifest = { ...folder.manifest, chain: ref };
  await writeFileAtomic(`${dir}/${MANIFEST_FILE}`, manifestJson(manifest));
  return {
    outDir: dir,
    files: [CHAIN_FILE, MANIFEST_FILE],
    manifest,
    blockNodes: [],
    chainNodes: nodes,
  };
}
