/**
 * Float16 weight storage at inference time (`deno run -A tools/bench_fp16.ts`): whether a model
 * whose weights are stored as float16 behind `Cast` nodes (`src/onnx/fp16_weights.ts`) is any
 * slower than the same model stored in float32, once onnxruntime has folded the casts.
 *
 * For an exported DT folder (`--model`, default the shipped `models/mnist`) it builds both
 * storages of every graph in memory: `fp32` (the folder's graphs; float16-stored weights widened
 * back exactly) and `fp16` (`storeWeightsFp16`). Then, on onnxruntime-node cpu and
 * onnxruntime-web wasm (same thread count), in one process, round by round with the two
 * storages interleaved (the order alternating), it times:
 * - `openMs`: creating the sessions of all graphs (blocks, classifier, `chain.onnx` if listed),
 *   which is where onnxruntime folds the casts;
 * - `chain`/`blocks`: images/s at batch 128 through `chain.onnx` (one session, what the runtime
 *   uses) and through the block graphs one by one (the sampler code, one stochastic
 *   trajectory, seed 0).
 * A first round warms up and is not counted; each throughput figure times 3 calls. Medians over
 * the rounds, with [slowest, fastest]; `fp16/fp32` ratios (images/s: > 1 means fp16
 * is faster; openMs: > 1 means fp16 opens slower); and the largest |Δ logit| between the two
 * storages on the benchmark's inputs (0 when the folder is fp16-stored already: then both forms
 * hold the same rounded values).
 *
 * ```sh
 * deno run -A tools/bench_fp16.ts [--model models/mnist] [--rounds 5] [--threads 2] [--no-wasm] [--json]
 * ```
 *
 * @module
 */
import { parseArgs } from "../src/deps.ts";
import {
  type Engine,
  type GraphSession,
  loadModelFolder,
  type Manifest,
  nodeEngine,
  SeededNormal,
  webEngine,
} from "@noprop/infer";
import { expandFp16Weights, storeWeightsFp16 } from "../src/onnx/fp16_weights.ts";
import { decodeModel, encodeModel } from "../src/onnx/quantize/proto.ts";
import { openChain, runChain, runFused, timeIt } from "./bench_infer.ts";

/** One storage of a folder's graphs. */
interface Graphs {
  blocks: Uint8Array[];
  cls: Uint8Array;
  chain?: Uint8Array;
}

/**
 * Both storages of `g` (see the module doc): `fp32` with every float16-stored weight widened,
 * `fp16` with {@linkcode storeWeightsFp16} applied.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadModelFolder } from "@noprop/infer";
 * import { storages } from "./bench_fp16.ts";
 * const f = await loadModelFolder("models/mnist");
 * const { fp32, fp16 } = storages({ blocks: f.blocks, cls: f.classifier, chain: f.chain });
 * assert.ok(fp32.blocks[0].length > 1.9 * fp16.blocks[0].length);
 * assert.ok(fp32.chain!.length > 1.9 * fp16.chain!.length);
 * ```
 */
export function storages(g: Graphs): { fp32: Graphs; fp16: Graphs } {
  const each = (f: (b: Uint8Array, label: string) => Uint8Array): Graphs => ({
    blocks: g.blocks.map((b, i) => f(b, `block ${i + 1}`)),
    cls: f(g.cls, "classifier"),
    ...(g.chain ? { chain: f(g.chain, "chain") } : {}),
  });
  return {
    fp32: each((b, l) => encodeModel(expandFp16Weights(decodeModel(b, l)))),
    fp16: each((b, l) => encodeModel(storeWeightsFp16(expandFp16Weights(decodeModel(b, l))).model)),
  };
}

/** The sessions of one storage. */
interface Opened {
  blocks: Awaited<ReturnType<typeof openChain>>;
  chain?: GraphSession;
}

async function open(engine: Engine, g: Graphs, k: number): Promise<Opened> {
  const blocks = await openChain(engine, g.blocks, g.cls, false, k);
  return { blocks, ...(g.chain ? { chain: await engine.open(g.chain, "chain.onnx") } : {}) };
}

async function release(o: Opened): Promise<void> {
  for (const s of [...o.blocks.blocks, o.blocks.cls]) await s.release();
  await o.chain?.release();
}

