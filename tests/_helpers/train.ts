/**
 * Test fixtures for training: a small, learnable, MNIST-format dataset written as
 * uncompressed IDX files (no published checksum applies to them), and a tiny config.
 * Class k is a bright 6×6 square at one of ten positions, plus Gaussian pixel noise.
 * @module
 */
import { type Config, defaultConfig } from "../../src/config.ts";
import { Rng } from "../../src/rng.ts";

function be32(...v: number[]): Uint8Array {
  const b = new Uint8Array(4 * v.length);
  const dv = new DataView(b.buffer);
  v.forEach((x, i) => dv.setUint32(4 * i, x));
  return b;
}

function images(labels: Uint8Array, rng: Rng): Uint8Array {
  const out = new Uint8Array(labels.length * 784);
  for (let n = 0; n < labels.length; n++) {
    const k = labels[n], r0 = 3 + 12 * Math.floor(k / 5), c0 = 1 + 5 * (k % 5);
    for (let p = 0; p < 784; p++) {
      const r = Math.floor(p / 28), c = p % 28;
      const on = r >= r0 && r < r0 + 6 && c >= c0 && c < c0 + 5;
      out[n * 784 + p] = Math.max(
        0,
        Math.min(255, Math.round((on ? 200 : 30) + 40 * rng.normal())),
      );
    }
  }
  return out;
}

/** Writes `<dir>/mnist/{train,t10k}-{images,labels}-idx?-ubyte` with `nTrain`/`nTest` images. */
export async function writeSyntheticMnist(dir: string, nTrain: number, nTest: number, seed = 1) {
  const rng = new Rng(seed);
  await Deno.mkdir(`${dir}/mnist`, { recursive: true });
  for (const [split, n] of [["train", nTrain], ["t10k", nTest]] as const) {
    const labels = Uint8Array.from({ length: n }, () => rng.int(10));
    const img = images(labels, rng);
    await Deno.writeFile(
      `${dir}/mnist/${split}-images-idx3-ubyte`,
      new Uint8Array([...be32(2051, n, 28, 28), ...img]),
    );
    await Deno.writeFile(
      `${dir}/mnist/${split}-labels-idx1-ubyte`,
      new Uint8Array([...be32(2049, n), ...labels]),
    );
  }
}

/** A tiny, fast config on the synthetic data in `dataDir`, runs written under `outDir`. */
export function tinyConfig(dataDir: string, outDir: string, over: Partial<Config> = {}): Config {
  return {
    ...defaultConfig(),
    dataset: "mnist",
    dataDir,
    outDir,
    runName: "run",
    T: 3,
    widths: [4, 8, 8],
    hidden: 32,
    batchSize: 32,
    epochs: 2,
    backend: "wasm",
    evalBatch: 200,
    ...over,
  };
}
