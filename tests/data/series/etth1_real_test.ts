/** The protocol on the real ETTh1 file at ../shared/data/ett (skipped, visibly, when absent). */
import { assertEquals } from "../../assert.ts";
import { near } from "../../_helpers/series.ts";
import { loadSeries } from "../../../src/data/series/mod.ts";

const dataDir = new URL("../../../../shared/data", import.meta.url).pathname;
const exists = (() => {
  try {
    return Deno.statSync(`${dataDir}/ett/ETTh1.csv`).isFile;
  } catch {
    return false;
  }
})();
if (!exists) console.log(`skipping the real-ETTh1 tests: ${dataDir}/ett/ETTh1.csv not found`);

Deno.test({
  name: "etth1 (real file): 17420 rows, borders 8640/11520/14400, 2785 test windows at H = 96",
  ignore: !exists,
  fn: async () => {
    const s = await loadSeries("etth1", {
      dataDir,
      lookback: 336,
      horizon: 96,
      features: "M",
      target: "OT",
      splitMonths: [12, 4, 4],
    });
    assertEquals(s.channels, ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]);
    assertEquals(s.times.length, 17_420);
    assertEquals(s.borders, [0, 8640, 11520, 14400]);
    assertEquals([s.splits.train.count, s.splits.val.count, s.splits.test.count], [
      8209,
      2785,
      2785,
    ]);
    // The first OT value, 30.531, z-scored with the training statistics.
    near(s.z[6], (30.5310001373291 - s.mean[6]) / s.std[6], 1e-5);
    near(s.mean[6], 17.1, 0.1);
  },
});
