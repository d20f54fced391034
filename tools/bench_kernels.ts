/**
 * Micro-benchmark: training steps/s of a representative NoProp MNIST block (fwd + bwd +
 * AdamW, batch 128) on a chosen backend, plus a per-kernel time profile.
 *
 * The block: conv3x3(1→32) relu maxpool2 dropout · conv3x3(32→64) relu dropout ·
 * conv3x3(64→128) relu maxpool2 dropout · flatten(6272) → dense 256 + batch-norm relu;
 * label branch dense(10→256) + batch-norm relu; concat → dense 256 + BN relu → dense 128
 * + BN relu → dense 10 → softmax; loss = mean squared error to a one-hot target.
 *
 * Usage:
 *   deno run --allow-read --allow-env tools/bench_kernels.ts [--backend wasm|cpu|webgpu]
 *     [--batch 128] [--steps 10] [--warmup 2] [--profile] [--no-dropout]
 *
 * @example
 * ```sh
 * deno run --allow-read --allow-env tools/bench_kernels.ts --backend wasm --profile
 * ```
 * @module
 */
import { parseArgs } from "../src/deps.ts";
import { tf } from "../src/deps_tf.ts";
import { type BackendChoice, initBackend, readTensor } from "../src/backend/mod.ts";

/** A trainable block and its AdamW state. */
export interface Block {
  /** Trainable variables by name. */
  vars: Record<string, tf.Variable>;
  /** Forward pass: image batch [B,28,28,1] and label batch [B,10] to class probs [B,10]. */
  forward(x: tf.Tensor4D, z: tf.Tensor2D, training: boolean): tf.Tensor2D;
}

function glorot(shape: number[], fanIn: number, fanOut: number): tf.Variable {
  const lim = Math.sqrt(6 / (fanIn + fanOut));
  return tf.variable(tf.randomUniform(shape, -lim, lim));
}

/**
 * Builds the representative block (see the module doc).
 *
 * @example
 * ```ts
 * const block = makeBlock(); // then block.forward(x, z, true)
 * ```
 */
export function makeBlock(dropout = 0.2): Block {
  const v: Record<string, tf.Variable> = {};
  const conv = (name: string, ci: number, co: number) => {
    v[name + ".w"] = glorot([3, 3, ci, co], 9 * ci, 9 * co);
    v[name + ".b"] = tf.variable(tf.zeros([co]));
  };
  const dense = (name: string, i: number, o: number, bn: boolean) => {
    v[name + ".w"] = glorot([i, o], i, o);
    v[name + ".b"] = tf.variable(tf.zeros([o]));
    if (bn) {
      v[name + ".g"] = tf.variable(tf.ones([o]));
      v[name + ".beta"] = tf.variable(tf.zeros([o]));
    }
  };
  conv("c1", 1, 32);
  conv("c2", 32, 64);
  conv("c3", 64, 128);
  dense("fx", 6272, 256, true);
  dense("fz", 10, 256, true);
  dense("h1", 512, 256, true);
  dense("h2", 256, 128, true);
  dense("out", 128, 10, false);

  const convRelu = (x: tf.Tensor4D, n: string) =>
    tf.relu(
      tf.add(tf.conv2d(x, v[n + ".w"] as tf.Tensor4D, 1, "same"), v[n + ".b"]),
    ) as tf.Tensor4D;
  const pool = (x: tf.Tensor4D) => tf.maxPool(x, 2, 2, "valid");
  const drop = (x: tf.Tensor4D, training: boolean) =>
    training && dropout > 0 ? tf.dropout(x, dropout) as tf.Tensor4D : x;
  const denseBn = (x: tf.Tensor2D, n: string) => {
    const y = tf.add(tf.matMul(x, v[n + ".w"] as tf.Tensor2D), v[n + ".b"]);
    const { mean, variance } = tf.moments(y, 0);
    const nrm = tf.div(tf.sub(y, mean), tf.sqrt(tf.add(variance, 1e-5)));
    return tf.relu(tf.add(tf.mul(nrm, v[n + ".g"]), v[n + ".beta"])) as tf.Tensor2D;
  };
  return {
    vars: v,
    forward(x, z, training) {
      let h = drop(pool(convRelu(x, "c1")), training);
      h = drop(convRelu(h, "c2"), training);
      h = drop(pool(convRelu(h, "c3")), training);
      const fx = denseBn(tf.reshape(h, [x.shape[0], 6272]) as tf.Tensor2D, "fx");
      const fz = denseBn(z, "fz");
      let u = denseBn(tf.concat([fx, fz], 1), "h1");
      u = denseBn(u, "h2");
      return tf.softmax(tf.add(tf.matMul(u, v["out.w"] as tf.Tensor2D), v["out.b"]));
    },
  };
}

/**
 * One AdamW step written with tf ops; `state` holds moments and the step count.
 *
 * @example
 * ```ts
 * const state = { t: 0, m: {}, v: {} };
 * adamW(block.vars, grads, state, 1e-3);
 * ```
 */
export function adamW(
  vars: Record<string, tf.Variable>,
  grads: Record<string, tf.Tensor>,
  state: { t: number; m: Record<string, tf.Variable>; v: Record<string, tf.Variable> },
  lr: number,
  b1 = 0.9,
  b2 = 0.999,
  eps = 1e-8,
  wd = 1e-3,
): void {
  state.t++;
  const c1 = 1 - b1 ** state.t, c2 = 1 - b2 ** state.t;
  tf.tidy(() => {
    for (const [k, p] of Object.entries(vars)) {
      const g = grads[k];
      if (!g) continue;
      state.m[k] ??= tf.variable(tf.zerosLike(p), false);
      state.v[k] ??= tf.variable(tf.zerosLike(p), false);
      const m = tf.add(tf.mul(state.m[k], b1), tf.mul(g, 1 - b1));
      const v = tf.add(tf.mul(state.v[k], b2), tf.mul(tf.square(g), 1 - b2));
      state.m[k].assign(m);
      state.v[k].assign(v);
      const upd = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), eps));
      p.assign(tf.sub(tf.mul(p, 1 - lr * wd), tf.mul(upd, lr)));
    }
  });
}

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
 * const r = await runBench({ backend: "wasm", batch: 128, steps: 5, warmup: 2,
 *   dropout: 0.2, profileSteps: 0 });
 * console.log(r.stepsPerSec);
 * ```
 */
export async function runBench(o: BenchOptions): Promise<BenchResult> {
  const info = await initBackend(o.backend);
  const B = o.batch;
  const block = makeBlock(o.dropout);
  const state = { t: 0, m: {}, v: {} };
  const x = tf.randomUniform([B, 28, 28, 1]) as tf.Tensor4D;
  const labels = tf.randomUniform([B], 0, 10, "int32") as tf.Tensor1D;
  const target = tf.cast(tf.oneHot(labels, 10), "float32") as tf.Tensor2D;
  const z = tf.randomNormal([B, 10]) as tf.Tensor2D;
  const step = async () => {
    const { value, grads } = tf.variableGrads(() =>
      tf.mean(tf.square(tf.sub(block.forward(x, z, true), target))) as tf.Scalar
    );
    adamW(block.vars, grads, state, 1e-3);
    const loss = (await readTensor(value))[0];
    tf.dispose([value, grads]);
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
  tf.dispose([x, labels, target, z, ...Object.values(block.vars)]);
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
