/**
 * Hand-built PNG files for the decoder's hostile-input tests: any IHDR, any IDAT payload
 * (e.g. a zlib stream that inflates to far more than the header allows), correct CRCs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deflateSync } from "node:zlib";
 * import { decodeImage } from "@noprop/infer";
 * import { pngFile } from "./png.ts";
 * // A 2×1 grey 8-bit image: one filter byte (0) and two samples per row.
 * const png = pngFile({ width: 2, height: 1 }, deflateSync(Uint8Array.of(0, 10, 20)));
 * assert.deepEqual(decodeImage(png, "tiny.png").data, Uint8Array.of(10, 20));
 * ```
 * @module
 */

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (the PNG/zlib polynomial) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One PNG chunk: length, type, data, CRC of type + data. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** IHDR fields of {@linkcode pngFile}; depth 8, colour type 0 (grey), no interlace by default. */
export interface PngHeader {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Bit depth (default 8). */
  depth?: number;
  /** Colour type: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA (default 0). */
  colorType?: number;
  /** 0 none, 1 Adam7 (default 0). */
  interlace?: number;
}

/** A PNG file: signature, IHDR from `h`, the chunks in `extra`, one IDAT holding `idat`, IEND. */
export function pngFile(h: PngHeader, idat: Uint8Array, extra: Uint8Array[] = []): Uint8Array {
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, h.width);
  dv.setUint32(4, h.height);
  ihdr.set([h.depth ?? 8, h.colorType ?? 0, 0, 0, h.interlace ?? 0], 8);
  const parts = [
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    pngChunk("IHDR", ihdr),
    ...extra,
    pngChunk("IDAT", idat),
    pngChunk("IEND", new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * A zlib stream that inflates to `n` zero bytes (n = 1 + 258·k), written by hand so that no
 * n-byte buffer is ever allocated: one fixed-Huffman DEFLATE block holding the literal 0 and
 * then k copies of (length 258, distance 1), 13 bits each — about 2500:1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inflateSync } from "node:zlib";
 * import { zeroBomb } from "./png.ts";
 * const z = zeroBomb(1 + 258 * 1000);
 * assert.ok(z.length < 2000);
 * assert.deepEqual(new Uint8Array(inflateSync(z)), new Uint8Array(1 + 258 * 1000));
 * ```
 */
export function zeroBomb(n: number): Uint8Array {
  const k = (n - 1) / 258;
  if (!Number.isSafeInteger(k) || k < 0) throw new Error(`zeroBomb: n = ${n} is not 1 + 258·k`);
  const out = new Uint8Array(2 + Math.ceil((3 + 8 + 13 * k + 7) / 8) + 4);
  out[0] = 0x78; // CMF: deflate, 32 KiB window
  out[1] = 0x01; // FLG: (0x78 << 8 | 0x01) % 31 == 0
  let pos = 16; // bit position
  const bits = (value: number, count: number) => { // least significant bit first
    for (let i = 0; i < count; i++, pos++) if ((value >> i) & 1) out[pos >> 3] |= 1 << (pos & 7);
  };
  const code = (value: number, count: number) => { // Huffman codes: most significant bit first
    for (let i = count - 1; i >= 0; i--, pos++) {
      if ((value >> i) & 1) out[pos >> 3] |= 1 << (pos & 7);
    }
  };
  bits(1, 1); // BFINAL
  bits(1, 2); // BTYPE = 01, fixed Huffman codes
  code(0x30, 8); // literal 0
  for (let i = 0; i < k; i++) {
    code(0b11000101, 8); // length code 285: length 258, no extra bits
    code(0, 5); // distance code 0: distance 1
  }
  code(0, 7); // end of block (256)
  const end = Math.ceil(pos / 8);
  const adler = ((n % 65521) * 65536 + 1) >>> 0; // s1 = 1 (all zeros), s2 = n·1 mod 65521
  new DataView(out.buffer).setUint32(end, adler);
  return out.subarray(0, end + 4);
}
