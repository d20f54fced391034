/**
 * The forecasting commands on a small generated series: `deno task train --dataset etth1` with
 * its default config (configs/etth1.yaml) runs unchanged on another CSV of the same layout
 * (`--data-file`), `deno task eval` scores the run on the test split, and bad CSV input stops
 * the trainer with one line and a non-zero status.
 */
import { assert, assertEquals } from "../assert.ts";
import { runTool } from "../_helpers/cli.ts";
import { seriesCsv, writeSeriesCsv } from "../_helpers/series.ts";

const dir = await Deno.makeTempDir({ prefix: "noprop-forecast-cli-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const csv = await writeSeriesCsv(`${dir}/other.csv`, { columns: ["load", "temp", "OT"] });

Deno.test("deno task train --dataset etth1 runs its default config unchanged on another CSV; eval scores it", async () => {
  const train = await runTool("tools/train.ts", [
    "--dataset",
    "etth1",
    "--data-file",
    csv,
    "--out-dir",
    dir,
    "--run-name",
    "default",
    "--max-steps",
    "1",
    "--backend",
    "wasm",
  ]);
  assertEquals(train.code, 0, train.stderr);
  assert(train.stderr.includes("NoProp-DT forecaster (direct), T=10"), train.stderr);
  assert(
    /epoch 0\.\d+: val MSE [\d.]+, MAE [\d.]+ \(noise-free: MSE/.test(train.stderr),
    train.stderr,
  );
  const config = await Deno.readTextFile(`${dir}/default/config.yaml`);
  for (const line of ["lookback: 336", "horizon: 96", "splitMonths:"]) {
    assert(config.includes(line));
  }
  const ev = await runTool("tools/eval.ts", [
    "--run",
    `${dir}/default`,
    "--samples",
    "3",
    "--backend",
    "wasm",
  ]);
  assertEquals(ev.code, 0, ev.stderr);
  const md = await Deno.readTextFile(`${dir}/default/eval/forecast_eval.md`);
  assert(md.includes("| NoProp-DT (direct) | noise-free sample | 96 |"), md);
  assert(md.includes("| NoProp-DT (direct) | mean of 3 samples | 96 |"), md);
  const json = JSON.parse(await Deno.readTextFile(`${dir}/default/eval/forecast_eval.json`));
  assertEquals(json.rows[1].windows, 2785);
  assert(json.rows[1].cover90 >= json.rows[1].cover80);
  // Export, then forecast a history CSV through the runtime.
  const ex = await runTool("tools/export.ts", ["--run", `${dir}/default`, "--out", `${dir}/onnx`]);
  assertEquals(ex.code, 0, ex.stderr);
  assert(
    ex.stdout.includes("10 block graphs (8 nodes each), manifest.json (forecaster)"),
    ex.stdout,
  );
  // --eval and --quantize measure and calibrate on images: refused before anything is written.
  for (const flag of [["--eval"], ["--quantize", "int8"]]) {
    const out = `${dir}/onnx-refused`;
    const r = await runTool("tools/export.ts", ["--run", `${dir}/default`, "--out", out, ...flag]);
    assertEquals(r.code, 1, r.stderr);
    assert(r.stderr.includes(`${dir}/default holds a forecaster: ${flag[0]}`), r.stderr);
    assertEquals(await Deno.stat(out).then(() => true, () => false), false);
  }
  const history = `${dir}/history.csv`;
  await Deno.writeTextFile(history, seriesCsv({ rows: 400, columns: ["load", "temp", "OT"] }));
  const fc = await runTool("tools/forecast.ts", [
    "--model",
    `${dir}/onnx`,
    history,
    "--samples",
    "5",
    "--out",
    `${dir}/fc.csv`,
    "--provider",
    "cpu",
  ]);
  assertEquals(fc.code, 0, fc.stderr);
  const rows = (await Deno.readTextFile(`${dir}/fc.csv`)).trim().split("\n");
  assertEquals(rows[0], "date,channel,point,mean,lower80,upper80,lower90,upper90");
  assertEquals(rows.length, 1 + 96 * 3);
  assert(rows[1].startsWith("2016-07-17 16:00:00,load,"), rows[1]); // the step after row 400
  const [lo90, lo80, hi80, hi90] = [6, 4, 5, 7].map((i) => Number(rows[1].split(",")[i]));
  assert(lo90 <= lo80 && lo80 <= hi80 && hi80 <= hi90, rows[1]);
  assert((await Deno.readTextFile(`${dir}/fc.svg`)).startsWith("<svg"));
  // A history without one of the model's columns: one line.
  await Deno.writeTextFile(`${dir}/h2.csv`, seriesCsv({ rows: 400, columns: ["load", "OT"] }));
  const bad = await runTool("tools/forecast.ts", [
    "--model",
    `${dir}/onnx`,
    `${dir}/h2.csv`,
    "--provider",
    "cpu",
  ]);
  assertEquals(bad.code, 1);
  assertEquals(
    bad.stderr.trim(),
    'error: history has no column "temp" (the model\'s channels: load, temp, OT)',
  );
});

Deno.test("deno task train: a bad CSV stops with one line naming the file and line", async () => {
  const lines = seriesCsv({ rows: 50 }).split("\n");
  lines[10] = lines[9]; // line 11 repeats line 10's timestamp
  await Deno.writeTextFile(`${dir}/dup.csv`, lines.join("\n"));
  const r = await runTool("tools/train.ts", [
    "--dataset",
    "etth1",
    "--data-file",
    `${dir}/dup.csv`,
    "--out-dir",
    dir,
    "--run-name",
    "bad",
  ]);
  assertEquals(r.code, 1);
  const errors = r.stderr.trim().split("\n").filter((l) => l.startsWith("error:"));
  assertEquals(errors, [
    `error: ${dir}/dup.csv:11: timestamp 2016-07-01 08:00:00 repeats line 10 (duplicated time step)`,
  ]);
});

Deno.test("deno task train: the forecasting settings are checked before anything loads", async () => {
  const r = await runTool("tools/train.ts", ["--dataset", "etth1", "--method", "backprop"]);
  assertEquals(r.code, 2);
  assert(
    r.stderr.startsWith("error: --method backprop is the image classifiers' baseline"),
    r.stderr,
  );
});
