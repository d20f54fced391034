/**
 * Micro-benchmark: training steps/s of the paper's MNIST block (the project's own: `createBlock`
 * in src/model/block.ts, conv widths 32/64/128, hidden 256, batch-norm, dropout) on a chosen
 * backend, through the trainer's own step (`trainBlockStep` in src/train/dt/step.ts: block
 * forward + backward + AdamW from src/train/adamw.ts, classifier CE on z_T included, paper
 * eq. 8), plus a per-kernel time profile. Hyper-parameters are the config defaults.
 *
 * Usage:
 *   deno run --allow-read --allow-env tools/bench_kernels.ts [--backend wasm|cpu|webgpu]
 *     [--batch 128] [--steps 10] [--warmup 2] [--profile N] [--workers N] [--no-dropout]
 *
 * @example
 * ```sh
 * deno run --allow-read --allow-env tools/bench_kernels.ts --backend wasm --profile 3
 * ```
 * @module
 */
import { parseArgs } from "../src/deps.ts";
import { tf } from "../src/deps_tf.ts";
import { type BackendChoice, initBackend, readTensor } from "../src/backend/mod.ts";
import { defaultConfig } from "../src/config.ts";
import { createNoPropDT, disposeModel } from "../src/model/noprop.ts";
import { Rng } from "../src/rng.ts";
import { trainerHyper } from "../src/train/dt/setup.ts";
import { trainBlockStep } from "../src/train/dt/step.ts";
import { createTrainState } from "../src/train/dt/trainer.ts";

/** Options of {@linkcode runBench}. */
export interface BenchOptions {
  /** Backend to request from `initBackend`. */
  backend: BackendChoice;
  /** Batch size. */
  batch: number;
  /** Timed steps. */
  steps: number;
  /** Untimed warm-up steps. */
  warmup: number;
  /** Dropout rate (0 disables). */
  dropout: number;
  /** Also print a per-kernel profile averaged over this many extra steps (0: none). */
  profileSteps: number;
}

/** What {@linkcode runBench} measured. */
export interface BenchResult {
  /** The backend used (with the webgpu adapter, if any). */
  backend: string;
  /** Training steps per second. */
  stepsPerSec: number;
  /** Samples per second (`stepsPerSec * batch`). */
  samplesPerSec: number;
  /** Loss after the last step. */
  loss: number;
  /** Profile lines (empty without `profileSteps`). */
  profile: string[];
}

/**
 * Trains the block on random data and times it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runBench } from "./bench_kernels.ts";
 * // A token run: one timed step at batch 2 on the wasm backend, and one profiled.
 * const r = await runBench({
 *   backend: "wasm", batch: 2, steps: 1, warmup: 0, dropout: 0.1, profileSteps: 1,
 * });
 * assert.equal(r.backend, "wasm");
 * assert.equal(r.samplesPerSec, 2 * r.stepsPerSec);
 * assert.ok(Number.isFinite(r.loss));
 * assert.match(r.profile[0], /^profile \(per step, mean of 1\): \d+ kernels/);
 * ```
 */
