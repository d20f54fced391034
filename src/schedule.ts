/**
 * All NoProp-DT noise-schedule math, in the paper's index convention
 * (Li, Teh, Pascanu, arXiv:2503.24322 v1, §2.2.1 and Appendix A).
 *
 * Index convention: z_0 is pure noise and z_T is close to the label embedding u_y.
 * The schedule has T+1 values ᾱ_0 < ᾱ_1 < … < ᾱ_T with ᾱ_t = ∏_{s=t..T} α_s, so
 * ᾱ_t, and with it SNR(t) = ᾱ_t / (1 − ᾱ_t), INCREASE with t, and
 * α_{t−1} = ᾱ_{t−1} / ᾱ_t (and α_T = ᾱ_T).
 *
 * Schedules:
 * - `cosine` (default). The paper fixes a cosine schedule but gives no formula. We use the
 *   improved-DDPM cosine (Nichol & Dhariwal 2021, s = 0.008) with its time axis reversed to
 *   this index direction and clipped so SNR stays finite at both ends:
 *
 *       ᾱ_t = clip( cos²(((1 − t/T) + s)/(1 + s) · π/2) / cos²(s/(1 + s) · π/2), 1e-4, 0.9999 )
 *
 *   (the same formula as the PyTorch anchor in ../shared/anchors). For T = 10 this gives
 *   ᾱ = [1e-4, 0.0241, 0.0940, 0.2031, 0.3408, 0.4938, 0.6475, 0.7869, 0.8987, 0.9721, 0.9999].
 * - `linear`: ᾱ_t linear in t between the same end points, ᾱ_t = 1e-4 + (0.9999 − 1e-4)·t/T.
 *
 * @example
 * ```ts
 * import { makeSchedule } from "./schedule.ts";
 * const s = makeSchedule("cosine", 10);
 * s.alphaBar[10]; // ≈ 0.9999, close to the label
 * s.snrWeight[1]; // (SNR(1) − SNR(0)) > 0, the weight of block 1's denoising loss
 * s.a[1] + s.b[1]; // DT sampler coefficients of eq. 3
 * ```
 * @module
 */

import { tf } from "./deps.ts";
import { ParamSet } from "./model/params.ts";
import type { Rng } from "./rng.ts";

/** Names of the available fixed schedules. */
export type ScheduleName = "cosine" | "linear";

/** Smallest and largest ᾱ: keep SNR finite at both ends. */
export const ALPHA_BAR_MIN = 1e-4;
/** Largest ᾱ (see {@linkcode ALPHA_BAR_MIN}). */
export const ALPHA_BAR_MAX = 0.9999;

/** A discrete-time schedule with every coefficient the trainer and the sampler need. */
export interface DtSchedule {
  /** Schedule name. */
  name: ScheduleName;
  /** Number of blocks T. */
  T: number;
  /** ᾱ_t for t = 0..T (length T+1), increasing. */
  alphaBar: Float64Array;
  /** α_t for t = 0..T: α_{t} = ᾱ_t/ᾱ_{t+1} for t < T, α_T = ᾱ_T. */
  alpha: Float64Array;
  /** SNR(t) = ᾱ_t/(1 − ᾱ_t) for t = 0..T. */
  snr: Float64Array;
  /** snrWeight[t] = SNR(t) − SNR(t−1) for t = 1..T (index 0 unused, 0). */
  snrWeight: Float64Array;
  /** Eq. 3 coefficient a_t (index 0 unused). */
  a: Float64Array;
  /** Eq. 3 coefficient b_t (index 0 unused). */
  b: Float64Array;
  /** Eq. 3 variance c_t (index 0 unused). */
  c: Float64Array;
}

/**
 * ᾱ_t for t = 0..T of a named schedule (see the module doc for the formulas).
 *
 * @example
 * ```ts
 * import { alphaBars } from "./schedule.ts";
 * alphaBars("linear", 2); // Float64Array [1e-4, 0.5, 0.9999]
 * ```
 */
export function alphaBars(name: ScheduleName, T: number): Float64Array {
  if (!Number.isInteger(T) || T < 1) {
    throw new Error(`schedule: T must be an integer ≥ 1, got ${T}`);
  }
  const out = new Float64Array(T + 1);
  const s = 0.008;
  const f0 = Math.cos((s / (1 + s)) * Math.PI / 2) ** 2;
  for (let t = 0; t <= T; t++) {
    let v: number;
    if (name === "cosine") {
      v = Math.cos((((1 - t / T) + s) / (1 + s)) * Math.PI / 2) ** 2 / f0;
    } else if (name === "linear") {
      v = ALPHA_BAR_MIN + (ALPHA_BAR_MAX - ALPHA_BAR_MIN) * t / T;
    } else {
      throw new Error(`schedule: unknown schedule "${name}" (expected cosine or linear)`);
    }
    out[t] = Math.min(ALPHA_BAR_MAX, Math.max(ALPHA_BAR_MIN, v));
  }
  return out;
}

