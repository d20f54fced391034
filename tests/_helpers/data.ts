/**
 * Helpers for the data-loader tests: temporary folders and small files generated in
 * each dataset format (IDX, gzip, CIFAR records, tar). Contains no tests itself.
 * @module
 */
import { assert } from "../assert.ts";
import { DatasetError } from "../../src/data/errors.ts";
import type { ImageSet } from "../../src/data/types.ts";

/** Runs `fn` with a fresh temporary folder, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "noprop-data-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Gzip-compresses `bytes` (web CompressionStream, no extra dependency). */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function be32(...values: number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(4 * i, v, false));
  return out;
}

/** The pixel value the generated images hold at image `n`, byte `i`. */
export function pixelAt(n: number, i: number): number {
  return (n * 31 + i * 7) % 256;
}

/** An IDX image file (uncompressed) of `count` images of `rows`×`cols`, pixels from {@linkcode pixelAt}. */
export function idxImages(count: number, rows = 28, cols = 28, magic = 2051): Uint8Array {
  const pixels = new Uint8Array(count * rows * cols);
  for (let n = 0; n < count; n++) {
    for (let i = 0; i < rows * cols; i++) pixels[n * rows * cols + i] = pixelAt(n, i);
  }
  return concat(be32(magic, count, rows, cols), pixels);
}

/** An IDX label file (uncompressed). */
export function idxLabels(labels: number[], magic = 2049): Uint8Array {
  return concat(be32(magic, labels.length), new Uint8Array(labels));
}

/** Writes the four MNIST-style `.gz` files into `<dir>/<subdir>/`, with per-file overrides (raw, uncompressed bytes). */
export async function writeIdxDataset(
  dir: string,
  subdir: string,
  trainLabels: number[],
  testLabels: number[],
  overrides: Partial<Record<string, Uint8Array>> = {},
): Promise<string> {
  const folder = `${dir}/${subdir}`;
  await Deno.mkdir(folder, { recursive: true });
  const files: Record<string, Uint8Array> = {
    "train-images-idx3-ubyte.gz": idxImages(trainLabels.length),
    "train-labels-idx1-ubyte.gz": idxLabels(trainLabels),
    "t10k-images-idx3-ubyte.gz": idxImages(testLabels.length),
    "t10k-labels-idx1-ubyte.gz": idxLabels(testLabels),
    ...overrides,
  };
  for (const [name, raw] of Object.entries(files)) {
    await Deno.writeFile(`${folder}/${name}`, await gzip(raw!));
  }
  return folder;
}

/** Value of CIFAR plane `c` (0 = R, 1 = G, 2 = B) at pixel `p` of record `n`. */
export function planeValue(n: number, c: number, p: number): number {
  return (n * 13 + c * 85 + p * 3) % 256;
}

/**
 * CIFAR binary records: `labels[n]` is one label byte (CIFAR-10) or a
 * `[coarse, fine]` pair (CIFAR-100); pixels are R, G, B planes from {@linkcode planeValue},
 * record numbers starting at `first`.
 */
export function cifarBin(labels: (number | [number, number])[], first = 0): Uint8Array {
  const parts: Uint8Array[] = [];
  labels.forEach((label, k) => {
    const head = new Uint8Array(typeof label === "number" ? [label] : label);
    const planes = new Uint8Array(3 * 1024);
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < 1024; p++) planes[c * 1024 + p] = planeValue(first + k, c, p);
    }
    parts.push(head, planes);
  });
  return concat(...parts);
}

/** A ustar archive of regular files (names over 100 bytes use the prefix field). */
export function tarArchive(files: { name: string; data: Uint8Array }[]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const put = (h: Uint8Array, at: number, text: string) => h.set(enc.encode(text), at);
  for (const { name, data } of files) {
    const h = new Uint8Array(512);
    let base = name;
    let prefix = "";
    if (name.length > 100) {
      const cut = name.lastIndexOf("/", 155);
      prefix = name.slice(0, cut);
      base = name.slice(cut + 1);
    }
    put(h, 0, base);
    put(h, 100, "0000644\0");
    put(h, 108, "0000000\0");
    put(h, 116, "0000000\0");
    put(h, 124, data.length.toString(8).padStart(11, "0") + "\0");
    put(h, 136, "00000000000\0");
    h[156] = "0".charCodeAt(0);
    put(h, 257, "ustar\0");
    put(h, 263, "00");
    put(h, 345, prefix);
    h.fill(0x20, 148, 156);
    const sum = h.reduce((a, b) => a + b, 0);
    put(h, 148, sum.toString(8).padStart(6, "0") + "\0 ");
    parts.push(h, data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  parts.push(new Uint8Array(1024));
  return concat(...parts);
}

/** Asserts that `p` rejects with a one-line DatasetError whose message contains every `parts`. */
export async function assertDatasetError(
  p: Promise<unknown> | (() => unknown),
  ...parts: string[]
): Promise<DatasetError> {
  let error: unknown;
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    error = e;
  }
  assert(error instanceof DatasetError, `expected a DatasetError, got ${error}`);
  assert(!error.message.includes("\n"), `message is not one line: ${error.message}`);
  for (const part of parts) {
    assert(error.message.includes(part), `"${error.message}" should mention "${part}"`);
  }
  return error;
}

/** Options that read no environment variable and never touch the network. */
export const offline = {
  log: () => {},
  fetch: () => Promise.reject(new TypeError("network disabled in tests")),
};

/**
 * `count` images of h×w×c with pixel value (n·37 + k·11) mod 256 (image n, element k) and label
 * n mod 7: a small set whose every pixel is known.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { patternSet } from "./data.ts";
 * const s = patternSet(2, 1, 1, 1);
 * assert.deepEqual([...s.images], [0, 37]);
 * ```
 */
export function patternSet(count: number, h: number, w: number, c: number): ImageSet {
  const images = new Uint8Array(count * h * w * c);
  for (let i = 0; i < images.length; i++) {
    const n = Math.floor(i / (h * w * c));
    images[i] = (n * 37 + (i % (h * w * c)) * 11) % 256;
  }
  const labels = Uint8Array.from({ length: count }, (_, n) => n % 7);
  return { count, height: h, width: w, channels: c, images, labels };
}
