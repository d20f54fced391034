/**
 * Reads a series CSV: a header row, then one row per time step with a timestamp column named
 * `date` (any case) and numeric columns. Every problem is one {@linkcode DatasetError} line
 * naming the file, the line and the column: a missing header or date column, a repeated
 * column name, a row with the wrong number of cells, an empty (missing), non-numeric, NaN or
 * infinite cell, a timestamp that does not parse, and timestamps that are not strictly
 * increasing (unsorted or duplicated). Cells may be wrapped in double quotes; CRLF line ends
 * and a trailing empty line are fine. Plain TypeScript, no tfjs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSeriesCsv } from "./csv.ts";
 * const t = parseSeriesCsv("date,a,b\n2020-01-01 00:00:00,1,2\n2020-01-01 01:00:00,3,4\n", "x.csv");
 * assert.deepEqual([t.columns, t.rows, [...t.values]], [["a", "b"], 2, [1, 2, 3, 4]]);
 * assert.throws(
 *   () => parseSeriesCsv("date,a\n2020-01-01,1\n2020-01-02,\n", "y.csv"),
 *   /^DatasetError: y\.csv:3: column "a" is empty \(a missing value\)$/,
 * );
 * ```
 * @module
 */
import { DatasetError } from "../errors.ts";
import { formatTimestamp, parseTimestamp } from "./timestamp.ts";
import type { SeriesTable } from "./types.ts";

/** A cell without its surrounding double quotes and spaces. */
function cell(raw: string): string {
  const s = raw.trim();
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).trim() : s;
}

/** A numeric cell, or the reason it is not one. */
function numberOf(text: string): number | string {
  if (text === "") return "is empty (a missing value)";
  if (/^[+-]?nan$/i.test(text)) return "is NaN";
  const v = Number(text);
  if (Number.isNaN(v)) return `is not a number: ${JSON.stringify(text)}`;
  if (!Number.isFinite(v)) return `is infinite: ${JSON.stringify(text)}`;
  return v;
}

/**
 * Parses the CSV text of `path` (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSeriesCsv } from "./csv.ts";
 * const head = "date,OT\n";
 * assert.throws(
 *   () => parseSeriesCsv(head + "2020-01-02,1\n2020-01-01,2\n", "d.csv"),
 *   /d\.csv:3: timestamp 2020-01-01 00:00:00 is earlier than line 2's 2020-01-02 00:00:00/,
 * );
 * assert.throws(
 *   () => parseSeriesCsv(head + "2020-01-01,1\n2020-01-01,2\n", "d.csv"),
 *   /d\.csv:3: timestamp 2020-01-01 00:00:00 repeats line 2/,
 * );
 * ```
 */
export function parseSeriesCsv(text: string, path: string): SeriesTable {
  const fail = (line: number | null, msg: string) =>
    new DatasetError(`${path}${line === null ? "" : `:${line}`}: ${msg}`);
  const lines = text.split(/\r?\n/);
  while (lines.length && lines.at(-1)!.trim() === "") lines.pop();
  if (!lines.length) throw fail(null, "the file is empty (expected a header row and data rows)");
  const header = lines[0].replace(/^\uFEFF/, "").split(",").map(cell);
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (name === "") throw fail(1, `header: column ${i + 1} has no name`);
    if (seen.has(name)) throw fail(1, `header: column "${name}" appears twice`);
    seen.set(name, i);
  });
  const dateIdx = header.findIndex((h) => h.toLowerCase() === "date");
  if (dateIdx < 0) {
    throw fail(1, `header: no "date" column (columns: ${header.join(", ")})`);
  }
  const columns = header.filter((_, i) => i !== dateIdx);
  if (!columns.length) throw fail(1, "header: no numeric columns besides the date column");
  const rows = lines.length - 1;
  if (rows < 1) throw fail(null, "no data rows after the header");
  const C = columns.length;
  const times = new Float64Array(rows);
  const values = new Float64Array(rows * C);
  for (let r = 0; r < rows; r++) {
    const lineNo = r + 2;
    const cells = lines[r + 1].split(",").map(cell);
    if (cells.length !== header.length) {
      throw fail(lineNo, `${cells.length} cells, expected ${header.length} (as in the header)`);
    }
    const t = parseTimestamp(cells[dateIdx]);
    if (t === undefined) {
      throw fail(
        lineNo,
        `date ${
          JSON.stringify(cells[dateIdx])
        } is not a timestamp (expected YYYY-MM-DD[ HH:MM[:SS]])`,
      );
    }
    if (r > 0 && t <= times[r - 1]) {
      throw fail(
        lineNo,
        t === times[r - 1]
          ? `timestamp ${formatTimestamp(t)} repeats line ${lineNo - 1} (duplicated time step)`
          : `timestamp ${formatTimestamp(t)} is earlier than line ${lineNo - 1}'s ` +
            `${formatTimestamp(times[r - 1])}: rows must be sorted by time`,
      );
    }
    times[r] = t;
    let c = 0;
    for (let i = 0; i < cells.length; i++) {
      if (i === dateIdx) continue;
      const v = numberOf(cells[i]);
      if (typeof v === "string") throw fail(lineNo, `column "${header[i]}" ${v}`);
      values[r * C + c++] = v;
    }
  }
  return { path, dateColumn: header[dateIdx], columns, rows, times, values };
}
