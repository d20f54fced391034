/**
 * Where each dataset comes from: file names, canonical download locations and
 * published MD5 checksums, and the sub-folder it lives in under a data or cache dir.
 *
 * Checksums: MNIST as published by torchvision; Fashion-MNIST from its official
 * README; CIFAR archives from https://www.cs.toronto.edu/~kriz/cifar.html. The per-file
 * sums of CIFAR-10's extracted `.bin` files are those of the files inside the official
 * `cifar-10-binary.tar.gz` (as listed in `../shared/data/cifar10/MD5SUMS`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MNIST_SOURCE } from "./sources.ts";
 * assert.equal(
 *   MNIST_SOURCE.mirrors[0] + MNIST_SOURCE.files.trainImages.name,
 *   "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz",
 * );
 * ```
 * @module
 */

/**
 * A file name and its published MD5 (hex).
 *
 * @example
 * ```ts
 * import type { KnownFile } from "./sources.ts";
 * const f: KnownFile = {
 *   name: "t10k-labels-idx1-ubyte.gz",
 *   md5: "ec29112dd5afa0611ce80d1b7f02629c",
 * };
 * ```
 */
export interface KnownFile {
  /** File name. */
  name: string;
  /** MD5, 32 lowercase hex digits. */
  md5: string;
}

/**
 * An MNIST-style dataset: four gzip-compressed IDX files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FASHION_MNIST_SOURCE, type IdxSource } from "./sources.ts";
 * const urlsOf = (s: IdxSource, name: string) => s.mirrors.map((m) => m + name);
 * assert.equal(urlsOf(FASHION_MNIST_SOURCE, "x.gz").length, FASHION_MNIST_SOURCE.mirrors.length);
 * ```
 */
export interface IdxSource {
  /** Sub-folder under a data dir or the cache dir. */
  subdir: string;
  /** Human-readable name for messages. */
  title: string;
  /** Base URLs (ending in "/"), tried in order. */
  mirrors: string[];
  /** The four files. */
  files: {
    trainImages: KnownFile;
    trainLabels: KnownFile;
    testImages: KnownFile;
    testLabels: KnownFile;
  };
}

/**
 * A CIFAR dataset in its official binary version.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CIFAR10_SOURCE } from "./sources.ts";
 * assert.ok(CIFAR10_SOURCE.url.endsWith(`/${CIFAR10_SOURCE.archive.name}`));
 * ```
 */
export interface CifarSource {
  /** Sub-folder under a data dir or the cache dir. */
  subdir: string;
  /** Human-readable name for messages. */
  title: string;
  /** Which binary record format. */
  variant: "cifar10" | "cifar100";
  /** The `.tar.gz` archive. */
  archive: KnownFile;
  /** Download URL of the archive. */
  url: string;
  /** Folder the archive extracts to. */
  folder: string;
  /** Training `.bin` files, in order. */
  train: string[];
  /** Test `.bin` file. */
  test: string;
  /**
   * MD5 of each extracted `.bin` file (the files inside the official archive), checked when
   * they are read from a folder rather than from the (itself checked) archive; absent when
   * no per-file sums are known, and then extracted files are not verified.
   */
  binMd5?: Readonly<Record<string, string>>;
}

/**
 * MNIST (torchvision's mirror first, then the original site).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MNIST_SOURCE } from "./sources.ts";
 * assert.equal(MNIST_SOURCE.files.trainImages.md5, "f68b3c2dcbeaaa9fbdd348bbdeb94873");
 * ```
 */
export const MNIST_SOURCE: IdxSource = {
  subdir: "mnist",
  title: "MNIST",
  mirrors: ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"],
  files: {
    trainImages: { name: "train-images-idx3-ubyte.gz", md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873" },
    trainLabels: { name: "train-labels-idx1-ubyte.gz", md5: "d53e105ee54ea40749a09fcbcd1e9432" },
    testImages: { name: "t10k-images-idx3-ubyte.gz", md5: "9fb629c4189551a2d022fa330f9573f3" },
    testLabels: { name: "t10k-labels-idx1-ubyte.gz", md5: "ec29112dd5afa0611ce80d1b7f02629c" },
  },
};

/**
 * Fashion-MNIST (Zalando's S3 website).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FASHION_MNIST_SOURCE } from "./sources.ts";
 * assert.equal(FASHION_MNIST_SOURCE.subdir, "fashion-mnist");
 * ```
 */
export const FASHION_MNIST_SOURCE: IdxSource = {
  subdir: "fashion-mnist",
  title: "Fashion-MNIST",
  mirrors: ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
  files: {
    trainImages: { name: "train-images-idx3-ubyte.gz", md5: "8d4fb7e6c68d591d4c3dfef9ec88bf0d" },
    trainLabels: { name: "train-labels-idx1-ubyte.gz", md5: "25c81989df183df01b3e8a0aad5dffbe" },
    testImages: { name: "t10k-images-idx3-ubyte.gz", md5: "bef4ecab320f06d8554ea6380940ec79" },
    testLabels: { name: "t10k-labels-idx1-ubyte.gz", md5: "bb300cfdad3c16e7a12a480ee83cd310" },
  },
};

/**
 * CIFAR-10, binary version.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CIFAR10_SOURCE } from "./sources.ts";
 * assert.deepEqual(CIFAR10_SOURCE.train, [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`));
 * ```
 */
export const CIFAR10_SOURCE: CifarSource = {
  subdir: "cifar10",
  title: "CIFAR-10",
  variant: "cifar10",
  archive: { name: "cifar-10-binary.tar.gz", md5: "c32a1d4ab5d03f1284b67883e8d87530" },
  url: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
  folder: "cifar-10-batches-bin",
  train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`),
  test: "test_batch.bin",
  binMd5: {
    "data_batch_1.bin": "5dd7e06a14cb22eb9f671a540d1b7c25",
    "data_batch_2.bin": "5ea93a67294ea407fff1d09f752e9692",
    "data_batch_3.bin": "942cd6a4bcdd0dd3c604fbe906cb4421",
    "data_batch_4.bin": "ae636b3ba5c66a11e91e8cb52e771fcb",
    "data_batch_5.bin": "53f37980c15c3d472c316c40844f3f0d",
    "test_batch.bin": "803d5f7f4d78ea53de84dbe85f74fb6d",
  },
};

/**
 * CIFAR-100, binary version. Only the archive has a published MD5: the sums of its
 * extracted `train.bin`/`test.bin` are not published and no copy was at hand to take them
 * from, so extracted CIFAR-100 files are loaded unverified (the record-size and label checks
 * still apply).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CIFAR100_SOURCE } from "./sources.ts";
 * assert.deepEqual(CIFAR100_SOURCE.train, ["train.bin"]);
 * ```
 */
export const CIFAR100_SOURCE: CifarSource = {
  subdir: "cifar100",
  title: "CIFAR-100",
  variant: "cifar100",
  archive: { name: "cifar-100-binary.tar.gz", md5: "03b5dce01913d631647c71ecec9e9cb8" },
  url: "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
  folder: "cifar-100-binary",
  train: ["train.bin"],
  test: "test.bin",
};
