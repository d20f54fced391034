/**
 * How the command-line tools (`export.ts`, `eval.ts`) report a failure: one line,
 * `error: <first line of the message>`, and an exit status — 2 for a usage error (followed by
 * the usage text), 1 for anything else (the whole error first when `NOPROP_DEBUG` is set).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { failed, usageError } from "./cli_errors.ts";
 * const USAGE = "usage: deno task x [--run DIR]";
 * // A CLI's main: parse, then work; each failure is one line on stderr and a status.
 * async function main(argv: string[], work: () => Promise<void>): Promise<number> {
 *   try {
 *     if (!argv.includes("--run")) throw new Error("--run is required");
 *   } catch (e) {
 *     return usageError(e, USAGE);
 *   }
 *   try {
 *     await work();
 *     return 0;
 *   } catch (e) {
 *     return failed(e);
 *   }
 * }
 * const fail = () => Promise.reject(new Error("disk full\n    at write (…)"));
 * assert.equal(await main([], fail), 2); // "error: --run is required" and the usage
 * assert.equal(await main(["--run"], fail), 1); // "error: disk full"
 * assert.equal(await main(["--run"], () => Promise.resolve()), 0);
 * ```
 * @module
 */

/**
 * Prints `error: <first line>` and `usage` to stderr; returns exit status 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { usageError } from "./cli_errors.ts";
 * const printed: string[] = [];
 * const error = console.error;
 * console.error = (s: string) => printed.push(s);
 * try {
 *   assert.equal(usageError(new Error("unknown option --x"), "usage: deno task x"), 2);
 * } finally {
 *   console.error = error;
 * }
 * assert.deepEqual(printed, ["error: unknown option --x\nusage: deno task x"]);
 * ```
 */
export function usageError(e: unknown, usage: string): number {
  console.error(`error: ${(e as Error).message.split("\n")[0]}\n${usage}`);
  return 2;
}

/**
 * Prints `error: <first line>` to stderr (after the whole error when `NOPROP_DEBUG` is set);
 * returns exit status 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { failed } from "./cli_errors.ts";
 * // Prints "error: models/x/weights.safetensors is missing" (the first line only).
 * assert.equal(failed(new Error("models/x/weights.safetensors is missing\nmore detail")), 1);
 * ```
 */
export function failed(e: unknown): number {
  if (Deno.env.get("NOPROP_DEBUG")) console.error(e);
  console.error(`error: ${(e as Error).message.split("\n")[0]}`);
  return 1;
}
