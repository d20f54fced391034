/**
 * Mini-batch iteration over an in-memory {@linkcode ImageSet}.
 *
 * One epoch visits a permutation of all image indices (drawn with `rng.shuffle`, or
 * the identity order without an rng), cut into consecutive batches. Each batch is
 * normalised into a Float32Array (NHWC by default) and an Int32Array of labels that
 * are allocated once and reused for every batch: nothing copies the whole set.
 *
 * Resuming: the permutation is the only thing an epoch draws from the rng, so to
 * resume inside an epoch, restore the rng state saved at the start of that epoch and
 * pass `startBatch` — the same permutation is rebuilt and iteration starts at that
 * batch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { batches } from "./batches.ts";
 * import { NORMALIZATION } from "./normalize.ts";
 * import { Rng } from "../rng.ts";
 * // Five 2×2 grey images (labels 0..4); real sets come from `loadDataset`.
 * const set = {
 *   count: 5, height: 2, width: 2, channels: 1,
 *   images: new Uint8Array(5 * 4).fill(255), labels: Uint8Array.of(0, 1, 2, 3, 4),
 * };
 * const seen: number[] = [];
 * for (const b of batches(set, { batchSize: 2, rng: new Rng(1), stats: NORMALIZATION.mnist })) {
 *   assert.equal(b.x.length, b.size * 2 * 2 * 1); // NHWC floats
 *   seen.push(...b.y);
 * }
 * assert.deepEqual(seen.sort(), [0, 1, 2, 3, 4]); // every image once, in shuffled order
 * ```
 * @module
 */
import type { Rng } from "../rng.ts";
import { type Layout, normalizeInto, type NormStats } from "./normalize.ts";
import type { ImageSet } from "./types.ts";

/**
 * One mini-batch. Its arrays are views into buffers that the next batch overwrites:
 * copy them (or turn them into tensors) before advancing the iterator.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Batch } from "./batches.ts";
 * const firstLabel = (b: Batch) => b.size > 0 ? b.y[0] : -1;
 * const empty: Batch = {
 *   x: new Float32Array(0), y: new Int32Array(0), size: 0, index: 0, indices: new Uint32Array(0),
 * };
 * assert.equal(firstLabel(empty), -1);
 * ```
 */
export interface Batch {
  /** `size × height × width × channels` normalised floats (NHWC unless asked otherwise). */
  x: Float32Array;
  /** `size` labels. */
  y: Int32Array;
  /** Number of images in this batch (smaller than the batch size only for a last partial batch). */
  size: number;
  /** Position of this batch in the epoch (0-based). */
  index: number;
  /** The set's image indices in this batch (a view into the epoch permutation). */
  indices: Uint32Array;
}

/**
 * Options of {@linkcode batches}.
 *
 * @example
 * ```ts
 * import type { BatchOptions } from "./batches.ts";
 * import { NORMALIZATION } from "./normalize.ts";
 * const evaluation: BatchOptions = { batchSize: 1000, stats: NORMALIZATION.mnist }; // in order
 * ```
 */
export interface BatchOptions {
  /** Images per batch (positive integer). */
  batchSize: number;
  /** Normalisation constants (see `NORMALIZATION`). */
  stats: NormStats;
  /** Shuffles the epoch when given (one `rng.shuffle` per call); in-order otherwise. */
  rng?: Rng;
  /** Skip the last batch when it would be smaller than `batchSize` (default false). */
  dropLast?: boolean;
  /** First batch to yield, for resuming inside an epoch (default 0). */
  startBatch?: number;
  /** Layout of `x` (default "NHWC", the tfjs training layout). */
  layout?: Layout;
}

/**
 * Number of batches in one epoch over `count` images.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { batchCount } from "./batches.ts";
 * assert.equal(batchCount(10, 4), 3); // 4 + 4 + 2
 * assert.equal(batchCount(10, 4, true), 2); // the last partial batch dropped
 * ```
 */
export function batchCount(count: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

/**
 * The visiting order of one epoch: `0..count-1`, shuffled with `rng.shuffle` when an
 * rng is given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { epochOrder } from "./batches.ts";
 * import { Rng } from "../rng.ts";
 * assert.deepEqual(epochOrder(5), Uint32Array.of(0, 1, 2, 3, 4));
 * const shuffled = epochOrder(5, new Rng(7));
 * assert.deepEqual([...shuffled].sort(), [0, 1, 2, 3, 4]); // a permutation of 0..4
 * ```
 */
export function epochOrder(count: number, rng?: Rng): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return rng ? rng.shuffle(order) : order;
}

/**
 * Iterates over one epoch of `set` in mini-batches (see the module doc for shuffling,
 * buffer reuse and resuming). The epoch permutation is drawn from `rng` when this
 * function is called (not lazily). Throws a RangeError for a non-positive batch size
 * or a `startBatch` past the end of the epoch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { batches } from "./batches.ts";
 * import { NORMALIZATION } from "./normalize.ts";
 * import { Rng } from "../rng.ts";
 * const set = {
 *   count: 10, height: 1, width: 1, channels: 1,
 *   images: new Uint8Array(10), labels: Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
 * };
 * const stats = NORMALIZATION.mnist;
 * const rng = new Rng(42);
 * const atEpochStart = rng.state(); // saved with the checkpoint
 * const labels = (opts: { rng: Rng; startBatch?: number }) =>
 *   [...batches(set, { batchSize: 3, stats, ...opts })].map((b) => [...b.y]);
 * const full = labels({ rng });
 * // Interrupted after batch 1: the same permutation is rebuilt and iteration starts at batch 2.
 * const resumed = labels({ rng: Rng.fromState(atEpochStart), startBatch: 2 });
 * assert.deepEqual(resumed, full.slice(2));
 * ```
 */
export function batches(set: ImageSet, opts: BatchOptions): Generator<Batch, void, undefined> {
  const { batchSize, stats, rng, dropLast = false, startBatch = 0, layout = "NHWC" } = opts;
  if (!(Number.isInteger(batchSize) && batchSize > 0)) {
    throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  }
  const total = batchCount(set.count, batchSize, dropLast);
  if (!(Number.isInteger(startBatch) && startBatch >= 0 && startBatch <= total)) {
    throw new RangeError(`start batch ${startBatch} out of range 0..${total}`);
  }
  // Drawn now, not on the first next(), so the rng state right after this call is
  // already the state after this epoch's permutation.
  const order = epochOrder(set.count, rng);
  return iterate(set, order, batchSize, stats, layout, startBatch, total);
}

function* iterate(
  set: ImageSet,
  order: Uint32Array,
  batchSize: number,
  stats: NormStats,
  layout: Layout,
  startBatch: number,
  total: number,
): Generator<Batch, void, undefined> {
  const size = set.height * set.width * set.channels;
  const xBuf = new Float32Array(batchSize * size);
  const yBuf = new Int32Array(batchSize);
  for (let b = startBatch; b < total; b++) {
    const start = b * batchSize;
    const n = Math.min(batchSize, set.count - start);
    const indices = order.subarray(start, start + n);
    const x = n === batchSize ? xBuf : xBuf.subarray(0, n * size);
    const y = n === batchSize ? yBuf : yBuf.subarray(0, n);
    normalizeInto(set, indices, stats, x, layout);
    for (let i = 0; i < n; i++) y[i] = set.labels[indices[i]];
    yield { x, y, size: n, index: b, indices };
  }
}
