/**
 * Stride-1 windows of a split: window i of a split whose first target row is `first` reads
 * the inputs rows [first + i − L, first + i) and the targets rows [first + i, first + i + H).
 * The training split's first target row is L (its inputs start at row 0); validation and test
 * start at their border, so their inputs reach L rows back into the split before. Every window
 * whose targets fit in the split is used: count = rows of the split − H + 1 (train: − L too).
 * Channel independence: the samples of a split are (window, channel) pairs, coded
 * window · C + channel. Plain TypeScript, no tfjs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitWindows } from "./windows.ts";
 * const s = splitWindows([0, 8640, 11520, 14400], 336, 96, "ETTh1.csv");
 * assert.deepEqual([s.train.count, s.val.count, s.test.count], [8209, 2785, 2785]);
 * assert.deepEqual([s.train.first, s.val.first, s.test.first], [336, 8640, 11520]);
 * ```
 * @module
 */
import { DatasetError } from "../errors.ts";
import type { SplitName } from "./types.ts";

/** The windows of one split. */
export interface WindowSplit {
  /** The split. */
  name: SplitName;
  /** Row of window 0's first target. */
  first: number;
  /** Number of windows. */
  count: number;
}

/**
 * The windows of the three splits for row `borders` [0, b1, b2, b3]; refuses in one line a
 * split with no complete window.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitWindows } from "./windows.ts";
 * assert.throws(
 *   () => splitWindows([0, 100, 130, 160], 96, 24, "x.csv"),
 *   /x\.csv: the train split \(rows 0–99\) has no window of lookback 96 \+ horizon 24/,
 * );
 * ```
 */
export function splitWindows(
  borders: readonly number[],
  lookback: number,
  horizon: number,
  path: string,
): Record<SplitName, WindowSplit> {
  const make = (name: SplitName, k: number): WindowSplit => {
    const first = k === 0 ? lookback : borders[k];
    const count = borders[k + 1] - first - horizon + 1;
    if (count < 1) {
      throw new DatasetError(
        `${path}: the ${name} split (rows ${borders[k]}–${borders[k + 1] - 1}) has no window of ` +
          `lookback ${lookback} + horizon ${horizon}` +
          (k === 0 ? "" : ` (targets must fit in its ${borders[k + 1] - borders[k]} rows)`),
      );
    }
    return { name, first, count };
  };
  return { train: make("train", 0), val: make("val", 1), test: make("test", 2) };
}

/**
 * Copies sample `code` (= window · C + channel) of `split` from the z-scored `z` [rows × C]:
 * its L inputs into `x` at `xAt` and, when `y` is given, its H targets into `y` at `yAt`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copySample } from "./windows.ts";
 * // 6 rows × 2 channels: channel 0 = row index, channel 1 = 10 × row index.
 * const z = Float32Array.from({ length: 12 }, (_, i) => (i % 2 ? 10 : 1) * Math.floor(i / 2));
 * const split = { name: "train" as const, first: 2, count: 3 };
 * const x = new Float32Array(2), y = new Float32Array(2);
 * copySample(z, 2, split, 2, 2, 1 * 2 + 1, x, 0, y, 0); // window 1, channel 1
 * assert.deepEqual([[...x], [...y]], [[10, 20], [30, 40]]);
 * ```
 */
export function copySample(
  z: Float32Array,
  C: number,
  split: WindowSplit,
  L: number,
  H: number,
  code: number,
  x: Float32Array,
  xAt: number,
  y?: Float32Array,
  yAt = 0,
): void {
  const w = Math.floor(code / C), c = code - w * C;
  const start = split.first + w - L;
  for (let i = 0; i < L; i++) x[xAt + i] = z[(start + i) * C + c];
  if (y) { for (let i = 0; i < H; i++) y[yAt + i] = z[(start + L + i) * C + c]; }
}
