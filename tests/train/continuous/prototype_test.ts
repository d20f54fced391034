/**
 * The prototype embedding for NoProp-CT and NoProp-FM (as in DT, paper Fig. 6): W_Embed starts
 * as one training image per class (d = H·W·C), z is read as an image by its own conv stack, and
 * training lowers the loss on a tiny pattern set and learns MNIST-like data through train().
 */
import { assert, assertEquals } from "../../assert.ts";
import { initBackend } from "../../../src/backend/mod.ts";
import { defaultConfig } from "../../../src/config.ts";
import { NORMALIZATION } from "../../../src/data/normalize.ts";
import type { ImageSet } from "../../../src/data/types.ts";
import { Rng } from "../../../src/rng.ts";
import type { RunData } from "../../../src/train/batches.ts";
import { createContinuousMethod } from "../../../src/train/continuous/method.ts";
import { train } from "../../../src/train/mod.ts";
import { prototypeTrainingData } from "../../../src/train/prototype_data.ts";
import { tinyConfig, writeSyntheticMnist } from "../../_helpers/train.ts";

await initBackend("wasm");

/** 48 images 8×8 of 3 classes: class k is a bright band in rows 3k-ish, plus pixel noise. */
function bandSet(count: number, seed: number): ImageSet {
  const rng = new Rng(seed);
  const labels = Uint8Array.from({ length: count }, (_, n) => n % 3);
  const images = new Uint8Array(count * 64);
  for (let n = 0; n < count; n++) {
    for (let p = 0; p < 64; p++) {
      const on = Math.floor(Math.floor(p / 8) / 3) === labels[n];
      images[n * 64 + p] = Math.max(
        0,
        Math.min(255, (on ? 200 : 30) + Math.round(30 * rng.normal())),
      );
    }
  }
  return { count, height: 8, width: 8, channels: 1, images, labels };
}

function bandRun(): RunData {
  const trainSet = bandSet(48, 1), test = bandSet(24, 2);
  const info = {
    name: "mnist" as const,
    height: 8,
    width: 8,
    channels: 1,
    numClasses: 3,
    classNames: ["top", "middle", "bottom"],
    mean: [0.1307],
    std: [0.3081],
  };
  return {
    data: { train: trainSet, test, info },
    train: trainSet,
    test,
    stats: NORMALIZATION.mnist,
  };
}

for (const variant of ["ct", "fm"] as const) {
  Deno.test(`${variant}: the prototype W_Embed starts as one training image of each class, and training lowers the loss on a tiny pattern set`, async () => {
    const run = bandRun();
    const cfg = {
      ...defaultConfig(),
      variant,
      embedding: "prototype" as const,
      widths: [2, 4, 4],
      hidden: 16,
      batchSize: 8,
      evalBatch: 24,
      lr: 1e-2,
      dropout: 0,
    };
    const method = await createContinuousMethod({ cfg, run });
    const w = await method.state();
    const W = w.weights["embed.W"];
    assertEquals(W.shape, [3, 64]); // d = H·W·C
    assert("net.z.conv1.w" in w.weights, "z has no conv stack");
    assertEquals(w.weights["net.z.fc.w"].shape, [2 * 2 * 4, 16]); // the z stack's output → FC
    // Each row is a normalised training image of its own class (the most central one).
    const { features, labels } = prototypeTrainingData(run);
    const rows = W.data as Float32Array, start = Float32Array.from(rows);
    for (let c = 0; c < 3; c++) {
      const row = rows.subarray(c * 64, (c + 1) * 64);
      const match = [...labels.keys()].filter((i) =>
        features.subarray(i * 64, (i + 1) * 64).every((v, q) => v === row[q])
      );
      assert(match.length > 0 && match.every((i) => labels[i] === c), `row ${c}: ${match}`);
    }
    // 6 batches per epoch; 8 epochs. The mean loss of the last epoch is below the first's.
    const losses: number[] = [];
    for (let e = 0; e < 8; e++) await method.run(e, 0, 6, (l) => losses.push(l));
    assert(losses.every(Number.isFinite), `${losses}`);
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    const first = mean(losses.slice(0, 6)), last = mean(losses.slice(-6));
    assert(last < 0.8 * first, `loss ${first} → ${last}`);
    // W_Embed is trained: it moved away from the prototype images.
    const after = (await method.state()).weights["embed.W"].data as Float32Array;
    assert(after.some((v, i) => v !== start[i]), "W_Embed did not change");
    method.close();
  });
}

Deno.test("a tiny NoProp-FM run with the prototype embedding learns far above chance through train()", async () => {
  const data = await Deno.makeTempDir({ prefix: "noprop-proto-" });
  await writeSyntheticMnist(data, 640, 200);
  const out = await Deno.makeTempDir();
  const cfg = tinyConfig(data, out, { variant: "fm", embedding: "prototype", epochs: 3, lr: 1e-2 });
  const r = await train(cfg, { quiet: true });
  assert(r.last!.testAcc! > 0.5, `accuracy ${JSON.stringify(r.last)} (chance 0.1)`);
});
