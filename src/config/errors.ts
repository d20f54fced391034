/**
 * The configuration error type and its "did you mean" helper. Every message is one line
 * that starts with where the problem is (a file or a `--flag`) and names the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConfigError, didYouMean } from "./errors.ts";
 * const hint = didYouMean("epohcs", ["epochs", "eta"]);
 * const err = new ConfigError(`configs/x.yaml: unknown field "epohcs"${hint}`);
 * assert.equal(err.message, 'configs/x.yaml: unknown field "epohcs" (did you mean "epochs"?)');
 * ```
 * @module
 */

/**
 * A bad configuration file, flag or value; the CLI prints `error: <message>` and exits 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConfigError } from "./errors.ts";
 * try {
 *   throw new ConfigError('--epochs: must be an integer ≥ 1, got "-3"');
 * } catch (err) {
 *   assert.ok(err instanceof ConfigError); // a CLI prints `error: ${err.message}` and exits 2
 *   assert.equal(err.name, "ConfigError");
 * }
 * ```
 */
export class ConfigError extends Error {
  /** Creates the error from a one-line message. */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * A `' (did you mean "x"?)'` suffix naming the closest candidate (edit distance ≤ 2 and at
 * most a third of the word's length, or a case-insensitive match), or `""` when nothing is close.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { didYouMean } from "./errors.ts";
 * assert.equal(didYouMean("batchsize", ["batchSize", "seed"]), ' (did you mean "batchSize"?)');
 * assert.equal(didYouMean("zzz", ["seed"], (s) => `--${s}`), "");
 * ```
 */
export function didYouMean(
  word: string,
  candidates: readonly string[],
  show: (s: string) => string = (s) => `"${s}"`,
): string {
  let best = "";
  let bestD = Infinity;
  for (const c of candidates) {
    const d = c.toLowerCase() === word.toLowerCase() ? 0 : editDistance(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.min(2, word.length / 3) ? ` (did you mean ${show(best)}?)` : "";
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, sub);
    }
    prev = cur;
  }
  return prev[b.length];
}
