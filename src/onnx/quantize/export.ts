/**
 * `deno task export --quantize int8`: adds statically quantized graphs to an exported model
 * folder. The float chain runs, through the runtime's own sampler and a
 * {@linkcode calibratingEngine}, on a few hundred training images (evenly spaced through the
 * training split, both the noise-free and the stochastic trajectory, so that every z the
 * blocks see in either mode is inside the calibrated ranges); then each graph is rewritten by
 * {@linkcode quantizeModel} and written beside its float graph as `<name>.int8.onnx`, and the
 * manifest gets an `int8` list with their SHA-256 (written last, atomically). The float graphs
 * are untouched: fp32 stays the default precision.
 *
 * A folder that stores its weights as float16 (`"weights": "fp16"`, `../fp16_weights.ts`) is
 * quantized from those float16 values, widened to float32 (exactly), and the int8 graphs' few
 * remaining float weights are stored as float16 too.
 *
 * Which graphs: the manifest's `blocks` (the networks, where the multiply-adds are) and, when
 * it lists one, the fused chain `chain.onnx` (→ `chain.int8.onnx`, which the runtime then runs
 * as one session at int8). The classifier (one small Gemm on z_T) and a ct schedule graph stay
 * float: quantizing them saves nothing measurable and would round the logits.
 *
 * The chain is calibrated on its own graph, not given the blocks' ranges: the same images, the
 * same two trajectories and the same noise run through the runtime's one-session chain path
 * (`fused: true`) after the block-by-block path (`fused: false`). Its tensors do not map one to
 * one onto the blocks': the stacked convolutions hold all T blocks' channels in one tensor
 * (`chain.img.conv2`, whose one scale must cover the union of the T blocks' ranges), and the
 * z-steps' tensors carry other names (`step01.head.in`, `b01.img.fc+bn`). Running the chain
 * measures exactly the tensors its own plan quantizes, with no name table to keep in step with
 * `chain_graph.ts`; the blocks' and the chain's ranges of corresponding tensors agree (tested).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createClassifier } from "@noprop/infer";
 * import { quantizeExport } from "./export.ts";
 * // A copy of the shipped model, and a tiny MNIST training split (8 images) to calibrate on.
 * const dir = await Deno.makeTempDir();
 * for (const e of Deno.readDirSync("models/mnist")) {
 *   await Deno.copyFile(`models/mnist/${e.name}`, `${dir}/${e.name}`);
 * }
 * const dataDir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dataDir}/mnist`);
 * const idx = (magic: number, dims: number[], byte: (i: number) => number) => {
 *   const head = 4 + 4 * dims.length, bytes = new Uint8Array(head + dims.reduce((a, b) => a * b));
 *   [magic, ...dims].forEach((v, i) => new DataView(bytes.buffer).setUint32(4 * i, v));
 *   for (let i = head; i < bytes.length; i++) bytes[i] = byte(i - head);
 *   return bytes;
 * };
 * for (const [split, n] of [["train", 8], ["t10k", 2]] as const) {
 *   await Deno.writeFile(`${dataDir}/mnist/${split}-images-idx3-ubyte`, idx(2051, [n, 28, 28], (i) => (i * 37) % 256));
 *   await Deno.writeFile(`${dataDir}/mnist/${split}-labels-idx1-ubyte`, idx(2049, [n], (i) => i % 10));
 * }
 * const r = await quantizeExport(dir, { dataset: "mnist", dataDir, images: 8 });
 * assert.equal(r.calibrationImages, 8);
 * assert.equal(r.manifest.int8!.length, 11); // one per block, and the fused chain
 * assert.equal(r.manifest.int8![0].file, "block_01.int8.onnx");
 * assert.equal(r.files.at(-1), "chain.int8.onnx");
 * const clf = await createClassifier({ modelDir: dir, provider: "cpu", precision: "int8" });
 * assert.deepEqual([clf.precision, clf.fused], ["int8", true]); // the int8 chain, one session
 * await clf.close();
 * await Deno.remove(dir, { recursive: true });
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 * @module
 */
