/**
 * All NoProp-DT noise-schedule math, in the paper's index convention
 * (Li, Teh, Pascanu, arXiv:2503.24322 v1, §2.2.1 and Appendix A), and the backprop baseline's
 * chain coefficients. Plain TypeScript, no tfjs: the exporter imports it. (NoProp-CT's learnable
 * schedule is part of the CT model: `model/ct_schedule.ts`, `model/ct_schedule_values.ts`.)
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
 *   Only ᾱ_0 and ᾱ_T are ever clipped for T ≤ 155. From T = 156 on, the clip would also flatten
 *   ᾱ_1 (and from T = 444 on ᾱ_{T−1}) onto the end value, so ᾱ would stop increasing. There,
 *   every interior ᾱ_t within 0.5% of a clip bound (in ᾱ at the noise end, in 1 − ᾱ at the
 *   clean end) is replaced by interpolating log SNR linearly in t between the end and the first
 *   interior value clear of it; T ≤ 155 is untouched (bit-identical to the plain clip).
 * - `linear`: ᾱ_t linear in t between the same end points, ᾱ_t = 1e-4 + (0.9999 − 1e-4)·t/T.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeSchedule } from "./schedule.ts";
 * const s = makeSchedule("cosine", 10);
 * assert.equal(s.alphaBar[0], 1e-4); // z_0: pure noise
 * assert.equal(s.alphaBar[10], 0.9999); // z_T: close to the label
 * assert.equal(s.alphaBar[5].toFixed(4), "0.4938");
 * // SNR(1) − SNR(0) > 0 weights block 1's denoising loss (eq. 8).
 * assert.ok(s.snrWeight[1] > 0);
 * // Eq. 3's a_t, b_t and c_t for block 1: z_1 = a_1·û_1 + b_1·z_0 + √c_1·ε.
 * assert.ok(s.a[1] > 0 && s.b[1] > 0 && s.c[1] > 0);
 * ```
 * @module
 */

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
 * import assert from "node:assert/strict";
 * import { alphaBars } from "./schedule.ts";
 * assert.deepEqual(alphaBars("linear", 2), Float64Array.of(1e-4, 0.5, 0.9999));
 * assert.throws(() => alphaBars("cosine", 0), /T must be an integer ≥ 1, got 0/);
 * ```
 */
export function alphaBars(name: ScheduleName, T: number): Float64Array {
  if (!Number.isInteger(T) || T < 1) {
    throw new Error(`schedule: T must be an integer ≥ 1, got ${T}`);
  }
  const out = new Float64Array(T + 1);
  const raw = new Float64Array(T + 1);
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
    raw[t] = v;
    out[t] = Math.min(ALPHA_BAR_MAX, Math.max(ALPHA_BAR_MIN, v));
  }
  if (name === "cosine") mendClippedInterior(out, raw);
  return out;
}

/** An interior ᾱ_t within this factor of a clip bound is interpolated (see the module doc). */
const CLIP_MARGIN = 1.005;

const logSnr = (ab: number) => Math.log(ab) - Math.log1p(-ab);
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * Replaces the interior ᾱ_t that the clip flattens onto (or within {@linkcode CLIP_MARGIN} of)
 * ᾱ_0 or ᾱ_T by log-SNR interpolation in t (module doc). `raw` is the unclipped formula.
 */
function mendClippedInterior(ab: Float64Array, raw: Float64Array): void {
  const T = ab.length - 1;
  const clearLow = (t: number) => raw[t] > ALPHA_BAR_MIN * CLIP_MARGIN;
  const clearHigh = (t: number) => 1 - raw[t] > (1 - ALPHA_BAR_MAX) * CLIP_MARGIN;
  let i = 1; // first interior t clear of the noise end
  while (i < T && !clearLow(i)) i++;
  let j = T - 1; // last interior t clear of the clean end
  while (j > 0 && !clearHigh(j)) j--;
  const fill = (p: number, q: number) => {
    const lp = logSnr(ab[p]), lq = logSnr(ab[q]);
    for (let t = p + 1; t < q; t++) ab[t] = sigmoid(lp + (lq - lp) * (t - p) / (q - p));
  };
  if (i > j) return fill(0, T);
  fill(0, i);
  fill(j, T);
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
 * import assert from "node:assert/strict";
 * import { scheduleFromAlphaBar } from "./schedule.ts";
 * const s = scheduleFromAlphaBar("cosine", new Float64Array([0.01, 0.5, 0.99]));
 * assert.equal(s.T, 2);
 * assert.equal(s.alpha[0], 0.01 / 0.5); // α_{t−1} = ᾱ_{t−1}/ᾱ_t
 * assert.equal(s.snr[1], 1); // ᾱ = 0.5: as much signal as noise
 * assert.throws(
 *   () => scheduleFromAlphaBar("linear", Float64Array.of(0.5, 0.4)),
 *   /ᾱ must increase with t, but ᾱ_1 ≤ ᾱ_0/,
 * );
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
 * import assert from "node:assert/strict";
 * import { makeSchedule } from "./schedule.ts";
 * const s = makeSchedule("cosine", 10);
 * assert.equal(s.alphaBar.length, 11); // ᾱ_0 … ᾱ_T
 * assert.ok(s.alphaBar.every((v, t) => t === 0 || v > s.alphaBar[t - 1]));
 * ```
 */
export function makeSchedule(name: ScheduleName, T: number): DtSchedule {
  return scheduleFromAlphaBar(name, alphaBars(name, T));
}

/** Eq. 3 coefficients a_t, b_t, c_t at index t = 1..T (entry 0 unused). */
export interface ChainCoefficients {
  /** a_t, the weight of û_t. */
  a: Float64Array;
  /** b_t, the weight of z_{t−1}. */
  b: Float64Array;
  /** c_t, the variance of the noise term. */
  c: Float64Array;
}

/**
 * The backprop baseline's chain (eq. 17–19, z_t = (1 − α_t)·z_{t−1} + α_t·û_t with
 * α_t = tanh(w_t)) as eq. 3 coefficients: a_t = α_t, b_t = 1 − α_t, c_t = 0, so the DT sampler
 * runs the baseline unchanged. `w` holds w_1..w_T (the `mix.w` tensor).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mixCoefficients } from "./schedule.ts";
 * const s = mixCoefficients([Math.atanh(0.5)]);
 * assert.ok(Math.abs(s.a[1] - 0.5) < 1e-15); // α_1 = tanh(w_1)
 * assert.equal(s.b[1], 1 - s.a[1]);
 * assert.equal(s.c[1], 0); // the baseline's chain is deterministic
 * ```
 */
export function mixCoefficients(w: ArrayLike<number>): ChainCoefficients {
  const T = w.length;
  const a = new Float64Array(T + 1), b = new Float64Array(T + 1), c = new Float64Array(T + 1);
  for (let t = 1; t <= T; t++) {
    a[t] = Math.tanh(w[t - 1]);
    b[t] = 1 - a[t];
  }
  return { a, b, c };
}
