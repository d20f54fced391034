/**
 * γ_1 > γ_0 through CT training: the learnable schedule stores γ_0 and δ with
 * γ_1 − γ_0 = softplus(δ) (src/model/ct_schedule.ts), so no optimizer step can reverse the
 * schedule; and weights files of the older form (`sched.gamma1`) are read, converted or refused.
 */
import { assert, assertThrows } from "../assert.ts";
import { tf } from "../../src/deps_tf.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { Rng } from "../../src/rng.ts";
import { AdamW } from "../../src/train/adamw.ts";
import {
  createCtSchedule,
  ctGamma,
  ctScheduleValues,
  snrPrime,
} from "../../src/model/ct_schedule.ts";
import {
  ctGammaAt,
  ctScheduleValuesFrom,
  upgradeCtScheduleArrays,
} from "../../src/model/ct_schedule_values.ts";
import { createContinuousModel } from "../../src/model/continuous_model.ts";
import { assignContinuousModel } from "../../src/train/continuous/weights.ts";
import { f32Tensors } from "../../src/train/named_tensors.ts";

await initBackend("cpu");
const sp = (x: number) => Math.log1p(Math.exp(x));

Deno.test("a new schedule has γ(0) = γ_1 and γ(1) = γ_0 for a small gap (δ = softplus⁻¹(γ_1 − γ_0)), in tfjs and float64", async () => {
  const p = createCtSchedule({ gamma0: -1, gamma1: 0.5, hidden: 3 }, new Rng(4));
  const delta = (await p.get("sched.delta").data())[0];
  assert(Math.abs(sp(delta) - 1.5) < 1e-6, `softplus(δ) = ${sp(delta)}`);
  const g = await ctGamma(p, tf.tensor1d([0, 1])).gamma.data();
  assert(Math.abs(g[0] - 0.5) < 1e-5 && Math.abs(g[1] + 1) < 1e-5, `γ(0), γ(1) = ${g}`);
  const v = await ctScheduleValues(p);
  assert(Math.abs(v.gamma1 - 0.5) < 1e-6 && v.gamma0 === -1, `values ${v.gamma0}, ${v.gamma1}`);
  assert(Math.abs(ctGammaAt(v, 0) - 0.5) < 1e-6, "float64 γ(0)");
});

Deno.test("AdamW driving γ_1 below γ_0 (loss γ(0) − γ(1), with weight decay) never reverses the schedule", async () => {
  const p = createCtSchedule({ gamma0: -1, gamma1: 0.5, hidden: 3 }, new Rng(1));
  const opt = new AdamW(p.variables(), { lr: 0.05, weightDecay: 0.1 });
  const grid = tf.tensor1d([0, 0.25, 0.5, 0.75, 1]);
  let lastGap = Infinity;
  for (let step = 0; step < 120; step++) {
    const { value, grads } = tf.variableGrads(() => {
      const g = ctGamma(p, tf.tensor1d([0, 1])).gamma;
      return tf.sub(tf.slice(g, 0, 1), tf.slice(g, 1, 1)).sum() as tf.Scalar; // γ_1 − γ_0
    }, p.variables());
    const gap = (await value.data())[0];
    opt.apply(p.variables().map((v) => grads[v.name] ?? tf.zerosLike(v)));
    tf.dispose([value, ...Object.values(grads)]);
    assert(gap > 0, `step ${step}: γ_1 − γ_0 = ${gap}`);
    lastGap = gap;
  }
  assert(lastGap < 0.5, `the optimizer did push the gap down from 1.5 (to ${lastGap})`);
  const s = await snrPrime(ctGamma(p, grid)).data();
  for (const v of s) assert(v > 0, `SNR′ = ${v} after the adversarial run`);
});

/** Schedule tensors of a file written before the softplus gap (γ_1 stored as is). */
function legacy(gamma0: number, gamma1: number) {
  const one = (v: number) => ({ shape: [1], data: Float32Array.of(v) });
  const h = (vs: number[]) => ({ shape: [vs.length], data: Float32Array.from(vs) });
  return {
    "sched.a": h([0.3, -0.2]),
    "sched.b": h([0.1, 0.5]),
    "sched.c": h([-0.4, 0.8]),
    "sched.gamma0": one(gamma0),
    "sched.gamma1": one(gamma1),
  };
}

Deno.test("old weights files (sched.gamma1) are read for export/eval, converted to δ, and refused for resuming in one line", () => {
  const old = legacy(-3, 2);
  const v = ctScheduleValuesFrom(old, "old.safetensors");
  assert(v.gamma0 === -3 && v.gamma1 === 2, `${v.gamma0}, ${v.gamma1}`);
  const up = upgradeCtScheduleArrays(old, "old.safetensors");
  assert(!("sched.gamma1" in up), "sched.gamma1 left in");
  const d = Number(up["sched.delta"].data[0]);
  assert(Math.abs(sp(d) - 5) < 1e-5, `softplus(δ) = ${sp(d)}`);
  const w = ctScheduleValuesFrom(up, "upgraded");
  assert(Math.abs(w.gamma1 - 2) < 1e-5, `upgraded γ_1 = ${w.gamma1}`);
  assertThrows(
    () => ctScheduleValuesFrom(legacy(1, 1), "bad.safetensors"),
    /bad\.safetensors: γ_1 = 1 does not exceed γ_0 = 1/,
  );
  assertThrows(() => upgradeCtScheduleArrays(legacy(2, -2), "bad"), /does not exceed/);
  const m = createContinuousModel({
    variant: "ct",
    image: { height: 4, width: 4, channels: 1 },
    classes: 2,
    embedding: "onehot",
    embedDim: 2,
    widths: [1, 1, 1],
    hidden: 2,
    seed: 0,
    gamma0: -1,
    gamma1: 1,
    gammaHidden: 2,
  });
  assertThrows(
    () => assignContinuousModel(m, f32Tensors(legacy(-3, 2))),
    (e: Error) =>
      /"sched\.gamma1" found.*cannot be resumed/.test(e.message) && !e.message.includes("\n"),
  );
});
