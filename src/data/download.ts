/**
 * Download-on-first-use cache for dataset files, with checksum verification and
 * atomic writes.
 *
 * A file is looked for in the cache folder first; when it is present and its MD5
 * matches the published checksum it is used as-is (never downloaded again). Otherwise
 * it is fetched from each mirror in turn, verified, written to a temporary file in the
 * same folder and renamed into place, so that the cache never holds a partial or
 * unverified file. The fetch function is injectable for tests.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cachedFile, md5Hex } from "./download.ts";
 * // A stand-in for `fetch` that counts requests; real callers leave `fetch` unset.
 * let requests = 0;
 * const served = new TextEncoder().encode("label bytes");
 * const fetch = () => (requests++, Promise.resolve(new Response(served)));
 * const file = { name: "labels.bin", urls: ["https://example.org/l.bin"], md5: md5Hex(served) };
 * const cache = await Deno.makeTempDir();
 * assert.deepEqual(await cachedFile(file, cache, { fetch }), served); // downloaded, verified
 * assert.deepEqual(await cachedFile(file, cache, { fetch }), served); // read from the cache
 * assert.equal(requests, 1);
 * await Deno.remove(cache, { recursive: true });
 * ```
 * @module
 */
import { createHash } from "../deps.ts";
import { DatasetError, errorText } from "./errors.ts";

/**
 * The subset of `fetch` the downloader uses; pass a fake one in tests.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { FetchLike } from "./download.ts";
 * const offline: FetchLike = () => Promise.reject(new TypeError("no network"));
 * await assert.rejects(offline("https://example.org/x.gz"), /no network/);
 * ```
 */
export type FetchLike = (url: string) => Promise<Response>;

/**
 * A file to obtain: its name in the cache folder, mirrors to try in order, and its
 * published MD5 (hex), if known.
 *
 * @example
 * ```ts
 * import type { RemoteFile } from "./download.ts";
 * const f: RemoteFile = { name: "x.gz", urls: ["https://example.org/x.gz"], md5: undefined };
 * ```
 */
export interface RemoteFile {
  /** File name inside the cache folder. */
  name: string;
  /** Full URLs to try, in order. */
  urls: string[];
  /** Expected MD5 as 32 lowercase hex digits; unverified when absent. */
  md5?: string;
}

/**
 * Options of {@linkcode cachedFile}.
 *
 * @example
 * ```ts
 * import type { CacheOptions } from "./download.ts";
 * const opts: CacheOptions = { log: () => {}, hint: "pass --data-dir" };
 * ```
 */
export interface CacheOptions {
  /** Fetch implementation (default: the global `fetch`). */
  fetch?: FetchLike;
  /** Progress messages ("downloading ..."); default: none. */
  log?: (message: string) => void;
  /** Advice appended to the error when the file cannot be obtained. */
  hint?: string;
  /** Prefix of error messages, e.g. the dataset's name. */
  title?: string;
}

/**
 * The value of an environment variable, or undefined when unset, empty, or when the
 * process lacks `--allow-env`.
 *
 * @example
 * ```ts
 * import { envVar } from "./download.ts";
 * const dir = envVar("NOPROP_DATA_DIR") ?? "./data"; // unset and empty both fall back
 * ```
 */
export function envVar(name: string): string | undefined {
  try {
    const v = Deno.env.get(name);
    return v === undefined || v === "" ? undefined : v;
  } catch {
    return undefined;
  }
}

/**
 * The default cache folder: `$NOPROP_CACHE_DIR`, else `$XDG_CACHE_HOME/noprop`, else
 * `~/.cache/noprop`. `env` reads a variable (default: the process environment).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultCacheDir } from "./download.ts";
 * const env = (vars: Record<string, string>) => (k: string) => vars[k];
 * assert.equal(defaultCacheDir(env({ HOME: "/home/x" })), "/home/x/.cache/noprop");
 * assert.equal(defaultCacheDir(env({ HOME: "/home/x", XDG_CACHE_HOME: "/c" })), "/c/noprop");
 * assert.equal(defaultCacheDir(env({ NOPROP_CACHE_DIR: "/n", HOME: "/home/x" })), "/n");
 * ```
 */
