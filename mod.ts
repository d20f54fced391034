/**
 * noprop: NoProp (Li, Teh, Pascanu, arXiv:2503.24322) in Deno on TensorFlow.js — neural networks
 * trained without end-to-end back-propagation: each block learns on its own to denoise a noisy
 * label embedding, given the image.
 *
 * @example Train NoProp-DT for one epoch, then export the run to ONNX
 * ```ts
 * import assert from "node:assert/strict";
 * import { exportRun, loadConfig, train } from "./mod.ts";
 * // A tiny MNIST in plain IDX files (8 training, 4 test images); leave `dataDir`
 * // out to download the real one.
 * const dataDir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dataDir}/mnist`);
 * const idx = (magic: number, dims: number[], byte: (i: number) => number) => {
 *   const head = 4 + 4 * dims.length, bytes = new Uint8Array(head + dims.reduce((a, b) => a * b));
 *   [magic, ...dims].forEach((v, i) => new DataView(bytes.buffer).setUint32(4 * i, v));
 *   for (let i = head; i < bytes.length; i++) bytes[i] = byte(i - head);
 *   return bytes;
 * };
 * for (const [split, n] of [["train", 8], ["t10k", 4]] as const) {
 *   const images = idx(2051, [n, 28, 28], (i) => (i * 37) % 256);
 *   await Deno.writeFile(`${dataDir}/mnist/${split}-images-idx3-ubyte`, images);
 *   const labels = idx(2049, [n], (i) => i % 10);
 *   await Deno.writeFile(`${dataDir}/mnist/${split}-labels-idx1-ubyte`, labels);
 * }
 * const config = await loadConfig({
 *   overrides: {
 *     dataset: "mnist", epochs: "1", dataDir, outDir: dataDir, runName: "run", backend: "cpu",
 *     // A toy model; the paper's is T 10, widths 32,64,128, hidden 256, batch 128.
 *     T: "2", widths: "2,2,2", hidden: "8", batchSize: "4",
 *   },
 * });
 * const { runDir, last } = await train(config, { quiet: true });
 * assert.equal(last?.testCount, 4);
 * assert.ok(last.testAccNoiseFree !== null); // and testAcc: the stochastic sampler's
 * // block_01.onnx, block_02.onnx, classifier.onnx and manifest.json: what the runtime needs.
 * const { files, manifest } = await exportRun(runDir, { outDir: `${dataDir}/onnx` });
 * assert.deepEqual(files, ["block_01.onnx", "block_02.onnx", "classifier.onnx", "manifest.json"]);
 * assert.equal(manifest.T, 2);
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 *
 * @example The DT schedule and its sampler coefficients (paper eq. 3)
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeSchedule } from "./mod.ts";
 * const s = makeSchedule("cosine", 10);
 * assert.equal(s.alphaBar.length, 11); // ᾱ_0 (noise) … ᾱ_10 (close to the label)
 * // z_t = a_t·û_t + b_t·z_{t−1} + √c_t·ε for t = 1..10 (index 0 unused).
 * assert.ok([s.a, s.b, s.c].every((v) => v.length === 11 && v[1] > 0));
 * ```
 * @module
 */
