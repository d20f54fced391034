/**
 * Inference speed of the exported NoProp-DT chain (`deno run -A tools/bench_infer.ts`).
 *
 * Runs the paper-width MNIST model (widths 32/64/128, hidden 256, T = 10, one-hot embedding;
 * random weights unless `--run` names a trained run) through the full T-block DT chain and the
 * classifier:
 * - images/s at batch 128 and latency per image at batch 1;
 * - on onnxruntime-node cpu and onnxruntime-web wasm (same thread count);
 * - for our exported graphs and for the same block exported by PyTorch's own exporter
 *   (`../shared/anchors/export_torch_block.py`), run T times through the same sampler code,
 *   with the same sessions settings, in the same process, interleaved round by round
 *   (medians reported);
 * - and for the TensorFlow.js model on its wasm backend (the same sampler code, `dtChain`, with
 *   the tfjs blocks as the denoiser: the trainer's evaluation path).
 *
 * The ratio ours/PyTorch is the figure of merit (bar: ≥ 1.0 in images/s). Keep runs short: the
 * defaults take about a minute on 2 cores.
 *
 * ```sh
 * deno run -A tools/bench_infer.ts [--rounds 5] [--threads 2] [--spinning] [--run models/<run>] [--no-tfjs] [--json]
 * ```
 *
 * @module
 */
import { parseArgs } from "../src/deps.ts";
import {
  dtChain,
  dtSampler,
  type Engine,
  type GraphSession,
  type Manifest,
  nodeEngine,
  SeededNormal,
  softmaxRows,
  webEngine,
} from "@noprop/infer";
import { initBackend } from "../src/backend/mod.ts";
import { tf } from "../src/deps_tf.ts";
import { createNoPropDT } from "../src/model/noprop.ts";
import { exportRun } from "../src/onnx/export.ts";
import { dense } from "../src/model/layers.ts";
import { blockDenoiser } from "../src/train/dt/evaluate.ts";
import { assignModel, dtMetadata, saveWeights } from "../src/train/dt/weights.ts";
import { loadSafetensors } from "../src/safetensors.ts";

const TORCH_EXPORTER = new URL("../../shared/anchors/export_torch_block.py", import.meta.url)
  .pathname;

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
 * import { openChain, runChain } from "./bench_infer.ts";
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
 * Opens block graphs and a classifier graph on `engine`. `torch`: the blocks are PyTorch's
 * export (output `logits`, û = softmax(logits) for the one-hot embedding with `k` classes);
 * otherwise ours (output `uhat`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadModelFolder, nodeEngine } from "@noprop/infer";
 * import { openChain } from "./bench_infer.ts";
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
 * import { timeIt } from "./bench_infer.ts";
 * assert.ok(await timeIt(() => Promise.resolve(), 3) >= 0);
 * ```
 */
export async function timeIt(f: () => Promise<unknown>, reps: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await f();
  return (performance.now() - t0) / reps;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

/** The architecture of {@linkcode paperModel}'s network (defaults: the paper's MNIST block). */
export interface ChainSpec {
  /** Conv widths of the image branch (default 32, 64, 128). */
  widths?: [number, number, number];
  /** Dense width (default 256). */
  hidden?: number;
  /** Blocks (default 10). */
  T?: number;
}

/**
 * A NoProp-DT MNIST network with random weights (seed 1; one-hot embedding, cosine schedule),
 * saved as a run folder in a new temp folder `outDir`; with `run`, that run folder is used
 * instead. Export it with `exportRun(runDir, { outDir })`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paperModel } from "./bench_infer.ts";
 * const { runDir, outDir } = await paperModel(undefined, { widths: [2, 2, 2], hidden: 8, T: 2 });
 * assert.equal(runDir, outDir);
 * assert.ok((await Deno.stat(`${runDir}/weights.safetensors`)).isFile);
 * await Deno.remove(outDir, { recursive: true });
 * ```
 */
export async function paperModel(
  run?: string,
  spec: ChainSpec = {},
): Promise<{ runDir: string; outDir: string }> {
  const outDir = await Deno.makeTempDir({ prefix: "noprop-bench-onnx-" });
  if (run) return { runDir: run, outDir };
  const model = createNoPropDT({
    image: { height: 28, width: 28, channels: 1 },
    classes: 10,
    T: spec.T ?? 10,
    schedule: "cosine",
    embedding: "onehot",
    embedDim: 10,
    widths: spec.widths ?? [32, 64, 128],
    hidden: spec.hidden ?? 256,
    seed: 1,
  });
  const classNames = Array.from({ length: 10 }, (_, i) => String(i));
  const info = { name: "mnist" as const, classNames, mean: [0.1307], std: [0.3081] };
  await saveWeights(outDir, model, dtMetadata(model, info));
  return { runDir: outDir, outDir };
}

