/** MNIST / Fashion-MNIST (IDX + gzip) loading from a data dir, and every bad-input case. */
import { assertEquals, assertStrictEquals } from "../assert.ts";
import { type DatasetName, loadDataset } from "../../src/data/mod.ts";
import { parseIdxImages, parseIdxLabels } from "../../src/data/idx.ts";
import {
  assertDatasetError,
  gzip,
  idxImages,
  idxLabels,
  offline,
  pixelAt,
  withTempDir,
  writeIdxDataset,
} from "../_helpers/data.ts";

const TRAIN = [5, 0, 4];
const TEST = [7, 2];
const unverified = { ...offline, verifyChecksums: false };

Deno.test("idx: generated MNIST gz files in <dataDir>/mnist load with exact pixels, labels and info", async () => {
  await withTempDir(async (dir) => {
    await writeIdxDataset(dir, "mnist", TRAIN, TEST);
    const { train, test, info } = await loadDataset("mnist", { ...unverified, dataDir: dir });
    assertEquals([train.count, train.height, train.width, train.channels], [3, 28, 28, 1]);
    assertEquals([...train.labels], TRAIN);
    assertEquals([...test.labels], TEST);
    assertStrictEquals(train.images.length, 3 * 784);
    for (const [n, i] of [[0, 0], [1, 5], [2, 783]]) {
      assertStrictEquals(train.images[n * 784 + i], pixelAt(n, i));
    }
    assertStrictEquals(test.images[784 + 100], pixelAt(1, 100));
    assertEquals(info, {
      name: "mnist",
      height: 28,
      width: 28,
      channels: 1,
      numClasses: 10,
      classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
      mean: [0.1307],
      std: [0.3081],
    });
  });
});

Deno.test("idx: Fashion-MNIST reads <dataDir>/fashion-mnist and names its 10 classes", async () => {
  await withTempDir(async (dir) => {
    await writeIdxDataset(dir, "fashion-mnist", [9, 0], [1]);
    const { train, info } = await loadDataset("fashion-mnist", { ...unverified, dataDir: dir });
    assertEquals([...train.labels], [9, 0]);
    assertEquals(info.classNames[0], "T-shirt/top");
    assertEquals(info.classNames[9], "Ankle boot");
    assertEquals([info.mean, info.std], [[0.2860], [0.3530]]);
  });
});

Deno.test("idx: uncompressed IDX files are accepted when the .gz is absent", async () => {
  await withTempDir(async (dir) => {
    const folder = `${dir}/mnist`;
    await Deno.mkdir(folder);
    await Deno.writeFile(`${folder}/train-images-idx3-ubyte`, idxImages(2));
    await Deno.writeFile(`${folder}/train-labels-idx1-ubyte`, idxLabels([3, 4]));
    await Deno.writeFile(`${folder}/t10k-images-idx3-ubyte`, idxImages(1));
    await Deno.writeFile(`${folder}/t10k-labels-idx1-ubyte`, idxLabels([8]));
    const { train, test } = await loadDataset("mnist", { ...offline, dataDir: dir });
    assertEquals([...train.labels, ...test.labels], [3, 4, 8]);
  });
});

Deno.test("idx: parsers return views over the input, not copies", () => {
  const raw = idxImages(2, 2, 3);
  const img = parseIdxImages(raw, "x", { rows: 2, cols: 3 });
  assertStrictEquals(img.pixels.buffer, raw.buffer);
  const labels = parseIdxLabels(idxLabels([1, 2]), "y");
  assertEquals([...labels], [1, 2]);
});

Deno.test("idx: wrong magic number in the image file is a DatasetError naming the file", async () => {
  await withTempDir(async (dir) => {
    await writeIdxDataset(dir, "mnist", TRAIN, TEST, {
      "train-images-idx3-ubyte.gz": idxImages(3, 28, 28, 2049),
    });
    await assertDatasetError(
      loadDataset("mnist", { ...unverified, dataDir: dir }),
      "train-images-idx3-ubyte.gz",
      "wrong magic number 2049",
      "expected 2051",
    );
  });
});

Deno.test("idx: wrong magic number in the label file is a DatasetError naming the file", async () => {
  await withTempDir(async (dir) => {
    await writeIdxDataset(dir, "mnist", TRAIN, TEST, {
      "t10k-labels-idx1-ubyte.gz": idxLabels(TEST, 2051),
    });
    await assertDatasetError(
      loadDataset("mnist", { ...unverified, dataDir: dir }),
      "t10k-labels-idx1-ubyte.gz",
      "wrong magic number 2051",
      "expected 2049",
    );
  });
});

Deno.test("idx: truncated gzip is a DatasetError, not a partial dataset", async () => {
  await withTempDir(async (dir) => {
    const folder = await writeIdxDataset(dir, "mnist", TRAIN, TEST);
    const path = `${folder}/train-images-idx3-ubyte.gz`;
    const gz = await Deno.readFile(path);
    await Deno.writeFile(path, gz.subarray(0, gz.length - 20));
    await assertDatasetError(
      loadDataset("mnist", { ...unverified, dataDir: dir }),
      path,
      "truncated gzip",
    );
  });
});

