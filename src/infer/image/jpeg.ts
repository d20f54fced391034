/**
 * JPEG decoding with `jpeg-js` (pure JavaScript) in strict mode (a truncated or corrupt file
 * is an error, not a partly grey picture). The output is RGB; grey JPEGs come out with
 * R = G = B, which the channel conversion turns back into the exact grey value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import jpeg from "jpeg-js";
 * import { decodeJpeg } from "./jpeg.ts";
 * const rgba = new Uint8Array(8 * 8 * 4).fill(200); // light grey, opaque
 * const bytes = jpeg.encode({ width: 8, height: 8, data: rgba }, 90).data;
 * const img = decodeJpeg(bytes, "photo.jpg", 16_000_000);
 * assert.equal(img.channels, 3);
 * assert.ok(Math.abs(img.data[0] - 200) <= 2); // lossy, but close
 * ```
 * @module
 */
import jpeg from "jpeg-js";
import { firstLine, InferError } from "../errors.ts";
import type { RawImage } from "./types.ts";

function hasEndMarker(b: Uint8Array): boolean {
  // EOI (FF D9) at the end, allowing for a little trailing padding.
  for (let i = b.length - 2; i >= Math.max(0, b.length - 64); i--) {
    if (b[i] === 0xff && b[i + 1] === 0xd9) return true;
  }
  return false;
}

/**
 * Decodes a JPEG file to RGB; `maxPixels` bounds the decoder's allocation as well.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import jpeg from "jpeg-js";
 * import { decodeJpeg } from "./jpeg.ts";
 * const bytes = jpeg.encode({ width: 8, height: 8, data: new Uint8Array(256) }, 90).data;
 * assert.throws(() => decodeJpeg(bytes.subarray(0, 100), "cut.jpg", 1e6), {
 *   message: "cut.jpg: truncated JPEG (no end-of-image marker)",
 * });
 * ```
 */
export function decodeJpeg(bytes: Uint8Array, label: string, maxPixels: number): RawImage {
  if (!hasEndMarker(bytes)) {
    throw new InferError("bad-image", `${label}: truncated JPEG (no end-of-image marker)`);
  }
  let img;
  try {
    img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: maxPixels / 1e6,
      maxMemoryUsageInMB: Math.max(64, Math.ceil((maxPixels * 8) / 2 ** 20)),
    });
  } catch (e) {
    throw new InferError(
      "bad-image",
      `${label}: cannot decode JPEG (corrupt or unsupported): ${firstLine(e)}`,
    );
  }
  return { width: img.width, height: img.height, channels: 3, data: img.data };
}
