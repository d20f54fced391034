/** Ensemble statistics of the forecasters: CRPS and quantiles against their definitions. */
import { assert } from "../../assert.ts";
import { crpsSorted, quantileSorted } from "../../../src/infer/forecast/ensemble.ts";
import { EnsembleSums } from "../../../src/train/forecast/scores.ts";
import { Rng } from "../../../src/rng.ts";
import { near } from "../../_helpers/series.ts";

Deno.test("CRPS of sorted samples equals (1/N)Σ|x_i − y| − (1/(2N²))ΣΣ|x_i − x_j|", () => {
  const rng = new Rng(4);
  for (const N of [1, 2, 7, 50]) {
    const xs = Float64Array.from({ length: N }, () => rng.normal() * 2 + 1).sort();
    for (const y of [-3, 0.4, 1, 5]) {
      let a = 0, b = 0;
      for (const x of xs) a += Math.abs(x - y);
      for (const x of xs) for (const x2 of xs) b += Math.abs(x - x2);
      near(crpsSorted(xs, y), a / N - b / (2 * N * N), 1e-12, `N = ${N}, y = ${y}`);
    }
  }
});

Deno.test("CRPS of many samples of N(0, 1) at y = 0 approaches 2φ(0) − 1/√π ≈ 0.2337", () => {
  const rng = new Rng(1);
  const xs = Float64Array.from({ length: 20_000 }, () => rng.normal()).sort();
  near(crpsSorted(xs, 0), 2 / Math.sqrt(2 * Math.PI) - 1 / Math.sqrt(Math.PI), 0.01, "CRPS");
});

Deno.test("quantiles interpolate between order statistics; interval coverage counts inclusive bounds", () => {
  const xs = Float64Array.from({ length: 11 }, (_, i) => i); // 0 … 10
  near(quantileSorted(xs, 0.05), 0.5, 1e-12, "q05");
  near(quantileSorted(xs, 0.9), 9, 1e-12, "q90");
  // 100 samples 0 … 99 at one point: [q10, q90] = [9.9, 89.1], [q5, q95] = [4.95, 94.05].
  const e = new EnsembleSums();
  const samples = Float32Array.from({ length: 100 * 3 }, (_, i) => Math.floor(i / 3));
  e.add(samples, Float32Array.of(10, 50, 94), 100); // 94: inside [q5, q95], outside [q10, q90]
  assert(e.coverage[0] === 2 / 3 && e.coverage[1] === 1, `${e.coverage}`);
});
