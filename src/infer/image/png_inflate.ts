/**
 * A PNG's compressed data checked against its header before the decoder inflates it: the
 * pixel limit reads only the header, so a small file claiming 28×28 could still hold zlib data
 * that inflates to gigabytes (a decompression bomb). Here the IDAT stream is inflated in small
 * slices, counting the bytes and keeping none, and refused as soon as it passes the exact size
 * the header allows — rows × (1 filter byte + packed row bytes), per Adam7 pass when interlaced
 * (PNG spec §7.2, §8.2). An embedded ICC profile (iCCP, which the decoder also inflates) may
 * inflate to at most {@linkcode MAX_ICC_BYTES}. At most one slice's output (≤ ~4 MB) is in
 * memory at a time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { checkPngInflation } from "./png_inflate.ts";
 * const png = encode({ width: 28, height: 28, channels: 1, data: new Uint8Array(784) });
 * checkPngInflation(png, "digit.png"); // 28 · (1 + 28) = 812 bytes: as the header says
 * ```
 * @module
 */
import { Unzlib } from "fflate";
import { firstLine, InferError } from "../errors.ts";

/**
 * Largest inflated iCCP profile accepted (16 MiB; real profiles are well under 1 MiB).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_ICC_BYTES } from "./png_inflate.ts";
 * assert.equal(MAX_ICC_BYTES, 16 * 2 ** 20);
 * ```
 */
export const MAX_ICC_BYTES = 16 * 2 ** 20;

/** Compressed bytes pushed to the inflater at a time (DEFLATE expands at most ~1032×). */
const SLICE = 4096;

const SAMPLES: Record<number, [number, string, number[]]> = {
  0: [1, "grey", [1, 2, 4, 8, 16]],
  2: [3, "RGB", [8, 16]],
  3: [1, "palette", [1, 2, 4, 8]],
  4: [2, "grey+alpha", [8, 16]],
  6: [4, "RGBA", [8, 16]],
};

/** Adam7 passes: x0, y0, dx, dy (PNG spec §8.2). */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/**
 * The exact size of a PNG's inflated image data: for each (pass) image of w × h pixels,
 * h · (1 + ⌈w · bits per pixel / 8⌉).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pngDataSize } from "./png_inflate.ts";
 * assert.equal(pngDataSize(28, 28, 8, 1, false), 28 * (1 + 28)); // grey 8-bit
 * assert.equal(pngDataSize(10, 2, 1, 1, false), 2 * (1 + 2)); // 1-bit: 10 pixels in 2 bytes
 * assert.equal(pngDataSize(1, 1, 8, 3, true), 1 + 3); // Adam7: only the first pass has pixels
 * ```
 */
export function pngDataSize(
  width: number,
  height: number,
  depth: number,
  channels: number,
  interlaced: boolean,
): number {
  const image = (w: number, h: number) =>
    w > 0 && h > 0 ? h * (1 + Math.ceil((w * depth * channels) / 8)) : 0;
  if (!interlaced) return image(width, height);
  return ADAM7.reduce(
    (s, [x0, y0, dx, dy]) => s + image(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy)),
    0,
  );
}

function bad(label: string, msg: string): never {
  throw new InferError("bad-image", `${label}: ${msg}`);
}

/** Inflates zlib data pushed in slices, counting the output; throws past `limit` bytes. */
class CountingInflater {
  total = 0;
  private readonly z: Unzlib;

  constructor(private readonly limit: number, private readonly onOver: () => never) {
    this.z = new Unzlib((chunk) => {
      this.total += chunk.length;
      if (this.total > this.limit) this.onOver();
    });
  }

  push(data: Uint8Array, label: string): void {
    try {
      for (let o = 0; o < data.length; o += SLICE) {
        this.z.push(data.subarray(o, Math.min(o + SLICE, data.length)), false);
      }
    } catch (e) {
      if (e instanceof InferError) throw e;
      bad(label, `cannot decode PNG (truncated or corrupt): ${firstLine(e)}`);
    }
  }
}

/**
 * Walks the chunks of a PNG file and checks that its image data (IDAT) does not inflate to
 * more than the header allows, and its iCCP profile to more than {@linkcode MAX_ICC_BYTES};
 * throws a one-line {@linkcode InferError} (`bad-image`) prefixed with `label` otherwise.
 * Truncation and CRC errors are left to the decoder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { checkPngInflation } from "./png_inflate.ts";
 * // A header saying 2×2 on data for 28×28: the data inflates to more than 2 · (1 + 2) bytes.
 * const png = encode({ width: 28, height: 28, channels: 1, data: new Uint8Array(784) });
 * new DataView(png.buffer, png.byteOffset).setUint32(16, 2); // IHDR width
 * new DataView(png.buffer, png.byteOffset).setUint32(20, 2); // IHDR height
 * assert.throws(() => checkPngInflation(png, "x.png"), {
 *   name: "InferError",
 *   message: "x.png: corrupt PNG (its pixel data inflates to more than the 6 bytes a 2×2 " +
 *     "8-bit grey image holds)",
 * });
 * ```
 */
export function checkPngInflation(bytes: Uint8Array, label: string): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let idat: CountingInflater | undefined;
  for (let o = 8; o + 12 <= bytes.length;) {
    const length = dv.getUint32(o);
    const type = String.fromCharCode(...bytes.subarray(o + 4, o + 8));
    const end = o + 12 + length;
    if (end > bytes.length) return; // truncated: the decoder says so
    const data = bytes.subarray(o + 8, o + 8 + length);
    if (type === "IHDR" && length >= 13 && !idat) {
      const width = dv.getUint32(o + 8), height = dv.getUint32(o + 12);
      const depth = data[8], colour = data[9], interlaced = data[12] === 1;
      const kind = SAMPLES[colour];
      if (!kind || !kind[2].includes(depth)) {
        bad(label, `unsupported PNG (bit depth ${depth} with colour type ${colour})`);
      }
      const limit = pngDataSize(width, height, depth, kind[0], interlaced);
      const what = `${width}×${height} ${depth}-bit ${kind[1]}${interlaced ? " interlaced" : ""}`;
      idat = new CountingInflater(limit, () =>
        bad(
          label,
          `corrupt PNG (its pixel data inflates to more than the ${limit} bytes a ${what} image holds)`,
        ));
    } else if (type === "IDAT") {
      if (!idat) bad(label, "corrupt PNG (image data before the IHDR header)");
      idat.push(data, label);
    } else if (type === "iCCP") {
      const nul = data.indexOf(0);
      if (nul >= 0) {
        new CountingInflater(MAX_ICC_BYTES, () =>
          bad(
            label,
            `corrupt PNG (its iCCP profile inflates to more than ${MAX_ICC_BYTES} bytes)`,
          )).push(data.subarray(nul + 2), label);
      }
    } else if (type === "IEND") {
      return;
    }
    o = end;
  }
}
