/**
 * Training-data augmentation on normalised NHWC batches: `crop` (pad 4 pixels on every side and
 * cut the original size back out at a random offset) and `flip` (mirror left–right with
 * probability ½), the usual CIFAR augmentation. The paper trains without augmentation, so it
 * is off unless asked for (`--augment crop,flip`), and it applies to training batches only.
 *
 * Padding is zero in normalised space, i.e. each channel's training mean (torchvision pads
 * the raw image with black before normalising; the mean keeps the padded border neutral and
 * needs no statistics here). Crop and flip are applied in that order, in one pass per image:
 * `out(y, x) = in(y + dy, (flip ? W − 1 − x : x) + dx)`, 0 outside the image, with
 * dy, dx ∈ [−4, 4].
 *
 * Every draw comes from the `Rng` passed in, per image in batch order: dy, dx (crop), then
 * the flip coin. The training pipeline seeds it from (seed, epoch, batch), so a batch is
 * augmented identically however it is reached, e.g. by a resumed run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { augmentBatch } from "./augment.ts";
 * import { Rng } from "../rng.ts";
 * // Two 1×2 one-channel images; flipping each swaps its two pixels.
 * const x = Float32Array.of(1, 2, 3, 4);
 * augmentBatch(x, 2, { height: 1, width: 2, channels: 1 }, ["flip"], new Rng(0));
 * assert.ok([[1, 2], [2, 1]].some((p) => p[0] === x[0] && p[1] === x[1]));
 * ```
 * @module
 */
import type { Rng } from "../rng.ts";

/** The augmentations, in the order they are applied. */
export const AUGMENT_NAMES = ["crop", "flip"] as const;

/** An augmentation name (the config's `augment` entries). */
export type AugmentName = (typeof AUGMENT_NAMES)[number];

/** Pixels of zero padding on each side before the random crop. */
export const CROP_PAD = 4;

/**
 * The size of one image.
 *
 * @example
 * ```ts
 * import type { ImageShape } from "./augment.ts";
 * const cifar: ImageShape = { height: 32, width: 32, channels: 3 };
 * ```
 */
export interface ImageShape {
  /** Rows. */
  height: number;
  /** Columns. */
  width: number;
  /** Channels (interleaved: NHWC). */
  channels: number;
}

/**
 * Writes into `dst` the image `src` shifted by (`dy`, `dx`) with zero fill, then mirrored
 * left–right when `flip`: `dst(y, x) = src(y + dy, (flip ? W − 1 − x : x) + dx)` (0 outside).
 * A crop of the 4-padded image at offset (4 + dy, 4 + dx) is the shift by (dy, dx).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shiftFlipImage } from "./augment.ts";
 * // 2×2, one channel: rows [1, 2] and [3, 4]; shift down by one row of padding.
 * const dst = new Float32Array(4);
 * shiftFlipImage(Float32Array.of(1, 2, 3, 4), dst, { height: 2, width: 2, channels: 1 }, -1, 0, false);
 * assert.deepEqual([...dst], [0, 0, 1, 2]);
 * ```
 */
export function shiftFlipImage(
  src: Float32Array,
  dst: Float32Array,
  shape: ImageShape,
  dy: number,
  dx: number,
  flip: boolean,
): void {
  const { height: H, width: W, channels: C } = shape;
  for (let y = 0; y < H; y++) {
    const sy = y + dy;
    for (let x = 0; x < W; x++) {
      const sx = (flip ? W - 1 - x : x) + dx;
      const to = (y * W + x) * C;
      if (sy < 0 || sy >= H || sx < 0 || sx >= W) {
        dst.fill(0, to, to + C);
      } else {
        const from = (sy * W + sx) * C;
        for (let c = 0; c < C; c++) dst[to + c] = src[from + c];
      }
    }
  }
}

/**
 * Augments the first `n` images of the NHWC batch `x` in place with the augmentations in
 * `names` (applied crop, then flip, whatever their order in `names`), drawing from `rng` as the
 * module doc says. An empty `names` leaves `x` and `rng` untouched.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { augmentBatch } from "./augment.ts";
 * import { Rng } from "../rng.ts";
 * const shape = { height: 8, width: 8, channels: 3 };
 * const batch = () => Float32Array.from({ length: 2 * 8 * 8 * 3 }, (_, i) => i + 1);
 * const a = batch(), b = batch();
 * augmentBatch(a, 2, shape, ["crop", "flip"], new Rng(5));
 * augmentBatch(b, 2, shape, ["crop", "flip"], new Rng(5));
 * assert.deepEqual(a, b); // the same stream gives the same augmentation
 * ```
 */
export function augmentBatch(
  x: Float32Array,
  n: number,
  shape: ImageShape,
  names: readonly AugmentName[],
  rng: Rng,
): void {
  const crop = names.includes("crop"), flip = names.includes("flip");
  if (!crop && !flip) return;
  const size = shape.height * shape.width * shape.channels;
  const copy = new Float32Array(size);
  for (let i = 0; i < n; i++) {
    const dy = crop ? rng.int(2 * CROP_PAD + 1) - CROP_PAD : 0;
    const dx = crop ? rng.int(2 * CROP_PAD + 1) - CROP_PAD : 0;
    const mirror = flip && rng.uniform() < 0.5;
    if (dy === 0 && dx === 0 && !mirror) continue;
    const image = x.subarray(i * size, (i + 1) * size);
    copy.set(image);
    shiftFlipImage(copy, image, shape, dy, dx, mirror);
  }
}
