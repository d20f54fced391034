// The default model shipped in models/mnist: small, intact, and accurate on real MNIST through
// onnxruntime (so `deno run … infer.ts digit.png` works on a fresh clone).
import { assert } from "../assert.ts";
import { createClassifier, loadModelFolder } from "../../src/infer/mod.ts";
import { loadDataset } from "../../src/data/mod.ts";

const modelDir = new URL("../../models/mnist", import.meta.url).pathname;
const dataDir = new URL("../../../shared/data", import.meta.url).pathname;
const haveData = await Deno.stat(`${dataDir}/mnist`).then(() => true, () => false);

Deno.test("the shipped model is under 10 MB and every graph matches its manifest sha256", async () => {
  let bytes = 0;
  for await (const e of Deno.readDir(modelDir)) {
    bytes += (await Deno.stat(`${modelDir}/${e.name}`)).size;
  }
  assert(bytes < 10 * 2 ** 20, `models/mnist is ${bytes} bytes`);
  const folder = await loadModelFolder(modelDir); // verifies every sha256
  assert(folder.manifest.T === 10);
});

if (!haveData) {
  console.log("SKIPPED: shipped-model accuracy (no real MNIST at ../shared/data/mnist)");
}
Deno.test({
  name:
    "the shipped model classifies the first 1000 real MNIST test digits at ≥ 98.5% via onnxruntime",
  ignore: !haveData,
  fn: async () => {
    const { test } = await loadDataset("mnist", { dataDir });
    const clf = await createClassifier({ modelDir, provider: "cpu" });
    const n = 1000, images = [];
    for (let i = 0; i < n; i++) {
      images.push({
        width: 28,
        height: 28,
        channels: 1,
        data: test.images.subarray(i * 784, (i + 1) * 784),
      });
    }
    const out = await clf.classify(images);
    const correct = out.filter((r, i) => r.index === test.labels[i]).length;
    assert(correct / n >= 0.985, `accuracy ${correct / n}`);
  },
});
