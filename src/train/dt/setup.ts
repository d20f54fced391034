/**
 * Builds a NoProp-DT model (and its trainer's hyper-parameters) from a config and the run's
 * data. The main thread and every training worker call this with the same config, so they
 * build identical models from the seed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { defaultConfig } from "../../config.ts";
 * import { NORMALIZATION } from "../../data/normalize.ts";
 * import type { RunData } from "../batches.ts";
 * import { buildDtModel, trainerHyper } from "./setup.ts";
 * await initBackend("cpu");
 * // Eight 8×8 grey images of two classes (dark, bright), used as both splits.
 * const set = {
 *   count: 8, height: 8, width: 8, channels: 1, labels: Uint8Array.of(0, 1, 0, 1, 0, 1, 0, 1),
 *   images: Uint8Array.from({ length: 8 * 64 }, (_, i) => (Math.floor(i / 64) % 2) * 200),
 * };
 * const info = {
 *   name: "mnist" as const, height: 8, width: 8, channels: 1, numClasses: 2,
 *   classNames: ["dark", "bright"], mean: [0.1307], std: [0.3081],
 * };
 * const run: RunData = {
 *   data: { train: set, test: set, info }, train: set, test: set, stats: NORMALIZATION.mnist,
 * };
 * const cfg = {
 *   ...defaultConfig(), T: 2, widths: [2, 2, 2], hidden: 8, batchSize: 4, evalBatch: 8,
 * };
 * // The main thread and every worker build the same model from the same config.
 * const a = buildDtModel(cfg, run), b = buildDtModel(cfg, run);
 * assert.deepEqual(await a.blocks[1].toArrays(), await b.blocks[1].toArrays());
 * assert.equal(trainerHyper(cfg).batchSize, 4);
 * ```
 * @module
 */
import { configBackbone } from "../../config/backbone.ts";
import type { Config } from "../../config/schema.ts";
import { createNoPropDT, type NoPropDT } from "../../model/noprop.ts";
import { loadRunData, type RunData } from "../batches.ts";
import { prototypeTrainingData } from "../prototype_data.ts";
import type { TrainerHyper } from "./trainer.ts";

/**
 * Hyper-parameters of the block trainer, from the config.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../../config.ts";
 * import { trainerHyper } from "./setup.ts";
 * const h = trainerHyper(defaultConfig());
 * assert.deepEqual([h.batchSize, h.lr, h.eta], [128, 1e-3, 0.1]); // the paper's (Table 3)
 * ```
 */
export function trainerHyper(c: Config): TrainerHyper {
  return {
    batchSize: c.batchSize,
    lr: c.lr,
    weightDecay: c.weightDecay,
    beta1: c.beta1,
    beta2: c.beta2,
    adamEps: c.adamEps,
    eta: c.eta,
    dropout: c.dropout,
    bnMomentum: c.bnMomentum,
    seed: c.seed,
    augment: c.augment,
    fuseBlocks: c.fuseBlocks,
    fuseShared: c.fuseShared,
  };
}

/**
 * A freshly initialised NoProp-DT model for `config` and the run's data (the prototype
 * embedding is built from the training images).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { defaultConfig } from "../../config.ts";
 * import { NORMALIZATION } from "../../data/normalize.ts";
 * import type { RunData } from "../batches.ts";
 * import { buildDtModel } from "./setup.ts";
 * await initBackend("cpu");
 * // Eight 8×8 grey images of two classes (dark, bright), used as both splits.
 * const set = {
 *   count: 8, height: 8, width: 8, channels: 1, labels: Uint8Array.of(0, 1, 0, 1, 0, 1, 0, 1),
 *   images: Uint8Array.from({ length: 8 * 64 }, (_, i) => (Math.floor(i / 64) % 2) * 200),
 * };
 * const info = {
 *   name: "mnist" as const, height: 8, width: 8, channels: 1, numClasses: 2,
 *   classNames: ["dark", "bright"], mean: [0.1307], std: [0.3081],
 * };
 * const run: RunData = {
 *   data: { train: set, test: set, info }, train: set, test: set, stats: NORMALIZATION.mnist,
 * };
 * const cfg = {
 *   ...defaultConfig(), T: 2, widths: [2, 2, 2], hidden: 8, batchSize: 4, evalBatch: 8,
 *   embedding: "prototype" as const,
 * };
 * const model = buildDtModel(cfg, run);
 * assert.equal(model.blocks.length, 2);
 * // Prototype embedding: d = H·W·C, one training image per class as its (trainable) row.
 * assert.deepEqual(model.embedding.W.shape, [2, 64]);
 * assert.ok(model.spec.zAsImage);
 * ```
 */
export function buildDtModel(config: Config, run: RunData): NoPropDT {
  const { height, width, channels } = run.data.info;
  const prototypeData = config.embedding === "prototype" ? prototypeTrainingData(run) : undefined;
  return createNoPropDT({
    image: { height, width, channels },
    classes: run.data.info.numClasses,
    T: config.T,
    schedule: config.schedule,
    embedding: config.embedding,
    embedDim: config.embeddingDim,
    widths: config.widths as [number, number, number],
    hidden: config.hidden,
    ...configBackbone(config),
    seed: config.seed,
    prototypeData,
  });
}

/**
 * Loads the data and builds the model for `config` (a training worker's start).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { defaultConfig } from "../../config.ts";
 * import { setupRun } from "./setup.ts";
 * await initBackend("cpu");
 * // A data dir with a tiny MNIST in plain IDX files: 6 training and 2 test images.
 * const dataDir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dataDir}/mnist`);
 * const idx = (magic: number, dims: number[], byte: (i: number) => number) => {
 *   const head = 4 + 4 * dims.length, bytes = new Uint8Array(head + dims.reduce((a, b) => a * b));
 *   [magic, ...dims].forEach((v, i) => new DataView(bytes.buffer).setUint32(4 * i, v));
 *   for (let i = head; i < bytes.length; i++) bytes[i] = byte(i - head);
 *   return bytes;
 * };
 * for (const [split, n] of [["train", 6], ["t10k", 2]] as const) {
 *   const images = idx(2051, [n, 28, 28], (i) => (i * 37) % 256);
 *   await Deno.writeFile(`${dataDir}/mnist/${split}-images-idx3-ubyte`, images);
 *   const labels = idx(2049, [n], (i) => i % 10);
 *   await Deno.writeFile(`${dataDir}/mnist/${split}-labels-idx1-ubyte`, labels);
 * }
 * const config = {
 *   ...defaultConfig(), dataset: "mnist" as const, dataDir, T: 2, widths: [2, 2, 2], hidden: 8,
 *   batchSize: 4,
 * };
 * const { train, stats, model } = await setupRun(config);
 * assert.equal(train.count, 6);
 * assert.deepEqual(stats.mean, [0.1307]);
 * assert.equal(model.spec.height, 28);
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 */
export async function setupRun(config: Config): Promise<RunData & { model: NoPropDT }> {
  const run = await loadRunData(config);
  return { ...run, model: buildDtModel(config, run) };
}
