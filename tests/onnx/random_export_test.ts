/**
 * `exportRandomDt` (src/onnx/random_export.ts): the random-weight export the GPU kit times has
 * the graphs a trained model's export has — the same nodes, the same initializer names and
 * shapes, the same manifest but for the graphs' hashes — so its speed is the real chain's; and
 * its weights keep activations in range (He initialisation), so every provider runs ordinary
 * numbers.
 */
import { assert, assertEquals, assertNotEquals } from "../assert.ts";
import { createClassifier } from "@noprop/infer";
import { initBackend } from "../../src/backend/mod.ts";
import { createNoPropDT } from "../../src/model/noprop.ts";
import { exportRun } from "../../src/onnx/export.ts";
import { exportRandomDt } from "../../src/onnx/random_export.ts";
import { readGraph } from "../../src/onnx/read_graph.ts";
import { onnx } from "../../src/deps_onnx.ts";
import { dtMetadata, saveWeights } from "../../src/train/dt/weights.ts";

const spec = { T: 3, widths: [4, 8, 8] as [number, number, number], hidden: 16 };

/** Node op types and every initializer's name and shape, of one graph file. */
async function structure(path: string) {
  const bytes = await Deno.readFile(path);
  const model = onnx.ModelProto.decode(bytes);
  const inits = readGraph(bytes, path).initializers;
  return {
    ops: (model.graph?.node ?? []).map((n) => n.opType),
    inits: Object.fromEntries(Object.entries(inits).map(([k, t]) => [k, t.shape])),
    io: [
      ...(model.graph?.input ?? []).map((i) => i.name),
      ...(model.graph?.output ?? []).map((o) => o.name),
    ],
  };
}

Deno.test("the random export has the graphs and manifest of a trained model's export of the same network", async () => {
  await initBackend("cpu");
  const model = createNoPropDT({
    image: { height: 28, width: 28, channels: 1 },
    classes: 10,
    T: spec.T,
    schedule: "cosine",
    embedding: "onehot",
    embedDim: 10,
    widths: spec.widths,
    hidden: spec.hidden,
    seed: 0,
  });
  const runDir = await Deno.makeTempDir();
  const randomDir = await Deno.makeTempDir();
  try {
    const classNames = Array.from({ length: 10 }, (_, i) => String(i));
    const info = { name: "mnist" as const, classNames, mean: [0.1307], std: [0.3081] };
    await saveWeights(runDir, model, dtMetadata(model, info));
    const trained = await exportRun(runDir, { outDir: `${runDir}/onnx` });
    const random = await exportRandomDt(randomDir, { ...spec, seed: 5 });
    assertEquals(random.files, trained.files);
    assertEquals(random.blockNodes, trained.blockNodes);
    const hashless = (m: typeof random.manifest) => ({
      ...m,
      blocks: m.blocks.map((b) => b.file),
      classifier: m.classifier.file,
    });
    assertEquals(hashless(random.manifest), hashless(trained.manifest));
    for (const f of random.files.filter((f) => f.endsWith(".onnx"))) {
      assertEquals(await structure(`${randomDir}/${f}`), await structure(`${runDir}/onnx/${f}`), f);
    }
  } finally {
    await Deno.remove(runDir, { recursive: true });
    await Deno.remove(randomDir, { recursive: true });
  }
});

Deno.test("random weights: seeded, distinct per block, and the chain's numbers stay in range", async () => {
  const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  try {
    const a = await exportRandomDt(dirs[0], { ...spec, seed: 5 });
    const b = await exportRandomDt(dirs[1], { ...spec, seed: 6 });
    assertNotEquals(a.manifest.blocks[0].sha256, b.manifest.blocks[0].sha256);
    const w = (t: number) =>
      readGraph(Deno.readFileSync(`${dirs[0]}/block_0${t}.onnx`), "b").initializers;
    const conv = (t: number) => w(t)["img.conv1.w"].data;
    assertNotEquals(conv(1), conv(2));
    // He initialisation: img.fc's 392·16 weights have variance 2/fan-in (fan-in 7·7·8 = 392;
    // the sample variance is within 4% of it at 6,272 draws), biases 0.
    const fc = w(1)["img.fc+bn.w"].data;
    const v = fc.reduce((s, x) => s + x * x, 0) / fc.length;
    assert(Math.abs(v / (2 / 392) - 1) < 0.06, `variance ${v}, expected ${2 / 392}`);
    assert(w(1)["img.fc+bn.b"].data.every((b) => b === 0));
    // The whole chain on cpu: finite logits of a sane size for normalised inputs.
    const clf = await createClassifier({ modelDir: dirs[0], provider: "cpu", threads: 1 });
    try {
      const n = 4;
      const x = Float32Array.from({ length: n * 784 }, (_, i) => ((i * 7919) % 255) / 255 - 0.5);
      const logits = await clf.logits(x, n, { noise: false });
      assertEquals(logits.length, n * 10);
      assert(logits.every((l) => Number.isFinite(l) && Math.abs(l) < 100), `${logits}`);
    } finally {
      await clf.close();
    }
  } finally {
    for (const d of dirs) await Deno.remove(d, { recursive: true });
  }
});
