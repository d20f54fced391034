// The forecaster shipped in models/etth1: small, intact, and — on the real ETTh1 file — as
// accurate through onnxruntime on the test split's windows as its README says, and reproducing
// its example forecast.
import { assert, assertEquals } from "../assert.ts";
import { createForecaster } from "../../src/infer/mod.ts";
import { evalBatches } from "../../src/train/forecast/data.ts";
import { loadSeries } from "../../src/data/series/mod.ts";
import { parseSeriesCsv } from "../../src/data/series/csv.ts";
import { ErrorSums } from "../../src/train/forecast/scores.ts";
import { SeededNormal } from "../../src/infer/sampler/random.ts";

const modelDir = new URL("../../models/etth1", import.meta.url).pathname;
const dataDir = new URL("../../../shared/data", import.meta.url).pathname;
const haveData = await Deno.stat(`${dataDir}/ett/ETTh1.csv`).then(() => true, () => false);

Deno.test("the shipped forecaster is under 5 MB and its manifest and graphs check out", async () => {
  let bytes = 0;
  for await (const e of Deno.readDir(modelDir)) {
    bytes += (await Deno.stat(`${modelDir}/${e.name}`)).size;
  }
  assert(bytes < 5 * 2 ** 20, `models/etth1 is ${bytes} bytes`);
  const f = await createForecaster({ modelDir, provider: "cpu", threads: 1 }); // verifies sha256s
  const m = f.manifest;
  assertEquals([m.T, m.lookback, m.horizon, m.mode, m.channels.length], [10, 336, 96, "direct", 7]);
  await f.close();
});

if (!haveData) console.log("SKIPPED: shipped-forecaster accuracy (no ETTh1 at ../shared/data/ett)");

Deno.test({
  name: "the shipped forecaster's noise-free MSE on every 8th test window is within 0.02 of 0.3694",
  ignore: !haveData,
  fn: async () => {
    const s = await loadSeries("etth1", {
      dataDir,
      lookback: 336,
      horizon: 96,
      features: "M",
      target: "OT",
      splitMonths: [12, 4, 4],
    });
    const f = await createForecaster({ modelDir, provider: "cpu" });
    const e = new ErrorSums();
    // Windows 0, 8, 16, …: 349 windows × 7 channels.
    for (const b of evalBatches(s, "test", 7 * 64)) {
      const keep = Array.from({ length: b.size }, (_, i) => i).filter((i) =>
        Math.floor(b.codes[i] / 7) % 8 === 0
      );
      const x = new Float32Array(keep.length * 336), y = new Float32Array(keep.length * 96);
      keep.forEach((i, k) => {
        x.set(b.x.subarray(i * 336, (i + 1) * 336), k * 336);
        y.set(b.y.subarray(i * 96, (i + 1) * 96), k * 96);
      });
      const r = await f.sample(
        x,
        keep.length,
        { samples: 0, noiseFree: true },
        new SeededNormal(1),
      );
      e.add(r.noiseFree!, y);
    }
    await f.close();
    console.log(
      `shipped forecaster, every 8th test window: MSE ${e.mse.toFixed(4)}, MAE ${e.mae.toFixed(4)}`,
    );
    assert(Math.abs(e.mse - 0.3694) < 0.02 && Math.abs(e.mae - 0.3925) < 0.02, `${e.mse} ${e.mae}`);
  },
});

Deno.test({
  name: "the shipped forecaster reproduces models/etth1/example_forecast.csv (seed 0, 100 samples)",
  ignore: !haveData,
  fn: async () => {
    const text = await Deno.readTextFile(`${dataDir}/ett/ETTh1.csv`);
    const t = parseSeriesCsv(text.split("\n").slice(0, 11_521).join("\n"), "ETTh1.csv");
    const f = await createForecaster({ modelDir, provider: "cpu" });
    const out = await f.forecast({ columns: t.columns, values: t.values }, {
      samples: 100,
      seed: 0,
    });
    await f.close();
    const rows = (await Deno.readTextFile(`${modelDir}/example_forecast.csv`)).trim().split("\n")
      .slice(1);
    assertEquals(rows.length, 96 * 7);
    let worst = 0;
    rows.forEach((row, k) => {
      const cells = row.split(","), c = out[k % 7], i = Math.floor(k / 7);
      assertEquals(cells[1], c.channel);
      const want = [
        c.point[i],
        c.mean![i],
        c.lower80![i],
        c.upper80![i],
        c.lower90![i],
        c.upper90![i],
      ];
      want.forEach((v, j) =>
        worst = Math.max(worst, Math.abs(v - Number(cells[2 + j])) / (1 + Math.abs(v)))
      );
    });
    assert(worst < 1e-5, `largest relative difference ${worst}`);
  },
});
