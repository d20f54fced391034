/**
 * The one error type of the inference runtime. Its message is a single line that says what
 * went wrong and with which file or option, fit to be printed as is (`error: <message>`);
 * `code` lets a caller tell the cases apart without parsing text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { InferError } from "./errors.ts";
 * try {
 *   throw new InferError("bad-provider", 'unknown provider "tpu"');
 * } catch (e) {
 *   assert.ok(e instanceof InferError); // a CLI prints `error: ${e.message}`
 *   assert.equal(e.code, "bad-provider");
 * }
 * ```
 * @module
 */

/**
 * What kind of problem an {@linkcode InferError} reports.
 *
 * @example
 * ```ts
 * import type { InferErrorCode } from "./errors.ts";
 * const code: InferErrorCode = "bad-image";
 * ```
 */
export type InferErrorCode =
  | "bad-image"
  | "image-too-large"
  | "missing-file"
  | "bad-model"
  | "bad-provider"
  | "provider-unavailable"
  | "bad-option";

/**
 * A one-line, user-facing error of the inference runtime.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { InferError } from "./errors.ts";
 * const e = new InferError("bad-option", "top must be\n  a positive integer");
 * assert.equal(e.code, "bad-option");
 * assert.equal(e.message, "top must be a positive integer"); // one line
 * ```
 */
export class InferError extends Error {
  /** The kind of problem. */
  readonly code: InferErrorCode;

  /** Creates the error; newlines in `message` are folded into one line. */
  constructor(code: InferErrorCode, message: string, options?: ErrorOptions) {
    super(message.replace(/\s*\n\s*/g, " ").trim(), options);
    this.name = "InferError";
    this.code = code;
  }
}

/**
 * The first line of any thrown value's message, for wrapping third-party errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { firstLine } from "./errors.ts";
 * assert.equal(firstLine(new Error("bad\nstack")), "bad");
 * assert.equal(firstLine("\n  plain"), "plain");
 * ```
 */
export function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return (msg.split("\n").find((l) => l.trim() !== "") ?? "unknown error").trim();
}
