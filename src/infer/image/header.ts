/**
 * Image format sniffing and size from the header alone — before anything is decoded, so the
 * pixel limit can be enforced without allocating the image.
 *
 * - PNG: the 8-byte signature, then the IHDR chunk (width and height, big-endian u32).
 * - JPEG: SOI (FF D8), then marker segments up to the first start-of-frame (SOF0–SOF15 except
 *   DHT C4, JPG C8 and DAC CC), whose payload holds height and width (big-endian u16).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { readImageHeader } from "./header.ts";
 * const png = encode({ width: 28, height: 14, channels: 1, data: new Uint8Array(28 * 14) });
 * assert.deepEqual(readImageHeader(png, "digit.png"), { format: "png", width: 28, height: 14 });
 * ```
 * @module
 */
import { InferError } from "../errors.ts";

/**
 * What the header says.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import jpeg from "jpeg-js";
 * import { type ImageHeader, readImageHeader } from "./header.ts";
 * const photo = jpeg.encode({ width: 4, height: 2, data: new Uint8Array(4 * 2 * 4) }, 90).data;
 * const h: ImageHeader = readImageHeader(photo, "photo.jpg");
 * assert.deepEqual(h, { format: "jpeg", width: 4, height: 2 });
 * ```
 */
export interface ImageHeader {
  /** Container format. */
  format: "png" | "jpeg";
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function bad(label: string, msg: string): never {
  throw new InferError("bad-image", `${label}: ${msg}`);
}

function pngHeader(b: Uint8Array, label: string): ImageHeader {
  if (b.length < 33) bad(label, "truncated PNG (no complete IHDR chunk)");
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const type = String.fromCharCode(b[12], b[13], b[14], b[15]);
  if (type !== "IHDR") bad(label, "corrupt PNG (first chunk is not IHDR)");
  const width = dv.getUint32(16), height = dv.getUint32(20);
  if (width === 0 || height === 0) bad(label, `corrupt PNG (size ${width}×${height})`);
  return { format: "png", width, height };
}

function jpegHeader(b: Uint8Array, label: string): ImageHeader {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) bad(label, `corrupt JPEG (no marker at byte ${i})`);
    const m = b[i + 1];
    if (m === 0xff) { // fill byte
      i++;
      continue;
    }
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { // no length
      i += 2;
      continue;
    }
    if (m === 0xd9 || m === 0xda) break; // EOI or start of scan before any frame
    const len = (b[i + 2] << 8) | b[i + 3];
    if (len < 2) bad(label, "corrupt JPEG (bad segment length)");
    const isSof = m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
    if (isSof) {
      if (i + 9 > b.length) break;
      const height = (b[i + 5] << 8) | b[i + 6], width = (b[i + 7] << 8) | b[i + 8];
      if (width === 0 || height === 0) bad(label, `unsupported JPEG (size ${width}×${height})`);
      return { format: "jpeg", width, height };
    }
    i += 2 + len;
  }
  bad(label, "truncated or corrupt JPEG (no frame header)");
}

/**
 * Sniffs PNG or JPEG and reads the size; anything else is an {@linkcode InferError}
 * (`bad-image`). `label` (usually the file name) prefixes errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readImageHeader } from "./header.ts";
 * assert.throws(() => readImageHeader(new TextEncoder().encode("hello"), "a.txt"), {
 *   message: "a.txt: not a PNG or JPEG image",
 * });
 * ```
 */
export function readImageHeader(bytes: Uint8Array, label: string): ImageHeader {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((v, k) => bytes[k] === v)) {
    return pngHeader(bytes, label);
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return jpegHeader(bytes, label);
  }
  bad(label, "not a PNG or JPEG image");
}
