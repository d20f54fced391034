// The default model shipped in models/mnist: small, intact, and accurate on real MNIST through
// onnxruntime (so `deno run … infer.ts digit.png` works on a fresh clone); its fused chain.onnx is
// what `deno task export --from-export` builds from its block graphs, and classifies like them.
import { assert, assertEquals } from "../assert.ts";
import { createClassifier, loadModelFolder, sha256Hex } from "../../src/infer/mod.ts";
import { loadDataset } from "../../src/data/mod.ts";
import { chainGraph } from "../../src/onnx/chain_graph.ts";
import { chainOptionsFromExport } from "../../src/onnx/export_chain.ts";
import { readGraph } from "../../src/onnx/read_graph.ts";

const modelDir = new URL("../../models/mnist", import.meta.url).pathname;
const dataDir = new URL("../../../shared/data", import.meta.url).pathname;
const haveData = await Deno.stat(`${dataDir}/mnist`).then(() => true, () => false);

Deno.test("the shipped model is under 16 MB and every graph matches its manifest sha256", async () => {
  // 7.0 MB of block graphs and classifier, and 7.2 MB of chain.onnx (the same weights, fused).
  let bytes = 0;
  for await (const e of Deno.readDir(modelDir)) {
    bytes += (await Deno.stat(`${modelDir}/${e.name}`)).size;
  }
  assert(bytes < 16 * 2 ** 20, `models/mnist is ${bytes} bytes`);
  const folder = await loadModelFolder(modelDir); // verifies every sha256, chain.onnx included
  assert(folder.manifest.T === 10);
  assertEquals(folder.manifest.chain?.modes, ["noise-free", "stochastic"]);
});

Deno.test("the shipped chain.onnx is exactly what the exporter builds from the block graphs", async () => {
  const folder = await loadModelFolder(modelDir);
  const g = chainGraph(chainOptionsFromExport(folder));
  const { docString } = readGraph(folder.chain!, "chain.onnx");
  assert(docString.startsWith("NoProp-DT chain of 10 blocks"), docString);
  assertEquals(await sha256Hex(g.encode({ docString })), folder.manifest.chain!.sha256);
});

if (!haveData) {
  console.log("SKIPPED: shipped-model accuracy (no real MNIST at ../shared/data/mnist)");
}
Deno.test({
  name:
    "the shipped model classifies the first 1000 real MNIST test digits at ≥ 98.5% via onnxruntime, fused chain and block graphs alike",
  ignore: !haveData,
  fn: async () => {
    const { test } = await loadDataset("mnist", { dataDir });
    const n = 1000, images = [];
    for (let i = 0; i < n; i++) {
      images.push({
        width: 28,
        height: 28,
        channels: 1,
        data: test.images.subarray(i * 784, (i + 1) * 784),
      });
    }
    const labels = [];
    for (const fused of [true, false]) {
      const clf = await createClassifier({ modelDir, provider: "cpu", fused });
      assertEquals(clf.fused, fused);
      const out = await clf.classify(images);
      await clf.close();
      const correct = out.filter((r, i) => r.index === test.labels[i]).length;
      assert(correct / n >= 0.985, `fused ${fused}: accuracy ${correct / n}`);
      labels.push(out.map((r) => r.index));
    }
    assertEquals(labels[0], labels[1], "chain.onnx and the block graphs disagree on a digit");
  },
});
