/**
 * Calibration measures what the blocks really see: the images and, for block t, the z_{t−1}
 * the sampler hands it on both trajectories (noise-free and stochastic), gathered here through
 * the runtime's own `onStep` hook; and, on real MNIST, the quantized shipped model classifies
 * as well as the float one.
 */
import { assert, assertEquals } from "../../assert.ts";
import { createClassifier, SeededNormal } from "@noprop/infer";
import { initBackend } from "../../../src/backend/mod.ts";
import { loadDataset, NORMALIZATION, normalizeInto } from "../../../src/data/mod.ts";
import { exportRun } from "../../../src/onnx/export.ts";
import {
  calibrateFolder,
  calibrationImages,
  quantizeExport,
  spreadIndices,
} from "../../../src/onnx/quantize/export.ts";
import { writeFixtureRun } from "../../_helpers/onnx.ts";
import { writeSyntheticMnist } from "../../_helpers/train.ts";

await initBackend("wasm");
const dataDir = new URL("../../../../shared/data", import.meta.url).pathname;
const haveData = await Deno.stat(`${dataDir}/mnist`).then(() => true, () => false);

Deno.test("calibration ranges are the min/max of the images and of each block's z_{t−1} over both trajectories", async () => {
  const { runDir } = await writeFixtureRun({ image: { height: 28, width: 28, channels: 1 } });
  const dir = (await exportRun(runDir)).outDir;
  const synth = await Deno.makeTempDir();
  await writeSyntheticMnist(synth, 40, 4);
  const x = await calibrationImages("mnist", synth, 24, {
    layout: "NCHW",
    dtype: "float32",
    channels: 1,
    height: 28,
    width: 28,
  });
  const { folder, table } = await calibrateFolder(dir, x, { threads: 1 });

  // The same 24 training images, normalised by the data pipeline directly.
  const train = (await loadDataset("mnist", { dataDir: synth })).train;
  const direct = normalizeInto(
    train,
    spreadIndices(40, 24),
    NORMALIZATION.mnist,
    new Float32Array(24 * 784),
    "NCHW",
  );
  assertEquals(x, direct);

  // What the blocks were given, seen from the sampler's side.
  const T = folder.manifest.T, d = folder.manifest.embedDim;
  const zIn: { min: number; max: number }[] = Array.from(
    { length: T },
    () => ({ min: Infinity, max: -Infinity }),
  );
  const clf = await createClassifier({ modelDir: dir, provider: "cpu", threads: 1 });
  for (const noise of [false, true]) {
    const z0 = new SeededNormal(0).fill(new Float32Array(24 * d)); // the sampler's first draw
    for (const v of z0) {
      [zIn[0].min, zIn[0].max] = [Math.min(zIn[0].min, v), Math.max(zIn[0].max, v)];
    }
    await clf.logits(x, 24, {
      noise,
      seed: 0,
      onStep: (t, _u, z) => {
        if (t >= T) return;
        for (const v of z) {
          zIn[t].min = Math.min(zIn[t].min, v);
          zIn[t].max = Math.max(zIn[t].max, v);
        }
      },
    });
  }
  await clf.close();
  let lo = Infinity, hi = -Infinity;
  for (const v of x) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  for (let t = 1; t <= T; t++) {
    const r = table.get(`${folder.dir}/block_0${t}.onnx`)!;
    assertEquals(r.get("x"), { min: lo, max: hi }, `block ${t}: x`);
    assertEquals(r.get("z"), zIn[t - 1], `block ${t}: z_${t - 1}`);
    // Intermediate tensors are measured too: a ReLU output starts at 0 or above.
    assert(r.get("img.conv1.relu")!.min >= 0 && r.get("img.conv1.relu")!.max > 0);
  }
});

if (!haveData) console.log("SKIPPED: int8 accuracy on real MNIST (no ../shared/data/mnist)");
Deno.test({
  name:
    "real MNIST: the shipped model quantized on 300 training images loses ≤ 0.3 points on the first 2000 test digits",
  ignore: !haveData,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    for (const e of Deno.readDirSync("models/mnist")) {
      await Deno.copyFile(`models/mnist/${e.name}`, `${dir}/${e.name}`);
    }
    const r = await quantizeExport(dir, { dataset: "mnist", dataDir, images: 300, threads: 2 });
    assertEquals(r.calibrationImages, 300);
    const test = (await loadDataset("mnist", { dataDir })).test;
    const n = 2000;
    const idx = Array.from({ length: n }, (_, i) => i);
    const x = normalizeInto(test, idx, NORMALIZATION.mnist, new Float32Array(n * 784), "NCHW");
    const acc: Record<string, number> = {};
    for (const precision of ["fp32", "int8"] as const) {
      const clf = await createClassifier({ modelDir: dir, provider: "cpu", precision });
      const logits = await clf.logits(x, n, { noise: false });
      await clf.close();
      let ok = 0;
      for (let i = 0; i < n; i++) {
        let k = 0;
        for (let j = 1; j < 10; j++) if (logits[i * 10 + j] > logits[i * 10 + k]) k = j;
        if (k === test.labels[i]) ok++;
      }
      acc[precision] = (100 * ok) / n;
    }
    assert(acc.fp32 > 98, JSON.stringify(acc));
    assert(acc.int8 >= acc.fp32 - 0.3, JSON.stringify(acc));
  },
});
