/**
 * Inference speed of the exported NoProp-DT chain (`deno run -A tools/bench_infer.ts`).
 *
 * Runs the paper-width MNIST model (widths 32/64/128, hidden 256, T = 10, one-hot embedding;
 * random weights unless `--run` names a trained run) through the full T-block DT chain and the
 * classifier:
 * - images/s at batch 128 and latency per image at batch 1;
 * - on onnxruntime-node cpu and onnxruntime-web wasm (same thread count);
 * - for three forms of the fp32 chain, with the same session settings, in the same process,
 *   interleaved round by round (medians reported): `fused`, our `chain.onnx` (the whole chain in
 *   one session, `src/onnx/chain_graph.ts`); `ours`, our T block graphs run through the sampler
 *   code; `pytorch`, the same block exported by PyTorch's own exporter
 *   (`../shared/anchors/export_torch_block.py`), run T times through the same sampler code;
 * - for the int8 graphs of our export (`src/onnx/quantize/`: static QDQ quantization,
 *   calibrated on `--calibration` MNIST training images from `--data-dir`, or on the
 *   benchmark's own random inputs without it), two rows per `--int8` variant: `int8 <v>`, the
 *   int8 block graphs run block by block, and `int8 <v> fused`, the int8 `chain.int8.onnx` (one
 *   session; when the export has a chain). Variants: `u8` (the default export: uint8
 *   activations, per-channel int8 weights), `s8` (int8 activations), `per-tensor` (one weight
 *   scale per tensor), `reduce-range` (7-bit weights), `conv-only` (only the convolutions
 *   quantized), `min<N>` (quantize reductions down to N), or combinations joined by `+`;
 * - and for the TensorFlow.js model on its wasm backend (the same sampler code, `dtChain`, with
 *   the tfjs blocks as the denoiser: the trainer's evaluation path).
 *
 * With `--model DIR` it times an exported folder instead (e.g. the shipped `models/mnist`): its
 * fp32 block graphs, its `chain.onnx` when it lists one, and int8 graphs (and chain) quantized
 * here (no PyTorch block of that shape, no tfjs row).
 *
 * The ratios against PyTorch are the figures of merit (bar: ≥ 1.0 in images/s), int8/fp32
 * that of quantization (bar: ≥ 2.0 on onnxruntime-node cpu), and the fused chains' ms per
 * image at batch 1 that of latency (bar: ≤ 1.5 ms on onnxruntime-node cpu, 2 threads). Keep
 * runs short: the defaults take about a minute on 2 cores.
 *
 * Sessions are opened as the runtime opens them: the fused chains as running alone (their idle
 * threads spin-wait, `EngineOptions.spinning`'s default for one session), the per-block chains'
 * T + 1 sessions without spinning; `--spinning on|off` forces one setting on every session.
 * Batch-1 latency is the steady state: each timing follows a few untimed calls of the same
 * chain, so the first call after the batch-128 timing (cold caches, the arena resized) is not
 * counted; and each chain's timings start after a 200 ms pause (`settle`).
 *
 * ```sh
 * deno run -A tools/bench_infer.ts [--rounds 5] [--threads 2] [--spinning on|off] [--run models/<run> | --model DIR] [--no-tfjs] [--no-wasm] [--json]
 *   [--int8 u8,s8,per-tensor,reduce-range,conv-only | --int8 none] [--data-dir ../shared/data] [--calibration 300]
 * ```
 *
 * @module
 */
