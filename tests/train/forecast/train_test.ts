/**
 * The forecasters through the one training loop on a small generated series: run folder,
 * validation scores in the metrics, model selection into best.safetensors, early stop, and a
 * run stopped mid-epoch and resumed ending bit-identical to an uninterrupted one.
 */
import { assert, assertEquals } from "../../assert.ts";
import { initBackend } from "../../../src/backend/mod.ts";
import { loadSafetensors } from "../../../src/safetensors.ts";
import { train } from "../../../src/train/mod.ts";
import { tinySeriesConfig, writeSeriesCsv } from "../../_helpers/series.ts";

await initBackend("cpu");
const dir = await Deno.makeTempDir({ prefix: "noprop-forecast-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const csv = await writeSeriesCsv(`${dir}/gen.csv`); // 14,400 hourly rows, columns a, b, OT
// 12 months of training rows: (8640 − 24 − 8 + 1) windows × 3 channels = 25827 samples.
const PER_EPOCH = Math.floor(8609 * 3 / 512);

const lines = async (run: string) =>
  (await Deno.readTextFile(`${run}/metrics.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));

Deno.test("forecast: NoProp-DT trains through the loop, scores the validation split, keeps the best", async () => {
  const cfg = await tinySeriesConfig(csv, dir, {
    runName: "np",
    epochs: 2,
    maxSteps: PER_EPOCH + 3,
  });
  const r = await train(cfg, { quiet: true });
  assertEquals(r.steps, PER_EPOCH + 3);
  const ls = await lines(r.runDir);
  assertEquals(ls.length, 2);
  for (const l of ls) {
    assertEquals([l.method, l.trainLoss.length, l.testAcc], ["forecast-dt", 2, null]);
    assertEquals([l.val.split, l.val.windows], ["val", 2880 - 8 + 1]);
    assertEquals(l.val.select, l.val.mseNoiseFree);
    assert(l.val.mseNoiseFree < 1, `val ${JSON.stringify(l.val)}`); // far below the std of 1
  }
  const best = await loadSafetensors(`${r.runDir}/best.safetensors`);
  assertEquals(best.metadata.format, "forecast-dt");
  const chosen = JSON.parse(best.metadata.best);
  const lowest = ls.reduce((a, b) => (b.val.select < a.val.select ? b : a));
  assertEquals(chosen.step, lowest.step);
  assert("block_02.fc2.w" in best.tensors);
});

Deno.test("forecast: a NoProp-DT run stopped mid-epoch and resumed is bit-identical (autoencoder mode)", async () => {
  const base = { forecastMode: "autoencoder", latentDim: 3, epochs: 1, maxSteps: 4 };
  const whole = await train(await tinySeriesConfig(csv, dir, { ...base, runName: "w" }), {
    quiet: true,
  });
  const part = await train(
    await tinySeriesConfig(csv, dir, { ...base, runName: "p", maxSteps: 2 }),
    { quiet: true },
  );
  const resumed = await train(
    await tinySeriesConfig(csv, dir, { ...base, runName: "p" }),
    { quiet: true, resumeDir: part.runDir },
  );
  assertEquals([part.steps, resumed.steps], [2, 4]);
  const a = await Deno.readFile(`${whole.runDir}/weights.safetensors`);
  const b = await Deno.readFile(`${resumed.runDir}/weights.safetensors`);
  assertEquals(a, b);
  assert("ae.dec.w" in (await loadSafetensors(`${whole.runDir}/weights.safetensors`)).tensors);
});

Deno.test("forecast: DLinear learns through the loop; repeat-last scores without weights", async () => {
  const dl = await train(
    await tinySeriesConfig(csv, dir, {
      runName: "dl",
      method: "dlinear",
      dlinearKernel: 5,
      lr: 5e-3,
    }),
    { quiet: true },
  );
  const [l] = await lines(dl.runDir);
  assertEquals(l.method, "dlinear");
  const last = await train(
    await tinySeriesConfig(csv, dir, { runName: "last", method: "last" }),
    { quiet: true },
  );
  const [k] = await lines(last.runDir);
  assertEquals([k.method, k.val.mseNoiseFree], ["last", null]);
  assert(l.val.mse < k.val.mse, `DLinear ${l.val.mse} vs repeat-last ${k.val.mse}`);
});

Deno.test("forecast: --patience stops after that many evaluations without a lower validation MSE", async () => {
  // Repeat-last scores the same every epoch: the first sets the best, the next two do not beat it.
  const r = await train(
    await tinySeriesConfig(csv, dir, { runName: "pat", method: "last", epochs: 10, patience: 2 }),
    { quiet: true },
  );
  const ls = await lines(r.runDir);
  assertEquals(ls.map((l) => l.epoch), [1, 2, 3]);
  assertEquals(
    JSON.parse((await loadSafetensors(`${r.runDir}/best.safetensors`)).metadata.best).epoch,
    1,
  );
});

Deno.test("forecast: a method factory (another driver, such as --distributed) is refused in one line before a run folder exists", async () => {
  const cfg = await tinySeriesConfig(csv, dir, { runName: "factory" });
  let built = false;
  const method = () => {
    built = true;
    return Promise.reject(new Error("not reached"));
  };
  const e = await train(cfg, { quiet: true, method }).then(() => undefined, (e) => e as Error);
  assert(
    e &&
      /dataset etth1 is a time series: its forecasters train only in one process/.test(e.message),
    String(e),
  );
  assertEquals(built, false);
  assertEquals(await Deno.stat(`${dir}/factory`).then(() => true, () => false), false);
});
