/** The series CSV reader: what it reads, and one clear line for every kind of bad input. */
import { assert, assertEquals } from "../../assert.ts";
import { parseSeriesCsv } from "../../../src/data/series/csv.ts";
import { DatasetError } from "../../../src/data/errors.ts";
import { seriesCsv, thrown } from "../../_helpers/series.ts";

const HEAD = "date,HUFL,OT\n";
const ok = (rows: string[]) => HEAD + rows.join("\n") + "\n";

/** Asserts that parsing `text` fails with exactly one line matching `re`. */
function refuses(text: string, re: RegExp) {
  const e = thrown(() => parseSeriesCsv(text, "bad.csv"));
  assert(e instanceof DatasetError, String(e));
  assertEquals(e.message.includes("\n"), false, "one line");
  if (!re.test(e.message)) throw new Error(`message ${JSON.stringify(e.message)} !~ ${re}`);
}

Deno.test("series csv: reads the date column as UTC times and the other columns as numbers", () => {
  const t = parseSeriesCsv(
    'date,HUFL,OT\r\n2016-07-01 00:00:00,5.8,30.5\r\n"2016-07-01 01:00:00", -1e-3 ,"27"\r\n\r\n',
    "x.csv",
  );
  assertEquals(t.columns, ["HUFL", "OT"]);
  assertEquals(t.dateColumn, "date");
  assertEquals([...t.times], [Date.UTC(2016, 6, 1, 0), Date.UTC(2016, 6, 1, 1)]);
  assertEquals([...t.values], [5.8, 30.5, -1e-3, 27]);
});

Deno.test("series csv: the date column may be anywhere and in any case", () => {
  const t = parseSeriesCsv("a,Date,b\n1,2020-01-01,2\n3,2020-01-02,4\n", "x.csv");
  assertEquals([t.columns, [...t.values]], [["a", "b"], [1, 2, 3, 4]]);
});

Deno.test("series csv: a generated series in the ETT layout round-trips", () => {
  const t = parseSeriesCsv(seriesCsv({ rows: 50 }), "g.csv");
  assertEquals([t.rows, t.columns], [50, ["a", "b", "OT"]]);
});

Deno.test("series csv: a missing cell is refused with its line and column", () => {
  refuses(
    ok(["2020-01-01,1,2", "2020-01-02,,2"]),
    /^bad\.csv:3: column "HUFL" is empty \(a missing value\)$/,
  );
});

Deno.test("series csv: a non-numeric cell is refused with its line, column and text", () => {
  refuses(
    ok(["2020-01-01,1,2", "2020-01-02,1,warm"]),
    /^bad\.csv:3: column "OT" is not a number: "warm"$/,
  );
});

Deno.test("series csv: NaN and infinite cells are refused", () => {
  refuses(ok(["2020-01-01,NaN,2"]), /^bad\.csv:2: column "HUFL" is NaN$/);
  refuses(ok(["2020-01-01,1,nan"]), /^bad\.csv:2: column "OT" is NaN$/);
  refuses(ok(["2020-01-01,1,-Infinity"]), /^bad\.csv:2: column "OT" is infinite: "-Infinity"$/);
});

Deno.test("series csv: unsorted timestamps are refused, naming both lines", () => {
  refuses(
    ok(["2020-01-01 02:00,1,2", "2020-01-01 01:00,1,2"]),
    /^bad\.csv:3: timestamp 2020-01-01 01:00:00 is earlier than line 2's 2020-01-01 02:00:00: rows must be sorted by time$/,
  );
});

Deno.test("series csv: a duplicated timestamp is refused, naming the line it repeats", () => {
  refuses(
    ok(["2020-01-01 00:00,1,2", "2020-01-01 01:00,1,2", "2020-01-01 01:00:00,3,4"]),
    /^bad\.csv:4: timestamp 2020-01-01 01:00:00 repeats line 3 \(duplicated time step\)$/,
  );
});

Deno.test("series csv: a timestamp that does not parse is refused", () => {
  refuses(ok(["2020-02-30,1,2"]), /^bad\.csv:2: date "2020-02-30" is not a timestamp/);
  refuses(ok(["01/02/2020,1,2"]), /^bad\.csv:2: date "01\/02\/2020" is not a timestamp/);
});

Deno.test("series csv: a row with a cell too many or too few is refused", () => {
  refuses(ok(["2020-01-01,1,2,3"]), /^bad\.csv:2: 4 cells, expected 3 \(as in the header\)$/);
  refuses(ok(["2020-01-01,1"]), /^bad\.csv:2: 2 cells, expected 3/);
});

Deno.test("series csv: header problems are refused", () => {
  refuses("", /^bad\.csv: the file is empty/);
  refuses("date,a\n", /^bad\.csv: no data rows after the header$/);
  refuses("time,a\n2020-01-01,1\n", /^bad\.csv:1: header: no "date" column \(columns: time, a\)$/);
  refuses("date\n2020-01-01\n", /^bad\.csv:1: header: no numeric columns besides the date column$/);
  refuses("date,a,a\n2020-01-01,1,2\n", /^bad\.csv:1: header: column "a" appears twice$/);
  refuses("date,,a\n2020-01-01,1,2\n", /^bad\.csv:1: header: column 2 has no name$/);
});
