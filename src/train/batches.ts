/**
 * The training data as every method sees it: the one data order (shuffled by the stream
 * `(seed, 5000 + epoch)`, last partial batch dropped), the run's data loaded once, and
 * {@linkcode runRange}, the one loop over a range of training batches (tensors in, step,
 * non-finite check, tensors out) that the DT block trainers, CT/FM and the backprop baseline
 * all use. Because the order depends only on (seed, epoch, batch), the methods see the same
 * batches and a resumed run continues exactly where it stopped. With `augment` (config field,
 * off by default as in the paper) each training batch is augmented (`src/data/augment.ts`) from
 * the stream (seed, 6000, epoch, batch), so the augmentation is as reproducible as the order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { batchesPerEpoch } from "./batches.ts";
 * // 300 images in batches of 128: two full batches, the last 44 images are dropped.
 * assert.equal(batchesPerEpoch({ count: 300 }, 128), 2);
 * ```
 * @module
 */
import { tf } from "../deps_tf.ts";
import { type Config, isSeriesDataset } from "../config/schema.ts";
import { resolveDataDir } from "../config/resolve.ts";
import { ConfigError } from "../config/errors.ts";
import { augmentBatch, type AugmentName } from "../data/augment.ts";
import { type Batch, batchCount, batches } from "../data/batches.ts";
import { loadDataset } from "../data/mod.ts";
import { NORMALIZATION, type NormStats } from "../data/normalize.ts";
import type { Dataset, ImageSet } from "../data/types.ts";
import { streamSeed } from "../model/noprop.ts";
import { Rng } from "../rng.ts";

/** A non-finite training loss, with where it happened. */
export class NonFiniteLossError extends Error {
  /** `what`: the loss that went bad (`loss of block 3`, `loss`); `step`: the global batch step. */
  constructor(readonly what: string, readonly step: number, readonly value: number) {
    super(`${what} is ${value} at step ${step}: training stopped`);
    this.name = "NonFiniteLossError";
  }
}

/** Summed losses over a range of batches. */
export interface RangeResult {
  /** Summed loss per part (DT: block t at index t − 1, 0 for blocks not trained here). */
  lossSum: Float64Array;
  /** Batches run. */
  batches: number;
}

/** Trains batches [from, to) of `epoch`; `onBatch` gets each batch's mean loss. */
export type RangeRunner = (
  epoch: number,
  from: number,
  to: number,
  onBatch: (loss: number) => void,
) => Promise<RangeResult>;

/** The data of a run: the dataset, the training images used, the test images evaluated. */
export interface RunData {
  /** The dataset. */
  data: Dataset;
  /** Training images (the first `trainLimit`, or all). */
  train: ImageSet;
  /** Test images evaluated (the first `evalSamples`, or all). */
  test: ImageSet;
  /** Normalisation constants. */
  stats: NormStats;
}

/**
 * The first `limit` images of a set (all when 0), without copying.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { limitSet } from "./batches.ts";
 * const s = {
 *   count: 3, height: 1, width: 1, channels: 1, images: Uint8Array.of(7, 8, 9),
 *   labels: Uint8Array.of(0, 1, 2),
 * };
 * const first2 = limitSet(s, 2);
 * assert.deepEqual([first2.count, ...first2.images], [2, 7, 8]);
 * assert.equal(limitSet(s, 0), s); // 0: no limit
 * ```
 */
export function limitSet(set: ImageSet, limit: number): ImageSet {
  if (!limit || limit >= set.count) return set;
  const per = set.height * set.width * set.channels;
  return {
    ...set,
    count: limit,
    images: set.images.subarray(0, limit * per),
    labels: set.labels.subarray(0, limit),
  };
}