/**
 * Builds every derived coefficient from ᾱ_0..ᾱ_T.
 *
 * - α_{t−1} = ᾱ_{t−1}/ᾱ_t (from ᾱ_t = ∏_{s=t..T} α_s).
 * - Eq. 3 (the DT sampler, z_t = a_t û_t + b_t z_{t−1} + √c_t ε):
 *   a_t = √ᾱ_t (1 − α_{t−1})/(1 − ᾱ_{t−1}),
 *   b_t = √α_{t−1} (1 − ᾱ_t)/(1 − ᾱ_{t−1}),
 *   c_t = (1 − ᾱ_t)(1 − α_{t−1})/(1 − ᾱ_{t−1}).
 * - Eq. 8's loss weight SNR(t) − SNR(t−1).
 *
 * @example
 * ```ts
 * import { scheduleFromAlphaBar } from "./schedule.ts";
 * const s = scheduleFromAlphaBar("cosine", new Float64Array([0.01, 0.5, 0.99]));
 * s.T; // 2
 * ```
 */
export function scheduleFromAlphaBar(name: ScheduleName, alphaBar: Float64Array): DtSchedule {
  const T = alphaBar.length - 1;
  for (let t = 0; t <= T; t++) {
    if (!(alphaBar[t] > 0 && alphaBar[t] < 1)) {
      throw new Error(`schedule: ᾱ_${t} = ${alphaBar[t]} is outside (0, 1)`);
    }
    if (t > 0 && !(alphaBar[t] > alphaBar[t - 1])) {
      throw new Error(`schedule: ᾱ must increase with t, but ᾱ_${t} ≤ ᾱ_${t - 1}`);
    }
  }
  const alpha = new Float64Array(T + 1);
  const snr = new Float64Array(T + 1);
  const snrWeight = new Float64Array(T + 1);
  const a = new Float64Array(T + 1);
  const b = new Float64Array(T + 1);
  const c = new Float64Array(T + 1);
  for (let t = 0; t <= T; t++) {
    alpha[t] = t < T ? alphaBar[t] / alphaBar[t + 1] : alphaBar[T];
    snr[t] = alphaBar[t] / (1 - alphaBar[t]);
  }
  for (let t = 1; t <= T; t++) {
    const abPrev = alphaBar[t - 1], ab = alphaBar[t], aPrev = alpha[t - 1];
    snrWeight[t] = snr[t] - snr[t - 1];
    a[t] = Math.sqrt(ab) * (1 - aPrev) / (1 - abPrev);
    b[t] = Math.sqrt(aPrev) * (1 - ab) / (1 - abPrev);
    c[t] = (1 - ab) * (1 - aPrev) / (1 - abPrev);
  }
  return { name, T, alphaBar, alpha, snr, snrWeight, a, b, c };
}

/**
 * A named fixed schedule with T blocks.
 *
 * @example
 * ```ts
 * import { makeSchedule } from "./schedule.ts";
 * const s = makeSchedule("cosine", 10);
 * s.alphaBar.length; // 11
 * ```
 */
export function makeSchedule(name: ScheduleName, T: number): DtSchedule {
  return scheduleFromAlphaBar(name, alphaBars(name, T));
}

// ---------------------------------------------------------------------------------------------
// NoProp-CT: the learnable continuous-time schedule (paper v1 §2.2.2, eq. 65–67).
// t ∈ [0, 1], t = 0 noise, t = 1 clean (the DT index direction).
//
//   SNR(t) = exp(−γ(t))                                                         (eq. 65)
//   γ̃(t)  = Σ_j c_j·σ(a_j·t + b_j),  a_j = softplus(â_j) > 0, c_j = softplus(ĉ_j) > 0
//           (a two-layer network with positive weights, so γ̃ increases strictly)   (eq. 66)
//   γ̄(t)  = (γ̃(t) − γ̃(0)) / (γ̃(1) − γ̃(0)) ∈ [0, 1]
//   γ(t)  = γ_0 + (γ_1 − γ_0)·(1 − γ̄(t)),   γ_0, γ_1 trainable                  (eq. 67)
//   ᾱ(t)  = sigmoid(−γ(t)),  1 − ᾱ(t) = sigmoid(γ(t))
//
// So γ(0) = γ_1 (noise end) and γ(1) = γ_0 (clean end); SNR increases with t iff γ_1 > γ_0.
// 1 − ᾱ is always computed as sigmoid(γ), never as 1 − ᾱ, so ᾱ(1) < 1 holds in floating point
// and every √(1 − ᾱ) stays > 0. SNR′(t) = −γ′(t)·exp(−γ(t)) with the exact (analytic) γ′:
//   γ′(t) = −(γ_1 − γ_0)·γ̃′(t)/(γ̃(1) − γ̃(0)),  γ̃′(t) = Σ_j c_j a_j σ_j(1 − σ_j).
// ---------------------------------------------------------------------------------------------

/** Initial values and width of the learnable CT schedule. */
export interface CtScheduleOptions {
  /** Initial γ_0 = γ(1) (clean end). */
  gamma0: number;
  /** Initial γ_1 = γ(0) (noise end); must exceed γ_0. */
  gamma1: number;
  /** Hidden width of γ̃. */
  hidden: number;
}

