/**
 * Parser for the IDX format of MNIST and Fashion-MNIST (already decompressed bytes).
 *
 * An IDX file is a big-endian header — magic number `0x0000TTDD` (TT = element type,
 * 0x08 for unsigned bytes; DD = number of dimensions), then one uint32 per dimension —
 * followed by the elements in row-major order. Image files have magic 2051
 * (ubyte, 3 dims: count × rows × cols); label files have magic 2049 (ubyte, 1 dim).
 * The parsers return views over the input: nothing is copied.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIdxImages, parseIdxLabels } from "./idx.ts";
 * // Big-endian headers: magic 0x0803, then count, rows, cols; magic 0x0801, then count.
 * const imagesHeader = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2]; // 2 images of 1×2
 * const rawImages = new Uint8Array([...imagesHeader, 10, 20, 30, 40]);
 * const rawLabels = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 3, 9]);
 * const images = parseIdxImages(rawImages, "train-images-idx3-ubyte", { rows: 1, cols: 2 });
 * const labels = parseIdxLabels(rawLabels, "train-labels-idx1-ubyte", 10);
 * assert.deepEqual([images.count, images.rows, images.cols, labels.length], [2, 1, 2, 2]);
 * assert.deepEqual(images.pixels, Uint8Array.of(10, 20, 30, 40));
 * ```
 * @module
 */
import { DatasetError } from "./errors.ts";

/**
 * Magic number of an IDX image file (unsigned bytes, 3 dimensions).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IDX_IMAGES_MAGIC } from "./idx.ts";
 * assert.equal(IDX_IMAGES_MAGIC.toString(16), "803");
 * ```
 */
export const IDX_IMAGES_MAGIC = 2051;

/**
 * Magic number of an IDX label file (unsigned bytes, 1 dimension).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IDX_LABELS_MAGIC } from "./idx.ts";
 * assert.equal(IDX_LABELS_MAGIC.toString(16), "801");
 * ```
 */
export const IDX_LABELS_MAGIC = 2049;

/**
 * The images of one IDX image file.
 *
 * @example
 * ```ts
 * import type { IdxImages } from "./idx.ts";
 * const empty: IdxImages = { count: 0, rows: 28, cols: 28, pixels: new Uint8Array(0) };
 * ```
 */
export interface IdxImages {
  /** Number of images. */
  count: number;
  /** Image height in pixels. */
  rows: number;
  /** Image width in pixels. */
  cols: number;
  /** `count * rows * cols` bytes, image by image, each row-major (a view over the input). */
  pixels: Uint8Array;
}

/**
 * Parses an IDX image file, checking the magic number, the dimensions (when `expect`
 * gives them) and that the byte length is exactly what the header declares.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIdxImages } from "./idx.ts";
 * const header = [0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2]; // 1 image of 2×2
 * const raw = new Uint8Array([...header, 1, 2, 3, 4]);
 * const img = parseIdxImages(raw, "tiny", { rows: 2, cols: 2 });
 * assert.equal(img.count, 1);
 * assert.deepEqual(img.pixels, Uint8Array.of(1, 2, 3, 4));
 * assert.throws(() => parseIdxImages(raw, "tiny"), /tiny: images are 2x2, expected 28x28/);
 * ```
 */
export function parseIdxImages(
  raw: Uint8Array,
  file: string,
  expect: { rows?: number; cols?: number } = { rows: 28, cols: 28 },
): IdxImages {
  const dims = readHeader(raw, file, IDX_IMAGES_MAGIC, 3, "image");
  const [count, rows, cols] = dims;
  if (
    (expect.rows !== undefined && rows !== expect.rows) ||
    (expect.cols !== undefined && cols !== expect.cols)
  ) {
    throw new DatasetError(
      `${file}: images are ${rows}x${cols}, expected ${expect.rows ?? rows}x${expect.cols ?? cols}`,
    );
  }
  const header = 4 + 4 * dims.length;
  checkLength(raw, file, header, count * rows * cols, `${count} images of ${rows}x${cols}`);
  return { count, rows, cols, pixels: raw.subarray(header) };
}

/**
 * Parses an IDX label file, checking the magic number, the exact byte length and that
 * every label is below `numClasses`. Returns a view over the input.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIdxLabels } from "./idx.ts";
 * const raw = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 5, 0, 4]);
 * assert.deepEqual(parseIdxLabels(raw, "tiny-labels", 10), Uint8Array.of(5, 0, 4));
 * assert.throws(() => parseIdxLabels(raw, "tiny-labels", 5), /label 5 at index 0 is out of range/);
 * ```
 */
export function parseIdxLabels(raw: Uint8Array, file: string, numClasses = 10): Uint8Array {
  const [count] = readHeader(raw, file, IDX_LABELS_MAGIC, 1, "label");
  checkLength(raw, file, 8, count, `${count} labels`);
  const labels = raw.subarray(8);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses) {
      throw new DatasetError(
        `${file}: label ${labels[i]} at index ${i} is out of range (expected 0..${numClasses - 1})`,
      );
    }
  }
  return labels;
}

function readHeader(
  raw: Uint8Array,
  file: string,
  magic: number,
  ndims: number,
  kind: string,
): number[] {
  const header = 4 + 4 * ndims;
  if (raw.length < 4) {
    throw new DatasetError(`${file}: too short (${raw.length} bytes) for an IDX ${kind} file`);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const got = view.getUint32(0, false);
  if (got !== magic) {
    throw new DatasetError(
      `${file}: wrong magic number ${got} (expected ${magic} for an IDX ${kind} file)`,
    );
  }
  if (raw.length < header) {
    throw new DatasetError(
      `${file}: truncated IDX header (${raw.length} bytes, need ${header})`,
    );
  }
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  return dims;
}

function checkLength(
  raw: Uint8Array,
  file: string,
  header: number,
  elements: number,
  what: string,
): void {
  const have = raw.length - header;
  if (have < elements) {
    throw new DatasetError(
      `${file}: truncated: header declares ${what} (${elements} bytes) but only ${have} bytes follow`,
    );
  }
  if (have > elements) {
    throw new DatasetError(
      `${file}: ${have - elements} unexpected trailing bytes after ${what}`,
    );
  }
}
