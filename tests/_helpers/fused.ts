/**
 * Test helpers for fused block steps (`--fuse-blocks`): a tiny DT run in memory, training it
 * fused or separately, comparing the blocks' state, and counting what a training range moves
 * between the device and the CPU.
 * @module
 */
import { tf } from "../../src/deps_tf.ts";
import { type Config, defaultConfig } from "../../src/config.ts";
import { NORMALIZATION } from "../../src/data/normalize.ts";
import type { RunData } from "../../src/train/batches.ts";
import type { MethodState, TrainMethod } from "../../src/train/method.ts";
import { createDtMethod } from "../../src/train/dt/method.ts";
import { patternSet } from "./data.ts";
import { assert } from "../assert.ts";

/** 32 8×8 grey pattern images of 7 classes (8 batches of 4), used as both splits. */
export function tinyRun(): RunData {
  const set = patternSet(32, 8, 8, 1);
  const info = {
    name: "mnist" as const,
    height: 8,
    width: 8,
    channels: 1,
    numClasses: 7,
    classNames: ["0", "1", "2", "3", "4", "5", "6"],
    mean: [0.1307],
    std: [0.3081],
  };
  return {
    data: { train: set, test: set, info },
    train: set,
    test: set,
    stats: NORMALIZATION.mnist,
  };
}

/**
 * A tiny DT config: 3 blocks of distinct conv widths, dropout on, batch 4. AdamW's ε is 1, which
 * makes an update follow the gradient's size: with ε = 1e-8 Adam divides the scale out (a block
 * trained with another block's loss weight would go unnoticed) and blows float noise up to
 * lr-sized steps (the biases before a BatchNorm have a gradient that is 0 in exact arithmetic
 * and ~1e-6 of the others in float, different in each summation order).
 */
export function tinyDtConfig(over: Partial<Config> = {}): Config {
  return {
    ...defaultConfig(),
    T: 3,
    widths: [2, 3, 4],
    hidden: 8,
    batchSize: 4,
    evalBatch: 16,
    dropout: 0.3,
    lr: 1e-2,
    adamEps: 1,
    ...over,
  };
}

/** What a short training left behind. */
export interface Trained {
  /** Weights, optimizer and noise states. */
  state: MethodState;
  /** Summed losses per block. */
  lossSum: Float64Array;
}

/** Trains `batches` batches of epoch 0 with `cfg` (fused or not), in ranges of the method's size. */
export async function trainTiny(cfg: Config, batches: number): Promise<Trained> {
  const method = await createDtMethod({ cfg, run: tinyRun() });
  try {
    const lossSum = new Float64Array(cfg.T);
    for (let from = 0; from < batches; from += method.rangeSize) {
      const r = await method.run(0, from, Math.min(batches, from + method.rangeSize), () => {});
      r.lossSum.forEach((v, i) => lossSum[i] += v);
    }
    return { state: await method.state(), lossSum };
  } finally {
    method.close();
  }
}

/** The largest |a − b| over two arrays of the same length. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert(a.length === b.length, `lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The largest |x| of an array (0 when empty). */
function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * Asserts that every block's state after `got` agrees with `want` (both trained from `init`):
 * weights and BatchNorm statistics within `rel` of the distance the block's trainable weights
 * travelled from `init` (so the comparison stays strict for a block that learns slowly), AdamW
 * moments within `rel` of their largest entry, noise streams exactly. Returns the worst ratio of
 * weight difference to distance travelled.
 */
export function assertSameBlocks(got: Trained, want: Trained, init: Trained, rel: number): number {
  const w = want.state.weights, g = got.state.weights, i0 = init.state.weights;
  const blocks = [
    ...new Set(Object.keys(w).filter((n) => n.startsWith("block_")).map((n) => n.slice(0, 8))),
  ];
  assert(blocks.length > 1, "no blocks");
  let worst = 0;
  for (const b of blocks) {
    const names = Object.keys(w).filter((n) => n.startsWith(`${b}.`));
    const trainable = names.filter((n) => !n.endsWith(".mean") && !n.endsWith(".var"));
    const moved = Math.max(
      ...trainable.map((n) => maxDiff(w[n].data as Float32Array, i0[n].data as Float32Array)),
    );
    assert(moved > 0, `${b} did not train`);
    for (const n of names) {
      const d = maxDiff(g[n].data as Float32Array, w[n].data as Float32Array);
      worst = Math.max(worst, d / moved);
      assert(
        d <= rel * moved,
        `${n}: fused and separate steps differ by ${d} (the block moved ${moved})`,
      );
    }
    const o = want.state.optimizers[b], f = got.state.optimizers[b];
    assert(f && f.step === o.step, `${b}: AdamW step ${f?.step} vs ${o.step}`);
    for (const k of ["m", "v"] as const) {
      const scale = Math.max(...o[k].map(maxAbs));
      o[k].forEach((a, j) =>
        assert(maxDiff(f[k][j], a) <= rel * scale, `${b}: AdamW ${k}[${j}] differs`)
      );
    }
  }
  assert(
    JSON.stringify(got.state.rngs) === JSON.stringify(want.state.rngs),
    "the blocks' noise streams differ",
  );
  return worst;
}

/** What ranges of training moved between the device and the CPU, and the tensors left after each. */
export interface Traffic {
  /** Read-backs from the device per range (see {@linkcode countTraffic}). */
  reads: number[];
  /** Uploads of a batch of images per range. */
  imageUploads: number[];
  /** `tf.memory().numTensors` after each range. */
  tensors: number[];
}

type Spied = Record<string, (...args: unknown[]) => unknown> & {
  tensorMap?: { get(id: unknown): { values: unknown } };
};

/**
 * Runs `ranges` ranges of `method` (each `method.rangeSize` batches) with the active backend's
 * `read`, `readSync` and `write` wrapped to count read-backs and uploads of image batches (shape
 * `imageShape`). A read-back is, on webgpu, a read of a tensor that lives on the GPU (reads of
 * values still on the CPU, as for ops tfjs runs on the CPU, move nothing); on wasm and cpu, where
 * every tensor lives in CPU memory, each `data()` (`read`): kernels' `readSync` is a view.
 */
export async function countTraffic(
  method: TrainMethod,
  ranges: number,
  imageShape: number[],
): Promise<Traffic> {
  const backend = tf.backend() as unknown as Spied;
  const saved = { read: backend.read, readSync: backend.readSync, write: backend.write };
  const gpu = tf.getBackend() === "webgpu";
  const onDevice = (id: unknown) => gpu && backend.tensorMap!.get(id).values == null;
  let reads = 0, uploads = 0;
  backend.read = (...a) => {
    if (!gpu || onDevice(a[0])) reads++;
    return saved.read.apply(backend, a);
  };
  backend.readSync = (...a) => {
    if (onDevice(a[0])) reads++;
    return saved.readSync.apply(backend, a);
  };
  backend.write = (...a) => {
    if (String(a[1]) === String(imageShape)) uploads++;
    return saved.write.apply(backend, a);
  };
  const out: Traffic = { reads: [], imageUploads: [], tensors: [] };
  try {
    for (let k = 0; k < ranges; k++) {
      reads = uploads = 0;
      const from = k * method.rangeSize;
      await method.run(0, from, from + method.rangeSize, () => {});
      out.reads.push(reads);
      out.imageUploads.push(uploads);
      out.tensors.push(tf.memory().numTensors);
    }
  } finally {
    Object.assign(backend, saved);
  }
  return out;
}
