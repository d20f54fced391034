import { assert } from "../assert.ts";
import { tf } from "../../src/deps_tf.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { Rng } from "../../src/rng.ts";
import {
  createCtSchedule,
  ctGamma,
  ctScheduleValues,
  snrPrime,
} from "../../src/model/ct_schedule.ts";
import { ctGammaAt } from "../../src/model/ct_schedule_values.ts";

await initBackend("cpu");
const grid = tf.tensor1d(Float32Array.from({ length: 201 }, (_, i) => i / 200));

/** A schedule with random raw γ̃ weights (std 2) and the default ends. */
function randomSchedule(seed: number) {
  const p = createCtSchedule({ gamma0: -9.21, gamma1: 9.21, hidden: 16 }, new Rng(seed));
  const rng = new Rng(seed + 100);
  for (const n of ["sched.a", "sched.b", "sched.c"]) {
    const v = p.get(n);
    v.assign(tf.tensor1d(Float32Array.from({ length: v.size }, () => 2 * rng.normal())));
  }
  return p;
}

Deno.test("for random γ̃ weights, SNR(t) increases on [0, 1] and SNR′(t) > 0 everywhere", async () => {
  for (let seed = 0; seed < 20; seed++) {
    const p = randomSchedule(seed);
    const g = ctGamma(p, grid);
    const gamma = await g.gamma.data();
    const sp = await snrPrime(g).data();
    for (let i = 1; i < gamma.length; i++) {
      assert(gamma[i] < gamma[i - 1] + 1e-5, `seed ${seed}: γ not decreasing at ${i}`);
    }
    for (const v of sp) assert(v > 0 && Number.isFinite(v), `seed ${seed}: SNR′ = ${v}`);
    p.dispose();
  }
});

Deno.test("γ(0) = γ_1 and γ(1) = γ_0, and ᾱ(1) < 1 holds in float32 (1 − ᾱ as sigmoid(γ))", async () => {
  const p = randomSchedule(3);
  const g = await ctGamma(p, tf.tensor1d([0, 1])).gamma.data();
  assert(Math.abs(g[0] - 9.21) < 1e-4 && Math.abs(g[1] + 9.21) < 1e-4, `γ ends ${g}`);
  const oneMinus = await tf.sigmoid(tf.tensor1d([g[1]])).data();
  assert(oneMinus[0] > 0, "1 − ᾱ(1) rounded to 0");
});

Deno.test("the analytic γ′ equals tfjs autodiff of γ (SNR′ is exact, not a finite difference)", async () => {
  const p = randomSchedule(7);
  const t = tf.tensor1d([0.05, 0.3, 0.5, 0.77, 0.99]);
  const auto = tf.grad((tt: tf.Tensor) => tf.sum(ctGamma(p, tt as tf.Tensor1D).gamma))(t);
  const a = await auto.data(), b = await ctGamma(p, t).dgamma.data();
  for (let i = 0; i < a.length; i++) {
    assert(Math.abs(a[i] - b[i]) <= 1e-3 * Math.max(1, Math.abs(a[i])), `${a[i]} vs ${b[i]}`);
  }
});

Deno.test("the float64 γ(t) used by samplers matches the tfjs γ(t) of training", async () => {
  const p = randomSchedule(11);
  const v = await ctScheduleValues(p);
  const g = await ctGamma(p, grid).gamma.data();
  for (let i = 0; i < g.length; i += 20) {
    const want = ctGammaAt(v, i / 200);
    assert(Math.abs(g[i] - want) < 1e-3, `t=${i / 200}: ${g[i]} vs ${want}`);
  }
});

Deno.test("a schedule whose γ_1 does not exceed γ_0 is rejected", () => {
  let msg = "";
  try {
    createCtSchedule({ gamma0: 1, gamma1: 1, hidden: 2 }, new Rng(0));
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(msg.includes("must exceed"), msg);
});