export async function runBench(o: BenchOptions): Promise<BenchResult> {
  const info = await initBackend(o.backend);
  const B = o.batch;
  const cfg = defaultConfig();
  // One block (T = 1): a block step costs the same whatever t is.
  const model = createNoPropDT({
    image: { height: 28, width: 28, channels: 1 },
    classes: 10,
    T: 1,
    schedule: cfg.schedule,
    embedding: "onehot",
    embedDim: 10,
    widths: cfg.widths as [number, number, number],
    hidden: cfg.hidden,
    seed: cfg.seed,
  });
  const state = createTrainState(model, { ...trainerHyper(cfg), dropout: o.dropout }, [1]);
  const rng = new Rng(3);
  const x = tf.tensor4d(rng.fillNormal(new Float32Array(B * 784)), [B, 28, 28, 1]);
  const y = tf.tensor1d(Int32Array.from({ length: B }, () => rng.int(10)), "int32");
  const epsPrev = tf.tensor2d(rng.fillNormal(new Float32Array(B * 10)), [B, 10]);
  const epsT = tf.tensor2d(rng.fillNormal(new Float32Array(B * 10)), [B, 10]);
  let n = 0;
  const step = async () => {
    const value = trainBlockStep(state, 1, x, y, epsPrev, epsT, n++);
    const loss = (await readTensor(value))[0];
    value.dispose();
    return loss;
  };
  for (let i = 0; i < o.warmup; i++) await step();
  const t0 = performance.now();
  let loss = 0;
  for (let i = 0; i < o.steps; i++) loss = await step();
  const dt = (performance.now() - t0) / 1000;
  const profile: string[] = [];
  if (o.profileSteps > 0) {
    const by = new Map<string, { ms: number; n: number }>();
    const byName = new Map<string, number>();
    let total = 0;
    const t1 = performance.now();
    const prof = await tf.profile(async () => {
      for (let i = 0; i < o.profileSteps; i++) await step();
    });
    const wall = (performance.now() - t1) / o.profileSteps;
    const k = o.profileSteps;
    for (const e of prof.kernels) {
      const ms = (Number(e.kernelTimeMs) || 0) / k;
      const key = `${e.name} ${JSON.stringify(e.inputShapes)}`;
      const v = by.get(key) ?? { ms: 0, n: 0 };
      v.ms += ms;
      v.n += 1 / k;
      by.set(key, v);
      byName.set(e.name, (byName.get(e.name) ?? 0) + ms);
      total += ms;
    }
    profile.push(
      `profile (per step, mean of ${k}): ${(prof.kernels.length / k).toFixed(0)} kernels, ` +
        `${total.toFixed(0)} ms kernel time of ${wall.toFixed(0)} ms wall`,
    );
    for (const [name, ms] of [...byName].sort((p, q) => q[1] - p[1]).slice(0, 15)) {
      profile.push(`  ${ms.toFixed(1).padStart(8)} ms  ${name}`);
    }
    profile.push("top kernel calls by input shapes:");
    for (const [key, e] of [...by].sort((p, q) => q[1].ms - p[1].ms).slice(0, 25)) {
      profile.push(`  ${e.ms.toFixed(1).padStart(8)} ms  x${e.n.toFixed(0)}  ${key}`);
    }
  }
  tf.dispose([x, y, epsPrev, epsT]);
  for (const opt of [...state.blockOpt, state.sharedOpt]) opt?.dispose();
  disposeModel(model);
  return {
    backend: info.name + (info.adapterDescription ? ` (${info.adapterDescription})` : ""),
    stepsPerSec: o.steps / dt,
    samplesPerSec: o.steps * B / dt,
    loss,
    profile,
  };
}

function report(r: BenchResult, o: BenchOptions, tag = ""): string {
  return `${tag}backend=${r.backend} batch=${o.batch} steps=${o.steps}: ` +
    `${r.stepsPerSec.toFixed(2)} steps/s, ${r.samplesPerSec.toFixed(0)} samples/s, ` +
    `${(1000 / r.stepsPerSec).toFixed(0)} ms/step, loss=${r.loss.toFixed(4)}`;
}

async function main() {
  const args = parseArgs({
    options: {
      backend: { type: "string", default: "wasm" },
      batch: { type: "string", default: "128" },
      steps: { type: "string", default: "10" },
      warmup: { type: "string", default: "2" },
      profile: { type: "string", default: "0" },
      workers: { type: "string", default: "0" },
      "no-dropout": { type: "boolean", default: false },
    },
  }).values;
  const o: BenchOptions = {
    backend: args.backend as BackendChoice,
    batch: Number(args.batch),
    steps: Number(args.steps),
    warmup: Number(args.warmup),
    dropout: args["no-dropout"] ? 0 : 0.2,
    profileSteps: Number(args.profile),
  };
  const nw = Number(args.workers);
  if (nw > 0) {
    // Independent blocks trained concurrently, one per Deno worker (own tfjs + wasm each),
    // as NoProp's per-block training allows.
    const t0 = performance.now();
    const results = await Promise.all(
      Array.from({ length: nw }, () =>
        new Promise<BenchResult>((resolve, reject) => {
          const w = new Worker(import.meta.url, { type: "module" });
          w.onmessage = (e) => {
            w.terminate();
            resolve(e.data as BenchResult);
          };
          w.onerror = (e) => {
            e.preventDefault();
            w.terminate();
            reject(new Error(e.message));
          };
          w.postMessage(o);
        })),
    );
    results.forEach((r, i) => console.log(report(r, o, `worker ${i}: `)));
    const agg = results.reduce((a, r) => a + r.stepsPerSec, 0);
    console.log(
      `aggregate over ${nw} workers: ${agg.toFixed(2)} steps/s, ` +
        `${(agg * o.batch).toFixed(0)} samples/s (wall ${
          ((performance.now() - t0) / 1000).toFixed(1)
        } s incl. startup)`,
    );
    return;
  }
  const r = await runBench(o);
  console.log(report(r, o));
  for (const line of r.profile) console.log(line);
}

const inWorker = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !==
  "undefined";
if (inWorker) {
  const scope = globalThis as unknown as {
    onmessage: ((e: MessageEvent) => void) | null;
    postMessage(m: unknown): void;
  };
  scope.onmessage = async (e: MessageEvent) => {
    scope.postMessage(await runBench(e.data as BenchOptions));
  };
} else if (import.meta.main) {
  await main();
}
