/**
 * The Heun samplers of src/infer/sampler/continuous.ts by hand: the corrector averages the two
 * predictions (CT: (û_t + û_s)/2 inside the DDIM step; FM: (v̂_t + v̂_s)/2), and the step that
 * ends at t = 1 is a plain Euler/DDIM step (EDM's rule, module doc), so Heun with n steps
 * evaluates the network 2n − 1 times, at t_0, t_1, t_1, …, t_{n−1}, t_{n−1}. And the tfjs
 * side of training-time evaluation (src/train/continuous/evaluate.ts): the schedule's ends
 * reach the driver the right way round, and z_1 is read out by the right rule.
 */
import { assert } from "../../assert.ts";
import { tf } from "../../../src/deps_tf.ts";
import { initBackend } from "../../../src/backend/mod.ts";
import { ctHeunStep, fmHeunStep, integrate } from "../../../src/infer/sampler/continuous.ts";
import { createContinuousModel } from "../../../src/model/continuous_model.ts";
import { ctScheduleValues } from "../../../src/model/ct_schedule.ts";
import { predictFromZ, sampleContinuous } from "../../../src/train/continuous/evaluate.ts";

await initBackend("cpu");
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

Deno.test("CT Heun step = DDIM step with the average (û_t + û_s)/2, by hand", () => {
  const z = [0.4, -1.3], uT = [0.9, 0.1], uS = [0.2, 0.7], gt = 2.5, gs = -0.5;
  const out = ctHeunStep(
    Float32Array.from(z),
    Float32Array.from(uT),
    Float32Array.from(uS),
    gt,
    gs,
  );
  const at = Math.sqrt(sigmoid(-gt)), st = Math.sqrt(sigmoid(gt));
  const as = Math.sqrt(sigmoid(-gs)), ss = Math.sqrt(sigmoid(gs));
  z.forEach((zi, i) => {
    const u = (uT[i] + uS[i]) / 2;
    const want = as * u + ss * (zi - at * u) / st; // z_s = √ᾱ_s û + √(1−ᾱ_s)·ε̂
    assert(Math.abs(out[i] - want) < 1e-5, `[${i}] ${out[i]} vs ${want}`);
  });
});

Deno.test("FM Heun step = z + h·(v̂_t + v̂_s)/2, by hand", () => {
  const out = fmHeunStep(
    Float32Array.of(1, -2),
    Float32Array.of(3, 0.5),
    Float32Array.of(-1, 1.5),
    0.25,
  );
  assert(
    Math.abs(out[0] - (1 + 0.25 * 1)) < 1e-6 && Math.abs(out[1] - (-2 + 0.25 * 1)) < 1e-6,
    `${out}`,
  );
});

Deno.test("Heun with n steps evaluates 2n − 1 times and never at t = 1 (last step uncorrected); Euler n times", async () => {
  for (const variant of ["ct", "fm"] as const) {
    for (
      const [sampler, steps, want] of [
        ["heun", 3, [0, 1 / 3, 1 / 3, 2 / 3, 2 / 3]],
        ["heun", 1, [0]],
        ["euler", 3, [0, 1 / 3, 2 / 3]],
      ] as const
    ) {
      const seen: number[] = [];
      await integrate({
        variant,
        sampler,
        steps,
        z0: Float32Array.of(0.5),
        gammaAt: (t) => 3 - 6 * t,
        predict: (z, t) => {
          seen.push(t);
          return Promise.resolve(Float32Array.from(z, (v) => 0.3 - v));
        },
      });
      const ok = seen.length === want.length && seen.every((t, i) => Math.abs(t - want[i]) < 1e-12);
      assert(ok, `${variant} ${sampler} ${steps}: evaluated at ${seen}`);
    }
  }
});

// ---- training-side evaluation (src/train/continuous/evaluate.ts) on tfjs ----

/** A tiny CT or FM model whose network outputs the fixed logits L for every input. */
function constantModel(variant: "ct" | "fm", L: number[]) {
  const m = createContinuousModel({
    variant,
    image: { height: 4, width: 4, channels: 1 },
    classes: 3,
    embedding: "learned",
    embedDim: 2,
    widths: [1, 1, 1],
    hidden: 2,
    seed: 8,
    gamma0: -2,
    gamma1: 2.5,
    gammaHidden: 3,
  });
  m.net.get("head.fc3.w").assign(tf.zerosLike(m.net.get("head.fc3.w")));
  m.net.get("head.fc3.b").assign(tf.tensor1d(L));
  return m;
}

Deno.test("sampleContinuous (CT, û constant) lands on z_1 = √ᾱ(1)·û + σ_1/σ_0·(z_0 − √ᾱ(0)·û) with the model's γ(0) = γ_1, γ(1) = γ_0", async () => {
  const L = [0.5, -1, 1.5];
  const m = constantModel("ct", L);
  const W = Array.from(await m.embedding.W.data());
  const e = L.map(Math.exp), s = e.reduce((a, b) => a + b);
  const u = [0, 1].map((j) => e.reduce((acc, ek, k) => acc + (ek / s) * W[k * 2 + j], 0));
  const v = await ctScheduleValues(m.schedule!);
  const a0 = Math.sqrt(sigmoid(-v.gamma1)), s0 = Math.sqrt(sigmoid(v.gamma1)); // t = 0: γ_1
  const a1 = Math.sqrt(sigmoid(-v.gamma0)), s1 = Math.sqrt(sigmoid(v.gamma0)); // t = 1: γ_0
  const z0 = Float32Array.of(0.7, -0.4, 1.2, 0.3);
  const x = tf.zeros([2, 4, 4, 1]) as tf.Tensor4D;
  for (const sampler of ["euler", "heun"] as const) {
    const z1 = await sampleContinuous(m, x, z0, { seed: 0, sampler, steps: 4 });
    z1.forEach((zi, i) => {
      const ui = u[i % 2], want = a1 * ui + (s1 / s0) * (z0[i] - a0 * ui);
      assert(Math.abs(zi - want) < 1e-4, `${sampler} z_1[${i}] = ${zi}, want ${want}`);
    });
  }
});

Deno.test("predictFromZ: FM picks the nearest embedding, CT the classifier's argmax", async () => {
  const fm = constantModel("fm", [0, 0, 0]);
  const W = Array.from(await fm.embedding.W.data());
  const z = Float32Array.from([2, 0, 1].flatMap((k) => [W[k * 2] + 0.01, W[k * 2 + 1] - 0.01]));
  assert(`${Array.from(await predictFromZ(fm, z, 3))}` === "2,0,1", "FM nearest embedding");
  const ct = constantModel("ct", [0, 0, 0]);
  ct.classifier.get("cls.w").assign(tf.tensor2d([[1, 0, -1], [0, 1, -1]]));
  ct.classifier.get("cls.b").assign(tf.zeros([3]));
  const p = await predictFromZ(ct, Float32Array.of(3, 1, 0, 2, -2, -2), 3);
  assert(`${Array.from(p)}` === "0,1,2", `CT argmax ${p}`);
});
