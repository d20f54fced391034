/**
 * @noprop/infer — the inference runtime for NoProp models (Li, Teh, Pascanu,
 * arXiv:2503.24322) exported to ONNX: it chains the exported denoising-block graphs with the
 * sampler in plain TypeScript on onnxruntime (onnxruntime-node: cpu, cuda, native webgpu;
 * onnxruntime-web: multi-threaded wasm, webgpu via Deno's `navigator.gpu`). It depends only
 * on onnxruntime, two image decoders (`fast-png` with its inflater `fflate`, `jpeg-js`) and the
 * standard runtime — no TensorFlow.js.
 *
 * @example Classify a digit
 * ```ts
 * import assert from "node:assert/strict";
 * import { createClassifier } from "@noprop/infer";
 * const clf = await createClassifier({ modelDir: "models/mnist", provider: "cpu" });
 * const black = { width: 28, height: 28, channels: 1, data: new Uint8Array(784) }; // or PNG/JPEG
 * const [r] = await clf.classify([black], { top: 3 });
 * assert.equal(r.top.length, 3);
 * assert.ok(r.probability >= r.top[1].probability); // best first
 * await clf.close();
 * ```
 *
 * @example Forecast a time series (an exported NoProp-DT forecaster)
 * ```ts
 * import assert from "node:assert/strict";
 * import { createForecaster } from "@noprop/infer";
 * const f = await createForecaster({ modelDir: "models/etth1", provider: "cpu" });
 * const { lookback, channels, horizon } = f.manifest;
 * const values = Float64Array.from({ length: lookback * channels.length }, (_, i) => Math.sin(i / 50));
 * const forecasts = await f.forecast({ columns: channels, values }, { samples: 8 });
 * assert.equal(forecasts[0].point.length, horizon); // the noise-free sample, raw units
 * assert.ok(forecasts[0].upper90![0] >= forecasts[0].lower90![0]); // 90% interval of the samples
 * await f.close();
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
export { type ClassifierOptions, createClassifier } from "./create.ts";
export { firstLine, InferError, type InferErrorCode } from "./errors.ts";
export { rankLogits } from "./rank.ts";
export {
  type ChannelForecast,
  createForecaster,
  type Forecaster,
  type ForecasterOptions,
  type ForecastOptions,
  type History,
  type WindowForecasts,
} from "./forecast/forecaster.ts";
export {
  FORECAST_MANIFEST_FORMAT,
  type ForecastManifest,
  parseForecastManifest,
} from "./forecast/manifest.ts";
export { forecastChain, type ForecastChainOptions, StackedNoise } from "./forecast/chain.ts";
export {
  denormalizeRows,
  normalizeRows,
  normalizeWith,
  REVIN_EPS,
  type RowStats,
} from "./forecast/revin.ts";
export { crpsSorted, INTERVALS, quantileSorted } from "./forecast/ensemble.ts";
export {
  classifyStream,
  DEFAULT_STREAM_BATCH,
  type ImageSource,
  type StreamOptions,
  type StreamResult,
} from "./stream.ts";
export {
  CHAIN_MODES,
  type ChainMode,
  type ChainRef,
  checkGraphFileName,
  type GraphRef,
  type InputSpec,
  type Manifest,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  parseManifest,
  type QuantizedRef,
  WEIGHT_STORAGES,
  type WeightStorage,
} from "./manifest.ts";
export {
  type LoadFolderOptions,
  loadModelFolder,
  type ModelFolder,
  sha256Hex,
} from "./model_folder.ts";
export { type Precision, PRECISIONS, withPrecision } from "./precision.ts";
export { decodeImage, type DecodeOptions, DEFAULT_MAX_PIXELS } from "./image/decode.ts";
export { type ImageHeader, readImageHeader } from "./image/header.ts";
export { toChannels } from "./image/channels.ts";
export { type FilterTaps, resize, triangleTaps } from "./image/resize.ts";
export { type Normalization, normalizationLut, normalizeToNchw } from "./image/normalize.ts";
export {
  type ImageInput,
  preprocess,
  type PreprocessSpec,
  toModelPixels,
} from "./image/preprocess.ts";
export type { RawImage } from "./image/types.ts";
export {
  FixedNoise,
  type NoiseSource,
  SeededNormal,
  type SeededNormalState,
} from "./sampler/random.ts";
export type { Sampler, SamplerRun } from "./sampler/types.ts";
export {
  dtChain,
  type DtChainOptions,
  type DtCoefficients,
  dtNoise,
  dtSampler,
  dtStepFactors,
} from "./sampler/dt.ts";
export {
  CONTINUOUS_SAMPLERS,
  type ContinuousSamplerName,
  eulerSampler,
  heunSampler,
  integrate,
  type IntegrateOptions,
} from "./sampler/continuous.ts";
export { getSampler, registerSampler, samplerNames } from "./sampler/registry.ts";
export { parseProvider, selectEngine, type Selection } from "./runtime/select.ts";
export { CUDA_INSTALL_COMMAND, nodeEngine, type NodeProvider } from "./runtime/ort_node.ts";
export { type AdapterInfo, webEngine, webgpuAdapter, type WebProvider } from "./runtime/ort_web.ts";
export { PROBE_GRAPH_BASE64, probeGraph } from "./runtime/probe.ts";
export {
  type ConcreteProvider,
  type Engine,
  type EngineOptions,
  type FeedTensor,
  type GraphSession,
  type OpenHints,
  PROVIDER_NAMES,
  type ProviderName,
} from "./runtime/types.ts";
