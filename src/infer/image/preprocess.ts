/**
 * From file bytes (or an already decoded image) to the model's input: decode (PNG/JPEG,
 * pixel limit) → convert channels → resize (triangle filter) → normalise exactly as in
 * training → NCHW float32.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { preprocess } from "./preprocess.ts";
 * // A 56×56 RGB PNG, for an MNIST model: made grey, resized to 28×28, normalised, NCHW.
 * const png = encode({ width: 56, height: 56, channels: 3, data: new Uint8Array(56 * 56 * 3) });
 * const x = preprocess([png], {
 *   input: { layout: "NCHW", dtype: "float32", channels: 1, height: 28, width: 28 },
 *   normalization: { mean: [0.1307], std: [0.3081] },
 * });
 * assert.equal(x.length, 784);
 * assert.ok(Math.abs(x[0] - -0.1307 / 0.3081) < 1e-6); // black
 * ```
 * @module
 */
import { decodeImage, type DecodeOptions } from "./decode.ts";
import { checkRaw, preprocessPixels, type PreprocessSpec } from "./pixels.ts";
import type { RawImage } from "./types.ts";

export { type PreprocessSpec, toModelPixels } from "./pixels.ts";

/**
 * An image to classify: encoded PNG/JPEG bytes, or decoded pixels.
 *
 * @example
 * ```ts
 * import { encode } from "fast-png";
 * import type { ImageInput } from "./preprocess.ts";
 * const a: ImageInput = encode({ width: 28, height: 28, channels: 1, data: new Uint8Array(784) });
 * const b: ImageInput = { width: 28, height: 28, channels: 1, data: new Uint8Array(784) };
 * ```
 */
export type ImageInput = Uint8Array | RawImage;

/**
 * Preprocesses a batch into one NCHW float32 array (`images.length × C × H × W`); `labels`
 * name the images in errors (default `image 1`, `image 2`, …).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { preprocess } from "./preprocess.ts";
 * const spec = {
 *   input: { layout: "NCHW", dtype: "float32", channels: 1, height: 2, width: 2 } as const,
 *   normalization: { mean: [0], std: [1] },
 * };
 * const img = { width: 2, height: 2, channels: 1, data: new Uint8Array([0, 255, 0, 255]) };
 * const x = preprocess([img], spec);
 * assert.deepEqual(x, Float32Array.of(0, 1, 0, 1));
 * const bad = [new Uint8Array([1, 2, 3])];
 * assert.throws(() => preprocess(bad, spec, { labels: ["a.bin"] }), /^InferError: a\.bin:/);
 * ```
 */
export function preprocess(
  images: readonly ImageInput[],
  spec: PreprocessSpec,
  opts: DecodeOptions & { labels?: readonly string[] } = {},
): Float32Array {
  return preprocessPixels(
    images,
    spec,
    (im, label) => im instanceof Uint8Array ? decodeImage(im, label, opts) : checkRaw(im, label),
    opts.labels,
  );
}
