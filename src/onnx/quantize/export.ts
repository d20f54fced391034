/**
 * `deno task export --quantize int8`: adds statically quantized graphs to an exported model
 * folder. The float chain runs, through the runtime's own sampler and a
 * {@linkcode calibratingEngine}, on a few hundred training images (evenly spaced through the
 * training split, both the noise-free and the stochastic trajectory, so that every z the
 * blocks see in either mode is inside the calibrated ranges); then each block graph is
 * rewritten by {@linkcode quantizeModel} and written beside its float graph as
 * `<name>.int8.onnx`, and the manifest gets an `int8` list with their SHA-256 (written last,
 * atomically). The float graphs are untouched: fp32 stays the default precision.
 *
 * Which graphs: the manifest's `blocks` (the networks, where the multiply-adds are). The
 * classifier (one small Gemm on z_T) and a ct schedule graph stay float: quantizing them saves
 * nothing measurable and would round the logits.
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
 * assert.equal(r.manifest.int8!.length, 10); // one per block
 * assert.equal(r.manifest.int8![0].file, "block_01.int8.onnx");
 * const clf = await createClassifier({ modelDir: dir, provider: "cpu", precision: "int8" });
 * assert.equal(clf.precision, "int8");
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
 * {@linkcode calibratingEngine}; returns the loaded folder and the ranges its graphs saw
 * (keyed `<folder>/<file>`). `ops`: the target op types whose plan is measured.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { calibrateFolder } from "./export.ts";
 * const x = Float32Array.from({ length: 2 * 784 }, (_, i) => (i % 97) / 40 - 0.4);
 * const { folder, table } = await calibrateFolder("models/mnist", x, { threads: 1 });
 * const r = table.get(`models/mnist/${folder.manifest.blocks[4].file}`)!;
 * assert.ok(r.get("x")!.min < 0 && r.get("z")!.max > 0); // block 5 saw x and z_4
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
  const clf = await createClassifier({
    modelDir: folder.dir,
    engine: calibratingEngine(engine, table, o.ops),
    fused: false, // the block graphs, one session each, are what is calibrated (not chain.onnx)
  });
  try {
    for (const noise of [false, true]) await clf.logits(x, n, { noise, seed: 0 });
  } finally {
    await clf.close();
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
  for (const [i, ref] of folder.manifest.blocks.entries()) {
    const label = `${folder.dir}/${ref.file}`;
    const ranges = table.get(label);
    if (!ranges) throw new ExportError(`${label}: calibration never ran this graph`);
    const { model, report } = quantizeModel(decodeModel(folder.blocks[i], label), ranges, q);
    graphs.push(encodeModel(model));
    reports.push(report);
  }
  return { graphs, reports };
}

/**
 * Writes int8 block graphs beside the float ones (`block_01.onnx` → `block_01.int8.onnx`),
 * then the manifest with their `int8` list (atomically, last); returns the manifest.
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
 * const m = await writeInt8(folder, folder.blocks); // (the float bytes stand in for int8 ones)
 * assert.deepEqual(m.int8![1], {
 *   replaces: "block_02.onnx", file: "block_02.int8.onnx", sha256: folder.manifest.blocks[1].sha256,
 * });
 * assert.equal((await loadModelFolder(dir, { precision: "int8" })).manifest.blocks[1].file, "block_02.int8.onnx");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeInt8(folder: ModelFolder, graphs: Uint8Array[]): Promise<Manifest> {
  const m = folder.manifest;
  if (graphs.length !== m.blocks.length) {
    throw new ExportError(`${graphs.length} int8 graphs for ${m.blocks.length} blocks`);
  }
  const int8: QuantizedRef[] = [];
  for (const [i, ref] of m.blocks.entries()) {
    const file = ref.file.replace(/\.onnx$/, "") + ".int8.onnx";
    int8.push({ replaces: ref.file, ...await writeGraph(folder.dir, file, graphs[i]) });
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
  const manifest = await writeInt8(folder, graphs);
  const files = manifest.int8!.map((r) => r.file);
  return {
    manifest,
    files,
    reports: Object.fromEntries(files.map((f, i) => [f, reports[i]])),
    calibrationImages: x.length / (m.input.channels * m.input.height * m.input.width),
  };
}
