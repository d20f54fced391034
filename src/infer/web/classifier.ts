/**
 * The browser entry's classifier: {@linkcode createWebClassifier} fetches an exported model
 * folder by URL, verifies every graph's SHA-256 with Web Crypto, starts onnxruntime-web (wasm or
 * WebGPU) and classifies what the browser can decode (see `images.ts`). It runs the same
 * classifier, preprocessing and samplers as the Deno entry's `createClassifier`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createWebClassifier } from "./classifier.ts";
 * // In a page: { modelUrl: "/models/mnist/" }; here, the shipped model by file URL.
 * const modelUrl = new URL("../../../models/mnist/", import.meta.url);
 * const clf = await createWebClassifier({ modelUrl, provider: "wasm", threads: 1 });
 * // A drawn "1": a vertical white bar on black, as a canvas's ImageData (RGBA).
 * const drawing = new ImageData(28, 28);
 * for (let y = 4; y < 24; y++) {
 *   for (let x = 13; x < 16; x++) drawing.data.fill(255, (y * 28 + x) * 4, (y * 28 + x) * 4 + 4);
 * }
 * const [r] = await clf.classify([drawing], { top: 3 });
 * assert.equal(r.label, "1");
 * assert.equal(clf.providerNote, "wasm (onnxruntime-web, 1 threads)");
 * await clf.close();
 * ```
 * @module
 */
import { checkPositiveInt, type Classifier, openClassifier, samplerFor } from "../classifier.ts";
import { checkRaw, preprocessPixels } from "../image/pixels.ts";
import type { RawImage } from "../image/types.ts";
import type { Precision } from "../precision.ts";
import { browserEngine, type BrowserProvider } from "./engine.ts";
import { fetchModelFolder } from "./fetch.ts";
import { toRawImage, type WebImageSource } from "./images.ts";

/**
 * Options of {@linkcode createWebClassifier}.
 *
 * @example
 * ```ts
 * import type { WebClassifierOptions } from "./classifier.ts";
 * const o: WebClassifierOptions = { modelUrl: "/models/mnist/", provider: "auto" };
 * ```
 */
export interface WebClassifierOptions {
  /** The exported model folder's URL (relative URLs resolve against the page). */
  modelUrl: string | URL;
  /** `wasm`, `webgpu` or `auto` (default: WebGPU on a hardware adapter, else wasm). */
  provider?: BrowserProvider | string;
  /** wasm worker threads (default: all cores when cross-origin isolated, else 1). */
  threads?: number;
  /** Where onnxruntime-web's `.wasm` files are served (default: beside its module). */
  wasmPaths?: string;
  /** Largest batch run through the graphs at once (default 128). */
  batchSize?: number;
  /** Pixel limit per image (default 40 MP). */
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
  /** The `fetch` used for the model files (default: the global one). */
  fetch?: typeof fetch;
  /**
   * `fp32` (default) or `int8`: the statically quantized graphs the manifest lists (written by
   * `deno task export --quantize int8`); only the graphs used are fetched.
   */
  precision?: Precision;
}

/**
 * Loads a model by URL into the browser (see the module doc). Errors — a folder that cannot be
 * fetched, a corrupt graph, an unknown or unavailable provider — are one-line `InferError`s.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createWebClassifier } from "./classifier.ts";
 * const modelUrl = new URL("../../../models/mnist/", import.meta.url);
 * await assert.rejects(createWebClassifier({ modelUrl, provider: "cuda" }), {
 *   message: /^unknown provider "cuda"/,
 * });
 * const notFound = () => Promise.resolve(new Response(null, { status: 404 }));
 * await assert.rejects(createWebClassifier({ modelUrl, fetch: notFound }), {
 *   code: "missing-file",
 * });
 * ```
 */
export async function createWebClassifier(
  o: WebClassifierOptions,
): Promise<Classifier<WebImageSource>> {
  checkPositiveInt(o.batchSize, "batchSize");
  checkPositiveInt(o.threads, "threads");
  checkPositiveInt(o.maxPixels, "maxPixels");
  // The folder is fetched and verified before a provider is started (cheap errors first).
  const folder = await fetchModelFolder(o.modelUrl, { fetch: o.fetch, precision: o.precision });
  samplerFor(folder.manifest, o.sampler, o.steps);
  const selection = await browserEngine(o.provider ?? "auto", {
    threads: o.threads,
    wasmPaths: o.wasmPaths,
  });
  return await openClassifier<WebImageSource>(
    folder,
    selection,
    o,
    async (images, spec, labels) => {
      const raws: RawImage[] = [];
      for (const [i, im] of images.entries()) {
        raws.push(
          await toRawImage(im, labels?.[i] ?? `image ${i + 1}`, { maxPixels: o.maxPixels }),
        );
      }
      return preprocessPixels(raws, spec, checkRaw, labels);
    },
  );
}
