/**
 * Running an exported NoProp-DT chain on an onnxruntime engine, for the benchmarks
 * (`tools/bench_infer.ts`) and the GPU report's inference part (`tools/gpu/task_onnx.ts`): the T
 * block graphs through the DT sampler then the classifier ({@linkcode openChain},
 * {@linkcode runChain}), or the fused `chain.onnx` ({@linkcode runFused}), and a timer. No
 * TensorFlow.js: the GPU kit's inference parts carry none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadModelFolder, nodeEngine } from "@noprop/infer";
 * import { openChain, runChain, timeIt } from "./chain_run.ts";
 * const f = await loadModelFolder("models/mnist"); // the shipped model
 * const chain = await openChain(await nodeEngine("cpu", { threads: 1 }), f.blocks, f.classifier);
 * const ms = await timeIt(() => runChain(chain, f.manifest, new Float32Array(784), 1), 1);
 * assert.ok(ms > 0);
 * for (const s of [...chain.blocks, chain.cls]) await s.release();
 * ```
 * @module
 */
import {
  dtNoise,
  dtSampler,
  type Engine,
  type GraphSession,
  type Manifest,
  SeededNormal,
  softmaxRows,
} from "@noprop/infer";

/** An opened T-block DT chain: block sessions, the classifier and how a block's outputs give û. */
export interface Chain {
  /** Block sessions 1..T (index t − 1). */
  blocks: GraphSession[];
  /** The classifier session. */
  cls: GraphSession;
  /** Maps a block's outputs to û. */
  uhat: (out: Record<string, Float32Array>) => Float32Array;
}

/**
 * Runs the first `n` images of `x` (NCHW floats) through the chain: the DT sampler (eq. 3, one
 * stochastic trajectory, noise seeded with 0) over the T blocks, then the classifier; returns
 * the logits [n × K].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadModelFolder, nodeEngine } from "@noprop/infer";
 * import { openChain, runChain } from "./chain_run.ts";
 * const f = await loadModelFolder("models/mnist");
 * const chain = await openChain(await nodeEngine("cpu", { threads: 1 }), f.blocks, f.classifier);
 * const logits = await runChain(chain, f.manifest, new Float32Array(2 * 784), 2);
 * assert.equal(logits.length, 2 * 10);
 * for (const s of [...chain.blocks, chain.cls]) await s.release();
 * ```
 */
export async function runChain(
  c: Chain,
  m: Manifest,
  x: Float32Array,
  n: number,
): Promise<Float32Array> {
  const { channels, height, width } = m.input, d = m.embedDim;
  const xFeed = {
    data: x.subarray(0, n * channels * height * width),
    dims: [n, channels, height, width],
  };
  const zT = await dtSampler.run({
    manifest: m,
    batch: n,
    steps: m.T,
    stochastic: true,
    noise: new SeededNormal(0),
    denoise: async (t, z) =>
      c.uhat(await c.blocks[t - 1].run({ x: xFeed, z: { data: z, dims: [n, d] } })),
  });
  return (await c.cls.run({ z: { data: zT, dims: [n, d] } })).logits;
}

/**
 * Runs the first `n` images of `x` through the fused chain graph (`chain.onnx`, one session)
 * with the noise {@linkcode runChain} uses (one stochastic trajectory, seed 0, drawn by the
 * runtime's `dtNoise`); returns the logits [n × K].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addChainToExport } from "../src/onnx/export_chain.ts";
 * import { exportRandomDt } from "../src/onnx/random_export.ts";
 * import { nodeEngine } from "@noprop/infer";
 * import { openChain, runChain, runFused } from "./chain_run.ts";
 * const outDir = await Deno.makeTempDir();
 * await exportRandomDt(outDir, { widths: [2, 2, 2], hidden: 8, T: 2 });
 * const { manifest: m } = await addChainToExport(outDir); // chain.onnx from the block graphs
 * const engine = await nodeEngine("cpu", { threads: 1 });
 * const read = (f: string) => Deno.readFile(`${outDir}/${f}`);
 * const fused = await engine.open(await read("chain.onnx"), "chain.onnx");
 * const blocks = await openChain(
 *   engine, await Promise.all(m.blocks.map((b) => read(b.file))), await read("classifier.onnx"),
 * );
 * const x = new Float32Array(3 * 784).fill(0.5);
 * const a = await runFused(fused, m, x, 3), b = await runChain(blocks, m, x, 3);
 * assert.ok(a.every((v, i) => Math.abs(v - b[i]) < 1e-4)); // the same chain, the same noise
 * for (const s of [fused, ...blocks.blocks, blocks.cls]) await s.release();
 * await Deno.remove(outDir, { recursive: true });
 * ```
 */
export async function runFused(
  chain: GraphSession,
  m: Manifest,
  x: Float32Array,
  n: number,
): Promise<Float32Array> {
  const { channels, height, width } = m.input, d = m.embedDim;
  const { z0, eps } = dtNoise(new SeededNormal(0), n * d, m.T, true);
  return (await chain.run({
    x: { data: x.subarray(0, n * channels * height * width), dims: [n, channels, height, width] },
    z0: { data: z0, dims: [n, d] },
    eps: { data: eps, dims: [m.T, n, d] },
  })).logits;
}

/**
 * Opens block graphs and a classifier graph on `engine`. `torch`: the blocks are PyTorch's
 * export (output `logits`, û = softmax(logits) for the one-hot embedding with `k` classes);
 * otherwise ours (output `uhat`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadModelFolder, nodeEngine } from "@noprop/infer";
 * import { openChain } from "./chain_run.ts";
 * const f = await loadModelFolder("models/mnist");
 * const chain = await openChain(await nodeEngine("cpu", { threads: 1 }), f.blocks, f.classifier);
 * assert.equal(chain.blocks.length, 10);
 * for (const s of [...chain.blocks, chain.cls]) await s.release();
 * ```
 */
export async function openChain(
  engine: Engine,
  blocks: Uint8Array[],
  cls: Uint8Array,
  torch = false,
  k = 10,
): Promise<Chain> {
  const sessions: GraphSession[] = [];
  for (const [i, b] of blocks.entries()) sessions.push(await engine.open(b, `block ${i + 1}`));
  return {
    blocks: sessions,
    cls: await engine.open(cls, "classifier"),
    uhat: torch
      ? (o: Record<string, Float32Array>) => softmaxRows(o.logits, k)
      : (o: Record<string, Float32Array>) => o.uhat,
  };
}

/**
 * Mean milliseconds of `reps` sequential calls of `f`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timeIt } from "./chain_run.ts";
 * assert.ok(await timeIt(() => Promise.resolve(), 3) >= 0);
 * ```
 */
export async function timeIt(f: () => Promise<unknown>, reps: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await f();
  return (performance.now() - t0) / reps;
}
