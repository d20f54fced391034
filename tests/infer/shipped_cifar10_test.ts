// The CIFAR-10 model shipped in models/cifar10: small, intact, accurate on real CIFAR-10 through
// onnxruntime, and `infer.ts --model models/cifar10 <photo>` names the class of photos of any size.
import { assert, assertEquals } from "../assert.ts";
import { createClassifier, loadModelFolder } from "../../src/infer/mod.ts";
import { loadDataset } from "../../src/data/mod.ts";

const root = new URL("../..", import.meta.url).pathname;
const modelDir = `${root}models/cifar10`;
const dataDir = new URL("../../../shared/data", import.meta.url).pathname;
const haveData = await Deno.stat(`${dataDir}/cifar10`).then(() => true, () => false);

Deno.test("the shipped CIFAR-10 model is under 15 MB and every graph matches its manifest sha256", async () => {
  let bytes = 0;
  for await (const e of Deno.readDir(modelDir)) {
    if (e.isFile) bytes += (await Deno.stat(`${modelDir}/${e.name}`)).size;
  }
  assert(bytes < 15 * 2 ** 20, `models/cifar10 is ${bytes} bytes`);
  const folder = await loadModelFolder(modelDir); // verifies every sha256
  assertEquals(folder.manifest.classNames.length, 10);
  assertEquals(folder.manifest.classNames[3], "cat");
});

Deno.test("infer.ts names the class of enlarged, non-square CIFAR-10 test photos", async () => {
  // samples/: CIFAR-10 test images (a cat, a ship, a horse) enlarged to 320×240, 200×200 and 97×131
  // (models/cifar10/README.md); the runtime resizes them back to 32×32 with its triangle filter.
  const samples = `${modelDir}/samples`;
  const names = ["cat", "ship", "horse"];
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--config=${root}deno.json`,
      `--allow-read=${modelDir},${samples}`,
      "--allow-ffi",
      `${root}infer.ts`,
      "--model",
      modelDir,
      "--provider",
      "cpu",
      "--json",
      ...names.map((n) => `${samples}/${n}.png`),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  const report = JSON.parse(new TextDecoder().decode(out.stdout));
  const labels = report.results.map((r: { label: string }) => r.label);
  assertEquals(labels, names);
});

if (!haveData) {
  console.log(
    "SKIPPED: shipped CIFAR-10 model accuracy (no real CIFAR-10 at ../shared/data/cifar10)",
  );
}
Deno.test({
  name:
    "the shipped CIFAR-10 model classifies the first 1000 real test images at ≥ 68% via onnxruntime",
  ignore: !haveData,
  fn: async () => {
    const { test } = await loadDataset("cifar10", { dataDir });
    const clf = await createClassifier({ modelDir, provider: "cpu" });
    const n = 1000, images = [];
    for (let i = 0; i < n; i++) {
      const data = test.images.subarray(i * 3072, (i + 1) * 3072);
      images.push({ width: 32, height: 32, channels: 3, data });
    }
    const out = await clf.classify(images);
    const correct = out.filter((r, i) => r.index === test.labels[i]).length;
    assert(correct / n >= 0.68, `accuracy ${correct / n}`);
  },
});