import {
  createClassifier,
  type InputSpec,
  loadModelFolder,
  type Manifest,
  MANIFEST_FILE,
  type ModelFolder,
  type QuantizedRef,
  selectEngine,
} from "@noprop/infer";
import { writeFileAtomic } from "../../atomic.ts";
import { loadDataset, NORMALIZATION, normalizeInto } from "../../data/mod.ts";
import type { DatasetName } from "../../data/types.ts";
import { ExportError } from "../export_types.ts";
import { expandFp16Weights, storeWeightsFp16 } from "../fp16_weights.ts";
import { manifestJson, writeGraph } from "../manifest_file.ts";
import { calibratingEngine, RangeTable } from "./calibrate.ts";
import { decodeModel, encodeModel } from "./proto.ts";
import { quantizeModel, type QuantizeOptions, type QuantizeReport } from "./transform.ts";

/**
 * The default number of calibration images.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CALIBRATION_IMAGES } from "./export.ts";
 * assert.equal(CALIBRATION_IMAGES, 300);
 * ```
 */
export const CALIBRATION_IMAGES = 300;

/**
 * Options of {@linkcode quantizeExport}.
 *
 * @example
 * ```ts
 * import type { QuantizeExportOptions } from "./export.ts";
 * const o: QuantizeExportOptions = { dataset: "mnist", dataDir: "../shared/data", images: 300 };
 * ```
 */
export interface QuantizeExportOptions {
  /** The dataset whose training split calibrates. */
  dataset: DatasetName;
  /** Dataset folder (default: `$NOPROP_DATA_DIR` or the download cache). */
  dataDir?: string;
  /** Calibration images (default {@linkcode CALIBRATION_IMAGES}). */
  images?: number;
  /** How to quantize (default: u8 activations, per-channel int8 weights). */
  quantize?: QuantizeOptions;
  /** CPU threads of the calibration runs (default: all cores). */
  threads?: number;
}

/**
 * What {@linkcode quantizeExport} wrote.
 *
 * @example
 * ```ts
 * import type { QuantizeExportResult } from "./export.ts";
 * const line = (r: QuantizeExportResult) => `${r.files.length} int8 graphs`;
 * ```
 */
export interface QuantizeExportResult {
  /** The manifest written (with its `int8` list). */
  manifest: Manifest;
  /** The int8 graph files written. */
  files: string[];
  /** Per int8 file, what the transform did. */
  reports: Record<string, QuantizeReport>;
  /** Training images calibrated on. */
  calibrationImages: number;
}

/**
 * Evenly spaced indices: `n` of `0..count − 1`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spreadIndices } from "./export.ts";
 * assert.deepEqual(spreadIndices(10, 4), [0, 2, 5, 7]);
 * assert.deepEqual(spreadIndices(3, 5), [0, 1, 2]); // at most count
 * ```
 */
export function spreadIndices(count: number, n: number): number[] {
  const k = Math.min(count, n);
  return Array.from({ length: k }, (_, i) => Math.floor((i * count) / k));
}