export { train, type TrainOptions, type TrainResult } from "./src/train/mod.ts";
// The method seam of the one training loop, and the run folder it writes.
export type { Evaluation, MethodContext, MethodState, TrainMethod } from "./src/train/method.ts";
export { createMethod, formatOf } from "./src/train/methods.ts";
export { loadRunData, type RunData } from "./src/train/batches.ts";
export { latestRun, RUN_FILES, RunFolderError } from "./src/run/folder.ts";
export {
  decodeMetricsLine,
  METRICS_SCHEMA,
  type MetricsLine,
  parseMetrics,
} from "./src/run/metrics.ts";
export { decodeMetadata, encodeMetadata, type RunMetadata } from "./src/run/metadata.ts";
export { readCheckpoint } from "./src/run/checkpoint.ts";
export { RESUMABLE_FIELDS } from "./src/run/resume.ts";
export { type Config, ConfigError, defaultConfig, loadConfig } from "./src/config.ts";
export {
  alphaBars,
  type DtSchedule,
  makeSchedule,
  scheduleFromAlphaBar,
  type ScheduleName,
} from "./src/schedule.ts";
export { crossEntropy, denoiseLoss, klPrior } from "./src/losses.ts";
export { createNoPropDT, type NoPropDT, type NoPropOptions } from "./src/model/noprop.ts";
export { blockForward, type BlockSpec, blockSpec, createBlock } from "./src/model/block.ts";
export { type BackboneName, BACKBONES, resnetPlan } from "./src/model/backbone.ts";
export { denoised, type Embedding, type EmbeddingKind } from "./src/model/embedding.ts";
export { evaluateDT, sampleDT } from "./src/train/dt/evaluate.ts";
export { trainBlockStep } from "./src/train/dt/step.ts";
export { type BackendChoice, type BackendInfo, initBackend } from "./src/backend/mod.ts";
export {
  batches,
  type Dataset,
  DatasetError,
  type DatasetInfo,
  type DatasetName,
  type ImageSet,
  loadDataset,
  NORMALIZATION,
  normalizeInto,
} from "./src/data/mod.ts";
export { loadSafetensors, saveSafetensors } from "./src/safetensors.ts";
export { Rng } from "./src/rng.ts";
export {
  exportAnyRun,
  ExportError,
  type ExportOptions,
  type ExportResult,
  exportRun,
} from "./src/onnx/export.ts";
export type { ForecastExportResult } from "./src/onnx/export_types.ts";
export { blockGraph, type BlockGraphOptions } from "./src/onnx/block_graph.ts";
export { classifierGraph } from "./src/onnx/classifier_graph.ts";
export {
  type AttrValue,
  type Dim,
  GraphBuilder,
  type ModelInfo,
  type NodeOptions,
  OPSET,
} from "./src/onnx/graph.ts";
export { type NamedTensor, WeightMap } from "./src/onnx/weights.ts";
export type { GraphRef, InputSpec, Manifest } from "@noprop/infer";
// NoProp-CT / NoProp-FM (continuous time).
export {
  type ContinuousModel,
  type ContinuousOptions,
  createContinuousModel,
} from "./src/model/continuous_model.ts";
export { continuousForward, continuousSpec, createContinuousNet } from "./src/model/continuous.ts";
export {
  createCtSchedule,
  ctGamma,
  type CtScheduleOptions,
  ctScheduleValues,
  snrPrime,
} from "./src/model/ct_schedule.ts";
export {
  ctGammaAt,
  type CtScheduleValues,
  ctScheduleValuesFrom,
} from "./src/model/ct_schedule_values.ts";
export { evaluateContinuous } from "./src/train/continuous/evaluate.ts";
export { loadContinuousRun } from "./src/train/continuous/weights.ts";
export {
  ctHeunStep,
  ddimStep,
  eulerStep,
  fmHeunStep,
  integrate,
} from "./src/infer/sampler/continuous.ts";
export {
  backpropForward,
  backpropVariables,
  createMix,
  evaluateBackprop,
  initClassifierFromEmbedding,
} from "./src/model/backprop.ts";
export { BackpropTeam } from "./src/train/backprop/team.ts";
export { type CompareOptions, runCompare } from "./src/compare/mod.ts";
export { renderCharts, renderVegaLite } from "./src/compare/charts.ts";
// Forecasting (time series): data, methods, evaluation.
export {
  loadSeries,
  parseSeriesCsv,
  prepareSeries,
  type SeriesData,
  type SeriesOptions,
} from "./src/data/series/mod.ts";
export type { ForecastEvaluation, MethodEvaluation } from "./src/train/method.ts";
export { buildMethod, loadMethodData, type MethodData } from "./src/train/methods.ts";
export { loadSeriesRun, type SeriesRun } from "./src/train/forecast/data.ts";
export { createForecastMethod } from "./src/train/forecast/methods.ts";
export { type LoadedForecaster, loadForecaster } from "./src/train/forecast/load.ts";
export { evaluateForecastRun, type ForecastEvalRow } from "./src/train/forecast/score_run.ts";
export { createNoPropForecaster, type NoPropForecaster } from "./src/model/forecast/noprop.ts";
export type { ForecastSpec, NoPropForecastSpec } from "./src/model/forecast/spec.ts";
export { sampleForecasts } from "./src/train/forecast/noprop/sample.ts";
export { trainForecastBatch } from "./src/train/forecast/noprop/step.ts";
export type { ForecastManifest } from "@noprop/infer";
