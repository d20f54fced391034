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
import { InferError } from "../errors.ts";
import type { InputSpec } from "../manifest.ts";
import { toChannels } from "./channels.ts";
import { decodeImage, type DecodeOptions } from "./decode.ts";
import { type Normalization, normalizationLut, normalizeToNchw } from "./normalize.ts";
import { resize } from "./resize.ts";
import type { RawImage } from "./types.ts";

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
 * What preprocessing needs to know about the model.
 *
 * @example
 * ```ts
 * import type { PreprocessSpec } from "./preprocess.ts";
 * const spec: PreprocessSpec = {
 *   input: { layout: "NCHW", dtype: "float32", channels: 1, height: 28, width: 28 },
 *   normalization: { mean: [0.1307], std: [0.3081] },
 * };
 * ```
 */
export interface PreprocessSpec {
  /** Input shape. */
  input: InputSpec;
  /** Normalisation constants. */
  normalization: Normalization;
}

function checkRaw(im: RawImage, label: string): RawImage {
  const ok = Number.isSafeInteger(im.width) && im.width > 0 && Number.isSafeInteger(im.height) &&
    im.height > 0 && [1, 2, 3, 4].includes(im.channels) && im.data instanceof Uint8Array &&
    im.data.length === im.width * im.height * im.channels;
  if (!ok) {
    throw new InferError(
      "bad-image",
      `${label}: decoded image must have width, height, channels 1-4 and width·height·channels bytes`,
    );
  }
  return im;
}

/**
 * Brings one image to the model's channels and size (8-bit HWC).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toModelPixels } from "./preprocess.ts";
 * const rgba = { width: 56, height: 56, channels: 4, data: new Uint8Array(56 * 56 * 4) };
 * const input = { layout: "NCHW", dtype: "float32", channels: 1, height: 28, width: 28 } as const;
 * const img = toModelPixels(rgba, input);
 * assert.deepEqual([img.width, img.height, img.channels, img.data.length], [28, 28, 1, 784]);
 * ```
 */
export function toModelPixels(img: RawImage, input: InputSpec): RawImage {
  return resize(toChannels(img, input.channels), input.height, input.width);
}

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
  const { channels, height, width } = spec.input;
  const size = channels * height * width;
  const out = new Float32Array(images.length * size);
  const lut = normalizationLut(spec.normalization);
  images.forEach((im, i) => {
    const label = opts.labels?.[i] ?? `image ${i + 1}`;
    const raw = im instanceof Uint8Array ? decodeImage(im, label, opts) : checkRaw(im, label);
    normalizeToNchw(toModelPixels(raw, spec.input), spec.normalization, out, i * size, lut);
  });
  return out;
}
