/**
 * The NoProp-DT forecaster exported to ONNX: onnxruntime through the runtime's
 * `createForecaster` matches the tfjs forecaster within 1e-4 for the same noise (direct and
 * autoencoder mode, stochastic and noise-free copies), the reference checker accepts every
 * graph, and `forecast()` on raw history is the z-scored chain mapped back to raw units.
 */
import { assert, assertEquals } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { exportAnyRun, exportRun } from "../../src/onnx/export.ts";
import { createForecaster, FixedNoise } from "@noprop/infer";
import { loadForecaster } from "../../src/train/forecast/load.ts";
import { train } from "../../src/train/mod.ts";
import { Rng } from "../../src/rng.ts";
import { checkOnnx, maxAbsDiff, onnxChecker } from "../_helpers/onnx.ts";
import { seriesValue, tinySeriesConfig, writeSeriesCsv } from "../_helpers/series.ts";

await initBackend("cpu");
const dir = await Deno.makeTempDir({ prefix: "noprop-forecast-onnx-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const csv = await writeSeriesCsv(`${dir}/gen.csv`);
const python = await onnxChecker();

const made = new Map<string, Promise<{ runDir: string; outDir: string; files: string[] }>>();

/** A briefly trained forecaster run (3 steps) in `mode`, exported once; returns both folders. */
function exported(mode: "direct" | "autoencoder") {
  if (!made.has(mode)) made.set(mode, exportedOnce(mode));
  return made.get(mode)!;
}

async function exportedOnce(mode: "direct" | "autoencoder") {
  const cfg = await tinySeriesConfig(csv, dir, {
    runName: mode,
    forecastMode: mode,
    latentDim: 3,
    maxSteps: 3,
  });
  const { runDir } = await train(cfg, { quiet: true });
  const r = await exportAnyRun(runDir, { outDir: `${runDir}/onnx` });
  assertEquals(r.kind, "forecaster");
  return { runDir, outDir: r.result.outDir, files: r.result.files };
}

/** The same noise twice: z_0 of S copies, then ε_1 … ε_T (T = 2). */
function noiseArrays(S: number, n: number, d: number): Float32Array[] {
  const rng = new Rng(9);
  return [0, 1, 2].map(() => rng.fillNormal(new Float32Array(S * n * d)));
}

for (const mode of ["direct", "autoencoder"] as const) {
  Deno.test(`forecaster ONNX (${mode}): onnxruntime matches tfjs within 1e-4 for the same noise`, async () => {
    const { runDir, outDir, files } = await exported(mode);
    assertEquals(files.includes("decoder.onnx"), mode === "autoencoder");
    const tfjs = await loadForecaster(runDir);
    const ort = await createForecaster({ modelDir: outDir, provider: "cpu", threads: 1 });
    assertEquals(ort.manifest.T, 2);
    const n = 5, L = 24, S = 3, d = mode === "direct" ? 8 : 3;
    const x = Float32Array.from({ length: n * L }, (_, i) => Math.sin(i / 3) + (i % 7) / 5);
    const o = { samples: S, noiseFree: true };
    const a = await tfjs.sample(x, n, o, new FixedNoise(noiseArrays(S, n, d)));
    const b = await ort.sample(x, n, o, new FixedNoise(noiseArrays(S, n, d)));
    const diff = Math.max(maxAbsDiff(a.samples, b.samples), maxAbsDiff(a.noiseFree!, b.noiseFree!));
    console.log(`${mode}: max |tfjs − onnxruntime| = ${diff.toExponential(2)}`);
    assert(diff <= 1e-4, `max abs difference ${diff}`);
    assert(maxAbsDiff(a.samples.subarray(0, n * 8), a.noiseFree!) > 1e-3); // the noise matters
    tfjs.close();
    await ort.close();
    if (python) {
      assertEquals(
        await checkOnnx(
          python,
          files.filter((f) => f.endsWith(".onnx")).map((f) => `${outDir}/${f}`),
        ),
        [],
      );
    }
  });
}

Deno.test({
  name: python
    ? "forecaster ONNX: the reference checker (full_check) accepts the graphs (checked above)"
    : "SKIPPED: reference ONNX checker (/usr/bin/python3 has no onnx module; apt-get install python3-onnx)",
  ignore: !python,
  fn: () => {},
});

Deno.test("forecaster ONNX: forecast() on raw history is the chain on the last L rows, in raw units", async () => {
  const { runDir, outDir } = await exported("direct");
  const ort = await createForecaster({ modelDir: outDir, provider: "cpu", threads: 1 });
  const m = ort.manifest, C = m.channels.length, L = m.lookback, rows = L + 10;
  const values = Float64Array.from(
    { length: rows * C },
    (_, i) => seriesValue(Math.floor(i / C) + 500, i % C),
  );
  const [a, b, ot] = await ort.forecast({ columns: m.channels, values }, { samples: 0, seed: 4 });
  assertEquals([a.channel, b.channel, ot.channel], ["a", "b", "OT"]);
  // By hand: z-score the last L rows with the manifest's statistics, run the tfjs forecaster.
  const x = new Float32Array(C * L);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < L; i++) {
      x[c * L + i] = (values[(rows - L + i) * C + c] - m.normalization.mean[c]) /
        m.normalization.std[c];
    }
  }
  const tfjs = await loadForecaster(runDir);
  const f = await tfjs.sample(x, C, { samples: 0, noiseFree: true }, new Rng(4));
  const want = Array.from(
    f.noiseFree!.subarray(2 * 8, 3 * 8),
    (v) => v * m.normalization.std[2] + m.normalization.mean[2],
  );
  assert(maxAbsDiff(ot.point, want) < 1e-4 * (1 + Math.max(...want.map(Math.abs))));
  assertEquals(ot.mean, null); // no samples, no intervals
  tfjs.close();
  await ort.close();
});

