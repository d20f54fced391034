/**
 * The Deno entry's classifier: {@linkcode createClassifier} reads an exported model folder from
 * disk (every graph checked against its SHA-256), starts the provider it is asked for (or the
 * best one, with `auto`), and classifies PNG/JPEG bytes (decoded in JavaScript) or decoded
 * pixels. The browser entry's counterpart is `createWebClassifier` in `web.ts`; both run the
 * same classifier (`classifier.ts`), preprocessing (`image/pixels.ts`) and samplers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { createClassifier } from "./create.ts";
 * // A hand-drawn "0": a white ring on black, as a 28×28 grey PNG.
 * const pixels = new Uint8Array(28 * 28);
 * for (let i = 0; i < 28 * 28; i++) {
 *   const r = Math.hypot(i % 28 - 13.5, (Math.floor(i / 28) - 13.5) * 0.8);
 *   if (r > 6 && r < 9) pixels[i] = 255;
 * }
 * const png = encode({ width: 28, height: 28, channels: 1, data: pixels });
 * // The model shipped with the project (run from the repository root).
 * const clf = await createClassifier({ modelDir: "models/mnist", provider: "cpu" });
 * const [r] = await clf.classify([png], { top: 3 });
 * assert.equal(r.label, "0");
 * assert.ok(r.probability > 0.9 && r.top.length === 3 && r.top[0].label === "0");
 * assert.match(clf.providerNote, /^cpu \(onnxruntime-node/);
 * await clf.close();
 * ```
 * @module
 */
import { checkPositiveInt, type Classifier, openClassifier, samplerFor } from "./classifier.ts";
import { loadModelFolder } from "./model_folder.ts";
import { preprocess } from "./image/preprocess.ts";
import { selectEngine } from "./runtime/select.ts";
import type { Precision } from "./precision.ts";
import type { Engine, ProviderName } from "./runtime/types.ts";

/**
 * Options of {@linkcode createClassifier}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ClassifierOptions, createClassifier } from "./create.ts";
 * const o: ClassifierOptions = { modelDir: "models/mnist", provider: "cpu", threads: 2 };
 * const clf = await createClassifier(o);
 * assert.equal(clf.provider, "cpu");
 * await clf.close();
 * ```
 */
export interface ClassifierOptions {
  /** An exported model folder (with `manifest.json`). */
  modelDir: string;
  /** Execution provider (default `auto`). */
  provider?: ProviderName | string;
  /** CPU threads for cpu/wasm (default: all cores). */
  threads?: number;
  /** Largest batch run through the graphs at once (default 128). */
  batchSize?: number;
  /** Pixel limit for decoding (default 40 MP). */
  maxPixels?: number;
  /** Default sampler of `classify` (checked against the model before a provider starts). */
  sampler?: string;
  /** Default sampler steps of `classify` (checked likewise). */
  steps?: number;
  /**
   * Use the manifest's fused chain graph (`chain.onnx`) when it lists one (default true): one
   * session for the whole DT chain. `false` runs the block graphs one by one.
   */
  fused?: boolean;
  /**
   * `fp32` (default) or `int8`: the statically quantized graphs the manifest lists (written
   * by `deno task export --quantize int8`), faster on CPUs with int8 dot-product instructions.
   * int8 uses the fused chain only if the manifest's `int8` list replaces it (else the block
   * graphs, never the float chain).
   */
  precision?: Precision;
  /**
   * An engine to open the graphs on instead of selecting one (`provider` and `threads` are
   * then not used); e.g. one that wraps another, as calibration for quantization does.
   */
  engine?: Engine;
}

/**
 * Loads a model folder onto an engine (see the module doc). Errors — a missing or corrupt
 * folder, a manifest whose class names do not match the classifier's logits, an unknown or
 * unavailable provider — are one-line `InferError`s.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createClassifier } from "./create.ts";
 * await assert.rejects(createClassifier({ modelDir: "models/mnist", provider: "tpu" }), {
 *   name: "InferError",
 *   message: /^unknown provider "tpu"/,
 * });
 * await assert.rejects(createClassifier({ modelDir: "no/such/folder" }), { name: "InferError" });
 * ```
 */
export async function createClassifier(o: ClassifierOptions): Promise<Classifier> {
  checkPositiveInt(o.batchSize, "batchSize");
  checkPositiveInt(o.threads, "threads");
  // The folder is checked before a provider is started (cheap errors first).
  const folder = await loadModelFolder(o.modelDir, { precision: o.precision });
  samplerFor(folder.manifest, o.sampler, o.steps);
  const selection = o.engine
    ? { engine: o.engine, note: `${o.engine.provider} (${o.engine.runtime}, ${o.engine.detail})` }
    : await selectEngine(o.provider ?? "auto", { threads: o.threads });
  return await openClassifier(
    folder,
    selection,
    o,
    (images, spec, labels) => preprocess(images, spec, { maxPixels: o.maxPixels, labels }),
  );
}
