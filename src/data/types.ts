/**
 * Shared types of the data loaders: dataset names, an in-memory image set, and the
 * dataset description the trainer and the exporters read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Dataset, DatasetName } from "./types.ts";
 * function describe(d: Dataset): string {
 *   return `${d.info.name}: ${d.train.count} train / ${d.test.count} test`;
 * }
 * const name: DatasetName = "mnist";
 * const set = {
 *   count: 1, height: 1, width: 1, channels: 1, images: Uint8Array.of(0), labels: Uint8Array.of(0),
 * };
 * const info = {
 *   name, height: 1, width: 1, channels: 1, numClasses: 1, classNames: ["0"], mean: [0], std: [1],
 * };
 * assert.equal(describe({ train: set, test: set, info }), "mnist: 1 train / 1 test");
 * ```
 * @module
 */

/**
 * The supported datasets.
 *
 * @example
 * ```ts
 * import type { DatasetName } from "./types.ts";
 * const names: DatasetName[] = ["mnist", "fashion-mnist", "cifar10", "cifar100"];
 * ```
 */
export type DatasetName = "mnist" | "fashion-mnist" | "cifar10" | "cifar100";

/**
 * One split (train or test) held in memory as raw bytes: ONE `Uint8Array` of all
 * images in NHWC order (image, row, column, channel) and one label per image.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ImageSet } from "./types.ts";
 * const set: ImageSet = {
 *   count: 1, height: 1, width: 2, channels: 1,
 *   images: new Uint8Array([0, 255]), labels: new Uint8Array([3]),
 * };
 * const pixel = (n: number, y: number, x: number, c: number) =>
 *   set.images[((n * set.height + y) * set.width + x) * set.channels + c];
 * assert.equal(pixel(0, 0, 1, 0), 255);
 * ```
 */
export interface ImageSet {
  /** Number of images. */
  count: number;
  /** Image height in pixels. */
  height: number;
  /** Image width in pixels. */
  width: number;
  /** Colour channels per pixel (1 for MNIST-style data, 3 for CIFAR). */
  channels: number;
  /** `count × height × width × channels` bytes, NHWC. */
  images: Uint8Array;
  /** `count` class indices. */
  labels: Uint8Array;
}

/**
 * What a model needs to know about a dataset.
 *
 * @example
 * ```ts
 * import type { DatasetInfo } from "./types.ts";
 * const info: DatasetInfo = {
 *   name: "mnist", height: 28, width: 28, channels: 1, numClasses: 10,
 *   classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
 *   mean: [0.1307], std: [0.3081],
 * };
 * ```
 */
export interface DatasetInfo {
  /** Dataset name. */
  name: DatasetName;
  /** Image height in pixels. */
  height: number;
  /** Image width in pixels. */
  width: number;
  /** Colour channels. */
  channels: number;
  /** Number of classes (for CIFAR-100: 100 fine or 20 coarse). */
  numClasses: number;
  /** Class names, indexed by label. */
  classNames: string[];
  /** Per-channel mean used by the normalisation (on pixel/255). */
  mean: number[];
  /** Per-channel standard deviation used by the normalisation (on pixel/255). */
  std: number[];
}

/**
 * A loaded dataset: both splits plus its description.
 *
 * @example
 * ```ts
 * import type { Dataset } from "./types.ts";
 * const summary = (d: Dataset) => [d.info.name, d.train.count, d.test.count];
 * ```
 */
export interface Dataset {
  /** Training split. */
  train: ImageSet;
  /** Test split. */
  test: ImageSet;
  /** Shape, classes and normalisation constants. */
  info: DatasetInfo;
}