function softplus(x: number): number {
  return x > 20 ? x : Math.log1p(Math.exp(x));
}

/**
 * Creates the learnable schedule's parameters `sched.a`, `sched.b`, `sched.c` [hidden] (raw;
 * a and c pass through softplus) and the scalars `sched.gamma0`, `sched.gamma1` [1].
 *
 * @example
 * ```ts
 * import { createCtSchedule } from "./schedule.ts";
 * import { Rng } from "./rng.ts";
 * const p = createCtSchedule({ gamma0: -9.21, gamma1: 9.21, hidden: 16 }, new Rng(0));
 * p.get("sched.gamma0").shape; // [1]
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
  p.add("sched.gamma1", [1], Float32Array.of(o.gamma1));
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
 * import { tf } from "./deps.ts";
 * import { createCtSchedule, ctGamma } from "./schedule.ts";
 * import { Rng } from "./rng.ts";
 * const p = createCtSchedule({ gamma0: -5, gamma1: 5, hidden: 4 }, new Rng(0));
 * ctGamma(p, tf.tensor1d([0, 1])).gamma; // [5, -5]
 * ```
 */
export function ctGamma(p: ParamSet, t: tf.Tensor1D): CtGamma {
  const a = tf.softplus(p.get("sched.a")), b = p.get("sched.b"), c = tf.softplus(p.get("sched.c"));
  const g0 = p.get("sched.gamma0"), g1 = p.get("sched.gamma1");
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
  const range = tf.sub(t1, t0);
  const gbar = tf.div(tf.sub(at.value, t0), range);
  const gamma = tf.add(g0, tf.mul(tf.sub(g1, g0), tf.sub(1, gbar))) as tf.Tensor1D;
  const dgamma = tf.neg(tf.div(tf.mul(tf.sub(g1, g0), at.slope), range)) as tf.Tensor1D;
  return { gamma, dgamma };
}

/**
 * SNR′(t) = −γ′(t)·exp(−γ(t)) (exact, from {@linkcode ctGamma}); > 0 whenever γ_1 > γ_0.
 *
 * @example
 * ```ts
 * import { tf } from "./deps.ts";
 * import { createCtSchedule, ctGamma, snrPrime } from "./schedule.ts";
 * import { Rng } from "./rng.ts";
 * const p = createCtSchedule({ gamma0: -5, gamma1: 5, hidden: 4 }, new Rng(0));
 * snrPrime(ctGamma(p, tf.tensor1d([0.5]))); // > 0
 * ```
 */
export function snrPrime(g: CtGamma): tf.Tensor1D {
  return tf.mul(tf.neg(g.dgamma), tf.exp(tf.neg(g.gamma))) as tf.Tensor1D;
}

/** The learnable schedule's values as plain numbers (for samplers and export). */
export interface CtScheduleValues {
  /** softplus(â) [H]. */
  a: Float64Array;
  /** b [H]. */
  b: Float64Array;
  /** softplus(ĉ) [H]. */
  c: Float64Array;
  /** γ_0. */
  gamma0: number;
  /** γ_1. */
  gamma1: number;
}

/**
 * Reads the schedule's parameters into {@linkcode CtScheduleValues} (softplus applied).
 *
 * @example
 * ```ts
 * import { createCtSchedule, ctScheduleValues } from "./schedule.ts";
 * import { Rng } from "./rng.ts";
 * const v = await ctScheduleValues(createCtSchedule({ gamma0: -5, gamma1: 5, hidden: 4 }, new Rng(0)));
 * v.gamma1; // 5
 * ```
 */
export async function ctScheduleValues(p: ParamSet): Promise<CtScheduleValues> {
  const get = async (n: string) => Float64Array.from(await p.get(n).data());
  const sp = (x: Float64Array) => x.map(softplus);
  return {
    a: sp(await get("sched.a")),
    b: await get("sched.b"),
    c: sp(await get("sched.c")),
    gamma0: (await get("sched.gamma0"))[0],
    gamma1: (await get("sched.gamma1"))[0],
  };
}

/**
 * γ(t) in float64 from {@linkcode CtScheduleValues} (eq. 67; the same formula as
 * {@linkcode ctGamma}). ᾱ(t) = 1/(1 + exp(γ)).
 *
 * @example
 * ```ts
 * import { ctGammaAt } from "./schedule.ts";
 * const v = { a: new Float64Array([1]), b: new Float64Array([0]), c: new Float64Array([1]), gamma0: -5, gamma1: 5 };
 * ctGammaAt(v, 0); // 5
 * ctGammaAt(v, 1); // -5
 * ```
 */
export function ctGammaAt(v: CtScheduleValues, t: number): number {
  const tilde = (x: number) => {
    let s = 0;
    for (let j = 0; j < v.a.length; j++) s += v.c[j] / (1 + Math.exp(-(v.a[j] * x + v.b[j])));
    return s;
  };
  const t0 = tilde(0), t1 = tilde(1);
  return v.gamma0 + (v.gamma1 - v.gamma0) * (1 - (tilde(t) - t0) / (t1 - t0));
}
