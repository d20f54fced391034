/**
 * NoProp-CT's learnable noise schedule (paper v1 §2.2.2, eq. 65–67): a small network with
 * trainable parameters, part of the CT model (the fixed DT schedule is `src/schedule.ts`).
 * t ∈ [0, 1], t = 0 noise, t = 1 clean (the DT index direction).
 *
 *   SNR(t) = exp(−γ(t))                                                         (eq. 65)
 *   γ̃(t)  = Σ_j c_j·σ(a_j·t + b_j),  a_j = softplus(â_j) > 0, c_j = softplus(ĉ_j) > 0
 *           (a two-layer network with positive weights, so γ̃ increases strictly)   (eq. 66)
 *   γ̄(t)  = (γ̃(t) − γ̃(0)) / (γ̃(1) − γ̃(0)) ∈ [0, 1]
 *   γ(t)  = γ_0 + (γ_1 − γ_0)·(1 − γ̄(t))                                       (eq. 67)
 *   ᾱ(t)  = sigmoid(−γ(t)),  1 − ᾱ(t) = sigmoid(γ(t))
 *
 * So γ(0) = γ_1 (noise end) and γ(1) = γ_0 (clean end); SNR increases with t iff γ_1 > γ_0.
 *
 * Parameterisation (a deviation in form, not in the family of schedules): the paper trains γ_0
 * and γ_1 as free scalars, and nothing then keeps γ_1 > γ_0 during training. Here the trainable
 * scalars are `sched.gamma0` = γ_0 and `sched.delta` = δ with
 *
 *   γ_1 − γ_0 = softplus(δ) > 0,
 *
 * so the order holds for every value AdamW can reach (softplus(δ) > 0 in float32 down to
 * δ ≈ −87; the range is used as softplus(δ) itself, never as the difference γ_1 − γ_0 of two
 * rounded numbers). `sched.a`, `sched.b`, `sched.c` [hidden] are â, b, ĉ. Weights files written
 * before this change hold `sched.gamma1` instead of `sched.delta`
 * (`LEGACY_GAMMA1`); `ctScheduleValuesFrom` reads both and
 * `upgradeCtScheduleArrays` (in `ct_schedule_values.ts`) converts the old form.
 *
 * 1 − ᾱ is always computed as sigmoid(γ), never as 1 − ᾱ, so ᾱ(1) < 1 holds in floating point
 * and every √(1 − ᾱ) stays > 0. SNR′(t) = −γ′(t)·exp(−γ(t)) with the exact (analytic) γ′:
 *   γ′(t) = −(γ_1 − γ_0)·γ̃′(t)/(γ̃(1) − γ̃(0)),  γ̃′(t) = Σ_j c_j a_j σ_j(1 − σ_j).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "../backend/mod.ts";
 * import { createCtSchedule, ctGamma } from "./ct_schedule.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * const p = createCtSchedule({ gamma0: -3, gamma1: 3, hidden: 16 }, new Rng(0));
 * const [noisy, clean] = await ctGamma(p, tf.tensor1d([0, 1])).gamma.data();
 * assert.ok(Math.abs(noisy - 3) < 1e-5 && Math.abs(clean + 3) < 1e-5); // γ(0) = γ_1, γ(1) = γ_0
 * ```
 * @module
 */
import { tf } from "../deps_tf.ts";
import { ParamSet } from "./params.ts";
import type { Rng } from "../rng.ts";
import {
  type CtScheduleValues,
  ctScheduleValuesFrom,
  softplusInverse,
} from "./ct_schedule_values.ts";

/** Initial values and width of the learnable CT schedule. */
export interface CtScheduleOptions {
  /** Initial γ_0 = γ(1) (clean end). */
  gamma0: number;
  /** Initial γ_1 = γ(0) (noise end); must exceed γ_0. */
  gamma1: number;
  /** Hidden width of γ̃. */
  hidden: number;
}

/**
 * Creates the learnable schedule's parameters `sched.a`, `sched.b`, `sched.c` [hidden] (raw;
 * a and c pass through softplus), `sched.gamma0` [1] = γ_0 and `sched.delta` [1] = δ with
 * softplus(δ) = γ_1 − γ_0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { createCtSchedule } from "./ct_schedule.ts";
 * import { softplus } from "./ct_schedule_values.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * const p = createCtSchedule({ gamma0: -9.21, gamma1: 9.21, hidden: 16 }, new Rng(0));
 * assert.deepEqual(p.get("sched.a").shape, [16]);
 * const [delta] = await p.get("sched.delta").data();
 * assert.ok(Math.abs(softplus(delta) - 18.42) < 1e-5); // γ_1 − γ_0
 * assert.throws(
 *   () => createCtSchedule({ gamma0: 1, gamma1: 1, hidden: 4 }, new Rng(0)),
 *   /γ_1 \(1\) must exceed γ_0 \(1\)/,
 * );
 * p.dispose();
 * ```
 */