/**
 * `n` training images of `dataset` (evenly spaced, see {@linkcode spreadIndices}), normalised
 * to NCHW float32 as the runtime feeds them; checked against the model's `input` shape.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { calibrationImages } from "./export.ts";
 * import { ExportError } from "../export_types.ts";
 * // A tiny CIFAR-10-shaped folder is not needed to see the shape check: MNIST from a temp dir.
 * const dataDir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dataDir}/mnist`);
 * const idx = (magic: number, dims: number[]) => {
 *   const head = 4 + 4 * dims.length, bytes = new Uint8Array(head + dims.reduce((a, b) => a * b));
 *   [magic, ...dims].forEach((v, i) => new DataView(bytes.buffer).setUint32(4 * i, v));
 *   return bytes;
 * };
 * for (const [split, n] of [["train", 4], ["t10k", 1]] as const) {
 *   await Deno.writeFile(`${dataDir}/mnist/${split}-images-idx3-ubyte`, idx(2051, [n, 28, 28]));
 *   await Deno.writeFile(`${dataDir}/mnist/${split}-labels-idx1-ubyte`, idx(2049, [n]));
 * }
 * const input = { layout: "NCHW" as const, dtype: "float32" as const, channels: 1, height: 28, width: 28 };
 * const x = await calibrationImages("mnist", dataDir, 3, input);
 * assert.equal(x.length, 3 * 784);
 * assert.ok(Math.abs(x[0] - (0 - 0.1307) / 0.3081) < 1e-6); // a black pixel, normalised
 * await assert.rejects(
 *   calibrationImages("mnist", dataDir, 3, { ...input, channels: 3, height: 32, width: 32 }),
 *   (e) => e instanceof ExportError && e.message === "mnist images are 28×28×1, the model takes 32×32×3",
 * );
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 */
export async function calibrationImages(
  dataset: DatasetName,
  dataDir: string | undefined,
  n: number,
  input: InputSpec,
): Promise<Float32Array> {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new ExportError(`calibration images must be a positive integer, got ${n}`);
  }
  const train = (await loadDataset(dataset, { dataDir, log: () => {} })).train;
  const want = `${input.height}×${input.width}×${input.channels}`;
  const have = `${train.height}×${train.width}×${train.channels}`;
  if (have !== want) {
    throw new ExportError(`${dataset} images are ${have}, the model takes ${want}`);
  }
  const idx = spreadIndices(train.count, n);
  const out = new Float32Array(idx.length * input.channels * input.height * input.width);
  return normalizeInto(train, idx, NORMALIZATION[dataset], out, "NCHW");
}

/**
 * Runs the float model folder `dir` on the NCHW images `x` through the runtime (the manifest's
 * sampler, noise-free and stochastic, seed 0) on onnxruntime-node cpu with a
 * {@linkcode calibratingEngine}: block by block, and then through the fused chain when the
 * manifest lists one (see the module doc); returns the loaded folder and the ranges its graphs
 * saw (keyed `<folder>/<file>`). `ops`: the target op types whose plan is measured.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { calibrateFolder } from "./export.ts";
 * const x = Float32Array.from({ length: 2 * 784 }, (_, i) => (i % 97) / 40 - 0.4);
 * const { folder, table } = await calibrateFolder("models/mnist", x, { threads: 1 });
 * const r = table.get(`models/mnist/${folder.manifest.blocks[4].file}`)!;
 * assert.ok(r.get("x")!.min < 0 && r.get("z")!.max > 0); // block 5 saw x and z_4
 * const c = table.get("models/mnist/chain.onnx")!; // the chain saw x and z_4 too
 * assert.deepEqual(c.get("x"), r.get("x"));
 * assert.ok(Math.abs(c.get("step04.z")!.max - r.get("z")!.max) < 1e-5); // (float rounding apart)
 * ```
 */
export async function calibrateFolder(
  dir: string,
  x: Float32Array,
  o: { ops?: readonly string[]; threads?: number } = {},
): Promise<{ folder: ModelFolder; table: RangeTable }> {
  const folder = await loadModelFolder(dir);
  const { channels, height, width } = folder.manifest.input;
  const n = x.length / (channels * height * width);
  if (!Number.isInteger(n) || n < 1) {
    throw new ExportError(`calibration input holds ${x.length} floats, not whole images`);
  }
  const table = new RangeTable();
  const { engine } = await selectEngine("cpu", { threads: o.threads });
  const cal = calibratingEngine(engine, table, o.ops);
  // The block graphs (one session each), then the fused chain (one session) if there is one.
  for (const fused of folder.manifest.chain ? [false, true] : [false]) {
    const clf = await createClassifier({ modelDir: folder.dir, engine: cal, fused });
    // Loading ran the chain (or, block by block, the classifier) once on zero inputs, to check
    // its logits count: not calibration data, so not in the ranges.
    const checked = fused ? folder.manifest.chain! : folder.manifest.classifier;
    table.forget(`${folder.dir}/${checked.file}`);
    try {
      for (const noise of [false, true]) await clf.logits(x, n, { noise, seed: 0 });
    } finally {
      await clf.close();
    }
  }
  return { folder, table };
}

