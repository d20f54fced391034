/**
 * Where a series dataset's CSV comes from: `--data-file` when given (any CSV of the same
 * layout), else the named dataset's file in the data dir (`<dataDir>/ett/ETTh1.csv`), else the
 * download cache, filled on first use from the dataset's public release and checked against
 * its md5 (computed from the unchanged public file, the copy in `../shared/data/ett`).
 * Plain TypeScript, no tfjs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SERIES_SOURCES } from "./source.ts";
 * assert.equal(SERIES_SOURCES.etth1.subdir + "/" + SERIES_SOURCES.etth1.name, "ett/ETTh1.csv");
 * ```
 * @module
 */
import { cachedFile, type FetchLike } from "../download.ts";
import { DatasetError, errorText } from "../errors.ts";
import { dataDirHint, resolveOptions } from "../options.ts";

/** The series datasets known by name. */
export const SERIES_DATASET_NAMES = ["etth1"] as const;
/** A series dataset name. */
export type SeriesDatasetName = (typeof SERIES_DATASET_NAMES)[number];

/** A named series dataset's file. */
export interface SeriesSource {
  /** Human-readable name. */
  title: string;
  /** Sub-folder under a data or cache dir. */
  subdir: string;
  /** File name. */
  name: string;
  /** md5 of the public file. */
  md5: string;
  /** Download locations, tried in order. */
  urls: string[];
}

/** ETT-small (Zhou et al., "Informer", AAAI 2021; CC BY-ND 4.0), hourly transformer 1. */
export const SERIES_SOURCES: Record<SeriesDatasetName, SeriesSource> = {
  etth1: {
    title: "ETTh1",
    subdir: "ett",
    name: "ETTh1.csv",
    md5: "8381763947c85f4be6ac456c508460d6",
    urls: ["https://raw.githubusercontent.com/zhouhaoyi/ETDataset/main/ETT-small/ETTh1.csv"],
  },
};

/** Where {@linkcode readSeriesFile} looks. */
export interface SeriesFileOptions {
  /** A CSV to read instead of the named dataset's file. */
  dataFile?: string | null;
  /** Data dir (default `$NOPROP_DATA_DIR`; null: the download cache). */
  dataDir?: string | null;
  /** Download cache (default as for the image datasets). */
  cacheDir?: string;
  /** Fetch implementation for the download. */
  fetch?: FetchLike;
  /** Progress messages. */
  log?: (message: string) => void;
}

/**
 * The text of the CSV to use and its path (module doc); one line naming the file when it
 * cannot be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSeriesFile } from "./source.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/my.csv`, "date,a\n2020-01-01,1\n");
 * const { path, text } = await readSeriesFile("etth1", { dataFile: `${dir}/my.csv` });
 * assert.equal(path, `${dir}/my.csv`);
 * assert.ok(text.startsWith("date,a"));
 * await assert.rejects(
 *   readSeriesFile("etth1", { dataDir: dir }),
 *   new RegExp(`^DatasetError: ${dir}/ett/ETTh1\\.csv: not found; to use local files pass`),
 * );
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readSeriesFile(
  dataset: SeriesDatasetName,
  o: SeriesFileOptions = {},
): Promise<{ path: string; text: string }> {
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  if (o.dataFile) return { path: o.dataFile, text: await readText(o.dataFile) };
  const src = SERIES_SOURCES[dataset];
  const r = resolveOptions({
    dataDir: o.dataDir,
    cacheDir: o.cacheDir,
    fetch: o.fetch,
    log: o.log,
  });
  if (r.dataDir !== undefined) {
    const path = `${r.dataDir}/${src.subdir}/${src.name}`;
    const exists = await Deno.stat(path).then((s) => s.isFile, () => false);
    if (!exists) {
      throw new DatasetError(`${path}: not found; ${dataDirHint(src.subdir, src.name)}`);
    }
    return { path, text: await readText(path) };
  }
  const dir = `${r.cacheDir()}/${src.subdir}`;
  const bytes = await cachedFile({ name: src.name, urls: src.urls, md5: src.md5 }, dir, {
    fetch: r.fetch,
    log: r.log,
    title: src.title,
    hint: dataDirHint(src.subdir, src.name),
  });
  return { path: `${dir}/${src.name}`, text: decode(bytes) };
}

async function readText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new DatasetError(`${path}: cannot be read (${errorText(e)})`);
  }
}
