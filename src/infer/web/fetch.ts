/**
 * Reads an exported model folder by URL (`fetch`): `manifest.json` (validated), then every graph
 * it lists, each checked against its SHA-256 with Web Crypto before the runtime may create a
 * session from it. Graph names are plain file names (the manifest parser refuses anything else),
 * so every graph is fetched from inside the folder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fetchModelFolder } from "./fetch.ts";
 * // In a page: await fetchModelFolder("/models/mnist/"); here, the shipped model by file URL.
 * const folder = await fetchModelFolder(new URL("../../../models/mnist/", import.meta.url));
 * assert.equal(folder.blocks.length, folder.manifest.T); // graph bytes, digests checked
 * ```
 * @module
 */
import { firstLine, InferError } from "../errors.ts";
import { assembleFolder, type ModelFolder } from "../folder.ts";
import { MANIFEST_FILE } from "../manifest.ts";
import type { Precision } from "../precision.ts";

/**
 * Options of {@linkcode fetchModelFolder}.
 *
 * @example
 * ```ts
 * import type { FetchOptions } from "./fetch.ts";
 * const o: FetchOptions = { fetch: (input, init) => fetch(input, { ...init, cache: "no-cache" }) };
 * ```
 */
export interface FetchOptions {
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof fetch;
  /**
   * Which graphs to fetch (default `fp32`); with `int8`, each graph the manifest's `int8` list
   * replaces is fetched from its int8 file instead (and only those files are fetched).
   */
  precision?: Precision;
}

async function get(f: typeof fetch, url: URL, what: string): Promise<Response> {
  let res: Response;
  try {
    res = await f(url);
  } catch (e) {
    throw new InferError("missing-file", `cannot fetch ${what} ${url.href}: ${firstLine(e)}`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new InferError(
      "missing-file",
      `cannot fetch ${what} ${url.href}: HTTP ${res.status}${
        res.statusText ? ` ${res.statusText}` : ""
      }`,
    );
  }
  return res;
}

/**
 * Fetches and verifies the model folder at `url` (a folder URL; a missing trailing `/` is
 * added; relative URLs resolve against the page). Errors are one-line
 * {@linkcode InferError}s: `missing-file` when something cannot be fetched (with the URL and the
 * HTTP status), `bad-model` for an invalid manifest or a graph whose SHA-256 does not match.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fetchModelFolder } from "./fetch.ts";
 * const url = new URL("../../../models/mnist", import.meta.url);
 * // A server that damages one graph on the way:
 * const damaging: typeof fetch = async (input) => {
 *   const res = await fetch(input);
 *   if (!String(input).endsWith("block_02.onnx")) return res;
 *   const bytes = new Uint8Array(await res.arrayBuffer());
 *   bytes[100] ^= 1;
 *   return new Response(bytes);
 * };
 * await assert.rejects(fetchModelFolder(url, { fetch: damaging }), {
 *   name: "InferError",
 *   message: /^model folder .*\/models\/mnist\/: block_02\.onnx is corrupt \(sha256 /,
 * });
 * await assert.rejects(fetchModelFolder(url, { precision: "int8" }), {
 *   message: /^model folder .*\/models\/mnist\/ has no int8 graphs/,
 * });
 * const missing = () => Promise.resolve(new Response("no", { status: 404 }));
 * await assert.rejects(fetchModelFolder(url, { fetch: missing }), {
 *   message: /^cannot fetch manifest .*\/models\/mnist\/manifest\.json: HTTP 404$/,
 * });
 * ```
 */
export async function fetchModelFolder(
  url: string | URL,
  opts: FetchOptions = {},
): Promise<ModelFolder> {
  const f = opts.fetch ?? fetch;
  const base = (() => {
    const page = (globalThis as { location?: { href: string } }).location?.href;
    try {
      const u = new URL(url, page);
      if (!u.pathname.endsWith("/")) u.pathname += "/";
      return u;
    } catch {
      throw new InferError("bad-option", `model URL "${url}" is not a valid URL`);
    }
  })();
  const murl = new URL(MANIFEST_FILE, base);
  const text = await (await get(f, murl, "manifest")).text();
  return await assembleFolder(
    base.href,
    text,
    murl.href,
    async (file) => {
      const res = await get(f, new URL(file, base), "graph");
      return new Uint8Array(await res.arrayBuffer());
    },
    opts.precision ?? "fp32",
  );
}
