/**
 * Dataset loading for NoProp: MNIST, Fashion-MNIST, CIFAR-10 and CIFAR-100, read
 * from a data dir or downloaded (and checksum-verified) into a cache on first use,
 * held in memory as NHWC bytes, normalised per batch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { batches, loadDataset } from "./mod.ts";
 * import { Rng } from "../rng.ts";
 * // A data dir with a tiny MNIST in plain IDX files: 3 training and 2 test images.
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/mnist`);
 * const idx = (magic: number, dims: number[]) => {
 *   const bytes = new Uint8Array(4 + 4 * dims.length + dims.reduce((a, b) => a * b));
 *   [magic, ...dims].forEach((v, i) => new DataView(bytes.buffer).setUint32(4 * i, v));
 *   return bytes; // header, then all-zero pixels or labels
 * };
 * for (const [split, n] of [["train", 3], ["t10k", 2]] as const) {
 *   await Deno.writeFile(`${dir}/mnist/${split}-images-idx3-ubyte`, idx(2051, [n, 28, 28]));
 *   await Deno.writeFile(`${dir}/mnist/${split}-labels-idx1-ubyte`, idx(2049, [n]));
 * }
 * const { train, test, info } = await loadDataset("mnist", { dataDir: dir });
 * assert.deepEqual([info.classNames.length, train.count, test.count], [10, 3, 2]);
 * for (const b of batches(train, { batchSize: 2, rng: new Rng(0), stats: info })) {
 *   assert.equal(b.x.length, b.size * 28 * 28); // NHWC floats to train on, labels in b.y
 * }
 * await Deno.remove(dir, { recursive: true });
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
 * import assert from "node:assert/strict";
 * import { DATASET_NAMES } from "./mod.ts";
 * assert.equal(DATASET_NAMES.join(", "), "mnist, fashion-mnist, cifar10, cifar100");
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
 * import assert from "node:assert/strict";
 * import { isDatasetName } from "./mod.ts";
 * assert.equal(isDatasetName("cifar10"), true);
 * assert.equal(isDatasetName("imagenet"), false);
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
 * import assert from "node:assert/strict";
 * import { loadDataset } from "./mod.ts";
 * // A data dir with loose CIFAR-100 files of one record each (coarse, fine label, pixels).
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/cifar100`);
 * for (const name of ["train.bin", "test.bin"]) {
 *   await Deno.writeFile(`${dir}/cifar100/${name}`, new Uint8Array(3074));
 * }
 * const cifar = await loadDataset("cifar100", { dataDir: dir, cifar100Labels: "coarse" });
 * assert.equal(cifar.info.numClasses, 20);
 * assert.deepEqual(cifar.info.mean, [0.5071, 0.4865, 0.4409]);
 * await assert.rejects(loadDataset("cifar10", { dataDir: dir }), /CIFAR-10: no data in the data/);
 * await Deno.remove(dir, { recursive: true });
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
