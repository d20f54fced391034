/**
 * How the command-line tools (`export.ts`, `eval.ts`) report a failure: one line,
 * `error: <first line of the message>`, and an exit status — 2 for a usage error (followed by
 * the usage text), 1 for anything else (the whole error first when `NOPROP_DEBUG` is set).
 *
 * @example
 * ```ts
 * import { failed, usageError } from "./cli_errors.ts";
 * const USAGE = "usage: deno task x [--run DIR]";
 * try {
 *   throw new Error("--run is required");
 * } catch (e) {
 *   Deno.exitCode = usageError(e, USAGE); // 2
 * }
 * Deno.exitCode = failed(new Error("disk full")); // 1
 * ```
 * @module
 */

/**
 * Prints `error: <first line>` and `usage` to stderr; returns exit status 2.
 *
 * @example
 * ```ts
 * import { usageError } from "./cli_errors.ts";
 * usageError(new Error("unknown option --x"), "usage: deno task x"); // 2
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
 * import { failed } from "./cli_errors.ts";
 * failed(new Error("weights.safetensors is missing")); // 1
 * ```
 */
export function failed(e: unknown): number {
  if (Deno.env.get("NOPROP_DEBUG")) console.error(e);
  console.error(`error: ${(e as Error).message.split("\n")[0]}`);
  return 1;
}
