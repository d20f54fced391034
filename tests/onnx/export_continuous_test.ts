import { assert, assertEquals } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { tf } from "../../src/deps_tf.ts";
import { batches } from "../../src/data/batches.ts";
import { loadDataset } from "../../src/data/mod.ts";
import { NORMALIZATION } from "../../src/data/normalize.ts";
import { createClassifier, FixedNoise, loadModelFolder } from "@noprop/infer";
import { dense } from "../../src/model/layers.ts";
import { squaredDistances } from "../../src/losses.ts";
import { exportRun } from "../../src/onnx/export.ts";
import { Rng } from "../../src/rng.ts";
import { sampleContinuous } from "../../src/train/continuous/evaluate.ts";
import { loadContinuousRun } from "../../src/train/continuous/weights.ts";
import { train } from "../../src/train/mod.ts";
import { tinyConfig, writeSyntheticMnist } from "../_helpers/train.ts";
import { checkOnnx, onnxChecker } from "../_helpers/onnx.ts";

await initBackend("wasm");
const data = await Deno.makeTempDir({ prefix: "noprop-ct-export-" });
await writeSyntheticMnist(data, 320, 40);

const cases = [
  { variant: "ct", embedding: "onehot" },
  { variant: "fm", embedding: "onehot" },
  // d = 784: z is an image with its own conv stack in the network graph.
  { variant: "ct", embedding: "prototype" },
  { variant: "fm", embedding: "prototype" },
] as const;
for (const { variant, embedding } of cases) {
  Deno.test(`${variant}, ${embedding} embedding: exported graphs + the runtime's Euler/Heun give the tfjs logits (1e-4, or 8 ulps of a large logit) after 10 steps`, async () => {
    const out = await Deno.makeTempDir();
    const cfg = tinyConfig(data, out, { variant, embedding, epochs: 1, lr: 1e-2 });
    const r = await train(cfg, { quiet: true });
    const ex = await exportRun(r.runDir, { outDir: `${out}/onnx` });
    const folder = await loadModelFolder(ex.outDir);
    assertEquals([folder.manifest.variant, folder.manifest.T], [variant, 1]);
    assertEquals(folder.schedule !== undefined, variant === "ct");
    const { model: m } = await loadContinuousRun(r.runDir);
    const d = m.embedding.dim;
    assertEquals(folder.manifest.embedDim, d);
    const test = (await loadDataset("mnist", { dataDir: data })).test;
    const [b] = [...batches(test, { batchSize: 40, stats: NORMALIZATION.mnist })];
    const clf = await createClassifier({ modelDir: ex.outDir, provider: "cpu" });
    for (const sampler of ["euler", "heun"] as const) {
      const z0 = new Rng(5).fillNormal(new Float32Array(40 * d));
      const x = tf.tensor4d(b.x, [40, 28, 28, 1]);
      const z1 = await sampleContinuous(m, x, z0, { seed: 0, sampler, steps: 10 });
      const want = tf.tidy(() => {
        const z = tf.tensor2d(z1, [40, d]);
        return variant === "ct"
          ? dense(m.classifier, "cls", z)
          : tf.neg(squaredDistances(z, m.embedding.W));
      });
      const wantData = await want.data();
      // The exported graphs take NCHW; with one channel NHWC and NCHW coincide.
      const got = await clf.logits(b.x, 40, {
        sampler,
        steps: 10,
        noiseSource: new FixedNoise([z0]),
      });
      // 1e-4, or 8 float32 ulps of the logit where 1e-4 is below its resolution: FM with the
      // prototype embedding has logits −‖z − u_k‖² of about −1200 (d = 784), whose ulp is 1.2e-4.
      let worst = 0, at = 0;
      for (let i = 0; i < got.length; i++) {
        const tol = Math.max(1e-4, 8 * 2 ** -23 * Math.abs(wantData[i]));
        const r = Math.abs(got[i] - wantData[i]) / tol;
        if (r > worst) worst = r, at = i;
      }
      assert(
        worst < 1,
        `${sampler}: logit ${at}: ONNX ${got[at]}, tfjs ${wantData[at]} (${worst}× the tolerance)`,
      );
      tf.dispose([x, want]);
    }
    await clf.close();
  });
}

Deno.test("the runtime rejects 0 steps for a ct model and the dt sampler for it", async () => {
  const out = await Deno.makeTempDir();
  const r = await train(tinyConfig(data, out, { variant: "ct", epochs: 1, maxSteps: 2 }), {
    quiet: true,
  });
  const ex = await exportRun(r.runDir, { outDir: `${out}/onnx` });
  const clf = await createClassifier({ modelDir: ex.outDir, provider: "cpu" });
  const x = new Float32Array(784);
  let msg = "";
  await clf.logits(x, 1, { steps: 0 }).catch((e) => msg = e.message);
  assert(msg.includes("steps must be a positive integer, got 0"), msg);
  await clf.logits(x, 1, { sampler: "dt" }).catch((e) => msg = e.message);
  assert(msg.includes('sampler "dt" is for discrete-time models'), msg);
  assertEquals((await clf.logits(x, 1, { sampler: "heun", steps: 3 })).length, 10);
  await clf.close();
});

const python = await onnxChecker();
Deno.test({
  name: "every ct/fm graph passes onnx.checker.check_model(full_check=True)",
  ignore: !python,
  fn: async () => {
    const files: string[] = [];
    for (const { variant, embedding } of cases) {
      const out = await Deno.makeTempDir();
      const r = await train(tinyConfig(data, out, { variant, embedding, epochs: 1, maxSteps: 1 }), {
        quiet: true,
      });
      const ex = await exportRun(r.runDir, { outDir: `${out}/onnx` });
      files.push(...ex.files.filter((f) => f.endsWith(".onnx")).map((f) => `${ex.outDir}/${f}`));
    }
    assertEquals(await checkOnnx(python!, files), []);
  },
});
