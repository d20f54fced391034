/**
 * Gzip decompression of whole dataset files, with one-line {@linkcode DatasetError}s
 * for data that is not gzip, truncated or corrupt.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gunzipFile } from "./gzip.ts";
 * const text = new TextEncoder().encode("hello");
 * const gzip = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
 * const gz = await new Response(gzip).bytes();
 * assert.deepEqual(gunzipFile(gz, "hello.gz"), text);
 * ```
 * @module
 */
import { gunzipSync } from "../deps.ts";
import { DatasetError, errorText } from "./errors.ts";

/**
 * True when `bytes` starts with the gzip magic number (0x1f 0x8b).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isGzip } from "./gzip.ts";
 * assert.equal(isGzip(new Uint8Array([0x1f, 0x8b, 8])), true);
 * assert.equal(isGzip(new Uint8Array([0, 0, 8, 1])), false); // an IDX header
 * ```
 */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decompresses a complete gzip file held in memory. `file` is used in error messages
 * only. Throws a {@linkcode DatasetError} when the data is not gzip, is truncated
 * or fails gzip's own CRC check; never returns partial output.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gunzipFile } from "./gzip.ts";
 * const labels = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 7, 3]);
 * const gzip = new Blob([labels]).stream().pipeThrough(new CompressionStream("gzip"));
 * const gz = await new Response(gzip).bytes();
 * assert.deepEqual(gunzipFile(gz, "labels.gz"), labels);
 * assert.throws(() => gunzipFile(gz.subarray(0, 12), "cut.gz"), /cut\.gz: truncated gzip data/);
 * assert.throws(() => gunzipFile(labels, "labels"), /labels: not a gzip file/);
 * ```
 */
export function gunzipFile(bytes: Uint8Array, file: string): Uint8Array {
  if (!isGzip(bytes)) {
    throw new DatasetError(`${file}: not a gzip file (missing gzip magic bytes 1f 8b)`);
  }
  let out: Uint8Array;
  try {
    out = gunzipSync(bytes);
  } catch (e) {
    const why = errorText(e);
    const kind = /unexpected end/i.test(why) ? "truncated gzip data" : "corrupt gzip data";
    throw new DatasetError(`${file}: ${kind} (${why})`, { cause: e });
  }
  // A plain Uint8Array view (not a node Buffer) over the decompressed bytes.
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
