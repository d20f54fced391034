/**
 * The one error type the data loaders throw for bad or missing input.
 *
 * Every message is a single line that names the file (or dataset) concerned and says
 * what is wrong with it, so that a CLI can print `err.message` as-is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatasetError } from "./errors.ts";
 * try {
 *   throw new DatasetError("/data/mnist/train-labels-idx1-ubyte.gz:\nwrong magic number 7");
 * } catch (e) {
 *   assert.ok(e instanceof DatasetError);
 *   assert.equal(e.message, "/data/mnist/train-labels-idx1-ubyte.gz: wrong magic number 7");
 * }
 * ```
 * @module
 */

/**
 * A dataset file is missing, corrupt, truncated, of the wrong format or fails its
 * checksum. The message is always one line (newlines in it are collapsed to spaces).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatasetError } from "./errors.ts";
 * const err = new DatasetError("a.bin: size 10 is not a multiple of the record size 3073");
 * assert.equal(err.name, "DatasetError");
 * assert.ok(err instanceof Error);
 * ```
 */
export class DatasetError extends Error {
  /** Creates the error; `cause` keeps the underlying error, if any. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(oneLine(message), options);
    this.name = "DatasetError";
  }
}

/**
 * Collapses any run of whitespace containing a line break into one space.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { oneLine } from "./errors.ts";
 * assert.equal(oneLine("first\n  second"), "first second");
 * ```
 */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ").trim();
}

/**
 * The message of any thrown value, on one line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorText } from "./errors.ts";
 * const e = new TypeError("error sending request\nfor url");
 * assert.equal(errorText(e), "error sending request for url");
 * assert.equal(errorText("plain"), "plain");
 * ```
 */
export function errorText(e: unknown): string {
  return oneLine(e instanceof Error ? e.message : String(e));
}
