/**
 * Builds a NoProp-DT model (and its trainer's hyper-parameters) from a config and the run's
 * data. The main thread and every training worker call this with the same config, so they
 * build identical models from the seed.
 *
 * @example
 * ```ts
 * import { setupRun } from "./setup.ts";
 * // const { data, model } = await setupRun(config); // in a worker
 * ```
 * @module
 */
import type { Config } from "../../config/schema.ts";
import { normalizeInto } from "../../data/normalize.ts";
import { createNoPropDT, type NoPropDT } from "../../model/noprop.ts";
import { loadRunData, type RunData } from "../batches.ts";
import type { TrainerHyper } from "./trainer.ts";

/**
 * Hyper-parameters of the block trainer, from the config.
 *
 * @example
 * ```ts
 * import { defaultConfig } from "../../config.ts";
 * import { trainerHyper } from "./setup.ts";
 * console.assert(trainerHyper(defaultConfig()).batchSize === defaultConfig().batchSize);
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
  };
}

/**
 * A freshly initialised NoProp-DT model for `config` and the run's data (the prototype
 * embedding is built from the training images).
 *
 * @example
 * ```ts
 * import { buildDtModel } from "./setup.ts";
 * // const model = buildDtModel(config, await loadRunData(config));
 * ```
 */
export function buildDtModel(config: Config, run: RunData): NoPropDT {
  const { train, stats } = run;
  const { height, width, channels } = run.data.info;
  let prototypeData;
  if (config.embedding === "prototype") {
    const features = new Float32Array(train.count * height * width * channels);
    const all = Uint32Array.from({ length: train.count }, (_, i) => i);
    normalizeInto(train, all, stats, features, "NHWC");
    prototypeData = { features, labels: train.labels };
  }
  return createNoPropDT({
    image: { height, width, channels },
    classes: run.data.info.numClasses,
    T: config.T,
    schedule: config.schedule,
    embedding: config.embedding,
    embedDim: config.embeddingDim,
    widths: config.widths as [number, number, number],
    hidden: config.hidden,
    seed: config.seed,
    prototypeData,
  });
}

/**
 * Loads the data and builds the model for `config` (a training worker's start).
 *
 * @example
 * ```ts
 * import { setupRun } from "./setup.ts";
 * // const { train, stats, model } = await setupRun(config);
 * ```
 */
export async function setupRun(config: Config): Promise<RunData & { model: NoPropDT }> {
  const run = await loadRunData(config);
  return { ...run, model: buildDtModel(config, run) };
}
