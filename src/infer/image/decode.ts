/**
 * Decodes PNG or JPEG bytes into a {@linkcode RawImage}, refusing images above a pixel limit
 * before decoding (the size comes from the header; see `header.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { decodeImage } from "./decode.ts";
 * const png = encode({ width: 28, height: 28, channels: 1, data: new Uint8Array(784) });
 * const img = decodeImage(png, "digit.png");
 * assert.deepEqual([img.width, img.height, img.channels], [28, 28, 1]);
 * ```
 * @module
 */
import { InferError } from "../errors.ts";
import { readImageHeader } from "./header.ts";
import { checkPixelLimit, DEFAULT_MAX_PIXELS } from "./limits.ts";
import { decodeJpeg } from "./jpeg.ts";
import { decodePng } from "./png.ts";
import type { RawImage } from "./types.ts";

export { DEFAULT_MAX_PIXELS } from "./limits.ts";

/**
 * Options of {@linkcode decodeImage}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { decodeImage, type DecodeOptions } from "./decode.ts";
 * const o: DecodeOptions = { maxPixels: 100 };
 * const png = encode({ width: 8, height: 8, channels: 3, data: new Uint8Array(8 * 8 * 3) });
 * assert.equal(decodeImage(png, "small.png", o).width, 8); // 64 pixels: under the limit
 * ```
 */
export interface DecodeOptions {
  /** Largest width × height accepted (default {@linkcode DEFAULT_MAX_PIXELS}). */
  maxPixels?: number;
}

/**
 * Decodes a PNG or JPEG file (see the module doc); every failure is a one-line
 * {@linkcode InferError} prefixed with `label`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { decodeImage } from "./decode.ts";
 * // A PNG whose header claims 20000×20000: refused before any pixel is decoded.
 * const huge = encode({ width: 1, height: 1, channels: 1, data: new Uint8Array(1) });
 * new DataView(huge.buffer, huge.byteOffset).setUint32(16, 20000); // IHDR width
 * new DataView(huge.buffer, huge.byteOffset).setUint32(20, 20000); // IHDR height
 * assert.throws(() => decodeImage(huge, "big.png"), {
 *   name: "InferError",
 *   message: "big.png: image is 20000×20000 = 400.0 MP, above the limit of 40.0 MP",
 * });
 * ```
 */
export function decodeImage(bytes: Uint8Array, label: string, opts: DecodeOptions = {}): RawImage {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const h = readImageHeader(bytes, label);
  checkPixelLimit(h.width, h.height, label, maxPixels);
  const img = h.format === "png" ? decodePng(bytes, label) : decodeJpeg(bytes, label, maxPixels);
  if (img.width !== h.width || img.height !== h.height) {
    throw new InferError(
      "bad-image",
      `${label}: corrupt ${h.format} (size does not match its header)`,
    );
  }
  return img;
}