export function defaultCacheDir(
  env: (name: string) => string | undefined = envVar,
): string {
  const explicit = env("NOPROP_CACHE_DIR");
  if (explicit) return explicit;
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/noprop`;
  const home = env("HOME") ?? env("USERPROFILE");
  if (!home) {
    throw new DatasetError(
      "cannot choose a dataset cache folder: none of NOPROP_CACHE_DIR, XDG_CACHE_HOME, HOME is set",
    );
  }
  return `${home}/.cache/noprop`;
}

/**
 * MD5 of `bytes` as 32 lowercase hex digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { md5Hex } from "./download.ts";
 * assert.equal(md5Hex(new TextEncoder().encode("abc")), "900150983cd24fb0d6963f7d28e17f72");
 * ```
 */
export function md5Hex(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

/**
 * Throws a {@linkcode DatasetError} naming `file` when `bytes` does not have the MD5
 * `expected`; does nothing when `expected` is undefined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { verifyMd5 } from "./download.ts";
 * const abc = new TextEncoder().encode("abc");
 * verifyMd5(abc, "900150983cd24fb0d6963f7d28e17f72", "abc.txt"); // passes
 * assert.throws(() => verifyMd5(abc, "0".repeat(32), "abc.txt"), /abc\.txt: checksum mismatch/);
 * ```
 */
export function verifyMd5(bytes: Uint8Array, expected: string | undefined, file: string): void {
  if (expected === undefined) return;
  const got = md5Hex(bytes);
  if (got !== expected.toLowerCase()) {
    throw new DatasetError(
      `${file}: checksum mismatch (md5 ${got}, expected ${expected}); the file is corrupt or not the official one`,
    );
  }
}

/**
 * Returns the bytes of `file` from the cache folder `dir`, downloading it first when
 * it is absent or fails its checksum. Downloads are verified before they are written
 * (temporary file in `dir`, then rename), so nothing unverified is ever left behind.
 * Throws a one-line {@linkcode DatasetError} naming the file, the URLs tried and why
 * each failed (plus `opts.hint`) when no mirror gives a valid copy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cachedFile } from "./download.ts";
 * const cache = await Deno.makeTempDir();
 * const hello = {
 *   name: "hello.txt",
 *   urls: ["https://a.example/hello.txt", "https://b.example/hello.txt"],
 *   md5: "5d41402abc4b2a76b9719d911017c592",
 * };
 * // The first mirror is down, the second serves the file.
 * const fetch = (url: string) =>
 *   Promise.resolve(
 *     url.startsWith("https://a.") ? new Response("", { status: 503 }) : new Response("hello"),
 *   );
 * const bytes = await cachedFile(hello, cache, { fetch });
 * assert.equal(new TextDecoder().decode(bytes), "hello");
 * assert.deepEqual(await Deno.readFile(`${cache}/hello.txt`), bytes);
 * await Deno.remove(cache, { recursive: true });
 * ```
 */
export async function cachedFile(
  file: RemoteFile,
  dir: string,
  opts: CacheOptions = {},
): Promise<Uint8Array> {
  const path = `${dir}/${file.name}`;
  const existing = await readIfExists(path);
  if (existing) {
    if (file.md5 === undefined || md5Hex(existing) === file.md5.toLowerCase()) return existing;
    opts.log?.(`${path} fails its checksum; downloading it again`);
  }
  const doFetch = opts.fetch ?? ((url: string) => fetch(url));
  const failures: string[] = [];
  for (const url of file.urls) {
    let bytes: Uint8Array;
    try {
      opts.log?.(`downloading ${url} -> ${path}`);
      const res = await doFetch(url);
      if (!res.ok) {
        await res.body?.cancel();
        failures.push(`${url}: HTTP ${res.status}`);
        continue;
      }
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      failures.push(`${url}: ${fetchFailure(e)}`);
      continue;
    }
    if (file.md5 !== undefined) {
      const got = md5Hex(bytes);
      if (got !== file.md5.toLowerCase()) {
        failures.push(`${url}: checksum mismatch (md5 ${got}, expected ${file.md5})`);
        continue;
      }
    }
    await writeAtomically(path, bytes);
    return bytes;
  }
  const where = existing ? `${path} is corrupt` : `${path} is missing`;
  throw new DatasetError(
    (opts.title ? `${opts.title}: ` : "") +
      `cannot obtain ${file.name}: ${where} and the download failed (${failures.join("; ")})` +
      (opts.hint ? `; ${opts.hint}` : ""),
  );
}

/** Why a fetch threw, including the underlying cause (e.g. a DNS error) when there is one. */
function fetchFailure(e: unknown): string {
  const text = errorText(e);
  const cause = e instanceof Error && e.cause !== undefined ? errorText(e.cause) : "";
  const detail = cause.replace(/^error sending request for url \([^)]*\):\s*/, "");
  return detail && !text.includes(detail) ? `${text}: ${detail}` : text;
}

/**
 * Writes `bytes` to `path` atomically: a temporary file in the same folder, then a
 * rename over `path`. Creates the folder if needed; removes the temporary file on
 * failure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeAtomically } from "./download.ts";
 * const dir = await Deno.makeTempDir();
 * await writeAtomically(`${dir}/sub/x.bin`, new Uint8Array([1, 2, 3])); // creates sub/
 * assert.deepEqual(await Deno.readFile(`${dir}/sub/x.bin`), new Uint8Array([1, 2, 3]));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const slash = path.lastIndexOf("/");
  const dir = slash >= 0 ? path.slice(0, slash) : ".";
  const tmp = `${dir}/.${path.slice(slash + 1)}.${crypto.randomUUID()}.part`;
  try {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw new DatasetError(`cannot write ${path}: ${errorText(e)}`, { cause: e });
  }
}

/**
 * The bytes of `path`, or null when there is no such file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readIfExists } from "./download.ts";
 * const dir = await Deno.makeTempDir();
 * assert.equal(await readIfExists(`${dir}/missing.bin`), null);
 * await Deno.writeFile(`${dir}/x.bin`, new Uint8Array([7]));
 * assert.deepEqual(await readIfExists(`${dir}/x.bin`), new Uint8Array([7]));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readIfExists(path: string): Promise<Uint8Array | null> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new DatasetError(`cannot read ${path}: ${errorText(e)}`, { cause: e });
  }
}