/**
 * Loads the configured dataset; refuses (one line, {@linkcode ConfigError}) a batch size
 * larger than the training set, which would train 0 steps.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../config.ts";
 * import { loadRunData } from "./batches.ts";
 * // A data dir with a tiny MNIST in plain IDX files: 6 training and 4 test images, all black.
 * const dataDir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dataDir}/mnist`);
 * const idx = (magic: number, dims: number[]) => {
 *   const bytes = new Uint8Array(4 + 4 * dims.length + dims.reduce((a, b) => a * b));
 *   [magic, ...dims].forEach((v, i) => new DataView(bytes.buffer).setUint32(4 * i, v));
 *   return bytes;
 * };
 * for (const [split, n] of [["train", 6], ["t10k", 4]] as const) {
 *   await Deno.writeFile(`${dataDir}/mnist/${split}-images-idx3-ubyte`, idx(2051, [n, 28, 28]));
 *   await Deno.writeFile(`${dataDir}/mnist/${split}-labels-idx1-ubyte`, idx(2049, [n]));
 * }
 * const cfg = { ...defaultConfig(), dataset: "mnist" as const, dataDir, batchSize: 4 };
 * const { train, test, stats } = await loadRunData({ ...cfg, evalSamples: 2 });
 * assert.deepEqual([train.count, test.count, stats.mean[0]], [6, 2, 0.1307]);
 * await assert.rejects(
 *   loadRunData({ ...cfg, trainLimit: 3 }),
 *   /^ConfigError: batchSize 4 is larger than the 3 training images \(trainLimit 3\)/,
 * );
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 */
export async function loadRunData(cfg: Config): Promise<RunData> {
  const dataDir = resolveDataDir(cfg), name = cfg.dataset;
  if (isSeriesDataset(name)) {
    throw new ConfigError(`${name} is a time series: its data is loaded by src/train/forecast/`);
  }
  const data = await loadDataset(name, dataDir ? { dataDir } : {});
  const train = limitSet(data.train, cfg.trainLimit);
  if (cfg.batchSize > train.count) {
    throw new ConfigError(
      `batchSize ${cfg.batchSize} is larger than the ${train.count} training images` +
        `${cfg.trainLimit ? ` (trainLimit ${cfg.trainLimit})` : ""}: no full batch to train on`,
    );
  }
  return {
    data,
    train,
    test: limitSet(data.test, cfg.evalSamples),
    stats: NORMALIZATION[name],
  };
}

/**
 * The number of training batches per epoch (the last partial batch is dropped).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { batchesPerEpoch } from "./batches.ts";
 * assert.equal(batchesPerEpoch({ count: 1000 }, 128), 7); // 7 · 128 = 896
 * ```
 */
export function batchesPerEpoch(train: Pick<ImageSet, "count">, batchSize: number): number {
  return batchCount(train.count, batchSize, true);
}

/** What decides the training batches: their size, the seed and the augmentations (none when absent). */
export interface BatchHyper {
  /** Batch size. */
  batchSize: number;
  /** Seed of the data order and the augmentation. */
  seed: number;
  /** Augmentations of the training batches (`src/data/augment.ts`). */
  augment?: readonly AugmentName[];
}

/**
 * The training batches of `epoch` from batch `from` on, in the one data order, augmented as
 * configured (module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NORMALIZATION } from "../data/normalize.ts";
 * import { epochBatches } from "./batches.ts";
 * const train = {
 *   count: 10, height: 1, width: 1, channels: 1, images: new Uint8Array(10),
 *   labels: new Uint8Array(10),
 * };
 * // The image indices of each batch (copied: the next batch overwrites the views).
 * const order = (epoch: number, from = 0) =>
 *   Array.from(
 *     epochBatches(train, NORMALIZATION.mnist, { batchSize: 4, seed: 0 }, epoch, from),
 *     (b) => [...b.indices],
 *   );
 * const epoch0 = order(0);
 * assert.equal(epoch0.length, 2); // 10 images: two full batches of 4
 * assert.deepEqual(order(0), epoch0); // the order depends only on (seed, epoch)
 * assert.deepEqual(order(0, 1), epoch0.slice(1)); // so a resumed run continues it exactly
 * assert.notDeepEqual(order(1), epoch0); // and every epoch is shuffled anew
 * ```
 */