import { parseArgs } from "../src/deps.ts";
import {
  dtChain,
  type GraphSession,
  loadModelFolder,
  type Manifest,
  nodeEngine,
  SeededNormal,
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
import {
  calibrateFolder,
  calibrationImages,
  quantizeBlocks,
  quantizeChain,
} from "../src/onnx/quantize/export.ts";
import type { QuantizeOptions } from "../src/onnx/quantize/transform.ts";
import { type Chain, openChain, runChain, runFused, timeIt } from "./chain_run.ts";

export { type Chain, openChain, runChain, runFused, timeIt } from "./chain_run.ts";

const TORCH_EXPORTER = new URL("../../shared/anchors/export_torch_block.py", import.meta.url)
  .pathname;

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

/**
 * The quantization options of an `--int8` variant name (see the module doc); parts joined by
 * `+` combine.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { int8Variant } from "./bench_infer.ts";
 * assert.deepEqual(int8Variant("u8"), {});
 * assert.deepEqual(int8Variant("s8+per-tensor"), { activations: "s8", perChannel: false });
 * assert.throws(() => int8Variant("fp16"), /unknown int8 variant "fp16"/);
 * ```
 */
export function int8Variant(name: string): QuantizeOptions {
  const o: QuantizeOptions = {};
  for (const part of name.split("+")) {
    if (part === "u8") continue;
    else if (part === "s8") o.activations = "s8";
    else if (part === "per-tensor") o.perChannel = false;
    else if (part === "reduce-range") o.reduceRange = true;
    else if (part === "conv-only") o.ops = ["Conv"];
    else if (/^min\d+$/.test(part)) o.minReduction = Number(part.slice(3));
    else {
      throw new Error(
        `unknown int8 variant "${part}" (u8, s8, per-tensor, reduce-range, conv-only, joined by +)`,
      );
    }
  }
  return o;
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

/** The graphs of one benchmark: manifest, our block and chain graphs, PyTorch's block. */
interface BenchGraphs {
  m: Manifest;
  /** The exported folder (calibrated for the int8 rows). */
  outDir: string;
  ours: Uint8Array[];
  cls: Uint8Array;
  /** `chain.onnx`, when the folder lists one. */
  fused?: Uint8Array;
  torch?: Uint8Array;
}

/** The paper-width model (or `--run`) exported with `--fused`, and PyTorch's block. */
async function paperGraphs(
  run: string | undefined,
): Promise<BenchGraphs & { runDir: string }> {
  const { runDir, outDir } = await paperModel(run);
  const { manifest: m } = await exportRun(runDir, { outDir, fused: true });
  const read = (f: string) => Deno.readFile(`${outDir}/${f}`);
  const ours = await Promise.all(m.blocks.map((b) => read(b.file)));
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
  return {
    m,
    ours,
    cls: await read(m.classifier.file),
    fused: await read(m.chain!.file),
    torch,
    runDir,
    outDir,
  };
}

/** An exported folder (`--model`), its chain if it lists one. */
async function folderGraphs(dir: string): Promise<BenchGraphs> {
  const f = await loadModelFolder(dir);
  return {
    m: f.manifest,
    outDir: dir,
    ours: f.blocks,
    cls: f.classifier,
    ...(f.chain ? { fused: f.chain } : {}),
  };
}

const USAGE =
  `usage: deno run -A tools/bench_infer.ts [--rounds 5] [--threads N] [--spinning on|off] [--run models/<run> | --model DIR]
         [--no-tfjs] [--no-wasm] [--json] [--int8 u8,s8,per-tensor,reduce-range,conv-only,min<N> | --int8 none]
         [--data-dir ../shared/data] [--calibration 300]

  --rounds N       timing rounds, interleaved over the chains; medians and spreads reported (default 5)
  --threads N      onnxruntime intra-op threads (default: all cores)
  --spinning on|off  force onnxruntime's thread spin-waiting (session.intra_op.allow_spinning)
                   on every session (default: the runtime's, on for the fused chains only)
  --run DIR        a training run folder instead of the random-weight paper-width model
  --model DIR      an exported folder instead (its fp32 graphs and chain, int8 quantized here)
  --no-tfjs, --no-wasm  skip the TensorFlow.js row, the onnxruntime-web wasm rows
  --json           one JSON object instead of the lines
  --int8 V,…       int8 variants (rows "int8 V" per block and "int8 V fused"), or none
  --data-dir DIR   calibrate the int8 graphs on MNIST training images from DIR (default: the
                   benchmark's own random inputs)
  --calibration N  calibration images with --data-dir (default 300)`;

/**
 * A pause before each chain's timings, so that nothing the previous chain left running spills
 * into them. (Added while spinning threads kept spinning after a run and took a core from the
 * next chain; the runtime now parks them when a run ends, `session_config.ts`, and the pause
 * stays as a guard: the figures in the README were measured with it.)
 */
const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

const rate = (ms: number) => +(128000 / ms).toFixed(1);
const ratio = (a: number, b: number) => +(a / b).toFixed(3);

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
      model: { type: "string" },
      "no-tfjs": { type: "boolean", default: false },
      "no-wasm": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      spinning: { type: "string" },
      int8: { type: "string", default: "u8" },
      "data-dir": { type: "string" },
      calibration: { type: "string", default: "300" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (o.help) {
    console.log(USAGE);
    return {};
  }
  const rounds = Number(o.rounds), threads = Number(o.threads);
  if (o.spinning !== undefined && o.spinning !== "on" && o.spinning !== "off") {
    throw new Error(`--spinning: expected on or off, got "${o.spinning}"`);
  }
  const spinning = o.spinning === undefined ? undefined : o.spinning === "on";
  const variants = o.int8 === "none" ? [] : o.int8.split(",");
  const quantizeAs = Object.fromEntries(variants.map((v) => [v, int8Variant(v)]));
  const paper = o.model ? undefined : await paperGraphs(o.run);
  const graphs: BenchGraphs = paper ?? await folderGraphs(o.model!);
  const { m, outDir, ours, cls, fused, torch } = graphs;
  const K = m.classNames.length;
  const { channels, height, width } = m.input;
  const x = new SeededNormal(3).fill(new Float32Array(128 * channels * height * width));
  const int8: Record<string, Uint8Array[]> = {};
  const int8Fused: Record<string, Uint8Array> = {};
  let calibratedOn = "none";
  if (variants.length > 0) {
    const calX = o["data-dir"]
      ? await calibrationImages("mnist", o["data-dir"], Number(o.calibration), m.input)
      : x;
    calibratedOn = o["data-dir"]
      ? `${calX.length / (channels * height * width)} MNIST training images`
      : "the benchmark's 128 random inputs";
    const { folder, table } = await calibrateFolder(outDir, calX, { threads });
    for (const [v, q] of Object.entries(quantizeAs)) {
      int8[v] = quantizeBlocks(folder, table, q).graphs;
      const chain = quantizeChain(folder, table, q);
      if (chain) int8Fused[v] = chain.graph;
    }
  }
  const results: Record<string, unknown> = {
    spinning: o.spinning ?? "auto (the fused chains only)",
    threads,
    rounds,
    T: m.T,
    batch: 128,
    cpus: navigator.hardwareConcurrency,
    model: o.model ?? (o.run ? o.run : "paper-width MNIST, random weights"),
    int8CalibratedOn: calibratedOn,
  };
  const engines = [[
    "ort-node cpu",
    () => nodeEngine("cpu", { threads, spinning }),
  ], [
    "ort-web wasm",
    () => webEngine("wasm", { threads, spinning }),
  ]] as const;
  for (const [name, make] of o["no-wasm"] ? engines.slice(0, 1) : engines) {
    const engine = await make();
    const chains: Record<string, Chain> = { ours: await openChain(engine, ours, cls, false, K) };
    if (torch) chains.pytorch = await openChain(engine, Array(m.T).fill(torch), cls, true, K);
    for (const [v, g] of Object.entries(int8)) {
      chains[`int8 ${v}`] = await openChain(engine, g, cls, false, K);
    }
    const alone = { alone: true }; // as the runtime opens a fused chain
    const fusedSession = fused ? await engine.open(fused, "chain.onnx", alone) : undefined;
    const int8Sessions: Record<string, GraphSession> = {};
    for (const [v, g] of Object.entries(int8Fused)) {
      int8Sessions[v] = await engine.open(g, `chain.int8.onnx (${v})`, alone);
    }
    const runs: Record<string, (n: number) => Promise<Float32Array>> = {};
    if (fusedSession) runs.fused = (n) => runFused(fusedSession, m, x, n);
    for (const [v, s] of Object.entries(int8Sessions)) {
      runs[`int8 ${v} fused`] = (n) => runFused(s, m, x, n);
    }
    for (const [k, c] of Object.entries(chains)) runs[k] = (n) => runChain(c, m, x, n);
    const b128: Record<string, number[]> = {}, b1: Record<string, number[]> = {};
    // Warm-up, and calls per timing: enough for ~200 ms (batch 128) and ~100 ms (batch 1) each,
    // so a small model's figures are not one call's noise.
    const reps128: Record<string, number> = {}, reps1: Record<string, number> = {};
    for (const [k, run] of Object.entries(runs)) {
      await run(128);
      await run(1);
      reps128[k] = Math.min(20, Math.max(1, Math.ceil(200 / await timeIt(() => run(128), 1))));
      reps1[k] = Math.min(400, Math.max(20, Math.ceil(100 / await timeIt(() => run(1), 3))));
    }
    for (let r = 0; r < rounds; r++) {
      for (const [k, run] of Object.entries(runs)) {
        await settle();
        (b128[k] ??= []).push(await timeIt(() => run(128), reps128[k]));
        await timeIt(() => run(1), 5); // untimed: the steady state follows (see the module doc)
        (b1[k] ??= []).push(await timeIt(() => run(1), reps1[k]));
      }
    }
    const row: Record<string, unknown> = {};
    for (const k of Object.keys(runs)) {
      row[k] = { imagesPerS: rate(median(b128[k])), msPerImage: +median(b1[k]).toFixed(3) };
      row[`${k}Spread`] = {
        imagesPerS: [rate(Math.max(...b128[k])), rate(Math.min(...b128[k]))],
        msPerImage: [+Math.min(...b1[k]).toFixed(3), +Math.max(...b1[k]).toFixed(3)],
      };
    }
    for (const k of fusedSession ? Object.keys(chains) : []) {
      row[`fusedVs${k[0].toUpperCase()}${k.slice(1)}`] = {
        imagesPerS: ratio(median(b128[k]), median(b128.fused)),
        latency: ratio(median(b1[k]), median(b1.fused)),
      };
    }
    if (torch) {
      row.ratioImagesPerS = ratio(median(b128.pytorch), median(b128.ours));
      row.ratioLatency = ratio(median(b1.pytorch), median(b1.ours));
    }
    for (const v of Object.keys(int8)) {
      // int8 / fp32: > 1 means the int8 chain is faster (images/s at 128; 1/latency at 1).
      row[`int8 ${v} / fp32 images/s`] = +(median(b128.ours) / median(b128[`int8 ${v}`]))
        .toFixed(3);
      row[`int8 ${v} / fp32 latency⁻¹`] = +(median(b1.ours) / median(b1[`int8 ${v}`])).toFixed(3);
      if (!int8Sessions[v] || !fusedSession) continue;
      // The same for the fused chains: int8 chain.int8.onnx against fp32 chain.onnx.
      const k = `int8 ${v} fused`;
      row[`${k} / fused images/s`] = +(median(b128.fused) / median(b128[k])).toFixed(3);
      row[`${k} / fused latency⁻¹`] = +(median(b1.fused) / median(b1[k])).toFixed(3);
    }
    results[name] = row;
    for (const c of Object.values(chains)) for (const s of [...c.blocks, c.cls]) await s.release();
    await fusedSession?.release();
    for (const s of Object.values(int8Sessions)) await s.release();
  }
  if (paper && !o["no-tfjs"]) results["tfjs wasm"] = await tfjsChain(paper.runDir, m, x, rounds);
  if (paper) await Deno.remove(paper.outDir, { recursive: true }); // the temporary export
  if (o.json) console.log(JSON.stringify(results));
  else {
    console.log(
      `NoProp-DT chain (${results.model}), T = ${m.T}, ${threads} threads, ${rounds} rounds (medians); int8 calibrated on ${calibratedOn}`,
    );
    for (const [k, v] of Object.entries(results)) {
      if (typeof v !== "object") continue;
      console.log(`${k.padEnd(13)} ${JSON.stringify(v)}`);
    }
    console.log(
      "fusedVsX = fused chain.onnx / chain X (images/s at batch 128; 1 / latency at batch 1); ratio = ours / PyTorch-exported graph; int8 … / fp32 = int8 chain / ours (fp32); int8 … fused / fused = chain.int8.onnx / chain.onnx",
    );
  }
  return results;
}

if (import.meta.main) await main(Deno.args);
