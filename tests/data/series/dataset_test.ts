/**
 * The forecasting protocol on a small generated series: the 12/4/4-month split, z-scoring with
 * training statistics only, stride-1 windows whose later inputs start `lookback` rows early,
 * the feature modes and the target, and each refusal.
 */
import { assert, assertEquals } from "../../assert.ts";
import { DatasetError } from "../../../src/data/errors.ts";
import {
  copySample,
  loadSeries,
  parseSeriesCsv,
  prepareSeries,
} from "../../../src/data/series/mod.ts";
import { near, seriesCsv, seriesValue, thrown } from "../../_helpers/series.ts";

const table = parseSeriesCsv(seriesCsv(), "gen.csv"); // 14,400 hourly rows from 2016-07-01
/** Asserts that `fn` throws a one-line DatasetError whose message contains `text`. */
function failsWith(fn: () => unknown, text: string) {
  const e = thrown(fn);
  assert(e instanceof DatasetError, String(e));
  assert(e.message.includes(text), `${JSON.stringify(e.message)} lacks ${JSON.stringify(text)}`);
  assert(!e.message.includes("\n"));
}

const opts = {
  lookback: 336,
  horizon: 96,
  features: "M" as const,
  target: "OT",
  splitMonths: [12, 4, 4],
};

Deno.test("series: hourly data splits 8640 / 2880 / 2880 rows with 8209 / 2785 / 2785 windows", () => {
  const s = prepareSeries(table, opts);
  assertEquals(s.borders, [0, 8640, 11520, 14400]);
  assertEquals([s.splits.train.count, s.splits.val.count, s.splits.test.count], [8209, 2785, 2785]);
  // Later splits: first target at the border, inputs start lookback rows before it.
  assertEquals([s.splits.val.first, s.splits.test.first], [8640, 11520]);
  const H = [720, 336, 192, 96].map((h) =>
    prepareSeries(table, { ...opts, horizon: h }).splits.test.count
  );
  assertEquals(H, [2161, 2545, 2689, 2785]);
});

Deno.test("series: rows after the last split are not used; 15-minute data splits by time too", () => {
  const longer = parseSeriesCsv(seriesCsv({ rows: 15_000 }), "gen.csv");
  assertEquals(prepareSeries(longer, opts).borders, [0, 8640, 11520, 14400]);
  const quarter = parseSeriesCsv(seriesCsv({ rows: 57_600, stepHours: 0.25 }), "m.csv");
  assertEquals(prepareSeries(quarter, opts).borders, [0, 34560, 46080, 57600]); // ETTm layout
});

Deno.test("series: z-scored with the training rows' mean and population std only", () => {
  const s = prepareSeries(table, opts);
  const C = 3;
  for (let c = 0; c < C; c++) {
    let sum = 0, sq = 0;
    for (let r = 0; r < 8640; r++) sum += table.values[r * C + c];
    const mean = sum / 8640;
    for (let r = 0; r < 8640; r++) sq += (table.values[r * C + c] - mean) ** 2;
    near(s.mean[c], mean, 1e-12);
    near(s.std[c], Math.sqrt(sq / 8640), 1e-12);
    // A training-split z-score has mean 0 and std 1; the test split's does not (the trend).
    let zs = 0;
    for (let r = 0; r < 8640; r++) zs += s.z[r * C + c];
    near(zs / 8640, 0, 1e-4);
    const r = 12_000;
    near(s.z[r * C + c], (seriesValue(r, c) - mean) / s.std[c], 1e-5);
  }
  // Changing the test rows does not change the statistics.
  const edited = { ...table, values: table.values.slice() };
  for (let i = 11_520 * C; i < edited.values.length; i++) edited.values[i] = 1e6;
  assertEquals(prepareSeries(edited, opts).mean, s.mean);
});

