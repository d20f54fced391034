/**
 * Timestamps of a series CSV: `YYYY-MM-DD`, `YYYY-MM-DD HH:MM`, `YYYY-MM-DD HH:MM:SS` (a `T`
 * may replace the space, fractional seconds and a trailing `Z` are allowed), read as UTC so
 * that no daylight-saving shift can reorder or duplicate rows. Plain TypeScript, no tfjs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTimestamp, parseTimestamp } from "./timestamp.ts";
 * const t = parseTimestamp("2016-07-01 01:00:00");
 * assert.equal(t, Date.UTC(2016, 6, 1, 1));
 * assert.equal(formatTimestamp(t!), "2016-07-01 01:00:00");
 * assert.equal(parseTimestamp("2016-13-01"), undefined); // no 13th month
 * ```
 * @module
 */

const PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?Z?$/;

/**
 * Milliseconds since 1970-01-01 UTC of `text`, or undefined when it is not a valid timestamp
 * in one of the accepted forms (module doc); out-of-range fields (month 13, 31 February,
 * hour 24) are invalid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTimestamp } from "./timestamp.ts";
 * assert.equal(parseTimestamp("2018-02-28T23:30"), Date.UTC(2018, 1, 28, 23, 30));
 * assert.equal(parseTimestamp("2018-02-29"), undefined); // 2018 is no leap year
 * assert.equal(parseTimestamp("yesterday"), undefined);
 * ```
 */
export function parseTimestamp(text: string): number | undefined {
  const m = PATTERN.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0));
  const frac = m[7] ? Number(m[7]) * 1000 : 0;
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const t = Date.UTC(y, mo - 1, d, h, mi, s) + frac;
  if (new Date(t).getUTCDate() !== d) return undefined; // e.g. 31 April rolls over
  return t;
}

/**
 * `YYYY-MM-DD HH:MM:SS` (UTC) of a time in milliseconds, the form of the ETT files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTimestamp } from "./timestamp.ts";
 * assert.equal(formatTimestamp(Date.UTC(2018, 5, 26, 19)), "2018-06-26 19:00:00");
 * ```
 */
export function formatTimestamp(t: number): string {
  return new Date(t).toISOString().slice(0, 19).replace("T", " ");
}
