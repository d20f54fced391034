/**
 * The onnxruntime tasks of the GPU report, each run in its own process by `child.ts`:
 * - {@linkcode chainLogits}: part (2), an exported chain's logits on one provider (compared
 *   across providers by the driver);
 * - {@linkcode exportChain}: the paper-width chain of part (5), exported once (random weights,
 *   without tfjs: the inference kit parts carry none);
 * - {@linkcode chainSpeed}: part (5), images/s of that chain on one provider (`tools/chain_run.ts`'s
 *   `openChain` / `runChain`: the DT sampler over the T block graphs, then the classifier).
 *
 * Providers are the runtime's names (`src/infer/runtime/types.ts`): `cpu` and `webgpu-node`
 * (onnxruntime-node), `webgpu-web` (onnxruntime-web on Deno's `navigator.gpu`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeRandomMnist } from "../bench.ts";
 * import { chainLogits } from "./task_onnx.ts";
 * const dataDir = await Deno.makeTempDir();
 * await writeRandomMnist(dataDir, 1, 2);
 * const r = await chainLogits({ modelDir: "models/mnist", provider: "cpu", images: 2, dataDir });
 * assert.equal(r.logits.length, 2 * 10);
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 * @module
 */
import { createClassifier, loadModelFolder, SeededNormal, selectEngine } from "@noprop/infer";
import { loadDataset } from "../../src/data/mod.ts";
import { exportRandomDt, type RandomDtSpec } from "../../src/onnx/random_export.ts";
import { openChain, runChain, timeIt } from "../chain_run.ts";

/** What {@linkcode chainLogits} returns. */
export interface LogitsRun {
  /** The provider used. */
  provider: string;
  /** How the engine was set up (one line). */
  note: string;
  /** Images run. */
  images: number;
  /** Logits [images × K], row-major. */
  logits: number[];
}

/**
 * Runs the first `images` MNIST test images of `dataDir` through the exported model folder
 * `modelDir` on `provider` (DT sampler with its stochastic term, noise seeded with 0, so every
 * provider sees the same numbers) and returns the logits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeRandomMnist } from "../bench.ts";
 * import { chainLogits } from "./task_onnx.ts";
 * const dataDir = await Deno.makeTempDir();
 * await writeRandomMnist(dataDir, 1, 1);
 * const o = { modelDir: "models/mnist", provider: "cpu", images: 1, dataDir, threads: 1 };
 * assert.deepEqual((await chainLogits(o)).logits, (await chainLogits(o)).logits);
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 */
export async function chainLogits(o: {
  modelDir: string;
  provider: string;
  images: number;
  dataDir: string;
  threads?: number;
}): Promise<LogitsRun> {
  const data = await loadDataset("mnist", { dataDir: o.dataDir });
  const n = Math.min(o.images, data.test.count);
  const c = await createClassifier({
    modelDir: o.modelDir,
    provider: o.provider,
    threads: o.threads,
  });
  try {
    const { mean, std } = c.manifest.normalization;
    const size = data.test.height * data.test.width;
    const x = Float32Array.from(
      data.test.images.subarray(0, n * size),
      (p) => (p / 255 - mean[0]) / std[0],
    );
    const logits = await c.logits(x, n, { seed: 0, noise: true });
    return { provider: c.provider, note: c.providerNote, images: n, logits: Array.from(logits) };
  } finally {
    await c.close();
  }
}

/**
 * Exports a NoProp-DT MNIST network of `spec` with seeded random weights to the model folder
 * `outDir` (`exportRandomDt`: the exporter's graphs, no tfjs, no training run; the chain's speed
 * does not depend on the weight values); returns its path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exportChain } from "./task_onnx.ts";
 * const dir = await Deno.makeTempDir();
 * await exportChain({ widths: [2, 2, 2], hidden: 8, T: 2 }, dir);
 * assert.ok((await Deno.stat(`${dir}/manifest.json`)).isFile);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function exportChain(spec: RandomDtSpec, outDir: string): Promise<string> {
  await exportRandomDt(outDir, spec);
  return outDir;
}

/** One batch size of {@linkcode chainSpeed}. */
export interface ChainSpeedRow {
  /** Images per run. */
  batch: number;
  /** Median milliseconds of one run of the whole chain. */
  msPerBatch: number;
  /** batch / median seconds. */
  imagesPerSec: number;
  /** Timed runs. */
  runs: number;
}

/**
 * Times the chain of `modelDir` on `provider` at each batch size: one warm-up run, then runs until
 * `minSeconds` have passed (at least 2); the median counts. Inputs are seeded normal noise (speed
 * does not depend on the pixels).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chainSpeed } from "./task_onnx.ts";
 * const r = await chainSpeed({
 *   modelDir: "models/mnist", provider: "cpu", batches: [1, 2], threads: 1, minSeconds: 0,
 * });
 * assert.deepEqual(r.rows.map((row) => [row.batch, row.runs]), [[1, 2], [2, 2]]);
 * assert.ok(r.rows.every((row) => row.imagesPerSec > 0));
 * ```
 */
export async function chainSpeed(o: {
  modelDir: string;
  provider: string;
  batches: number[];
  threads: number;
  minSeconds: number;
}): Promise<{ provider: string; note: string; rows: ChainSpeedRow[] }> {
  const folder = await loadModelFolder(o.modelDir);
  const m = folder.manifest;
  const { engine, note } = await selectEngine(o.provider, { threads: o.threads });
  const chain = await openChain(engine, folder.blocks, folder.classifier);
  const size = m.input.channels * m.input.height * m.input.width;
  const x = new SeededNormal(3).fill(new Float32Array(Math.max(...o.batches) * size));
  const rows: ChainSpeedRow[] = [];
  try {
    for (const n of o.batches) {
      await runChain(chain, m, x, n);
      const times: number[] = [];
      const t0 = performance.now();
      while (times.length < 2 || performance.now() - t0 < o.minSeconds * 1000) {
        times.push(await timeIt(() => runChain(chain, m, x, n), 1));
      }
      const ms = [...times].sort((a, b) => a - b)[times.length >> 1];
      rows.push({ batch: n, msPerBatch: ms, imagesPerSec: n / (ms / 1000), runs: times.length });
    }
  } finally {
    for (const s of [...chain.blocks, chain.cls]) await s.release();
  }
  return { provider: engine.provider, note, rows };
}