export function epochBatches(
  train: ImageSet,
  stats: NormStats,
  o: BatchHyper,
  epoch: number,
  from = 0,
): Generator<Batch, void, undefined> {
  const it = batches(train, {
    batchSize: o.batchSize,
    stats,
    rng: new Rng(streamSeed(o.seed, 5000 + epoch)),
    dropLast: true,
    startBatch: from,
  });
  return o.augment?.length ? augmented(it, train, o.augment, o.seed, epoch) : it;
}

function* augmented(
  it: Generator<Batch, void, undefined>,
  shape: ImageSet,
  names: readonly AugmentName[],
  seed: number,
  epoch: number,
): Generator<Batch, void, undefined> {
  for (const b of it) {
    augmentBatch(b.x, b.size, shape, names, new Rng(augmentSeed(seed, epoch, b.index)));
    yield b;
  }
}

/**
 * The seed of the augmentation of batch `batch` of `epoch`: the stream (seed, 6000, epoch,
 * batch), apart from every other stream of a run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { augmentSeed } from "./batches.ts";
 * assert.notEqual(augmentSeed(0, 1, 2), augmentSeed(0, 2, 1));
 * ```
 */
export function augmentSeed(seed: number, epoch: number, batch: number): number {
  return streamSeed(streamSeed(streamSeed(seed, 6000), epoch), batch);
}

/** Where {@linkcode runRange} reads batches from. */
export interface BatchSource {
  /** Training images. */
  train: ImageSet;
  /** Their normalisation. */
  stats: NormStats;
  /** Batch size, seed and augmentations of the training batches. */
  hyper: BatchHyper;
}

/** What one step reports: the loss of each part it trained, by index into the range's sums. */
export type StepLosses = ReadonlyArray<readonly [part: number, loss: number]>;

/**
 * A step's losses left on the device: `values[i]` is the loss of part `parts[i]`. The tensor is
 * {@linkcode runRange}'s to read and free: it reads the pending losses of a whole range at once,
 * so a webgpu step never waits for a GPU→CPU read-back.
 */
export interface PendingLosses {
  /** The part of each entry of `values`. */
  parts: readonly number[];
  /** The losses, shape [parts.length] (kept out of any tidy; runRange disposes it). */
  values: tf.Tensor1D;
}

function isPending(l: StepLosses | PendingLosses): l is PendingLosses {
  return !Array.isArray(l);
}

/**
 * Runs batches [from, to) of `epoch`: makes the batch tensors (uploaded once per batch), calls
 * `step` (which trains and returns its losses, as numbers or left on the device as
 * {@linkcode PendingLosses}), disposes the tensors, stops with {@linkcode NonFiniteLossError}
 * (named by `partName`, at the step it happened) on a non-finite loss, sums the losses into
 * `parts` entries and calls `onBatch` with each batch's mean loss. Pending losses are read in one
 * read-back when the range ends (or before a step that reports numbers), so a range is the
 * read-back interval.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "../backend/mod.ts";
 * import { NORMALIZATION } from "../data/normalize.ts";
 * import { NonFiniteLossError, runRange } from "./batches.ts";
 * await initBackend("cpu");
 * const train = {
 *   count: 8, height: 2, width: 2, channels: 1, images: new Uint8Array(8 * 4),
 *   labels: new Uint8Array(8),
 * };
 * const src = { train, stats: NORMALIZATION.mnist, hyper: { batchSize: 2, seed: 0 } };
 * const parts = { parts: 1, partName: () => "loss" };
 * // A stand-in for a training step: it reports the global step as its loss.
 * const seen: number[] = [];
 * const r = await runRange(src, 1, 1, 3, parts, (x, _y, step) => {
 *   assert.deepEqual(x.shape, [2, 2, 2, 1]);
 *   return Promise.resolve([[0, step] as const]);
 * }, (loss) => seen.push(loss));
 * assert.equal(r.batches, 2);
 * assert.deepEqual(seen, [5, 6]); // epoch 1 of 4 batches each: batches 1 and 2
 * assert.equal(r.lossSum[0], 11);
 * // The same losses left on the device: read once, after the range.
 * const pending = await runRange(src, 1, 1, 3, parts, (_x, _y, step) =>
 *   Promise.resolve({ parts: [0], values: tf.tensor1d([step]) }));
 * assert.equal(pending.lossSum[0], 11);
 * await assert.rejects(
 *   runRange(src, 0, 0, 1, parts, () => Promise.resolve([[0, NaN] as const])),
 *   (e) => e instanceof NonFiniteLossError && e.step === 0 && e.message.startsWith("loss is NaN"),
 * );
 * ```
 */