Deno.test("idx: a file that is not gzip at all is a DatasetError", async () => {
  await withTempDir(async (dir) => {
    const folder = await writeIdxDataset(dir, "mnist", TRAIN, TEST);
    await Deno.writeFile(`${folder}/train-labels-idx1-ubyte.gz`, idxLabels(TRAIN));
    await assertDatasetError(
      loadDataset("mnist", { ...unverified, dataDir: dir }),
      "train-labels-idx1-ubyte.gz",
      "not a gzip file",
    );
  });
});

Deno.test("idx: fewer pixel bytes than the header declares is a truncation error", async () => {
  await withTempDir(async (dir) => {
    const full = idxImages(3);
    await writeIdxDataset(dir, "mnist", TRAIN, TEST, {
      "train-images-idx3-ubyte.gz": full.subarray(0, full.length - 1),
    });
    await assertDatasetError(
      loadDataset("mnist", { ...unverified, dataDir: dir }),
      "train-images-idx3-ubyte.gz",
      "truncated",
      "3 images of 28x28",
    );
  });
});

Deno.test("idx: trailing bytes after the declared data are rejected", async () => {
  await withTempDir(async (dir) => {
    const labels = idxLabels(TEST);
    await writeIdxDataset(dir, "mnist", TRAIN, TEST, {
      "t10k-labels-idx1-ubyte.gz": new Uint8Array([...labels, 0]),
    });
    await assertDatasetError(
      loadDataset("mnist", { ...unverified, dataDir: dir }),
      "t10k-labels-idx1-ubyte.gz",
      "1 unexpected trailing bytes",
    );
  });
});

Deno.test("idx: images that are not 28x28 are rejected", async () => {
  await withTempDir(async (dir) => {
    await writeIdxDataset(dir, "mnist", TRAIN, TEST, {
      "t10k-images-idx3-ubyte.gz": idxImages(2, 32, 32),
    });
    await assertDatasetError(
      loadDataset("mnist", { ...unverified, dataDir: dir }),
      "t10k-images-idx3-ubyte.gz",
      "32x32",
      "expected 28x28",
    );
  });
});

Deno.test("idx: image count different from label count names both files", async () => {
  await withTempDir(async (dir) => {
    await writeIdxDataset(dir, "mnist", TRAIN, TEST, {
      "train-labels-idx1-ubyte.gz": idxLabels([1, 2]),
    });
    await assertDatasetError(
      loadDataset("mnist", { ...unverified, dataDir: dir }),
      "train-images-idx3-ubyte.gz has 3 images",
      "train-labels-idx1-ubyte.gz has 2 labels",
    );
  });
});

Deno.test("idx: a label value of 10 or more is rejected", async () => {
  await withTempDir(async (dir) => {
    await writeIdxDataset(dir, "mnist", [1, 10, 2], TEST);
    await assertDatasetError(
      loadDataset("mnist", { ...unverified, dataDir: dir }),
      "train-labels-idx1-ubyte.gz",
      "label 10 at index 1 is out of range",
    );
  });
});

Deno.test("idx: a data-dir file failing its published MD5 is a checksum error", async () => {
  await withTempDir(async (dir) => {
    await writeIdxDataset(dir, "mnist", TRAIN, TEST);
    await assertDatasetError(
      loadDataset("mnist", { ...offline, dataDir: dir }), // verification on by default
      "-idx",
      "checksum mismatch",
      "expected",
    );
  });
});

Deno.test("idx: a missing file in the data dir names the path and does not download", async () => {
  await withTempDir(async (dir) => {
    const folder = await writeIdxDataset(dir, "mnist", TRAIN, TEST);
    await Deno.remove(`${folder}/t10k-images-idx3-ubyte.gz`);
    let fetched = false;
    await assertDatasetError(
      loadDataset("mnist", {
        ...unverified,
        dataDir: dir,
        fetch: () => {
          fetched = true;
          return Promise.reject(new TypeError("no"));
        },
      }),
      `${folder}/t10k-images-idx3-ubyte.gz`,
      "missing",
    );
    assertStrictEquals(fetched, false);
  });
});

Deno.test("idx: gzip helper round-trips (sanity check of the test fixtures)", async () => {
  const { gunzipFile } = await import("../../src/data/gzip.ts");
  const raw = idxLabels([1, 2, 3]);
  assertEquals(gunzipFile(await gzip(raw), "x.gz"), raw);
});

Deno.test("loadDataset: an unknown dataset name is a DatasetError listing the valid names", async () => {
  await assertDatasetError(
    loadDataset("imagenet" as DatasetName, offline),
    'unknown dataset "imagenet"',
    "mnist, fashion-mnist, cifar10, cifar100",
  );
});
