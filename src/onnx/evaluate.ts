/**
 * Test accuracy of an exported model folder through the inference runtime (onnxruntime), on
 * the test split of the dataset it was trained on. The images are normalised with the
 * training pipeline's own function (`normalizeInto`, NCHW), which the runtime's preprocessing
 * matches bit for bit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluateExported } from "./evaluate.ts";
 * // A tiny MNIST test split in plain IDX files (4 images); leave `dataDir` out for the
 * // real one.
 * const dataDir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dataDir}/mnist`);
 * const idx = (magic: number, dims: number[], byte: (i: number) => number) => {
 *   const head = 4 + 4 * dims.length, bytes = new Uint8Array(head + dims.reduce((a, b) => a * b));
 *   [magic, ...dims].forEach((v, i) => new DataView(bytes.buffer).setUint32(4 * i, v));
 *   for (let i = head; i < bytes.length; i++) bytes[i] = byte(i - head);
 *   return bytes;
 * };
 * for (const [split, n] of [["train", 2], ["t10k", 4]] as const) {
 *   const images = idx(2051, [n, 28, 28], (i) => (i * 37) % 256);
 *   await Deno.writeFile(`${dataDir}/mnist/${split}-images-idx3-ubyte`, images);
 *   const labels = idx(2049, [n], (i) => i % 10);
 *   await Deno.writeFile(`${dataDir}/mnist/${split}-labels-idx1-ubyte`, labels);
 * }
 * // The model shipped with the project (run from the repository root).
 * const r = await evaluateExported("models/mnist", { dataset: "mnist", dataDir });
 * assert.equal(r.count, 4);
 * assert.equal(r.confusion.counts.reduce((a, b) => a + b), 4); // one count per image
 * assert.ok(r.accuracy >= 0 && r.accuracy <= 1 && r.imagesPerS > 0);
 * assert.match(r.provider, /^cpu/);
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 * @module
 */
import { createClassifier, type Precision } from "@noprop/infer";
import { loadDataset, NORMALIZATION, normalizeInto } from "../data/mod.ts";
import type { DatasetName } from "../data/types.ts";
import { type Confusion, countPredictions, emptyConfusion } from "../train/confusion.ts";
import { ExportError } from "./export_types.ts";

/**
 * Options of {@linkcode evaluateExported}.
 *
 * @example
 * ```ts
 * import type { EvaluateExportedOptions } from "./evaluate.ts";
 * const o: EvaluateExportedOptions = { dataset: "mnist", dataDir: "../shared/data", limit: 1000 };
 * ```
 */
export interface EvaluateExportedOptions {
  /** Dataset whose test split is used. */
  dataset: DatasetName;
  /** Dataset folder (default: `$NOPROP_DATA_DIR` or the download cache). */
  dataDir?: string;
  /** Execution provider (default cpu). */
  provider?: string;
  /** Evaluate only the first `limit` test images. */
  limit?: number;
  /** Sampler noise (default: the manifest's). */
  noise?: boolean;
  /** Seed (default 0). */
  seed?: number;
  /** Sampler (default: the manifest's), e.g. `euler` or `heun` for ct/fm models. */
  sampler?: string;
  /** Sampler steps (default: the sampler's). */
  steps?: number;
  /** Images per runtime call (default 1000). */
  batch?: number;
  /** Use the fused chain graph when the manifest lists one (default true). */
  fused?: boolean;
  /** Graph precision (default fp32; int8 needs the graphs of `export --quantize int8`). */
  precision?: Precision;
}

/**
 * Result of {@linkcode evaluateExported}.
 *
 * @example
 * ```ts
 * import type { ExportedAccuracy } from "./evaluate.ts";
 * const line = (r: ExportedAccuracy) =>
 *   `${(100 * r.accuracy).toFixed(2)}% of ${r.count} images (${r.provider})`;
 * ```
 */