export async function runRange(
  src: BatchSource,
  epoch: number,
  from: number,
  to: number,
  o: { parts: number; partName: (part: number) => string },
  step: (
    x: tf.Tensor4D,
    y: tf.Tensor1D,
    step: number,
  ) => Promise<StepLosses | PendingLosses>,
  onBatch?: (meanLoss: number) => void,
): Promise<RangeResult> {
  const { height, width, channels } = src.train;
  const B = src.hyper.batchSize;
  const perEpoch = batchesPerEpoch(src.train, B);
  const lossSum = new Float64Array(o.parts);
  let done = 0;
  const report = (global: number, losses: StepLosses) => {
    const mean = addStepLosses(lossSum, losses, global, o.partName);
    done++;
    onBatch?.(mean);
  };
  const pending: { global: number; losses: PendingLosses }[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending.splice(0);
    let values: Float32Array;
    try {
      const all = tf.concat(batch.map((p) => p.losses.values));
      values = (await all.data()) as Float32Array; // the one read-back of these steps
      all.dispose();
    } finally {
      for (const p of batch) p.losses.values.dispose();
    }
    let at = 0;
    for (const { global, losses } of batch) {
      report(global, losses.parts.map((part) => [part, values[at++]] as const));
    }
  };
  try {
    for (const b of epochBatches(src.train, src.stats, src.hyper, epoch, from)) {
      if (b.index >= to) break;
      const global = epoch * perEpoch + b.index;
      const x = tf.tensor4d(b.x, [B, height, width, channels]);
      const y = tf.tensor1d(b.y, "int32");
      let losses: StepLosses | PendingLosses;
      try {
        losses = await step(x, y, global);
      } finally {
        tf.dispose([x, y]);
      }
      if (isPending(losses)) pending.push({ global, losses });
      else {
        await flush();
        report(global, losses);
      }
    }
    await flush();
  } finally {
    for (const p of pending) p.losses.values.dispose();
  }
  return { lossSum, batches: done };
}

/**
 * Adds one step's losses into the range's sums and returns their mean; stops with
 * {@linkcode NonFiniteLossError} (named by `partName`) on a non-finite one. The accounting of
 * every batch loop ({@linkcode runRange}, the forecasters' `runSeriesRange`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addStepLosses } from "./batches.ts";
 * const sums = new Float64Array(2);
 * assert.equal(addStepLosses(sums, [[0, 1], [1, 3]], 7, (p) => `loss of block ${p + 1}`), 2);
 * assert.deepEqual([...sums], [1, 3]);
 * assert.throws(() => addStepLosses(sums, [[1, NaN]], 8, (p) => `loss of block ${p + 1}`), /loss of block 2 is NaN at step 8/);
 * ```
 */
export function addStepLosses(
  lossSum: Float64Array,
  losses: StepLosses,
  step: number,
  partName: (part: number) => string,
): number {
  let sum = 0;
  for (const [part, v] of losses) {
    if (!Number.isFinite(v)) throw new NonFiniteLossError(partName(part), step, v);
    lossSum[part] += v;
    sum += v;
  }
  return sum / Math.max(1, losses.length);
}
