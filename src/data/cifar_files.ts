/**
 * Loading CIFAR-10 / CIFAR-100 (official binary version) from a data dir — extracted
 * `.bin` files or the `.tar.gz` archive — or from the download cache, into two
 * {@linkcode ImageSet}s plus class names.
 *
 * Looked for, in order, under `<dataDir>/<cifar10|cifar100>/`: the extracted folder
 * (`cifar-10-batches-bin/` or `cifar-100-binary/`), the `.bin` files directly, then
 * the archive. Without a data dir the archive is taken from (or downloaded into) the
 * cache. Class names come from the dataset's text files when present, else built-in
 * lists. Checksums (unless `verifyChecksums` is false): the archive against its published
 * MD5, and extracted `.bin` files against the per-file sums of the official archive's
 * contents where they are known (`CifarSource.binMd5`: CIFAR-10, not CIFAR-100). Hashing
 * CIFAR-10's 184 MB takes about 0.4 s.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCifarSplits } from "./cifar_files.ts";
 * import { CIFAR10_SOURCE } from "./sources.ts";
 * import { resolveOptions } from "./options.ts";
 * // A data dir with the extracted CIFAR-10 folder: here one record per file.
 * const dir = await Deno.makeTempDir();
 * const folder = `${dir}/cifar10/cifar-10-batches-bin`;
 * await Deno.mkdir(folder, { recursive: true });
 * for (const [i, name] of [...CIFAR10_SOURCE.train, CIFAR10_SOURCE.test].entries()) {
 *   const record = new Uint8Array(3073);
 *   record[0] = i; // the label
 *   await Deno.writeFile(`${folder}/${name}`, record);
 * }
 * const opts = resolveOptions({ dataDir: dir, verifyChecksums: false }); // not the official files
 * const { train, test, classNames } = await loadCifarSplits(CIFAR10_SOURCE, opts);
 * assert.deepEqual([train.count, test.count, classNames[0]], [5, 1, "airplane"]);
 * assert.deepEqual(train.labels, Uint8Array.of(0, 1, 2, 3, 4));
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import { decodeCifar, parseClassNames } from "./cifar.ts";
import { CIFAR100_COARSE_CLASSES, CIFAR100_FINE_CLASSES, CIFAR10_CLASSES } from "./class_names.ts";
import { cachedFile, readIfExists, verifyMd5 } from "./download.ts";
import { DatasetError } from "./errors.ts";
import { gunzipFile } from "./gzip.ts";
import { dataDirHint, type ResolvedOptions } from "./options.ts";
import type { CifarSource } from "./sources.ts";
import { findTarFile, readTar } from "./tar.ts";
import type { ImageSet } from "./types.ts";

/**
 * Loaded CIFAR splits and the class names matching their labels.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { CifarSplits } from "./cifar_files.ts";
 * const nameOf = (s: CifarSplits, i: number) => s.classNames[s.train.labels[i]];
 * const set = {
 *   count: 1, height: 32, width: 32, channels: 3,
 *   images: new Uint8Array(3072), labels: Uint8Array.of(1),
 * };
 * assert.equal(nameOf({ train: set, test: set, classNames: ["cat", "dog"] }, 0), "dog");
 * ```
 */
export interface CifarSplits {
  /** Training split. */
  train: ImageSet;
  /** Test split. */
  test: ImageSet;
  /** Class names (fine or coarse for CIFAR-100, as asked). */
  classNames: string[];
}

/** Reads named files from wherever the dataset is; null when a file is absent. */
type FileReader = (name: string) => Promise<{ path: string; bytes: Uint8Array } | null>;