Deno.test("series: windows are stride 1 and channel-independent samples code window · C + channel", () => {
  const s = prepareSeries(table, opts);
  const C = 3, L = 336, H = 96;
  const x = new Float32Array(L), y = new Float32Array(H);
  // Test window 5 of channel 2: inputs rows 11520 + 5 − 336 … , targets from row 11525.
  copySample(s.z, C, s.splits.test, L, H, 5 * C + 2, x, 0, y, 0);
  assertEquals(x[0], s.z[(11_520 + 5 - L) * C + 2]);
  assertEquals(x[L - 1], s.z[(11_520 + 4) * C + 2]);
  assertEquals(y[0], s.z[(11_525) * C + 2]);
  assertEquals(y[H - 1], s.z[(11_525 + H - 1) * C + 2]);
  // The last test window's last target is the split's last row.
  copySample(s.z, C, s.splits.test, L, H, (s.splits.test.count - 1) * C, x, 0, y, 0);
  assertEquals(y[H - 1], s.z[14_399 * C]);
  // The first training window starts at row 0.
  copySample(s.z, C, s.splits.train, L, H, 0, x, 0, y, 0);
  assertEquals([x[0], y[0]], [s.z[0], s.z[L * C]]);
});

Deno.test("series: --features M, S and MS choose the channels and the evaluated outputs", () => {
  const m = prepareSeries(table, opts);
  assertEquals([m.channels, m.outputs, m.target], [["a", "b", "OT"], [0, 1, 2], null]);
  const s = prepareSeries(table, { ...opts, features: "S" });
  assertEquals([s.channels, s.outputs, s.target], [["OT"], [0], "OT"]);
  assertEquals(s.z[5], m.z[5 * 3 + 2]); // the same z-scored OT
  const ms = prepareSeries(table, { ...opts, features: "MS", target: "a" });
  assertEquals([ms.channels, ms.outputs, ms.target], [["a", "b", "OT"], [0], "a"]);
});

Deno.test("series: a missing target column is refused for S and MS, not needed for M", () => {
  for (const features of ["S", "MS"] as const) {
    failsWith(
      () => prepareSeries(table, { ...opts, features, target: "oil" }),
      'gen.csv: target column "oil" not found (columns: a, b, OT)',
    );
  }
  assertEquals(prepareSeries(table, { ...opts, target: "oil" }).channels.length, 3);
});

Deno.test("series: data too short for the split, or splits too short for the windows, are refused", () => {
  const short = parseSeriesCsv(seriesCsv({ rows: 14_000 }), "short.csv");
  failsWith(
    () => prepareSeries(short, opts),
    "short.csv: the 12/4/4-month split needs data until 2018-02-20 23:00:00, but the last timestamp is 2018-02-04 07:00:00",
  );
  failsWith(
    () => prepareSeries(table, { ...opts, lookback: 8600 }),
    "gen.csv: the train split (rows 0–8639) has no window of lookback 8600 + horizon 96",
  );
  failsWith(
    () => prepareSeries(table, { ...opts, horizon: 3000 }),
    "the val split (rows 8640–11519) has no window",
  );
});

Deno.test("series: a column constant over the training rows is refused", () => {
  const flat = parseSeriesCsv(
    "date,a,b\n" +
      Array.from(
        { length: 120 },
        (_, i) =>
          `${new Date(Date.UTC(2020, 0, 1) + i * 86400e3).toISOString().slice(0, 10)},${
            i < 60 ? 1 : i
          },${i}`,
      ).join("\n"),
    "flat.csv",
  );
  failsWith(
    () => prepareSeries(flat, { ...opts, lookback: 5, horizon: 2, splitMonths: [2, 1, 1] }),
    'flat.csv: column "a" is constant (1) over the 60 training rows',
  );
});

Deno.test("series: loadSeries reads a --data-file and names an unreadable one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/g.csv`, seriesCsv());
    const s = await loadSeries("etth1", { ...opts, dataFile: `${dir}/g.csv` });
    assertEquals(s.path, `${dir}/g.csv`);
    assert(s.z.length === 14_400 * 3);
    const e = await loadSeries("etth1", { ...opts, dataDir: dir }).catch((e) => e);
    assert(e instanceof DatasetError);
    assertEquals(e.message.startsWith(`${dir}/ett/ETTh1.csv: not found`), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
