/**
 * Builds what a training process needs from a config: the dataset (train split optionally
 * limited to its first `trainLimit` images), its normalisation, and a freshly initialised model.
 * The main thread and every worker call this with the same config, so they build identical
 * models from the seed.
 *
 * @example
 * ```ts
 * import { setupRun } from "./setup.ts";
 * // const { data, train, stats, model } = await setupRun(config);
 * ```
 * @module
 */
import type { Config } from "../../config/schema.ts";
import { resolveDataDir } from "../../config/resolve.ts";
import { loadDataset } from "../../data/mod.ts";
import { NORMALIZATION, normalizeInto, type NormStats } from "../../data/normalize.ts";
import type { Dataset, ImageSet } from "../../data/types.ts";
import { createNoPropDT, type NoPropDT } from "../../model/noprop.ts";
import type { TrainerHyper } from "./trainer.ts";

/** Everything a training process starts from. */
export interface RunSetup {
  /** The dataset. */
  data: Dataset;
  /** The training images actually used. */
  train: ImageSet;
  /** Normalisation constants. */
  stats: NormStats;
  /** The model, initialised from the seed. */
  model: NoPropDT;
}

/** The first `limit` images of a set (all when 0), without copying. */
export function limitSet(set: ImageSet, limit: number): ImageSet {
  if (!limit || limit >= set.count) return set;
  const per = set.height * set.width * set.channels;
  return {
    ...set,
    count: limit,
    images: set.images.subarray(0, limit * per),
    labels: set.labels.subarray(0, limit),
  };
}

/** Hyper-parameters of the block trainer, from the config. */
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
  };
}

/** Loads the data and builds the model for `config`. */
export async function setupRun(config: Config): Promise<RunSetup> {
  const dataDir = resolveDataDir(config);
  const data = await loadDataset(config.dataset, dataDir ? { dataDir } : {});
  const train = limitSet(data.train, config.trainLimit);
  const stats = NORMALIZATION[config.dataset];
  const { height, width, channels } = data.info;
  let prototypeData;
  if (config.embedding === "prototype") {
    const features = new Float32Array(train.count * height * width * channels);
    normalizeInto(
      train,
      Uint32Array.from({ length: train.count }, (_, i) => i),
      stats,
      features,
      "NHWC",
    );
    prototypeData = { features, labels: train.labels };
  }
  const model = createNoPropDT({
    image: { height, width, channels },
    classes: data.info.numClasses,
    T: config.T,
    schedule: config.schedule,
    embedding: config.embedding,
    embedDim: config.embeddingDim,
    widths: config.widths as [number, number, number],
    hidden: config.hidden,
    seed: config.seed,
    prototypeData,
  });
  return { data, train, stats, model };
}
