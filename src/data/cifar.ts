/**
 * Decoder for the official *binary* versions of CIFAR-10 and CIFAR-100.
 *
 * Each `.bin` file is a plain sequence of fixed-size records:
 * - CIFAR-10: 1 label byte, then 3072 pixel bytes (3073 bytes per record);
 * - CIFAR-100: 1 coarse-label byte, 1 fine-label byte, then 3072 pixel bytes (3074).
 *
 * The 3072 pixel bytes are three 32×32 row-major planes, red then green then blue.
 * They are converted here to interleaved HWC (`[y][x][r,g,b]`), so that a set of
 * images is one NHWC `Uint8Array`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeCifar } from "./cifar.ts";
 * // One CIFAR-10 record: a label byte, then the red, green and blue 32×32 planes.
 * const record = new Uint8Array(1 + 3 * 1024);
 * record[0] = 7; // "horse"
 * record[1] = 255; // red of the top-left pixel
 * const files = [{ file: "test_batch.bin", bytes: record }];
 * const { count, images, labels } = decodeCifar(files, "cifar10");
 * assert.equal(count, 1);
 * assert.equal(labels[0], 7);
 * assert.deepEqual([...images.subarray(0, 3)], [255, 0, 0]); // HWC: pixel 0 is R, G, B
 * ```
 * @module
 */
import { DatasetError } from "./errors.ts";

/** Image side in pixels. */
const SIDE = 32;
/** Pixels in one colour plane. */
const PLANE = SIDE * SIDE;

/**
 * Which CIFAR binary format, and for CIFAR-100 which of its two label bytes to use.
 *
 * @example
 * ```ts
 * import type { CifarLabels } from "./cifar.ts";
 * const kind: CifarLabels = "cifar100-coarse";
 * ```
 */
export type CifarLabels = "cifar10" | "cifar100-fine" | "cifar100-coarse";

/**
 * Bytes per record: 3073 for CIFAR-10, 3074 for CIFAR-100.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cifarRecordSize } from "./cifar.ts";
 * assert.equal(cifarRecordSize("cifar10"), 3073); // 1 label byte + 3072 pixels
 * assert.equal(cifarRecordSize("cifar100"), 3074); // coarse and fine label bytes + 3072 pixels
 * ```
 */
export function cifarRecordSize(variant: "cifar10" | "cifar100"): number {
  return (variant === "cifar10" ? 1 : 2) + 3 * PLANE;
}

/**
 * Decoded images and labels of one or more CIFAR `.bin` files.
 *
 * @example
 * ```ts
 * import type { CifarImages } from "./cifar.ts";
 * const none: CifarImages = { count: 0, images: new Uint8Array(0), labels: new Uint8Array(0) };
 * ```
 */
export interface CifarImages {
  /** Number of images. */
  count: number;
  /** `count × 32 × 32 × 3` bytes, NHWC. */
  images: Uint8Array;
  /** One label per image. */
  labels: Uint8Array;
}

/**
 * Decodes CIFAR binary files (concatenated in the order given) into one NHWC image
 * array and one label array. Checks that each file's size is a non-zero multiple of
 * the record size and that every label is in range (10 classes for CIFAR-10; 100 fine
 * and 20 coarse for CIFAR-100), throwing a {@linkcode DatasetError} otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeCifar } from "./cifar.ts";
 * // Two CIFAR-100 records: coarse label, fine label, 3072 pixels.
 * const bytes = new Uint8Array(2 * 3074);
 * bytes.set([0, 30], 0); // aquatic mammals / dolphin
 * bytes.set([18, 58], 3074); // vehicles 1 / pickup truck
 * const files = [{ file: "test.bin", bytes }];
 * assert.deepEqual(decodeCifar(files, "cifar100-coarse").labels, Uint8Array.of(0, 18));
 * assert.deepEqual(decodeCifar(files, "cifar100-fine").labels, Uint8Array.of(30, 58));
 * const cut = [{ file: "cut.bin", bytes: bytes.subarray(1) }];
 * assert.throws(() => decodeCifar(cut, "cifar100-fine"), /cut\.bin: size 6147 bytes is not/);
 * ```
 */
export function decodeCifar(
  files: { file: string; bytes: Uint8Array }[],
  labels: CifarLabels,
): CifarImages {
  const variant = labels === "cifar10" ? "cifar10" : "cifar100";
  const record = cifarRecordSize(variant);
  const labelBytes = record - 3 * PLANE;
  let count = 0;
  for (const { file, bytes } of files) {
    if (bytes.length === 0 || bytes.length % record !== 0) {
      throw new DatasetError(
        `${file}: size ${bytes.length} bytes is not a non-zero multiple of the ` +
          `${variant === "cifar10" ? "CIFAR-10" : "CIFAR-100"} record size ${record}`,
      );
    }
    count += bytes.length / record;
  }
  const images = new Uint8Array(count * 3 * PLANE);
  const out = new Uint8Array(count);
  let n = 0;
  for (const { file, bytes } of files) {
    const records = bytes.length / record;
    for (let r = 0; r < records; r++, n++) {
      const at = r * record;
      checkLabels(bytes, at, variant, file, r);
      out[n] = labels === "cifar100-coarse" ? bytes[at] : bytes[at + labelBytes - 1];
      planesToHwc(bytes, at + labelBytes, images, n * 3 * PLANE);
    }
  }
  return { count, images, labels: out };
}

/**
 * Class names from a CIFAR text file (`batches.meta.txt`, `fine_label_names.txt`,
 * `coarse_label_names.txt`): one name per line, blank lines ignored. Throws a
 * {@linkcode DatasetError} unless exactly `expected` names are found.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseClassNames } from "./cifar.ts";
 * const names = parseClassNames("airplane\nautomobile\n\n", 2, "batches.meta.txt");
 * assert.deepEqual(names, ["airplane", "automobile"]);
 * assert.throws(() => parseClassNames("airplane\n", 10, "x.txt"), /x\.txt: found 1 class names/);
 * ```
 */
export function parseClassNames(text: string, expected: number, file: string): string[] {
  const names = text.split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length !== expected) {
    throw new DatasetError(`${file}: found ${names.length} class names, expected ${expected}`);
  }
  return names;
}

function checkLabels(
  bytes: Uint8Array,
  at: number,
  variant: "cifar10" | "cifar100",
  file: string,
  r: number,
): void {
  const bad = (what: string, value: number, limit: number) => {
    throw new DatasetError(
      `${file}: record ${r} has ${what} ${value}, out of range (expected 0..${limit - 1})`,
    );
  };
  if (variant === "cifar10") {
    if (bytes[at] >= 10) bad("label", bytes[at], 10);
  } else {
    if (bytes[at] >= 20) bad("coarse label", bytes[at], 20);
    if (bytes[at + 1] >= 100) bad("fine label", bytes[at + 1], 100);
  }
}

/** R, G, B planes (each 32×32 row-major) at `src[from..]` → interleaved HWC at `dst[to..]`. */
function planesToHwc(src: Uint8Array, from: number, dst: Uint8Array, to: number): void {
  const g = from + PLANE;
  const b = from + 2 * PLANE;
  for (let p = 0, o = to; p < PLANE; p++, o += 3) {
    dst[o] = src[from + p];
    dst[o + 1] = src[g + p];
    dst[o + 2] = src[b + p];
  }
}
