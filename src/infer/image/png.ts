/**
 * PNG decoding with `fast-png` (pure TypeScript; CRCs checked), expanded to 8-bit samples:
 * palettes are looked up (RGB, or RGBA with a tRNS chunk), 1/2/4-bit grey is scaled to
 * 0..255, 16-bit samples are rounded to 8 bits (v/257).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { decodePng } from "./png.ts";
 * const data = Uint8Array.of(0, 128, 255, 64);
 * const img = decodePng(encode({ width: 2, height: 2, channels: 1, data }), "digit.png");
 * assert.deepEqual([img.width, img.height, img.channels], [2, 2, 1]);
 * assert.deepEqual(img.data, data);
 * ```
 * @module
 */
import { decode } from "fast-png";
import { firstLine, InferError } from "../errors.ts";
import { checkPngInflation } from "./png_inflate.ts";
import type { RawImage } from "./types.ts";

function unpackBits(
  packed: ArrayLike<number>,
  width: number,
  height: number,
  depth: number,
): Uint8Array {
  if (depth === 8) return Uint8Array.from(packed);
  const out = new Uint8Array(width * height);
  const stride = Math.ceil((width * depth) / 8), mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = packed[y * stride + (bit >> 3)];
      out[y * width + x] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/**
 * Decodes a PNG file; errors (truncated, bad CRC, unsupported, data that inflates to more than
 * the header allows) are one-line {@linkcode InferError}s prefixed with `label`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { decodePng } from "./png.ts";
 * const png = encode({ width: 2, height: 2, channels: 1, data: new Uint8Array(4) });
 * assert.throws(() => decodePng(png.subarray(0, png.length - 20), "x.png"), {
 *   name: "InferError",
 *   message: /^x\.png: cannot decode PNG/,
 * });
 * ```
 */
export function decodePng(bytes: Uint8Array, label: string): RawImage {
  checkPngInflation(bytes, label); // before the decoder inflates anything
  let png;
  try {
    png = decode(bytes, { checkCrc: true });
  } catch (e) {
    throw new InferError(
      "bad-image",
      `${label}: cannot decode PNG (truncated or corrupt): ${firstLine(e)}`,
    );
  }
  const { width, height, depth } = png;
  let channels = png.channels;
  let data: Uint8Array;
  if (png.palette) {
    const idx = unpackBits(png.data, width, height, depth);
    const pal = png.palette;
    channels = pal.some((c) => c.length === 4) ? 4 : 3;
    data = new Uint8Array(width * height * channels);
    for (let i = 0; i < idx.length; i++) {
      const c = pal[idx[i]];
      if (!c) throw new InferError("bad-image", `${label}: corrupt PNG (palette index ${idx[i]})`);
      for (let k = 0; k < channels; k++) data[i * channels + k] = c[k] ?? 255;
    }
  } else if (depth === 16) {
    data = new Uint8Array(png.data.length);
    for (let i = 0; i < data.length; i++) data[i] = Math.round(png.data[i] / 257);
  } else if (depth < 8) {
    data = unpackBits(png.data, width, height, depth);
    const scale = 255 / ((1 << depth) - 1);
    for (let i = 0; i < data.length; i++) data[i] = Math.round(data[i] * scale);
  } else {
    data = png.data instanceof Uint8Array ? png.data : Uint8Array.from(png.data);
  }
  if (data.length !== width * height * channels) {
    throw new InferError("bad-image", `${label}: corrupt PNG (truncated pixel data)`);
  }
  return { width, height, channels, data };
}
