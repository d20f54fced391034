/**
 * Decoded pixels to the model's input, the part of preprocessing that every runtime shares (the
 * Deno entry decodes PNG/JPEG bytes in JavaScript first, the browser entry lets the browser
 * decode): check the pixels → convert channels → resize (triangle filter) → normalise exactly
 * as in training → NCHW float32. No Deno or Node API.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkRaw, preprocessPixels } from "./pixels.ts";
 * const spec = {
 *   input: { layout: "NCHW", dtype: "float32", channels: 1, height: 28, width: 28 } as const,
 *   normalization: { mean: [0.1307], std: [0.3081] },
 * };
 * // A 56×56 RGBA image (e.g. a browser's ImageData): made grey, resized, normalised, NCHW.
 * const rgba = { width: 56, height: 56, channels: 4, data: new Uint8Array(56 * 56 * 4) };
 * const x = preprocessPixels([rgba], spec, checkRaw);
 * assert.equal(x.length, 784);
 * assert.ok(Math.abs(x[0] - -0.1307 / 0.3081) < 1e-6); // black
 * ```
 * @module
 */
import { InferError } from "../errors.ts";
import type { InputSpec } from "../manifest.ts";
import { toChannels } from "./channels.ts";
import { type Normalization, normalizationLut, normalizeToNchw } from "./normalize.ts";
import { resize } from "./resize.ts";
import type { RawImage } from "./types.ts";

/**
 * What preprocessing needs to know about the model.
 *
 * @example
 * ```ts
 * import type { PreprocessSpec } from "./pixels.ts";
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

/**
 * Checks that decoded pixels are well formed (positive size, 1-4 channels, exactly
 * width·height·channels bytes); returns them, or throws a one-line {@linkcode InferError}
 * prefixed with `label`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkRaw } from "./pixels.ts";
 * const ok = { width: 2, height: 1, channels: 1, data: new Uint8Array(2) };
 * assert.equal(checkRaw(ok, "a"), ok);
 * assert.throws(() => checkRaw({ ...ok, data: new Uint8Array(3) }, "a"), /^InferError: a: /);
 * ```
 */
export function checkRaw(im: RawImage, label: string): RawImage {
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
 * import { toModelPixels } from "./pixels.ts";
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
 * Preprocesses a batch into one NCHW float32 array (`images.length × C × H × W`). `toRaw`
 * gives each image's pixels (a decoder, or {@linkcode checkRaw} for pixels already decoded);
 * it is called one image at a time, so only one decoded image is held at once. `labels` name
 * the images in errors (default `image 1`, `image 2`, …).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkRaw, preprocessPixels } from "./pixels.ts";
 * const spec = {
 *   input: { layout: "NCHW", dtype: "float32", channels: 1, height: 2, width: 2 } as const,
 *   normalization: { mean: [0], std: [1] },
 * };
 * const img = { width: 2, height: 2, channels: 1, data: new Uint8Array([0, 255, 0, 255]) };
 * assert.deepEqual(preprocessPixels([img], spec, checkRaw), Float32Array.of(0, 1, 0, 1));
 * ```
 */
export function preprocessPixels<I>(
  images: readonly I[],
  spec: PreprocessSpec,
  toRaw: (image: I, label: string) => RawImage,
  labels?: readonly string[],
): Float32Array {
  const { channels, height, width } = spec.input;
  const size = channels * height * width;
  const out = new Float32Array(images.length * size);
  const lut = normalizationLut(spec.normalization);
  images.forEach((im, i) => {
    const raw = toRaw(im, labels?.[i] ?? `image ${i + 1}`);
    normalizeToNchw(toModelPixels(raw, spec.input), spec.normalization, out, i * size, lut);
  });
  return out;
}
