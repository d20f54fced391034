/**
 * The backprop baseline goes through the same exporter and runtime as NoProp-DT: its chain
 * (eq. 17–19) is the DT sampler with a_t = α_t, b_t = 1 − α_t, c_t = 0, and the runtime's logits
 * equal the tfjs chain's to 1e-4 for the same z_0. Also: the classifier's embedding init makes
 * every class reachable from the simplex-valued z_T.
 */
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { tf } from "../../src/deps_tf.ts";
import { evalContext } from "../../src/model/layers.ts";
import { createNoPropDT } from "../../src/model/noprop.ts";
import { exportRun } from "../../src/onnx/export.ts";
import { Rng } from "../../src/rng.ts";
import { loadSafetensors, saveSafetensors } from "../../src/safetensors.ts";
import { backpropForward, initClassifierFromEmbedding } from "../../src/model/backprop.ts";
import { train } from "../../src/train/mod.ts";
import { createClassifier, FixedNoise } from "@noprop/infer";
import { loadReference, maxAbsDiff, nhwcToNchw } from "../_helpers/onnx.ts";
import { tinyConfig, writeSyntheticMnist } from "../_helpers/train.ts";

await initBackend("wasm");

const data = await Deno.makeTempDir({ prefix: "noprop-bp-export-" });
await writeSyntheticMnist(data, 320, 64);
const trained = await train(
  tinyConfig(data, data, { method: "backprop", epochs: 1, runName: "bp", evalSamples: 64 }),
  { quiet: true },
);

Deno.test("backprop run exports: manifest coefficients are α_t = tanh(w_t), 1 − α_t, 0", async () => {
  const out = await Deno.makeTempDir();
  const r = await exportRun(trained.runDir, { outDir: out });
  const w = (await loadSafetensors(`${trained.runDir}/weights.safetensors`)).tensors["mix.w"];
  const s = r.manifest.schedule;
  assertEquals(s.name, "backprop");
  assertEquals(r.manifest.variant, "dt");
  for (let t = 0; t < w.shape[0]; t++) {
    const alpha = Math.tanh(w.data[t] as number);
    assert(Math.abs(s.a[t] - alpha) < 1e-12, `a_${t + 1} = ${s.a[t]}, α = ${alpha}`);
    assert(Math.abs(s.b[t] - (1 - alpha)) < 1e-12, `b_${t + 1} = ${s.b[t]}`);
    assertEquals(s.c[t], 0);
  }
});

Deno.test("backprop ONNX chain = tfjs chain (eq. 17–19) to 1e-4 for the same z_0, cpu", async () => {
  const out = await Deno.makeTempDir();
  await exportRun(trained.runDir, { outDir: out });
  const model = await loadReference(trained.runDir);
  const w = (await loadSafetensors(`${trained.runDir}/weights.safetensors`)).tensors["mix.w"];
  const mix = tf.variable(tf.tensor1d(w.data as Float32Array));
  const { height: h, width: wd, channels: c } = model.spec;
  const n = 5, d = model.embedding.dim;
  const rng = new Rng(5);
  const xh = rng.fillNormal(new Float32Array(n * h * wd * c));
  const z0 = rng.fillNormal(new Float32Array(n * d));
  const ref = tf.tidy(() =>
    backpropForward(
      model,
      mix,
      tf.tensor4d(xh, [n, h, wd, c]),
      tf.tensor2d(z0, [n, d]),
      model.blocks.map(() => evalContext()),
    ).dataSync()
  );
  const clf = await createClassifier({ modelDir: out, provider: "cpu" });
  const got = await clf.logits(nhwcToNchw(xh, n, h, wd, c), n, {
    noise: false,
    noiseSource: new FixedNoise([z0]),
  });
  await clf.close();
  const diff = maxAbsDiff(got, ref);
  assert(diff < 1e-4, `max |ONNX − tfjs| = ${diff}`);
  mix.dispose();
});

Deno.test("backprop weights without mix.w: export fails with a one-line error naming it", async () => {
  const { tensors, metadata } = await loadSafetensors(`${trained.runDir}/weights.safetensors`);
  delete tensors["mix.w"];
  const dir = await Deno.makeTempDir();
  await saveSafetensors(`${dir}/weights.safetensors`, tensors, metadata);
  await assertRejects(() => exportRun(dir), (e: Error) => {
    assert(/"mix\.w".*missing/.test(e.message), e.message);
    return !e.message.includes("\n");
  });
});

for (const embedding of ["onehot", "learned"] as const) {
  Deno.test(`embedding classifier init: every vertex u_k of z_T scores class k highest (${embedding})`, () => {
    const m = createNoPropDT({
      image: { height: 8, width: 8, channels: 1 },
      classes: 10,
      T: 2,
      schedule: "cosine",
      embedding,
      embedDim: embedding === "onehot" ? 10 : 16,
      widths: [2, 2, 2],
      hidden: 8,
      seed: 3,
    });
    initClassifierFromEmbedding(m);
    const pred = tf.tidy(() => {
      const W = m.embedding.W as tf.Tensor2D; // rows u_k
      const logits = tf.add(
        tf.matMul(W, m.classifier.get("cls.w") as tf.Tensor2D),
        m.classifier.get("cls.b"),
      );
      return Array.from(tf.argMax(logits, 1).dataSync());
    });
    assertEquals(pred, Array.from({ length: 10 }, (_, k) => k));
  });
}