/**
 * The int8 versions of a calibrated folder's block graphs (see the module doc), as bytes,
 * with what the transform did to each.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { calibrateFolder, quantizeBlocks } from "./export.ts";
 * const x = Float32Array.from({ length: 784 }, (_, i) => (i % 97) / 40 - 0.4);
 * const { folder, table } = await calibrateFolder("models/mnist", x, { threads: 1 });
 * const { graphs, reports } = quantizeBlocks(folder, table, { ops: ["Conv"] });
 * assert.equal(graphs.length, 10);
 * // conv2 and conv3; conv1 (1 input channel, 3×3: a reduction of 9) stays float.
 * assert.deepEqual(reports[0].quantized, ["Conv:img.conv2", "Conv:img.conv3"]);
 * ```
 */
export function quantizeBlocks(
  folder: ModelFolder,
  table: RangeTable,
  q?: QuantizeOptions,
): { graphs: Uint8Array[]; reports: QuantizeReport[] } {
  const graphs: Uint8Array[] = [], reports: QuantizeReport[] = [];
  const fp16 = folder.manifest.weights === "fp16";
  for (const [i, ref] of folder.manifest.blocks.entries()) {
    const label = `${folder.dir}/${ref.file}`;
    const ranges = table.get(label);
    if (!ranges) throw new ExportError(`${label}: calibration never ran this graph`);
    const float = expandFp16Weights(decodeModel(folder.blocks[i], label));
    const { model, report } = quantizeModel(float, ranges, q);
    // In an fp16 folder the weights left in float (e.g. a first convolution too small to
    // quantize) are stored as float16 again, like those of every other graph of the folder.
    graphs.push(encodeModel(fp16 ? storeWeightsFp16(model).model : model));
    reports.push(report);
  }
  return { graphs, reports };
}

/**
 * The int8 version of a calibrated folder's fused chain (`chain.onnx`) as bytes, with what the
 * transform did; undefined when the manifest lists no chain. The same transform as for the
 * blocks, on the chain's own calibrated ranges (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { calibrateFolder, quantizeChain } from "./export.ts";
 * const x = Float32Array.from({ length: 784 }, (_, i) => (i % 97) / 40 - 0.4);
 * const { folder, table } = await calibrateFolder("models/mnist", x, { threads: 1 });
 * const { report } = quantizeChain(folder, table)!;
 * // Per block conv2 and conv3 (the stacked first conv, a reduction of 9, stays float), img.fc,
 * // two of the label branch's three layers (the first reads z: K = d = 10, it stays float)
 * // and the head's three.
 * assert.equal(report.quantized.length, 10 * 2 + 10 * 6);
 * assert.ok(report.quantized.includes("Conv:b03.img.conv3"));
 * assert.ok(report.quantized.includes("Gemm:b07.img.fc+bn"));
 * ```
 */
export function quantizeChain(
  folder: ModelFolder,
  table: RangeTable,
  q?: QuantizeOptions,
): { graph: Uint8Array; report: QuantizeReport } | undefined {
  const ref = folder.manifest.chain;
  if (!ref || !folder.chain) return undefined;
  const label = `${folder.dir}/${ref.file}`;
  const ranges = table.get(label);
  if (!ranges) throw new ExportError(`${label}: calibration never ran this graph`);
  // As for the blocks: quantized from the widened float16 weights, the rest stored fp16 again.
  const float = expandFp16Weights(decodeModel(folder.chain, label));
  const { model, report } = quantizeModel(float, ranges, q);
  const fp16 = folder.manifest.weights === "fp16";
  return { graph: encodeModel(fp16 ? storeWeightsFp16(model).model : model), report };
}

/**
 * The int8 file name of a float graph: `block_01.onnx` → `block_01.int8.onnx`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { int8File } from "./export.ts";
 * assert.equal(int8File("chain.onnx"), "chain.int8.onnx");
 * ```
 */