async function tfjsChain(runDir: string, m: Manifest, x: Float32Array, rounds: number) {
  await initBackend("wasm");
  const { tensors, metadata } = await loadSafetensors(`${runDir}/weights.safetensors`);
  const spec = JSON.parse(metadata.spec);
  const model = createNoPropDT({
    image: { height: spec.height, width: spec.width, channels: spec.channels },
    classes: spec.classes,
    T: m.T,
    schedule: metadata.schedule as "cosine",
    embedding: metadata.embedding as "onehot",
    embedDim: spec.embedDim,
    widths: spec.widths,
    hidden: spec.hidden,
    seed: 0,
  });
  assignModel(model, tensors);
  const d = m.embedDim, hw = m.input.height * m.input.width;
  const run = async (n: number) => {
    // One stochastic trajectory, as in the ONNX chain: the same sampler code (dtChain), the
    // tfjs blocks as the denoiser (the trainer's evaluation path).
    const xt = tf.tensor4d(x.subarray(0, n * hw), [n, m.input.height, m.input.width, 1]);
    const zT = await dtChain({
      schedule: m.schedule,
      size: n * d,
      stochastic: true,
      noise: new SeededNormal(0),
      denoise: blockDenoiser(model, xt),
    });
    xt.dispose();
    const out = tf.tidy(() => dense(model.classifier, "cls", tf.tensor2d(zT, [n, d])));
    await out.data();
    out.dispose();
  };
  await run(128);
  const b128 = await timeIt(() => run(128), Math.max(1, rounds >> 1));
  await run(1);
  const b1 = await timeIt(() => run(1), rounds * 4);
  return { imagesPerS: +(128000 / b128).toFixed(1), msPerImage: +b1.toFixed(3) };
}

/**
 * Runs the benchmark; returns the results (also printed). It takes about a minute, so there is
 * no example here: see the command line in the module doc.
 */
export async function main(argv: string[]): Promise<Record<string, unknown>> {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      rounds: { type: "string", default: "5" },
      threads: { type: "string", default: String(navigator.hardwareConcurrency) },
      run: { type: "string" },
      "no-tfjs": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      spinning: { type: "boolean", default: false },
    },
  });
  const rounds = Number(o.rounds), threads = Number(o.threads);
  const { runDir, outDir } = await paperModel(o.run);
  const exp = await exportRun(runDir, { outDir });
  const m = exp.manifest;
  const ours = await Promise.all(m.blocks.map((b) => Deno.readFile(`${outDir}/${b.file}`)));
  const cls = await Deno.readFile(`${outDir}/${m.classifier.file}`);
  let torch: Uint8Array | undefined;
  const torchPath = `${outDir}/torch_block.onnx`;
  const py = await new Deno.Command("/usr/bin/python3", {
    args: [TORCH_EXPORTER, torchPath],
    stdout: "null",
    stderr: "piped",
  })
    .output().catch(() => undefined);
  if (py?.code === 0) torch = await Deno.readFile(torchPath);
  else console.error(`PyTorch block not exported (${TORCH_EXPORTER}): skipping the yardstick`);

  const x = new SeededNormal(3).fill(new Float32Array(128 * 784));
  const results: Record<string, unknown> = {
    spinning: o.spinning,
    threads,
    rounds,
    T: m.T,
    batch: 128,
    cpus: navigator.hardwareConcurrency,
  };
  for (
    const [name, make] of [[
      "ort-node cpu",
      () => nodeEngine("cpu", { threads, spinning: o.spinning }),
    ], [
      "ort-web wasm",
      () => webEngine("wasm", { threads }),
    ]] as const
  ) {
    const engine = await make();
    const chains: Record<string, Chain> = { ours: await openChain(engine, ours, cls, false, 10) };
    if (torch) chains.pytorch = await openChain(engine, Array(m.T).fill(torch), cls, true, 10);
    const b128: Record<string, number[]> = {}, b1: Record<string, number[]> = {};
    for (const c of Object.values(chains)) { // warm-up
      await runChain(c, m, x, 128);
      await runChain(c, m, x, 1);
    }
    for (let r = 0; r < rounds; r++) {
      for (const [k, c] of Object.entries(chains)) {
        (b128[k] ??= []).push(await timeIt(() => runChain(c, m, x, 128), 1));
        (b1[k] ??= []).push(await timeIt(() => runChain(c, m, x, 1), 10));
      }
    }
    const row: Record<string, unknown> = {};
    for (const k of Object.keys(chains)) {
      row[k] = {
        imagesPerS: +(128000 / median(b128[k])).toFixed(1),
        msPerImage: +median(b1[k]).toFixed(3),
      };
    }
    if (torch) {
      row.ratioImagesPerS = +(median(b128.pytorch) / median(b128.ours)).toFixed(3);
      row.ratioLatency = +(median(b1.pytorch) / median(b1.ours)).toFixed(3);
    }
    results[name] = row;
    for (const c of Object.values(chains)) for (const s of [...c.blocks, c.cls]) await s.release();
  }
  if (!o["no-tfjs"]) results["tfjs wasm"] = await tfjsChain(runDir, m, x, rounds);
  if (o.json) console.log(JSON.stringify(results));
  else {
    console.log(
      `NoProp-DT paper-width MNIST chain, T = ${m.T}, ${threads} threads, ${rounds} rounds (medians)`,
    );
    for (const [k, v] of Object.entries(results)) {
      if (typeof v !== "object") continue;
      console.log(`${k.padEnd(13)} ${JSON.stringify(v)}`);
    }
    console.log(
      "ratio = ours / PyTorch-exported graph (images/s at batch 128; 1 / latency at batch 1)",
    );
  }
  return results;
}

if (import.meta.main) await main(Deno.args);
