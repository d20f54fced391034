/**
 * Loading MNIST-style datasets (MNIST, Fashion-MNIST): four gzip IDX files from a
 * data dir or from the download cache, decoded into two {@linkcode ImageSet}s.
 *
 * In a data dir, each file may also be present uncompressed (same name without
 * `.gz`); only the `.gz` files have a published checksum to verify.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadIdxSplits } from "./mnist.ts";
 * import { MNIST_SOURCE } from "./sources.ts";
 * import { resolveOptions } from "./options.ts";
 * // A data dir with a tiny MNIST in plain IDX files: 3 training and 2 test images.
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/mnist`);
 * const idx = (magic: number, dims: number[]) => {
 *   const bytes = new Uint8Array(4 + 4 * dims.length + dims.reduce((a, b) => a * b));
 *   [magic, ...dims].forEach((v, i) => new DataView(bytes.buffer).setUint32(4 * i, v));
 *   return bytes; // header, then all-zero pixels or labels
 * };
 * for (const [split, n] of [["train", 3], ["t10k", 2]] as const) {
 *   await Deno.writeFile(`${dir}/mnist/${split}-images-idx3-ubyte`, idx(2051, [n, 28, 28]));
 *   await Deno.writeFile(`${dir}/mnist/${split}-labels-idx1-ubyte`, idx(2049, [n]));
 * }
 * const { train, test } = await loadIdxSplits(MNIST_SOURCE, resolveOptions({ dataDir: dir }));
 * assert.deepEqual([train.count, test.count, train.height, train.channels], [3, 2, 28, 1]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import { cachedFile, readIfExists, verifyMd5 } from "./download.ts";
import { DatasetError } from "./errors.ts";
import { gunzipFile } from "./gzip.ts";
import { parseIdxImages, parseIdxLabels } from "./idx.ts";
import { dataDirHint, type ResolvedOptions } from "./options.ts";
import type { IdxSource, KnownFile } from "./sources.ts";
import type { ImageSet } from "./types.ts";

/**
 * Loads the train and test splits of an MNIST-style dataset. Throws a
 * {@linkcode DatasetError} for a missing, corrupt, truncated or inconsistent file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadIdxSplits } from "./mnist.ts";
 * import { FASHION_MNIST_SOURCE } from "./sources.ts";
 * import { resolveOptions } from "./options.ts";
 * const empty = await Deno.makeTempDir();
 * await assert.rejects(
 *   loadIdxSplits(FASHION_MNIST_SOURCE, resolveOptions({ dataDir: empty })),
 *   /^DatasetError: Fashion-MNIST: missing file .*train-images-idx3-ubyte\.gz/,
 * );
 * await Deno.remove(empty);
 * ```
 */
export async function loadIdxSplits(
  source: IdxSource,
  opts: ResolvedOptions,
): Promise<{ train: ImageSet; test: ImageSet }> {
  const f = source.files;
  // Fetch/read the four files concurrently, but wait for all of them before failing,
  // so that no download is still running (and writing) after this function rejects.
  const settled = await Promise.allSettled(
    [f.trainImages, f.trainLabels, f.testImages, f.testLabels].map((file) =>
      readIdxFile(source, file, opts)
    ),
  );
  const failed = settled.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  const [trainImages, trainLabels, testImages, testLabels] = settled.map((r) =>
    (r as PromiseFulfilledResult<RawFile>).value
  );
  return {
    train: idxSet(trainImages, trainLabels),
    test: idxSet(testImages, testLabels),
  };
}

interface RawFile {
  path: string;
  raw: Uint8Array;
}

function idxSet(images: RawFile, labels: RawFile): ImageSet {
  const img = parseIdxImages(images.raw, images.path, { rows: 28, cols: 28 });
  const lab = parseIdxLabels(labels.raw, labels.path, 10);
  if (img.count !== lab.length) {
    throw new DatasetError(
      `${images.path} has ${img.count} images but ${labels.path} has ${lab.length} labels`,
    );
  }
  return {
    count: img.count,
    height: img.rows,
    width: img.cols,
    channels: 1,
    images: img.pixels,
    labels: lab,
  };
}

/** One IDX file, decompressed, from the data dir or the cache (downloading it). */
async function readIdxFile(
  source: IdxSource,
  file: KnownFile,
  opts: ResolvedOptions,
): Promise<RawFile> {
  if (opts.dataDir !== undefined) {
    const path = `${opts.dataDir}/${source.subdir}/${file.name}`;
    const gz = await readIfExists(path);
    if (gz) {
      if (opts.verifyChecksums) verifyMd5(gz, file.md5, path);
      return { path, raw: gunzipFile(gz, path) };
    }
    const plainPath = path.replace(/\.gz$/, "");
    const plain = await readIfExists(plainPath);
    if (plain) return { path: plainPath, raw: plain };
    throw new DatasetError(
      `${source.title}: missing file ${path} in the data dir ${opts.dataDir} ` +
        `(expected <data-dir>/${source.subdir}/${file.name})`,
    );
  }
  const dir = `${opts.cacheDir()}/${source.subdir}`;
  const gz = await cachedFile(
    {
      name: file.name,
      urls: source.mirrors.map((m) => m + file.name),
      md5: opts.verifyChecksums ? file.md5 : undefined,
    },
    dir,
    {
      fetch: opts.fetch,
      log: opts.log,
      title: source.title,
      hint: dataDirHint(source.subdir, file.name),
    },
  );
  const path = `${dir}/${file.name}`;
  return { path, raw: gunzipFile(gz, path) };
}