export function createCtSchedule(o: CtScheduleOptions, rng: Rng): ParamSet {
  if (!(o.gamma1 > o.gamma0)) {
    throw new Error(`schedule: γ_1 (${o.gamma1}) must exceed γ_0 (${o.gamma0}) so SNR increases`);
  }
  const p = new ParamSet();
  const H = o.hidden;
  const normal = (n: number, s: number) => Float32Array.from({ length: n }, () => s * rng.normal());
  p.add("sched.a", [H], normal(H, 1));
  p.add("sched.b", [H], normal(H, 1));
  p.add("sched.c", [H], normal(H, 1));
  p.add("sched.gamma0", [1], Float32Array.of(o.gamma0));
  p.add("sched.delta", [1], Float32Array.of(softplusInverse(o.gamma1 - o.gamma0)));
  return p;
}

/** γ(t) and its exact derivative γ′(t) at the times `t`, as tensors. */
export interface CtGamma {
  /** γ(t), shape of t. */
  gamma: tf.Tensor1D;
  /** γ′(t) = dγ/dt, shape of t. */
  dgamma: tf.Tensor1D;
}

/**
 * γ(t) (eq. 67) and γ′(t) (analytic) for t [N]; differentiable in the schedule's parameters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "../backend/mod.ts";
 * import { createCtSchedule, ctGamma } from "./ct_schedule.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * const p = createCtSchedule({ gamma0: -5, gamma1: 5, hidden: 4 }, new Rng(0));
 * const { gamma, dgamma } = ctGamma(p, tf.tensor1d([0, 0.5, 1]));
 * const g = await gamma.data();
 * assert.ok(Math.abs(g[0] - 5) < 1e-5 && Math.abs(g[2] + 5) < 1e-5);
 * assert.ok(g[0] > g[1] && g[1] > g[2]); // γ falls, so SNR = exp(−γ) rises with t
 * assert.ok((await dgamma.data()).every((v) => v < 0));
 * ```
 */
export function ctGamma(p: ParamSet, t: tf.Tensor1D): CtGamma {
  const a = tf.softplus(p.get("sched.a")), b = p.get("sched.b"), c = tf.softplus(p.get("sched.c"));
  const g0 = p.get("sched.gamma0");
  const range = tf.softplus(p.get("sched.delta")); // γ_1 − γ_0 > 0
  const tilde = (tt: tf.Tensor) => {
    const s = tf.sigmoid(tf.add(tf.mul(tf.expandDims(tt, 1), a), b)); // [N, H]
    return {
      value: tf.sum(tf.mul(s, c), 1),
      slope: tf.sum(tf.mul(tf.mul(s, tf.sub(1, s)), tf.mul(a, c)), 1),
    };
  };
  const at = tilde(t);
  const ends = tilde(tf.tensor1d([0, 1]));
  const [t0, t1] = tf.split(ends.value, 2);
  const span = tf.sub(t1, t0);
  const gbar = tf.div(tf.sub(at.value, t0), span);
  const gamma = tf.add(g0, tf.mul(range, tf.sub(1, gbar))) as tf.Tensor1D;
  const dgamma = tf.neg(tf.div(tf.mul(range, at.slope), span)) as tf.Tensor1D;
  return { gamma, dgamma };
}

/**
 * SNR′(t) = −γ′(t)·exp(−γ(t)) (exact, from {@linkcode ctGamma}); > 0 since γ_1 > γ_0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "../backend/mod.ts";
 * import { createCtSchedule, ctGamma, snrPrime } from "./ct_schedule.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * const p = createCtSchedule({ gamma0: -5, gamma1: 5, hidden: 4 }, new Rng(0));
 * const [slope] = await snrPrime(ctGamma(p, tf.tensor1d([0.5]))).data();
 * assert.ok(slope > 0);
 * ```
 */
export function snrPrime(g: CtGamma): tf.Tensor1D {
  return tf.mul(tf.neg(g.dgamma), tf.exp(tf.neg(g.gamma))) as tf.Tensor1D;
}

/**
 * Reads the schedule's parameters into {@linkcode CtScheduleValues} (softplus applied).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { createCtSchedule, ctScheduleValues } from "./ct_schedule.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * const p = createCtSchedule({ gamma0: -5, gamma1: 5, hidden: 4 }, new Rng(0));
 * const v = await ctScheduleValues(p);
 * assert.equal(v.gamma0, Math.fround(-5));
 * assert.ok(Math.abs(v.gamma1 - 5) < 1e-5);
 * assert.equal(v.a.length, 4); // softplus(â), > 0
 * assert.ok(v.a.every((a) => a > 0));
 * ```
 */
export async function ctScheduleValues(p: ParamSet): Promise<CtScheduleValues> {
  return ctScheduleValuesFrom(await p.toArrays(), "CT schedule");
}