/** Batch-128 calls per timing. */
const REPS = 3;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
const rate = (ms: number) => +(128000 / ms).toFixed(1);

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** One engine's rounds (see the module doc). */
async function benchEngine(
  engine: Engine,
  forms: { fp32: Graphs; fp16: Graphs },
  m: Manifest,
  x: Float32Array,
  rounds: number,
): Promise<Record<string, unknown>> {
  const k = m.classNames.length;
  const names = ["fp32", "fp16"] as const;
  const openMs: Record<string, number[]> = { fp32: [], fp16: [] };
  const chain: Record<string, number[]> = { fp32: [], fp16: [] };
  const blocks: Record<string, number[]> = { fp32: [], fp16: [] };
  const logits: Record<string, Float32Array> = {};
  for (let r = -1; r < rounds; r++) { // round −1 warms up (the first sessions, the code paths)
    for (const name of r % 2 === 0 ? names : [...names].reverse()) {
      const t0 = performance.now();
      const o = await open(engine, forms[name], k);
      const opened = performance.now() - t0;
      const viaBlocks = () => runChain(o.blocks, m, x, 128);
      logits[name] = await viaBlocks(); // warm-up, and the logits compared
      const b = await timeIt(viaBlocks, REPS);
      const fused = o.chain && (() => runFused(o.chain!, m, x, 128));
      if (fused) await fused();
      const c = fused && await timeIt(fused, REPS);
      await release(o);
      if (r < 0) continue;
      openMs[name].push(opened);
      blocks[name].push(b);
      if (c) chain[name].push(c);
    }
  }
  const row: Record<string, unknown> = {};
  const spread = (v: number[], f: (x: number) => number) => [f(Math.max(...v)), f(Math.min(...v))];
  const ms = (x: number) => +x.toFixed(1);
  for (const name of names) {
    row[name] = {
      openMs: ms(median(openMs[name])),
      openMsSpread: spread(openMs[name], ms).reverse(),
      ...(chain[name].length
        ? { chainImagesPerS: rate(median(chain[name])), chainSpread: spread(chain[name], rate) }
        : {}),
      blocksImagesPerS: rate(median(blocks[name])),
      blocksSpread: spread(blocks[name], rate),
    };
  }
  const ratio = (a: number, b: number) => +(a / b).toFixed(3);
  row["fp16/fp32"] = {
    openMs: ratio(median(openMs.fp16), median(openMs.fp32)),
    ...(chain.fp32.length
      ? { chainImagesPerS: ratio(median(chain.fp32), median(chain.fp16)) }
      : {}),
    blocksImagesPerS: ratio(median(blocks.fp32), median(blocks.fp16)),
  };
  row.maxAbsLogitDiff = maxAbsDiff(logits.fp32, logits.fp16);
  return row;
}

/**
 * Runs the benchmark; returns the results (also printed). It takes about a minute on 2 cores,
 * so there is no example here: see the command line in the module doc.
 */
export async function main(argv: string[]): Promise<Record<string, unknown>> {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      model: { type: "string", default: "models/mnist" },
      rounds: { type: "string", default: "5" },
      threads: { type: "string", default: String(navigator.hardwareConcurrency) },
      "no-wasm": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  const rounds = Number(o.rounds), threads = Number(o.threads);
  if (!Number.isSafeInteger(rounds) || rounds < 1) {
    throw new Error(`--rounds must be a positive integer, got "${o.rounds}"`);
  }
  const f = await loadModelFolder(o.model);
  const m = f.manifest;
  if (m.variant !== "dt") {
    throw new Error(`${o.model}: a dt model folder is needed, not ${m.variant}`);
  }
  const forms = storages({ blocks: f.blocks, cls: f.classifier, chain: f.chain });
  const bytes = (g: Graphs) =>
    [...g.blocks, g.cls, ...(g.chain ? [g.chain] : [])].reduce((a, b) => a + b.length, 0);
  const { channels, height, width } = m.input;
  const x = new SeededNormal(3).fill(new Float32Array(128 * channels * height * width));
  const results: Record<string, unknown> = {
    model: o.model,
    stored: m.weights ?? "fp32",
    T: m.T,
    batch: 128,
    threads,
    rounds,
    cpus: navigator.hardwareConcurrency,
    bytes: { fp32: bytes(forms.fp32), fp16: bytes(forms.fp16) },
  };
  const engines: [string, () => Promise<Engine>][] = [
    ["ort-node cpu", () => nodeEngine("cpu", { threads })],
    ["ort-web wasm", () => webEngine("wasm", { threads })],
  ];
  for (const [name, make] of o["no-wasm"] ? engines.slice(0, 1) : engines) {
    results[name] = await benchEngine(await make(), forms, m, x, rounds);
  }
  if (o.json) console.log(JSON.stringify(results));
  else {
    console.log(
      `fp32- vs fp16-stored weights: ${o.model} (stored ${results.stored}), T = ${m.T}, batch 128, ${threads} threads, ${rounds} rounds (medians [slowest, fastest])`,
    );
    for (const [k, v] of Object.entries(results)) {
      if (typeof v === "object") console.log(`${k.padEnd(13)} ${JSON.stringify(v)}`);
    }
    console.log(
      "fp16/fp32: openMs > 1 = fp16 opens slower; images/s > 1 = fp16 faster; maxAbsLogitDiff on the benchmark's inputs",
    );
  }
  return results;
}

if (import.meta.main) await main(Deno.args);
