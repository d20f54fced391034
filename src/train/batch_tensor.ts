/**
 * The images of an evaluation batch as an NHWC tensor: the first `size` images of `b.x`
 * (the last batch of a split may be padded). One helper for every evaluator (DT, CT/FM,
 * backprop).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { batchImages } from "./batch_tensor.ts";
 * await initBackend("cpu");
 * // A padded last batch: room for 2 images of 2×2×1, only the first is real.
 * const batch = { x: new Float32Array(2 * 4), size: 1 };
 * const x = batchImages(batch, { height: 2, width: 2, channels: 1 });
 * assert.deepEqual(x.shape, [1, 2, 2, 1]);
 * ```
 * @module
 */
import { tf } from "../deps_tf.ts";

/** `b.x` [≥ size, H, W, C] → tensor [size, H, W, C] (caller disposes). */
export function batchImages(
  b: { x: Float32Array; size: number },
  s: { height: number; width: number; channels: number },
): tf.Tensor4D {
  const { height, width, channels } = s;
  return tf.tensor4d(b.x.subarray(0, b.size * height * width * channels), [
    b.size,
    height,
    width,
    channels,
  ]);
}