/**
 * Loads a CIFAR dataset (see the module doc for where it is looked for). Throws a
 * {@linkcode DatasetError} for missing files, bad record sizes, bad labels or a
 * checksum mismatch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCifarSplits } from "./cifar_files.ts";
 * import { CIFAR100_SOURCE } from "./sources.ts";
 * import { resolveOptions } from "./options.ts";
 * // Loose CIFAR-100 files in a data dir: one record each (coarse label, fine label, pixels).
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/cifar100`);
 * const record = new Uint8Array(3074);
 * record.set([0, 30]); // aquatic mammals / dolphin
 * await Deno.writeFile(`${dir}/cifar100/train.bin`, record);
 * await Deno.writeFile(`${dir}/cifar100/test.bin`, record);
 * const opts = resolveOptions({ dataDir: dir, cifar100Labels: "coarse" });
 * const coarse = await loadCifarSplits(CIFAR100_SOURCE, opts);
 * assert.equal(coarse.classNames.length, 20);
 * assert.equal(coarse.classNames[coarse.test.labels[0]], "aquatic_mammals");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadCifarSplits(
  source: CifarSource,
  opts: ResolvedOptions,
): Promise<CifarSplits> {
  const read = await openSource(source, opts);
  const need = async (name: string) => {
    const f = await read(name);
    if (!f) {
      throw new DatasetError(`${source.title}: missing ${name} (${describeWhere(source, opts)})`);
    }
    return { file: f.path, bytes: f.bytes };
  };
  const labels = source.variant === "cifar10"
    ? "cifar10"
    : opts.cifar100Labels === "coarse"
    ? "cifar100-coarse"
    : "cifar100-fine";
  const trainFiles = [];
  for (const name of source.train) trainFiles.push(await need(name));
  const train = toSet(decodeCifar(trainFiles, labels));
  const test = toSet(decodeCifar([await need(source.test)], labels));
  const [namesFile, builtin] = labels === "cifar10"
    ? ["batches.meta.txt", CIFAR10_CLASSES]
    : labels === "cifar100-coarse"
    ? ["coarse_label_names.txt", CIFAR100_COARSE_CLASSES]
    : ["fine_label_names.txt", CIFAR100_FINE_CLASSES];
  const names = await read(namesFile);
  const classNames = names
    ? parseClassNames(new TextDecoder().decode(names.bytes), builtin.length, names.path)
    : [...builtin];
  return { train, test, classNames };
}

function toSet(d: { count: number; images: Uint8Array; labels: Uint8Array }): ImageSet {
  return { count: d.count, height: 32, width: 32, channels: 3, images: d.images, labels: d.labels };
}

function describeWhere(source: CifarSource, opts: ResolvedOptions): string {
  return opts.dataDir !== undefined
    ? `looked in ${opts.dataDir}/${source.subdir}/${source.folder}/, ` +
      `${opts.dataDir}/${source.subdir}/ and ${opts.dataDir}/${source.subdir}/${source.archive.name}`
    : `not in the archive ${opts.cacheDir()}/${source.subdir}/${source.archive.name}`;
}

/** Picks the extracted folder, loose .bin files or the archive, in that order. */
async function openSource(source: CifarSource, opts: ResolvedOptions): Promise<FileReader> {
  const first = source.train[0];
  if (opts.dataDir !== undefined) {
    const base = `${opts.dataDir}/${source.subdir}`;
    const sums = opts.verifyChecksums ? source.binMd5 ?? {} : {};
    for (const dir of [`${base}/${source.folder}`, base]) {
      if (await isFile(`${dir}/${first}`)) return folderReader(dir, sums);
    }
    const path = `${base}/${source.archive.name}`;
    const archive = await readIfExists(path);
    if (!archive) {
      throw new DatasetError(
        `${source.title}: no data in the data dir: none of ${base}/${source.folder}/${first}, ` +
          `${base}/${first}, ${path} exists`,
      );
    }
    if (opts.verifyChecksums) verifyMd5(archive, source.archive.md5, path);
    return archiveReader(archive, path);
  }
  const dir = `${opts.cacheDir()}/${source.subdir}`;
  const archive = await cachedFile(
    {
      name: source.archive.name,
      urls: [source.url],
      md5: opts.verifyChecksums ? source.archive.md5 : undefined,
    },
    dir,
    {
      fetch: opts.fetch,
      log: opts.log,
      title: source.title,
      hint: dataDirHint(source.subdir, source.archive.name),
    },
  );
  return archiveReader(archive, `${dir}/${source.archive.name}`);
}

/** Reads loose files from `dir`, checking those with a sum in `md5` (by file name). */
function folderReader(dir: string, md5: Readonly<Record<string, string>>): FileReader {
  return async (name) => {
    const path = `${dir}/${name}`;
    const bytes = await readIfExists(path);
    if (bytes) verifyMd5(bytes, Object.hasOwn(md5, name) ? md5[name] : undefined, path);
    return bytes ? { path, bytes } : null;
  };
}

function archiveReader(gz: Uint8Array, path: string): FileReader {
  const entries = readTar(gunzipFile(gz, path), path);
  return (name) => {
    const e = findTarFile(entries, name);
    return Promise.resolve(e ? { path: `${path}:${e.name}`, bytes: e.data } : null);
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}
