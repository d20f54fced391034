/**
 * Integration test on the real CIFAR-10 files at ../shared/data/cifar10 (the extracted
 * `cifar-10-batches-bin/`): every `.bin` passes its official per-file MD5 and loads. Skipped,
 * with a SKIPPED line, when the folder is absent.
 */
import { assertEquals, assertStrictEquals } from "../assert.ts";
import { loadDataset } from "../../src/data/mod.ts";
import { loadCifarSplits } from "../../src/data/cifar_files.ts";
import { resolveOptions } from "../../src/data/options.ts";
import { CIFAR10_SOURCE } from "../../src/data/sources.ts";
import { assertDatasetError } from "../_helpers/data.ts";

const dataDir = new URL("../../../shared/data", import.meta.url).pathname;
const exists = (() => {
  try {
    return Deno.statSync(`${dataDir}/cifar10/cifar-10-batches-bin`).isDirectory;
  } catch {
    return false;
  }
})();
if (!exists) {
  console.log(`SKIPPED the real-CIFAR-10 tests: ${dataDir}/cifar10/cifar-10-batches-bin not found`);
}

Deno.test({
  name: "cifar10 (real files): per-file md5s verify; 50000/10000 images, 10 classes, known labels",
  ignore: !exists,
  fn: async () => {
    const t0 = performance.now();
    const { train, test, info } = await loadDataset("cifar10", { dataDir, log: () => {} });
    const ms = performance.now() - t0;
    console.log(
      `real CIFAR-10 (train + test, per-file md5 verified) loaded in ${ms.toFixed(0)} ms`,
    );
    assertEquals([train.count, test.count], [50000, 10000]);
    assertStrictEquals(train.images.length, 50000 * 32 * 32 * 3);
    assertEquals([info.height, info.width, info.channels, info.numClasses], [32, 32, 3, 10]);
    assertEquals(info.classNames.slice(0, 3), ["airplane", "automobile", "bird"]);
    // frog, truck, truck, deer, automobile: the first records of data_batch_1.bin
    assertEquals([...train.labels.subarray(0, 5)], [6, 9, 9, 4, 1]);
    // cat, ship, ship, airplane, frog: the first records of test_batch.bin
    assertEquals([...test.labels.subarray(0, 5)], [3, 8, 8, 0, 6]);
    // 5000 images of each class in the training set, 1000 in the test set.
    for (const [set, n] of [[train, 5000], [test, 1000]] as const) {
      const counts = new Array(10).fill(0);
      for (const l of set.labels) counts[l]++;
      assertEquals(counts, new Array(10).fill(n));
    }
  },
});

Deno.test({
  name: "cifar10 (real files): a sum table that disagrees with one real file names that file",
  ignore: !exists,
  fn: async () => {
    const sums = { ...CIFAR10_SOURCE.binMd5, "data_batch_4.bin": "0".repeat(32) };
    const opts = resolveOptions({ dataDir, log: () => {} });
    await assertDatasetError(
      loadCifarSplits({ ...CIFAR10_SOURCE, binMd5: sums }, opts),
      `${dataDir}/cifar10/cifar-10-batches-bin/data_batch_4.bin: checksum mismatch`,
      "md5 ae636b3ba5c66a11e91e8cb52e771fcb",
    );
  },
});
