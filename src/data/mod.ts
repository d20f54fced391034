/**
 * Dataset loading for NoProp: MNIST, Fashion-MNIST, CIFAR-10 and CIFAR-100, read
 * from a data dir or downloaded (and checksum-verified) into a cache on first use,
 * held in memory as NHWC bytes, normalised per batch.
 *
 * @example
 * ```ts
 * import { batches, loadDataset, NORMALIZATION } from "./mod.ts";
 * import { Rng } from "../rng.ts";
 * const { train, test, info } = await loadDataset("mnist", { dataDir: "../shared/data" });
 * console.log(info.classNames.length, train.count, test.count); // 10 60000 10000
 * for (const b of batches(train, { batchSize: 128, rng: new Rng(0), stats: info })) {
 *   // train on b.x (NHWC floats) and b.y
 * }
 * ```
 * @module
 */
import { loadCifarSplits } from "./cifar_files.ts";
import { FASHION_MNIST_CLASSES, MNIST_CLASSES } from "./class_names.ts";
import { DatasetError } from "./errors.ts";
import { loadIdxSplits } from "./mnist.ts";
import { NORMALIZATION } from "./normalize.ts";
import { type LoadOptions, resolveOptions } from "./options.ts";
import { CIFAR100_SOURCE, CIFAR10_SOURCE, FASHION_MNIST_SOURCE, MNIST_SOURCE } from "./sources.ts";
import type { Dataset, DatasetName, ImageSet } from "./types.ts";

export { DatasetError } from "./errors.ts";
export type { Dataset, DatasetInfo, DatasetName, ImageSet } from "./types.ts";
export type { LoadOptions } from "./options.ts";
export type { FetchLike } from "./download.ts";
export { defaultCacheDir } from "./download.ts";
export {
  type Layout,
  NORMALIZATION,
  normalizationTable,
  normalizeInto,
  normalizePixel,
  type NormStats,
} from "./normalize.ts";
export { type Batch, batchCount, batches, type BatchOptions, epochOrder } from "./batches.ts";

/**
 * The dataset names {@linkcode loadDataset} accepts.
 *
 * @example
 * ```ts
 * import { DATASET_NAMES } from "./mod.ts";
 * console.log(DATASET_NAMES.join(", ")); // "mnist, fashion-mnist, cifar10, cifar100"
 * ```
 */
export const DATASET_NAMES: readonly DatasetName[] = Object.freeze([
  "mnist",
  "fashion-mnist",
  "cifar10",
  "cifar100",
]);

/**
 * True when `name` is one of {@linkcode DATASET_NAMES}.
 *
 * @example
 * ```ts
 * import { isDatasetName } from "./mod.ts";
 * console.log(isDatasetName("cifar10"), isDatasetName("imagenet")); // true false
 * ```
 */
export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}

/**
 * Loads a dataset's train and test splits and its description.
 *
 * Files come from `opts.dataDir` (or `$NOPROP_DATA_DIR`) when set — layout
 * `<dataDir>/mnist/`, `<dataDir>/fashion-mnist/`, `<dataDir>/cifar10/`,
 * `<dataDir>/cifar100/` — and otherwise from the cache, downloaded on first use from
 * the canonical locations. Files with a published checksum are verified either way.
 * Throws a one-line {@linkcode DatasetError} when anything is missing or malformed.
 *
 * @example
 * ```ts
 * import { loadDataset } from "./mod.ts";
 * const cifar = await loadDataset("cifar100", { cifar100Labels: "coarse" });
 * console.log(cifar.info.numClasses, cifar.info.mean); // 20 [0.5071, 0.4865, 0.4409]
 * ```
 */
export async function loadDataset(name: DatasetName, opts: LoadOptions = {}): Promise<Dataset> {
  if (!isDatasetName(name)) {
    throw new DatasetError(
      `unknown dataset "${name}" (expected one of ${DATASET_NAMES.join(", ")})`,
    );
  }
  const o = resolveOptions(opts);
  let train: ImageSet, test: ImageSet, classNames: string[];
  if (name === "mnist" || name === "fashion-mnist") {
    ({ train, test } = await loadIdxSplits(
      name === "mnist" ? MNIST_SOURCE : FASHION_MNIST_SOURCE,
      o,
    ));
    classNames = [...(name === "mnist" ? MNIST_CLASSES : FASHION_MNIST_CLASSES)];
  } else {
    ({ train, test, classNames } = await loadCifarSplits(
      name === "cifar10" ? CIFAR10_SOURCE : CIFAR100_SOURCE,
      o,
    ));
  }
  const stats = NORMALIZATION[name];
  return {
    train,
    test,
    info: {
      name,
      height: train.height,
      width: train.width,
      channels: train.channels,
      numClasses: classNames.length,
      classNames,
      mean: [...stats.mean],
      std: [...stats.std],
    },
  };
}
