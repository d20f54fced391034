/**
 * The data of a forecasting run, as the training loop and the forecasters see it: the series
 * prepared by the protocol (`src/data/series/`), its training samples (every stride-1 window of
 * every channel: channel independence), the one data order (shuffled by the stream
 * `(seed, 5000 + epoch)` as the image methods' order, last partial batch dropped), and
 * {@linkcode runSeriesRange}, the forecasters' batch loop (arrays in, step, non-finite check).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seriesBatchesPerEpoch } from "./data.ts";
 * // 8209 training windows × 7 channels in batches of 256: 224 full batches.
 * assert.equal(seriesBatchesPerEpoch({ trainSamples: 8209 * 7 }, 256), 224);
 * ```
 * @module
 */
import type { Config } from "../../config/schema.ts";
import { ConfigError } from "../../config/errors.ts";
import { resolveDataDir } from "../../config/resolve.ts";
import { copySample, loadSeries, type SeriesData, type SplitName } from "../../data/series/mod.ts";
import { streamSeed } from "../../model/noprop.ts";
import { Rng } from "../../rng.ts";
import { addStepLosses, type RangeResult, type StepLosses } from "../batches.ts";
import type { SeriesInfo } from "../../run/forecast_metadata.ts";

/** The data of a forecasting run. */
export interface SeriesRun {
  /** Discriminant (the image methods' data is `RunData`). */
  kind: "series";
  /** The prepared series. */
  series: SeriesData;
  /** Training samples: training windows × channels. */
  trainSamples: number;
}

/**
 * Loads the configured series (`--data-file`, else the dataset's file); refuses in one line a
 * batch larger than the training samples.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../../config.ts";
 * import { loadSeriesRun } from "./data.ts";
 * const dir = await Deno.makeTempDir();
 * const rows = ["date,a,OT"];
 * for (let i = 0; i < 120; i++) {
 *   const d = new Date(Date.UTC(2020, 0, 1) + i * 86400e3).toISOString().slice(0, 10);
 *   rows.push(`${d},${Math.sin(i)},${Math.cos(i / 3)}`);
 * }
 * await Deno.writeTextFile(`${dir}/d.csv`, rows.join("\n"));
 * const cfg = {
 *   ...defaultConfig(), dataset: "etth1" as const, dataFile: `${dir}/d.csv`, lookback: 8,
 *   horizon: 4, splitMonths: [2, 1, 1], batchSize: 16,
 * };
 * const run = await loadSeriesRun(cfg);
 * assert.equal(run.trainSamples, (60 - 8 - 4 + 1) * 2); // 49 windows × 2 channels
 * await assert.rejects(loadSeriesRun({ ...cfg, batchSize: 99 }), /larger than the 98 training samples/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadSeriesRun(cfg: Config): Promise<SeriesRun> {
  const dataDir = resolveDataDir(cfg);
  const series = await loadSeries("etth1", {
    dataFile: cfg.dataFile,
    dataDir: dataDir ?? undefined,
    lookback: cfg.lookback,
    horizon: cfg.horizon,
    features: cfg.features,
    target: cfg.target,
    splitMonths: cfg.splitMonths,
  });
  const trainSamples = series.splits.train.count * series.channels.length;
  if (cfg.batchSize > trainSamples) {
    throw new ConfigError(
      `batchSize ${cfg.batchSize} is larger than the ${trainSamples} training samples ` +
        `(windows × channels) of ${series.path}: no full batch to train on`,
    );
  }
  return { kind: "series", series, trainSamples };
}

/**
 * Full training batches per epoch (the last partial batch is dropped).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seriesBatchesPerEpoch } from "./data.ts";
 * assert.equal(seriesBatchesPerEpoch({ trainSamples: 10 }, 4), 2);
 * ```
 */
export function seriesBatchesPerEpoch(run: Pick<SeriesRun, "trainSamples">, batch: number): number {
  return Math.floor(run.trainSamples / batch);
}

/**
 * The protocol a forecaster was trained under, for its metadata.
 *
 * @example
 * ```ts
 * import type { SeriesRun } from "./data.ts";
 * import { seriesInfo } from "./data.ts";
 * const channels = (run: SeriesRun) => seriesInfo(run.series, [12, 4, 4]).channels;
 * ```
 */
export function seriesInfo(s: SeriesData, splitMonths: readonly number[]): SeriesInfo {
  return {
    file: s.path.split("/").pop() ?? s.path,
    features: s.features,
    channels: [...s.channels],
    outputs: [...s.outputs],
    target: s.target,
    mean: [...s.mean],
    std: [...s.std],
    lookback: s.lookback,
    horizon: s.horizon,
    splitMonths: [...splitMonths],
  };
}

/** One batch of samples: z-scored inputs [n × L] and targets [n × H]. */
export interface SeriesBatch {
  /** Batch index within the epoch (training), or its position (evaluation). */
  index: number;
  /** Samples in it. */
  size: number;
  /** Sample codes (window · C + channel). */
  codes: Int32Array;
  /** Inputs, n × L, z-scored. */
  x: Float32Array;
  /** Targets, n × H, z-scored. */
  y: Float32Array;
}

/**
 * The training batches of `epoch` from batch `from` on, in the one data order (module doc).
 * Each batch is fresh arrays (the step may keep them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainBatches } from "./data.ts";
 * const z = Float32Array.from({ length: 40 }, (_, i) => i); // 20 rows × 2 channels
 * const series = { z, channels: ["a", "b"], lookback: 4, horizon: 2, splits: {
 *   train: { name: "train" as const, first: 4, count: 10 } } } as never;
 * const run = { kind: "series" as const, series, trainSamples: 20 };
 * const codes = (epoch: number, from = 0) =>
 *   Array.from(trainBatches(run, { batchSize: 8, seed: 0 }, epoch, from), (b) => [...b.codes]);
 * assert.equal(codes(0).length, 2); // 20 samples: two full batches of 8
 * assert.deepEqual(codes(0, 1), codes(0).slice(1)); // resumable
 * assert.notDeepEqual(codes(1), codes(0)); // reshuffled every epoch
 * ```
 */
