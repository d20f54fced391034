/**
 * Parity, the acceptance test of the export: for the same inputs and the same noise, the
 * exported ONNX chain run by the inference runtime and the TensorFlow.js model agree to 1e-4
 * (max abs) on every block output û_t and on the final logits (stochastic and noise-free
 * sampler), for a tiny trained MNIST-shaped model and CIFAR-shaped models (learned and
 * prototype embeddings), on onnxruntime-node cpu and onnxruntime-web wasm — through the block
 * graphs and through the fused chain graph (`chain.onnx`, exported with `fused`) alike.
 */
import { assert, assertEquals } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { tf } from "../../src/deps_tf.ts";
import { blockForward } from "../../src/model/block.ts";
import { denoised } from "../../src/model/embedding.ts";
import { evalContext } from "../../src/model/layers.ts";
import { exportRun } from "../../src/onnx/export.ts";
import { Rng } from "../../src/rng.ts";
import { sampleDT } from "../../src/train/dt/evaluate.ts";
import { train } from "../../src/train/mod.ts";
import { createClassifier, FixedNoise } from "@noprop/infer";
import { loadReference, maxAbsDiff, nhwcToNchw, writeFixtureRun } from "../_helpers/onnx.ts";
import { tinyConfig, writeSyntheticMnist } from "../_helpers/train.ts";

const TOL = 1e-4;
await initBackend("wasm");

async function parity(runDir: string, provider: "cpu" | "wasm") {
  await exportRun(runDir, { fused: true });
  const model = await loadReference(runDir);
  const { height: h, width: w, channels: c } = model.spec;
  const n = 5, d = model.embedding.dim, T = model.schedule.T, s = model.schedule;
  const rng = new Rng(11);
  const xh = rng.fillNormal(new Float32Array(n * h * w * c));
  const z0 = rng.fillNormal(new Float32Array(n * d));
  const eps = Array.from({ length: T }, () => rng.fillNormal(new Float32Array(n * d)));
  const x = tf.tensor4d(xh, [n, h, w, c]);
  const ref = await sampleDT(model, x, new FixedNoise([z0, ...eps]));
  const clf = await createClassifier({ modelDir: runDir, provider });
  assert(clf.fused, "chain.onnx not in use");
  const xn = nhwcToNchw(xh, n, h, w, c);
  // Every block: û_t from ONNX vs tfjs, both given tfjs' own z_{t−1} (onStep: the block graphs).
  let z = z0, block = 0;
  const noisy = await clf.logits(xn, n, {
    noise: true,
    noiseSource: new FixedNoise([z0, ...eps]),
    onStep: (t, u) => {
      const refU = tf.tidy(() =>
        denoised(
          blockForward(model.blocks[t - 1], model.spec, x, tf.tensor2d(z, [n, d]), evalContext()),
          model.embedding.W,
        ).dataSync()
      );
      block = Math.max(block, maxAbsDiff(u, refU));
      z = z.map((zi, i) => s.a[t] * refU[i] + s.b[t] * zi + Math.sqrt(s.c[t]) * eps[t - 1][i]);
    },
  });
  // Without onStep: the fused chain graph.
  const clean = await clf.logits(xn, n, { noise: false, noiseSource: new FixedNoise([z0]) });
  const noisyFused = await clf.logits(xn, n, {
    noise: true,
    noiseSource: new FixedNoise([z0, ...eps]),
  });
  await clf.close();
  const diffs = {
    block,
    noisy: maxAbsDiff(noisy, ref.noisy),
    clean: maxAbsDiff(clean, ref.clean),
    noisyFused: maxAbsDiff(noisyFused, ref.noisy),
  };
  x.dispose();
  for (const [k, v] of Object.entries(diffs)) {
    assert(v < TOL, `${provider}: max |ONNX − tfjs| of ${k} = ${v} ≥ ${TOL}`);
  }
  return diffs;
}

const data = await Deno.makeTempDir({ prefix: "noprop-parity-" });
await writeSyntheticMnist(data, 320, 64);
const trained = await train(
  tinyConfig(data, data, { epochs: 1, runName: "mnist", evalSamples: 64 }),
  { quiet: true },
);

Deno.test("MNIST-shaped trained model: ONNX = tfjs to 1e-4 (every block, final logits), cpu", async () => {
  await parity(trained.runDir, "cpu");
});

Deno.test({
  name: "MNIST-shaped trained model: ONNX = tfjs to 1e-4 on onnxruntime-web wasm",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await parity(trained.runDir, "wasm");
  },
});

Deno.test("CIFAR-shaped model, learned embedding: ONNX = tfjs to 1e-4, cpu", async () => {
  const { runDir } = await writeFixtureRun({
    image: { height: 32, width: 32, channels: 3 },
    embedding: "learned",
    embedDim: 20,
  });
  await parity(runDir, "cpu");
});

Deno.test("CIFAR-shaped model, prototype embedding (z as an image): ONNX = tfjs to 1e-4, cpu", async () => {
  const { runDir } = await writeFixtureRun({
    image: { height: 32, width: 32, channels: 3 },
    embedding: "prototype",
    T: 2,
  });
  await parity(runDir, "cpu");
});

Deno.test("test accuracy through the runtime matches the trainer's own evaluation", async () => {
  const { evaluateExported } = await import("../../src/onnx/evaluate.ts");
  const r = await evaluateExported(trained.runDir, { dataset: "mnist", dataDir: data, limit: 64 });
  assertEquals(r.count, 64);
  const tfjs = trained.last!.testAccNoiseFree!;
  assert(Math.abs(r.accuracy - tfjs) <= 0.1, `ONNX ${r.accuracy} vs tfjs ${tfjs}`);
});
