/**
 * Test accuracy of an exported model folder through the inference runtime (onnxruntime), on
 * the test split of the dataset it was trained on. The images are normalised with the
 * training pipeline's own function (`normalizeInto`, NCHW), which the runtime's preprocessing
 * matches bit for bit.
 *
 * @example
 * ```ts
 * import { evaluateExported } from "./evaluate.ts";
 * const r = await evaluateExported("models/mnist", { dataset: "mnist", dataDir: "../shared/data" });
 * console.log(r.accuracy, r.imagesPerS);
 * ```
 * @module
 */
import { createClassifier } from "@noprop/infer";
import { loadDataset, NORMALIZATION, normalizeInto } from "../data/mod.ts";
import type { DatasetName } from "../data/types.ts";

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
}

/**
 * Result of {@linkcode evaluateExported}.
 *
 * @example
 * ```ts
 * import { evaluateExported } from "./evaluate.ts";
 * const { accuracy, count } = await evaluateExported("models/mnist", { dataset: "mnist" });
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
}

/**
 * Evaluates `modelDir` on the test split (see the module doc).
 *
 * @example
 * ```ts
 * import { evaluateExported } from "./evaluate.ts";
 * await evaluateExported("/tmp/onnx", { dataset: "mnist", limit: 1000 });
 * ```
 */
export async function evaluateExported(
  modelDir: string,
  o: EvaluateExportedOptions,
): Promise<ExportedAccuracy> {
  const data = await loadDataset(o.dataset, { dataDir: o.dataDir, log: () => {} });
  const test = data.test;
  const n = Math.min(test.count, o.limit ?? test.count);
  const size = test.height * test.width * test.channels;
  const clf = await createClassifier({ modelDir, provider: o.provider ?? "cpu" });
  const chunk = o.batch ?? 1000;
  let ok = 0;
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
    idx.forEach((img, i) => {
      let best = 0;
      for (let k = 1; k < K; k++) if (logits[i * K + k] > logits[i * K + best]) best = k;
      if (best === test.labels[img]) ok++;
    });
  }
  const secs = (performance.now() - t0) / 1000;
  await clf.close();
  return { accuracy: ok / n, count: n, imagesPerS: n / secs, provider: clf.providerNote };
}