Deno.test("forecaster ONNX: exportRun and --fused refuse a forecaster before writing, and baselines have no export", async () => {
  const { runDir } = await exported("direct");
  const refusedDir = `${dir}/refused`;
  try {
    await exportRun(runDir, { outDir: refusedDir });
    throw new Error("expected a refusal");
  } catch (e) {
    assert(/holds a forecaster: export it with exportAnyRun/.test((e as Error).message));
  }
  try {
    await exportAnyRun(runDir, { outDir: refusedDir, fused: true });
    throw new Error("expected a refusal");
  } catch (e) {
    assert(/--fused is for dt classifiers .*not a forecaster/.test((e as Error).message));
  }
  // Refused before anything is published: no output folder, no staging folder left beside it.
  const left = [...Deno.readDirSync(dir)].map((e) => e.name);
  assert(!left.some((n) => n.includes("refused")), left.join(", "));
  const last = await train(await tinySeriesConfig(csv, dir, { runName: "last", method: "last" }), {
    quiet: true,
  });
  try {
    await exportAnyRun(last.runDir);
    throw new Error("expected a refusal");
  } catch (e) {
    assert(/forecast-last model is a baseline without an ONNX export/.test((e as Error).message));
  }
});

Deno.test("forecaster ONNX: a damaged block or decoder graph is refused by its SHA-256, naming the file", async () => {
  const { outDir, files } = await exported("autoencoder");
  for (const file of ["block_02.onnx", "decoder.onnx"]) {
    const copy = `${dir}/damaged-${file}`;
    await Deno.mkdir(copy);
    for (const f of files) await Deno.copyFile(`${outDir}/${f}`, `${copy}/${f}`);
    const bytes = await Deno.readFile(`${copy}/${file}`);
    bytes[bytes.length - 1] ^= 1; // one bit of a weight: the graph still parses
    await Deno.writeFile(`${copy}/${file}`, bytes);
    try {
      const f = await createForecaster({ modelDir: copy, provider: "cpu", threads: 1 });
      await f.close();
      throw new Error(`a damaged ${file} was loaded`);
    } catch (e) {
      const re = new RegExp(`${file.replace(".", "\\.")} is corrupt \\(sha256 `);
      assert(re.test((e as Error).message), (e as Error).message);
    }
  }
});
