/**
 * @noprop/infer/web — the NoProp inference runtime for browsers (Li, Teh, Pascanu,
 * arXiv:2503.24322): the model folder is fetched by URL and every graph's SHA-256 is checked
 * with Web Crypto before a session is created; images come from `<img>`, `<canvas>`,
 * `ImageData`, a `Blob`/`File` or anything else the browser can draw, decoded by the browser;
 * the graphs run on onnxruntime-web (wasm, or WebGPU through `navigator.gpu`). The sampler,
 * the preprocessing and the classifier are the same code as the Deno entry's
 * (`@noprop/infer`); this entry has no Deno or Node API and never loads onnxruntime-node.
 *
 * In a page, `onnxruntime-web/wasm` and `onnxruntime-web/webgpu` must resolve (a bundler, or an
 * import map pointing at its `dist/ort.wasm.min.mjs` and `dist/ort.webgpu.min.mjs`); its
 * `.wasm` files are fetched from beside those modules unless `wasmPaths` says otherwise. Multi-threaded wasm needs a cross-origin
 * isolated page (`Cross-Origin-Opener-Policy: same-origin`,
 * `Cross-Origin-Embedder-Policy: require-corp`); otherwise it runs on one thread.
 *
 * @example Classify a drawing
 * ```ts
 * import assert from "node:assert/strict";
 * import { createWebClassifier } from "@noprop/infer/web";
 * // In a page: createWebClassifier({ modelUrl: "/models/mnist/" }) and
 * // clf.classify([canvas, imgElement, droppedFile]).
 * const modelUrl = new URL("../../models/mnist/", import.meta.url);
 * const clf = await createWebClassifier({ modelUrl, provider: "wasm", threads: 1 });
 * const drawing = new ImageData(280, 280); // e.g. ctx.getImageData(0, 0, 280, 280): black
 * const [r] = await clf.classify([drawing], { top: 3 });
 * assert.equal(r.top.length, 3);
 * assert.ok(r.probability >= r.top[1].probability); // best first
 * await clf.close();
 * ```
 * @module
 */
export {
  type Classification,
  type Classifier,
  type ClassifyOptions,
  type Prediction,
  softmaxRows,
} from "./classifier.ts";
export { createWebClassifier, type WebClassifierOptions } from "./web/classifier.ts";
export { fetchModelFolder, type FetchOptions } from "./web/fetch.ts";
export {
  type Drawable,
  type ImageDataLike,
  toRawImage,
  type ToRawOptions,
  type WebImageSource,
} from "./web/images.ts";
export {
  BROWSER_PROVIDERS,
  browserEngine,
  type BrowserEngineOptions,
  type BrowserProvider,
} from "./web/engine.ts";
export { firstLine, InferError, type InferErrorCode } from "./errors.ts";
export { type ModelFolder, sha256Hex } from "./folder.ts";
export { type Precision, PRECISIONS, withPrecision } from "./precision.ts";
export {
  type GraphRef,
  type InputSpec,
  type Manifest,
  MANIFEST_FILE,
  parseManifest,
  type QuantizedRef,
} from "./manifest.ts";
export { DEFAULT_MAX_PIXELS } from "./image/limits.ts";
export { checkRaw, preprocessPixels, type PreprocessSpec } from "./image/pixels.ts";
export type { Normalization } from "./image/normalize.ts";
export type { RawImage } from "./image/types.ts";
export {
  FixedNoise,
  type NoiseSource,
  SeededNormal,
  type SeededNormalState,
} from "./sampler/random.ts";
export type { Sampler, SamplerRun } from "./sampler/types.ts";
export { getSampler, registerSampler, samplerNames } from "./sampler/registry.ts";
export { type AdapterInfo, webgpuAdapter } from "./runtime/ort_web_engine.ts";
export type {
  ConcreteProvider,
  Engine,
  FeedTensor,
  GraphSession,
  OpenHints,
} from "./runtime/types.ts";
