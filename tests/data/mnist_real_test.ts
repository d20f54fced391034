/** Integration test on the real MNIST files at ../shared/data/mnist (skipped when absent). */
import { assert, assertEquals, assertStrictEquals } from "../assert.ts";
import { batches, loadDataset } from "../../src/data/mod.ts";
import { Rng } from "../../src/rng.ts";

const dataDir = new URL("../../../shared/data", import.meta.url).pathname;
const exists = (() => {
  try {
    return Deno.statSync(`${dataDir}/mnist`).isDirectory;
  } catch {
    return false;
  }
})();
if (!exists) console.log(`skipping the real-MNIST tests: ${dataDir}/mnist not found`);

Deno.test({
  name: "mnist (real files): 60000/10000 images, known first labels, verified md5s",
  ignore: !exists,
  fn: async () => {
    const t0 = performance.now();
    const { train, test, info } = await loadDataset("mnist", { dataDir, log: () => {} });
    const ms = performance.now() - t0;
    console.log(`real MNIST (train + test, md5 verified) loaded in ${ms.toFixed(0)} ms`);
    assertEquals([train.count, test.count], [60000, 10000]);
    assertStrictEquals(train.images.length, 60000 * 28 * 28);
    assertStrictEquals(test.images.length, 10000 * 28 * 28);
    assertEquals([...train.labels.subarray(0, 5)], [5, 0, 4, 1, 9]);
    assertEquals([...test.labels.subarray(0, 5)], [7, 2, 1, 0, 4]);
    assertEquals([info.height, info.width, info.channels, info.numClasses], [28, 28, 1, 10]);
    // Each digit class holds roughly a tenth of the training set.
    const counts = new Array(10).fill(0);
    for (const l of train.labels) counts[l]++;
    assert(counts.every((c) => c > 5000 && c < 7000), `class counts ${counts}`);

    const t1 = performance.now();
    let seen = 0;
    let sum = 0;
    for (const b of batches(train, { batchSize: 256, rng: new Rng(0), stats: info })) {
      seen += b.size;
      for (let i = 0; i < b.x.length; i += 97) sum += b.x[i];
    }
    console.log(
      `one shuffled, normalised epoch of batches: ${(performance.now() - t1).toFixed(0)} ms`,
    );
    assertStrictEquals(seen, 60000);
    assert(Number.isFinite(sum));
  },
});
