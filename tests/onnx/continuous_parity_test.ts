import { assert, assertEquals } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { tf } from "../../src/deps_tf.ts";
import { nodeEngine } from "@noprop/infer";
import { integrate } from "../../src/infer/sampler/continuous.ts";
import {
  continuousArrays,
  type ContinuousModel,
  continuousVariables,
  createContinuousModel,
} from "../../src/model/continuous_model.ts";
import { continuousGraph, ctScheduleGraph } from "../../src/onnx/continuous_graph.ts";
import { WeightMap } from "../../src/onnx/weights.ts";
import { Rng } from "../../src/rng.ts";
import { ctScheduleValues } from "../../src/model/ct_schedule.ts";
import { ctGammaAt } from "../../src/model/ct_schedule_values.ts";
import { AdamW } from "../../src/train/adamw.ts";
import { checkOnnx, nhwcToNchw, onnxChecker } from "../_helpers/onnx.ts";
import { sampleContinuous } from "../../src/train/continuous/evaluate.ts";
import { continuousStep } from "../../src/train/continuous/step.ts";

await initBackend("wasm");
const engine = await nodeEngine("cpu", { threads: 1 });
const N = 6, HW = 12;

/**
 * A small model moved away from its initialisation by a few training steps: learned W_Embed
 * (d = 5) on grey images, or the prototype embedding (z an image, d = H·W·C) on RGB images, so
 * z's NHWC → NCHW Transpose is exercised.
 */
function trainedModel(variant: "ct" | "fm", embedding: "learned" | "prototype"): ContinuousModel {
  const C = embedding === "prototype" ? 3 : 1;
  const rng = new Rng(9);
  const m = createContinuousModel({
    variant,
    image: { height: HW, width: HW, channels: C },
    classes: 4,
    embedding,
    embedDim: 5,
    widths: [3, 4, 4],
    hidden: 16,
    seed: 3,
    gamma0: -6,
    gamma1: 6,
    gammaHidden: 8,
    prototypeData: embedding === "prototype"
      ? {
        features: rng.fillNormal(new Float32Array(12 * HW * HW * C)),
        labels: Uint8Array.from({ length: 12 }, (_, i) => i % 4),
      }
      : undefined,
  });
  const d = m.embedding.dim;
  const opt = new AdamW(continuousVariables(m), { lr: 1e-2, weightDecay: 1e-3 });
  for (let s = 0; s < 5; s++) {
    const x = tf.tensor4d(rng.fillNormal(new Float32Array(8 * HW * HW * C)), [8, HW, HW, C]);
    const y = tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], "int32");
    const n = {
      t: tf.tensor1d(Float32Array.from({ length: 8 }, () => rng.uniform())),
      e1: tf.tensor2d(rng.fillNormal(new Float32Array(8 * d)), [8, d]),
      e2: tf.tensor2d(rng.fillNormal(new Float32Array(8 * d)), [8, d]),
    };
    tf.dispose([continuousStep({ model: m, opt, eta: 1, fmSigma: 0, dropout: 0 }, x, y, n, s)]);
  }
  return m;
}

async function netGraph(m: ContinuousModel): Promise<Uint8Array> {
  const arrays = await continuousArrays(m);
  const g = continuousGraph({
    variant: m.variant,
    spec: m.spec,
    weights: WeightMap.withPrefix(arrays, "net"),
    embed: arrays["embed.W"],
    name: "net",
  });
  return g.encode();
}

async function netSession(m: ContinuousModel) {
  return engine.open(await netGraph(m), "net");
}

const cases = [
  ...(["ct", "fm"] as const).map((variant) => ({ variant, embedding: "learned" as const })),
  ...(["ct", "fm"] as const).map((variant) => ({ variant, embedding: "prototype" as const })),
];
for (const { variant, embedding } of cases) {
  for (const sampler of ["euler", "heun"] as const) {
    Deno.test(`${variant} ${sampler}, ${embedding} embedding: z after 10 steps through ONNX equals tfjs to 1e-4`, async () => {
      const m = trainedModel(variant, embedding);
      const C = m.spec.channels, d = m.embedding.dim;
      const rng = new Rng(4);
      const xs = rng.fillNormal(new Float32Array(N * HW * HW * C)); // NHWC
      const z0 = rng.fillNormal(new Float32Array(N * d));
      const x = tf.tensor4d(xs, [N, HW, HW, C]);
      const want = await sampleContinuous(m, x, z0, { seed: 0, sampler, steps: 10 });
      const net = await netSession(m);
      const out = variant === "ct" ? "uhat" : "vhat";
      let gammaAt;
      if (variant === "ct") {
        const v = await ctScheduleValues(m.schedule!);
        const sched = await engine.open(ctScheduleGraph(v).encode(), "sched");
        const grid = Float32Array.from({ length: 11 }, (_, k) => k / 10);
        const r = await sched.run({ t: { data: grid, dims: [11] } });
        r.gamma.forEach((g, k) => {
          const e = Math.abs(g - ctGammaAt(v, k / 10));
          assert(e < 1e-4, `γ(${k / 10}) ONNX ${g} vs ${ctGammaAt(v, k / 10)}`);
        });
        const gam = Array.from(r.gamma);
        gammaAt = (t: number) => gam[Math.round(t * 10)];
        await sched.release();
      }
      const got = await integrate({
        variant,
        sampler,
        steps: 10,
        z0,
        gammaAt,
        predict: async (z, t) =>
          (await net.run({
            x: { data: nhwcToNchw(xs, N, HW, HW, C), dims: [N, C, HW, HW] },
            z: { data: z, dims: [N, d] },
            t: { data: new Float32Array(N).fill(t), dims: [N] },
          }))[out],
      });
      await net.release();
      let maxDiff = 0;
      for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
      assert(maxDiff < 1e-4, `max |z_ONNX − z_tfjs| = ${maxDiff}`);
    });
  }
}

const python = await onnxChecker();
Deno.test({
  name:
    "the network graphs of these models (learned grey, prototype RGB) pass onnx.checker (full_check)",
  ignore: !python,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const files: string[] = [];
    for (const { variant, embedding } of cases) {
      const f = `${dir}/${variant}-${embedding}.onnx`;
      await Deno.writeFile(f, await netGraph(trainedModel(variant, embedding)));
      files.push(f);
    }
    assertEquals(await checkOnnx(python!, files), []);
    await Deno.remove(dir, { recursive: true });
  },
});