export function int8File(file: string): string {
  return file.replace(/\.onnx$/, "") + ".int8.onnx";
}

/**
 * Writes int8 block graphs beside the float ones (`block_01.onnx` → `block_01.int8.onnx`) and,
 * given, the int8 chain (`chain.onnx` → `chain.int8.onnx`), then the manifest with their `int8`
 * list (atomically, last); returns the manifest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadModelFolder } from "@noprop/infer";
 * import { writeInt8 } from "./export.ts";
 * const dir = await Deno.makeTempDir();
 * for (const e of Deno.readDirSync("models/mnist")) {
 *   await Deno.copyFile(`models/mnist/${e.name}`, `${dir}/${e.name}`);
 * }
 * const folder = await loadModelFolder(dir);
 * // (The float bytes stand in for int8 ones.)
 * const m = await writeInt8(folder, folder.blocks, folder.chain);
 * assert.deepEqual(m.int8![1], {
 *   replaces: "block_02.onnx", file: "block_02.int8.onnx", sha256: folder.manifest.blocks[1].sha256,
 * });
 * assert.deepEqual(m.int8!.at(-1), {
 *   replaces: "chain.onnx", file: "chain.int8.onnx", sha256: folder.manifest.chain!.sha256,
 * });
 * const q = await loadModelFolder(dir, { precision: "int8" });
 * assert.deepEqual([q.manifest.blocks[1].file, q.manifest.chain!.file], ["block_02.int8.onnx", "chain.int8.onnx"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeInt8(
  folder: ModelFolder,
  graphs: Uint8Array[],
  chain?: Uint8Array,
): Promise<Manifest> {
  const m = folder.manifest;
  if (graphs.length !== m.blocks.length) {
    throw new ExportError(`${graphs.length} int8 graphs for ${m.blocks.length} blocks`);
  }
  if (chain && !m.chain) throw new ExportError(`an int8 chain for a manifest without a chain`);
  const int8: QuantizedRef[] = [];
  const targets: [string, Uint8Array][] = m.blocks.map((ref, i) => [ref.file, graphs[i]]);
  if (chain) targets.push([m.chain!.file, chain]);
  for (const [file, bytes] of targets) {
    int8.push({ replaces: file, ...await writeGraph(folder.dir, int8File(file), bytes) });
  }
  const manifest: Manifest = { ...m, int8 };
  await writeFileAtomic(`${folder.dir}/${MANIFEST_FILE}`, manifestJson(manifest));
  return manifest;
}

/**
 * Quantizes the exported model folder `dir` in place (see the module doc): calibration on
 * training images of `o.dataset`, the transform, the files and the manifest. Errors are
 * {@linkcode ExportError}s (or the runtime's `InferError` for a broken folder).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quantizeExport } from "./export.ts";
 * import { ExportError } from "../export_types.ts";
 * await assert.rejects(
 *   quantizeExport("models/mnist", { dataset: "mnist", images: 0 }),
 *   (e) => e instanceof ExportError && e.message === "calibration images must be a positive integer, got 0",
 * );
 * ```
 */
export async function quantizeExport(
  dir: string,
  o: QuantizeExportOptions,
): Promise<QuantizeExportResult> {
  const n = o.images ?? CALIBRATION_IMAGES;
  const m = (await loadModelFolder(dir)).manifest;
  const x = await calibrationImages(o.dataset, o.dataDir, n, m.input);
  const { folder, table } = await calibrateFolder(dir, x, {
    ops: o.quantize?.ops,
    threads: o.threads,
  });
  const { graphs, reports } = quantizeBlocks(folder, table, o.quantize);
  const chain = quantizeChain(folder, table, o.quantize);
  const manifest = await writeInt8(folder, graphs, chain?.graph);
  const files = manifest.int8!.map((r) => r.file);
  if (chain) reports.push(chain.report);
  return {
    manifest,
    files,
    reports: Object.fromEntries(files.map((f, i) => [f, reports[i]])),
    calibrationImages: x.length / (m.input.channels * m.input.height * m.input.width),
  };
}
