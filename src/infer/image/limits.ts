/**
 * The pixel limit: images above it are refused from their header (or their element's size in a
 * browser), before any pixel is decoded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkPixelLimit, DEFAULT_MAX_PIXELS } from "./limits.ts";
 * checkPixelLimit(8000, 5000, "photo.jpg", DEFAULT_MAX_PIXELS); // exactly 40 MP: accepted
 * assert.throws(() => checkPixelLimit(8001, 5000, "photo.jpg", DEFAULT_MAX_PIXELS), {
 *   code: "image-too-large",
 * });
 * ```
 * @module
 */
import { InferError } from "../errors.ts";

/**
 * Default pixel limit: 40 megapixels (e.g. 8000 × 5000).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_MAX_PIXELS } from "./limits.ts";
 * assert.equal(DEFAULT_MAX_PIXELS, 40_000_000);
 * ```
 */
export const DEFAULT_MAX_PIXELS = 40_000_000;

/**
 * Refuses a `width × height` image above `maxPixels` with a one-line `image-too-large`
 * {@linkcode InferError} prefixed with `label`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkPixelLimit } from "./limits.ts";
 * assert.throws(() => checkPixelLimit(20000, 20000, "big.png", 40_000_000), {
 *   message: "big.png: image is 20000×20000 = 400.0 MP, above the limit of 40.0 MP",
 * });
 * ```
 */
export function checkPixelLimit(
  width: number,
  height: number,
  label: string,
  maxPixels: number,
): void {
  const px = width * height;
  if (px > maxPixels) {
    const size = (n: number) => n >= 1e6 ? `${(n / 1e6).toFixed(1)} MP` : `${n} pixels`;
    throw new InferError(
      "image-too-large",
      `${label}: image is ${width}×${height} = ${size(px)}, above the limit of ${size(maxPixels)}`,
    );
  }
}
