/**
 * NoProp-CT's learnable schedule (paper v1 §2.2.2, eq. 65–67) as plain float64 numbers, without
 * TensorFlow.js: what the samplers, the ONNX exporter and the runtime need. The schedule's
 * trainable parameters and the tfjs formulas are in `ct_schedule.ts`, which states the
 * equations and the γ_1 = γ_0 + softplus(δ) parameterisation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ctGammaAt } from "./ct_schedule_values.ts";
 * const [a, b, c] = [Float64Array.of(1), Float64Array.of(0), Float64Array.of(1)];
 * const v = { a, b, c, gamma0: -5, gamma1: 5 };
 * assert.equal(ctGammaAt(v, 0), 5); // noise end: γ_1
 * assert.equal(ctGammaAt(v, 1), -5); // clean end: γ_0
 * ```
 * @module
 */
/** Name of γ_1 in weights files written before γ_1 = γ_0 + softplus(δ) (see the module doc). */
export const LEGACY_GAMMA1 = "sched.gamma1";

/**
 * softplus(x) = log(1 + eˣ) in float64.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { softplus } from "./ct_schedule_values.ts";
 * assert.ok(Math.abs(softplus(0) - Math.LN2) < 1e-15);
 * assert.equal(softplus(1000), 1000); // no overflow
 * ```
 */
export function softplus(x: number): number {
  return x > 20 ? x : Math.log1p(Math.exp(x));
}

/**
 * δ with softplus(δ) = r, for r > 0 (float64).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { softplus, softplusInverse } from "./ct_schedule_values.ts";
 * assert.ok(Math.abs(softplus(softplusInverse(3)) - 3) < 1e-12);
 * ```
 */
export function softplusInverse(r: number): number {
  return r > 20 ? r + Math.log1p(-Math.exp(-r)) : Math.log(Math.expm1(r));
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
  /** γ_1 = γ_0 + softplus(δ). */
  gamma1: number;
}

/** Named arrays as read from a weights file or a `ParamSet`. */
export type NamedArrays = Record<string, { shape: number[]; data: ArrayLike<number> }>;

/**
 * {@linkcode CtScheduleValues} from named arrays (`sched.a`, `sched.b`, `sched.c`,
 * `sched.gamma0`, and `sched.delta` or, in files written before the softplus gap,
 * `sched.gamma1`); float64, softplus applied. `where` names the source in the one-line errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ctScheduleValuesFrom } from "./ct_schedule_values.ts";
 * const one = (v: number) => ({ shape: [1], data: [v] });
 * const v = ctScheduleValuesFrom({ "sched.a": one(0), "sched.b": one(0), "sched.c": one(0),
 *   "sched.gamma0": one(-1), "sched.delta": one(0) }, "example");
 * assert.equal(v.gamma1, -1 + Math.LN2); // γ_0 + softplus(δ)
 * assert.throws(
 *   () => ctScheduleValuesFrom({}, "w.safetensors"),
 *   /^Error: w.safetensors: tensor "sched.a" is missing$/,
 * );
 * ```
 */
export function ctScheduleValuesFrom(arrays: NamedArrays, where: string): CtScheduleValues {
  const get = (n: string, len?: number) => {
    const t = arrays[n];
    if (!t) throw new Error(`${where}: tensor "${n}" is missing`);
    if (len !== undefined && t.data.length !== len) {
      throw new Error(`${where}: tensor "${n}" has ${t.data.length} values, expected ${len}`);
    }
    return Float64Array.from(t.data);
  };
  const a = get("sched.a").map(softplus);
  const H = a.length;
  const gamma0 = get("sched.gamma0", 1)[0];
  const gamma1 = arrays["sched.delta"] || !arrays[LEGACY_GAMMA1]
    ? gamma0 + softplus(get("sched.delta", 1)[0])
    : get(LEGACY_GAMMA1, 1)[0];
  if (!(gamma1 > gamma0)) {
    throw new Error(`${where}: γ_1 = ${gamma1} does not exceed γ_0 = ${gamma0}`);
  }
  return { a, b: get("sched.b", H), c: get("sched.c", H).map(softplus), gamma0, gamma1 };
}

/** The `sched.delta` tensor that {@linkcode upgradeCtScheduleArrays} adds. */
export interface UpgradedTensor {
  /** Always F32. */
  dtype: "F32";
  /** [1]. */
  shape: number[];
  /** δ. */
  data: Float32Array<ArrayBuffer>;
}

/**
 * Converts the schedule tensors of a weights file written before γ_1 = γ_0 + softplus(δ)
 * (`sched.gamma1`, see the module doc) to the current form (`sched.delta`, float32); other
 * files are returned unchanged. For loading old runs to evaluate or export them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { softplus, upgradeCtScheduleArrays } from "./ct_schedule_values.ts";
 * const one = (v: number) => ({ shape: [1], data: Float32Array.of(v) });
 * const t = upgradeCtScheduleArrays({ "sched.gamma0": one(-3), "sched.gamma1": one(3) }, "old");
 * assert.deepEqual(Object.keys(t), ["sched.gamma0", "sched.delta"]);
 * assert.ok(Math.abs(softplus(t["sched.delta"].data[0]) - 6) < 1e-5); // γ_1 − γ_0
 * ```
 */
export function upgradeCtScheduleArrays<T extends { shape: number[]; data: unknown }>(
  tensors: Record<string, T>,
  where: string,
): Record<string, T | UpgradedTensor> {
  const old = tensors[LEGACY_GAMMA1];
  if (!old || tensors["sched.delta"]) return tensors;
  const first = (t: T | undefined) => t && Number((t.data as ArrayLike<number>)[0]);
  const g0 = first(tensors["sched.gamma0"]), g1 = first(old)!;
  if (g0 === undefined) throw new Error(`${where}: tensor "sched.gamma0" is missing`);
  if (!(g1 > g0)) throw new Error(`${where}: γ_1 = ${g1} does not exceed γ_0 = ${g0}`);
  const out: Record<string, T | UpgradedTensor> = { ...tensors };
  delete out[LEGACY_GAMMA1];
  const data = Float32Array.of(softplusInverse(g1 - g0));
  out["sched.delta"] = { dtype: "F32", shape: [1], data };
  return out;
}

/**
 * γ(t) in float64 from {@linkcode CtScheduleValues} (eq. 67; the same formula as
 * `ctGamma` in `ct_schedule.ts`). ᾱ(t) = 1/(1 + exp(γ)).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ctGammaAt } from "./ct_schedule_values.ts";
 * const [a, b, c] = [Float64Array.of(1), Float64Array.of(0), Float64Array.of(1)];
 * const v = { a, b, c, gamma0: -5, gamma1: 5 };
 * assert.equal(ctGammaAt(v, 0), 5);
 * assert.equal(ctGammaAt(v, 1), -5);
 * const mid = ctGammaAt(v, 0.5);
 * assert.ok(mid < 5 && mid > -5); // γ falls from γ_1 to γ_0
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
