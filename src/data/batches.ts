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
 * import { batches } from "./batches.ts";
 * import { NORMALIZATION } from "./normalize.ts";
 * import { Rng } from "../rng.ts";
 * import { loadDataset } from "./mod.ts";
 * const { train } = await loadDataset("mnist");
 * const rng = new Rng(1);
 * for (const b of batches(train, { batchSize: 128, rng, stats: NORMALIZATION.mnist })) {
 *   // b.x: Float32Array [b.size, 28, 28, 1]; b.y: Int32Array [b.size]
 * }
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
 * import type { Batch } from "./batches.ts";
 * const firstLabel = (b: Batch) => b.size > 0 ? b.y[0] : -1;
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
 * const eval_: BatchOptions = { batchSize: 1000, stats: NORMALIZATION.mnist }; // in order
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
 * import { batchCount } from "./batches.ts";
 * console.log(batchCount(10, 4, false), batchCount(10, 4, true)); // 3 2
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
 * import { epochOrder } from "./batches.ts";
 * import { Rng } from "../rng.ts";
 * console.log(epochOrder(5)); // Uint32Array [0, 1, 2, 3, 4]
 * console.log(epochOrder(5, new Rng(7))); // a permutation of 0..4
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
 * import { batches } from "./batches.ts";
 * import { NORMALIZATION } from "./normalize.ts";
 * import { Rng } from "../rng.ts";
 * declare const train: import("./types.ts").ImageSet;
 * const rng = new Rng(42);
 * const atEpochStart = rng.state();
 * // ... crash after batch 9; later:
 * const resumed = batches(train, {
 *   batchSize: 64, stats: NORMALIZATION.mnist, rng: Rng.fromState(atEpochStart), startBatch: 10,
 * });
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