export function* trainBatches(
  run: SeriesRun,
  o: { batchSize: number; seed: number },
  epoch: number,
  from = 0,
): Generator<SeriesBatch, void, undefined> {
  const order = epochOrder(run, o.seed, epoch);
  const B = o.batchSize, n = seriesBatchesPerEpoch(run, B);
  for (let b = from; b < n; b++) {
    yield fillBatch(run.series, "train", order.subarray(b * B, (b + 1) * B), b);
  }
}

const orders = new WeakMap<SeriesRun, { seed: number; epoch: number; order: Int32Array }>();

/** The shuffled sample order of `epoch` (kept for the run's latest epoch: ranges reuse it). */
function epochOrder(run: SeriesRun, seed: number, epoch: number): Int32Array {
  const hit = orders.get(run);
  if (hit && hit.seed === seed && hit.epoch === epoch) return hit.order;
  const order = new Int32Array(run.trainSamples);
  for (let i = 0; i < order.length; i++) order[i] = i;
  new Rng(streamSeed(seed, 5000 + epoch)).shuffle(order);
  orders.set(run, { seed, epoch, order });
  return order;
}

/**
 * The samples `codes` of `split` as one batch of fresh arrays.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fillBatch } from "./data.ts";
 * const z = Float32Array.from({ length: 10 }, (_, i) => i); // 10 rows × 1 channel
 * const series = { z, channels: ["a"], lookback: 3, horizon: 2, splits: {
 *   test: { name: "test" as const, first: 5, count: 4 } } } as never;
 * const b = fillBatch(series, "test", Int32Array.of(1), 0); // window 1: inputs rows 3–5
 * assert.deepEqual([[...b.x], [...b.y]], [[3, 4, 5], [6, 7]]);
 * ```
 */
export function fillBatch(
  s: SeriesData,
  split: SplitName,
  codes: Int32Array,
  index: number,
): SeriesBatch {
  const L = s.lookback, H = s.horizon, n = codes.length, C = s.channels.length;
  const x = new Float32Array(n * L), y = new Float32Array(n * H);
  for (let i = 0; i < n; i++) {
    copySample(s.z, C, s.splits[split], L, H, codes[i], x, i * L, y, i * H);
  }
  return { index, size: n, codes: Int32Array.from(codes), x, y };
}

/**
 * The evaluation batches of `split`: every window, of the evaluated channels only
 * (`series.outputs`), in order, `batch` samples at a time (the last batch may be smaller).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evalBatches } from "./data.ts";
 * const z = new Float32Array(20 * 2);
 * const series = { z, channels: ["a", "OT"], outputs: [1], lookback: 4, horizon: 2, splits: {
 *   val: { name: "val" as const, first: 10, count: 5 } } } as never;
 * const sizes = Array.from(evalBatches(series, "val", 2), (b) => b.size);
 * assert.deepEqual(sizes, [2, 2, 1]); // 5 windows of channel OT
 * ```
 */
export function* evalBatches(
  s: SeriesData,
  split: SplitName,
  batch: number,
): Generator<SeriesBatch, void, undefined> {
  const C = s.channels.length, outs = s.outputs;
  const total = s.splits[split].count * outs.length;
  for (let at = 0, index = 0; at < total; at += batch, index++) {
    const n = Math.min(batch, total - at);
    const codes = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const k = at + i;
      codes[i] = Math.floor(k / outs.length) * C + outs[k % outs.length];
    }
    yield fillBatch(s, split, codes, index);
  }
}

/**
 * Runs training batches [from, to) of `epoch` through `step` (which trains on one batch and
 * returns its losses), with the accounting of every batch loop (`addStepLosses`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runSeriesRange } from "./data.ts";
 * const z = new Float32Array(40);
 * const series = { z, channels: ["a", "b"], lookback: 4, horizon: 2, splits: {
 *   train: { name: "train" as const, first: 4, count: 10 } } } as never;
 * const run = { kind: "series" as const, series, trainSamples: 20 };
 * const parts = { parts: 1, partName: () => "loss" };
 * const r = await runSeriesRange(run, { batchSize: 4, seed: 0 }, 1, 2, 4, parts, (_b, step) =>
 *   Promise.resolve([[0, step] as const]));
 * assert.deepEqual([r.batches, r.lossSum[0]], [2, 7 + 8]); // 5 batches per epoch: steps 7, 8
 * ```
 */
export async function runSeriesRange(
  run: SeriesRun,
  o: { batchSize: number; seed: number },
  epoch: number,
  from: number,
  to: number,
  parts: { parts: number; partName: (part: number) => string },
  step: (b: SeriesBatch, step: number) => Promise<StepLosses>,
  onBatch?: (meanLoss: number) => void,
): Promise<RangeResult> {
  const perEpoch = seriesBatchesPerEpoch(run, o.batchSize);
  const lossSum = new Float64Array(parts.parts);
  let done = 0;
  for (const b of trainBatches(run, o, epoch, from)) {
    if (b.index >= to) break;
    const global = epoch * perEpoch + b.index;
    const losses = await step(b, global);
    const mean = addStepLosses(lossSum, losses, global, parts.partName);
    done++;
    onBatch?.(mean);
  }
  return { lossSum, batches: done };
}