export interface ExportedAccuracy {
  /** Fraction of test images classified correctly. */
  accuracy: number;
  /** Images evaluated. */
  count: number;
  /** Throughput of the chain (preprocessed images per second). */
  imagesPerS: number;
  /** Provider used. */
  provider: string;
  /** Confusion counts (rows: true class, columns: predicted). */
  confusion: Confusion;
}

/**
 * Evaluates `modelDir` on the test split (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluateExported } from "./evaluate.ts";
 * // A data dir with a tiny MNIST in plain IDX files: 2 training and 4 test images.
 * const dataDir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dataDir}/mnist`);
 * const idx = (magic: number, dims: number[], byte: (i: number) => number) => {
 *   const head = 4 + 4 * dims.length, bytes = new Uint8Array(head + dims.reduce((a, b) => a * b));
 *   [magic, ...dims].forEach((v, i) => new DataView(bytes.buffer).setUint32(4 * i, v));
 *   for (let i = head; i < bytes.length; i++) bytes[i] = byte(i - head);
 *   return bytes;
 * };
 * for (const [split, n] of [["train", 2], ["t10k", 4]] as const) {
 *   const images = idx(2051, [n, 28, 28], (i) => (i * 37) % 256);
 *   await Deno.writeFile(`${dataDir}/mnist/${split}-images-idx3-ubyte`, images);
 *   const labels = idx(2049, [n], (i) => i % 10);
 *   await Deno.writeFile(`${dataDir}/mnist/${split}-labels-idx1-ubyte`, labels);
 * }
 * // The first 3 test images, one runtime call each, with the sampler's noise from seed 7.
 * const o = { dataset: "mnist" as const, dataDir, limit: 3, batch: 1, noise: true, seed: 7 };
 * const r = await evaluateExported("models/mnist", o);
 * assert.equal(r.count, 3);
 * assert.equal((await evaluateExported("models/mnist", o)).accuracy, r.accuracy); // seeded
 * await assert.rejects(evaluateExported("models/mnist", { ...o, limit: 0 }), /positive integer/);
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 */
export async function evaluateExported(
  modelDir: string,
  o: EvaluateExportedOptions,
): Promise<ExportedAccuracy> {
  if (o.limit !== undefined && !(Number.isSafeInteger(o.limit) && o.limit > 0)) {
    throw new ExportError(`evaluation limit must be a positive integer, got ${o.limit}`);
  }
  const data = await loadDataset(o.dataset, { dataDir: o.dataDir, log: () => {} });
  const test = data.test;
  const n = Math.min(test.count, o.limit ?? test.count);
  const size = test.height * test.width * test.channels;
  const clf = await createClassifier({
    modelDir,
    provider: o.provider ?? "cpu",
    fused: o.fused,
    precision: o.precision,
  });
  const chunk = o.batch ?? 1000;
  let ok = 0;
  const confusion = emptyConfusion(clf.manifest.classNames.length);
  const t0 = performance.now();
  for (let s = 0; s < n; s += chunk) {
    const idx = Array.from({ length: Math.min(chunk, n - s) }, (_, i) => s + i);
    const x = normalizeInto(
      test,
      idx,
      NORMALIZATION[o.dataset],
      new Float32Array(idx.length * size),
      "NCHW",
    );
    const logits = await clf.logits(x, idx.length, {
      noise: o.noise,
      seed: (o.seed ?? 0) + s,
      sampler: o.sampler,
      steps: o.steps,
    });
    const K = clf.manifest.classNames.length;
    const predicted = new Int32Array(idx.length);
    idx.forEach((img, i) => {
      let best = 0;
      for (let k = 1; k < K; k++) if (logits[i * K + k] > logits[i * K + best]) best = k;
      if (best === test.labels[img]) ok++;
      predicted[i] = best;
    });
    countPredictions(confusion, test.labels.subarray(s, s + idx.length), predicted, idx.length);
  }
  const secs = (performance.now() - t0) / 1000;
  await clf.close();
  return {
    accuracy: ok / n,
    count: n,
    imagesPerS: n / secs,
    provider: clf.providerNote,
    confusion,
  };
}
