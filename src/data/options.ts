/**
 * Options shared by the dataset loaders, and how defaults are resolved from the
 * environment (`NOPROP_DATA_DIR`, `NOPROP_CACHE_DIR`, `XDG_CACHE_HOME`, `HOME`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveOptions } from "./options.ts";
 * const opts = resolveOptions({ dataDir: "../shared/data" });
 * assert.equal(opts.dataDir, "../shared/data");
 * assert.equal(opts.verifyChecksums, true);
 * ```
 * @module
 */
import { defaultCacheDir, envVar, type FetchLike } from "./download.ts";

/**
 * How to find (or fetch) a dataset.
 *
 * @example
 * ```ts
 * import type { LoadOptions } from "./options.ts";
 * const offline: LoadOptions = { dataDir: "/data", log: () => {} };
 * ```
 */
export interface LoadOptions {
  /**
   * Folder holding the datasets (`<dataDir>/mnist/`, `<dataDir>/fashion-mnist/`,
   * `<dataDir>/cifar10/`, `<dataDir>/cifar100/`). Default `$NOPROP_DATA_DIR`. When set,
   * nothing is downloaded: files missing there are an error. `null` ignores
   * `$NOPROP_DATA_DIR` and uses the download cache.
   */
  dataDir?: string | null;
  /** Download cache (default `$NOPROP_CACHE_DIR`, `$XDG_CACHE_HOME/noprop` or `~/.cache/noprop`). */
  cacheDir?: string;
  /** Fetch implementation for downloads (default the global `fetch`). */
  fetch?: FetchLike;
  /** Progress messages (downloads); default `console.error`. */
  log?: (message: string) => void;
  /**
   * Check files with a published checksum (default true). Turn off only for
   * non-official files, e.g. small generated test data in a data dir.
   */
  verifyChecksums?: boolean;
  /** CIFAR-100 labels to use: "fine" (100 classes, default) or "coarse" (20). */
  cifar100Labels?: "fine" | "coarse";
}

/**
 * {@linkcode LoadOptions} with every default filled in (`dataDir` stays undefined when
 * neither the option nor `NOPROP_DATA_DIR` is set; `cacheDir` is resolved lazily).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveOptions, type ResolvedOptions } from "./options.ts";
 * const usesDataDir = (o: ResolvedOptions) => o.dataDir !== undefined;
 * assert.equal(usesDataDir(resolveOptions({ dataDir: null })), false); // null: use the cache
 * ```
 */
export interface ResolvedOptions {
  /** Data dir, if any. */
  dataDir: string | undefined;
  /** The cache dir (resolved on first use, since it may need HOME). */
  cacheDir: () => string;
  /** Fetch implementation. */
  fetch: FetchLike | undefined;
  /** Progress sink. */
  log: (message: string) => void;
  /** Whether to verify published checksums. */
  verifyChecksums: boolean;
  /** CIFAR-100 label kind. */
  cifar100Labels: "fine" | "coarse";
}

/**
 * Fills in the defaults of {@linkcode LoadOptions}. `env` reads an environment
 * variable (default: the process environment; tests pass a fake).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveOptions } from "./options.ts";
 * const o = resolveOptions({}, (k) => (k === "NOPROP_DATA_DIR" ? "/data" : undefined));
 * assert.equal(o.dataDir, "/data");
 * assert.equal(o.cifar100Labels, "fine");
 * assert.throws(() => o.cacheDir(), /cannot choose a dataset cache folder/); // no HOME here
 * ```
 */
export function resolveOptions(
  opts: LoadOptions = {},
  env: (name: string) => string | undefined = envVar,
): ResolvedOptions {
  return {
    dataDir: opts.dataDir === null ? undefined : opts.dataDir ?? env("NOPROP_DATA_DIR"),
    cacheDir: () => opts.cacheDir ?? defaultCacheDir(env),
    fetch: opts.fetch,
    log: opts.log ?? ((m: string) => console.error(m)),
    verifyChecksums: opts.verifyChecksums ?? true,
    cifar100Labels: opts.cifar100Labels ?? "fine",
  };
}

/**
 * The advice appended to "cannot find / cannot download" errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dataDirHint } from "./options.ts";
 * assert.equal(
 *   dataDirHint("mnist", "train-images-idx3-ubyte.gz"),
 *   "to use local files pass --data-dir <folder> (or set NOPROP_DATA_DIR) " +
 *     "with the file at <folder>/mnist/train-images-idx3-ubyte.gz",
 * );
 * ```
 */
export function dataDirHint(subdir: string, name: string): string {
  return `to use local files pass --data-dir <folder> (or set NOPROP_DATA_DIR) ` +
    `with the file at <folder>/${subdir}/${name}`;
}
