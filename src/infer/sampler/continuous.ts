/**
 * Step functions and the ODE driver of the continuous-time samplers (NoProp-CT and -FM,
 * paper v1 §2.2.2–2.2.3), plain TypeScript over Float32Arrays (math in float64). t = 0 is noise,
 * t = 1 clean. The time grid is uniform in t: t_k = k/steps, k = 0..steps.
 *
 * - FM integrates dz/dt = v̂(z, x, t) (eq. 10–13). Euler: z_s = z + h·v̂(z, t). Heun: z̃ = Euler
 *   step, z_s = z + h·(v̂(z, t) + v̂(z̃, s))/2.
 * - CT integrates the probability-flow ODE of q(z_t | y) = N(√ᾱ(t) u, (1 − ᾱ(t)) I) in its
 *   deterministic (DDIM) form. With ε̂ = (z − √ᾱ(t) û)/√(1 − ᾱ(t)), "Euler" is
 *   z_s = √ᾱ(s)·û + √(1 − ᾱ(s))·ε̂ = (σ_s/σ_t)·z + (α_s − σ_s α_t/σ_t)·û (α = √ᾱ, σ = √(1 − ᾱ)),
 *   exact in log-SNR when û is constant. "Heun" takes that step as a predictor, evaluates û at
 *   (z̃_s, s) and repeats the step with the average (û_t + û_s)/2 (trapezoidal rule on the
 *   exponential integrator, second order; it reduces to the exact step when û is constant).
 *   ᾱ enters through γ: α² = sigmoid(−γ), σ² = sigmoid(γ), so σ never rounds to 0.
 * - Heun's last step (the one ending at t = 1) is a plain Euler/DDIM step, as in EDM's Heun
 *   sampler (Karras et al. 2022, Alg. 1): the network only ever sees z near t = 1 within
 *   (1 − t)·‖z_0‖ (FM) or √(1 − ᾱ(1)) (CT) of u_y, so a second evaluation at t = 1 on the
 *   predictor's z̃_1 is off its training distribution (measured: it cost a tiny FM model 6
 *   points of accuracy). The global error stays second order; Heun with 1 step = Euler.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { alphaSigma, ddimStep } from "./continuous.ts";
 * // With û constant = u and z on the marginal at t (z = α_t·u + σ_t·ε), the step lands on the
 * // marginal at s with the same ε: z_s = α_s·u + σ_s·ε.
 * const u = 1, eps = 0.5, gammaT = 2, gammaS = -2;
 * const t = alphaSigma(gammaT), s = alphaSigma(gammaS);
 * const zt = Float32Array.of(t.alpha * u + t.sigma * eps);
 * const z = ddimStep(zt, Float32Array.of(u), gammaT, gammaS);
 * assert.ok(Math.abs(z[0] - (s.alpha * u + s.sigma * eps)) < 1e-6);
 * ```
 * @module
 */
import type { Sampler } from "./types.ts";

/** Continuous-time sampler names. */
export const CONTINUOUS_SAMPLERS = ["euler", "heun"] as const;
/** A continuous-time sampler name. */
export type ContinuousSamplerName = (typeof CONTINUOUS_SAMPLERS)[number];

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/**
 * √ᾱ and √(1 − ᾱ) from γ (ᾱ = sigmoid(−γ), eq. 65–67).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { alphaSigma } from "./continuous.ts";
 * const { alpha, sigma } = alphaSigma(0);
 * assert.equal(alpha, Math.sqrt(0.5));
 * assert.equal(sigma, Math.sqrt(0.5));
 * ```
 */
export function alphaSigma(gamma: number): { alpha: number; sigma: number } {
  return { alpha: Math.sqrt(sigmoid(-gamma)), sigma: Math.sqrt(sigmoid(gamma)) };
}

function combine(z: Float32Array, u: Float32Array, cz: number, cu: number, out: Float32Array) {
  for (let i = 0; i < z.length; i++) out[i] = cz * z[i] + cu * u[i];
  return out;
}

/**
 * One DDIM (probability-flow, deterministic) step of CT from t (γ_t) to s (γ_s):
 * z_s = √ᾱ(s)·û + √(1 − ᾱ(s))·(z − √ᾱ(t)·û)/√(1 − ᾱ(t)).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ddimStep } from "./continuous.ts";
 * const [z] = ddimStep(Float32Array.of(0.3), Float32Array.of(1), 0, 0);
 * assert.ok(Math.abs(z - 0.3) < 1e-7); // s = t: no move
 * ```
 */
export function ddimStep(
  z: Float32Array,
  uHat: Float32Array,
  gammaT: number,
  gammaS: number,
  out: Float32Array = new Float32Array(z.length),
): Float32Array {
  const t = alphaSigma(gammaT), s = alphaSigma(gammaS);
  return combine(z, uHat, s.sigma / t.sigma, s.alpha - s.sigma * t.alpha / t.sigma, out);
}

/**
 * CT's Heun corrector: the DDIM step from t to s with the average of û_t and û_s (û_s
 * evaluated at the predictor's z̃_s).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ctHeunStep, ddimStep } from "./continuous.ts";
 * const z = new Float32Array([0]), u = new Float32Array([1]);
 * assert.deepEqual(ctHeunStep(z, u, u, 1, -1), ddimStep(z, u, 1, -1)); // û_t = û_s: one DDIM step
 * ```
 */
export function ctHeunStep(
  z: Float32Array,
  uT: Float32Array,
  uS: Float32Array,
  gammaT: number,
  gammaS: number,
  out: Float32Array = new Float32Array(z.length),
): Float32Array {
  const avg = new Float32Array(z.length);
  for (let i = 0; i < z.length; i++) avg[i] = 0.5 * (uT[i] + uS[i]);
  return ddimStep(z, avg, gammaT, gammaS, out);
}

/**
 * An Euler step of dz/dt = v: z + h·v.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { eulerStep } from "./continuous.ts";
 * assert.deepEqual(eulerStep(Float32Array.of(1), Float32Array.of(2), 0.5), Float32Array.of(2));
 * ```
 */
export function eulerStep(
  z: Float32Array,
  v: Float32Array,
  h: number,
  out: Float32Array = new Float32Array(z.length),
): Float32Array {
  return combine(z, v, 1, h, out);
}

/**
 * FM's Heun step: z + h·(v_t + v_s)/2, v_s evaluated at the Euler predictor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fmHeunStep } from "./continuous.ts";
 * // z + h·(v_t + v_s)/2 = 0 + 0.5·(1 + 3)/2
 * const z = fmHeunStep(Float32Array.of(0), Float32Array.of(1), Float32Array.of(3), 0.5);
 * assert.deepEqual(z, Float32Array.of(1));
 * ```
 */
export function fmHeunStep(
  z: Float32Array,
  vT: Float32Array,
  vS: Float32Array,
  h: number,
  out: Float32Array = new Float32Array(z.length),
): Float32Array {
  for (let i = 0; i < z.length; i++) out[i] = z[i] + 0.5 * h * (vT[i] + vS[i]);
  return out;
}

/**
 * Checks a sampler name and step count; throws a one-line error otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkContinuousSampler } from "./continuous.ts";
 * checkContinuousSampler("heun", 10); // ok
 * assert.throws(() => checkContinuousSampler("rk4", 10), {
 *   message: 'unknown sampler "rk4" (expected euler or heun)',
 * });
 * assert.throws(() => checkContinuousSampler("euler", 0), RangeError);
 * ```
 */
export function checkContinuousSampler(
  name: string,
  steps: number,
): asserts name is ContinuousSamplerName {
  if (!(CONTINUOUS_SAMPLERS as readonly string[]).includes(name)) {
    throw new RangeError(`unknown sampler "${name}" (expected euler or heun)`);
  }
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`sampler steps must be an integer ≥ 1, got ${steps}`);
  }
}

/** What {@linkcode integrate} needs. */
export interface IntegrateOptions {
  /** `ct` (DDIM form, û predictions) or `fm` (velocity predictions). */
  variant: "ct" | "fm";
  /** Sampler. */
  sampler: ContinuousSamplerName;
  /** Number of steps on the uniform grid t_k = k/steps. */
  steps: number;
  /** z at t = 0, [N·d] (not modified). */
  z0: Float32Array;
  /** γ(t) of the CT schedule (unused for FM). */
  gammaAt?: (t: number) => number;
  /** The network: û (CT) or v̂ (FM) at (z, t) for every example, [N·d]. */
  predict: (z: Float32Array, t: number) => Promise<Float32Array>;
}

/**
 * Integrates from t = 0 to t = 1 and returns z at t = 1 (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { integrate } from "./continuous.ts";
 * // FM with a constant velocity 1: z moves from 0 to 1 over t ∈ [0, 1].
 * const z1 = await integrate({
 *   variant: "fm", sampler: "euler", steps: 4, z0: new Float32Array([0]),
 *   predict: () => Promise.resolve(new Float32Array([1])),
 * });
 * assert.deepEqual(z1, Float32Array.of(1));
 * ```
 */
export async function integrate(o: IntegrateOptions): Promise<Float32Array> {
  checkContinuousSampler(o.sampler, o.steps);
  if (o.variant === "ct" && !o.gammaAt) throw new Error("the CT sampler needs the schedule γ(t)");
  let z: Float32Array = Float32Array.from(o.z0);
  for (let k = 0; k < o.steps; k++) {
    const t = k / o.steps, s = (k + 1) / o.steps, h = s - t;
    const p = await o.predict(z, t);
    const last = k === o.steps - 1; // EDM: no correction on the step that ends at t = 1
    if (o.variant === "ct") {
      const gt = o.gammaAt!(t), gs = o.gammaAt!(s);
      const pred = ddimStep(z, p, gt, gs);
      z = o.sampler === "euler" || last ? pred : ctHeunStep(z, p, await o.predict(pred, s), gt, gs);
    } else {
      const pred = eulerStep(z, p, h);
      z = o.sampler === "euler" || last ? pred : fmHeunStep(z, p, await o.predict(pred, s), h);
    }
  }
  return z;
}

function continuousSampler(name: ContinuousSamplerName): Sampler {
  return {
    name,
    variants: ["ct", "fm"],
    defaultSteps: (m) => m.sampler.steps,
    checkSteps: (_m, steps) =>
      Number.isSafeInteger(steps) && steps >= 1
        ? undefined
        : `sampler steps must be an integer ≥ 1, got ${steps}`,
    async run(r) {
      const variant = r.manifest.variant as "ct" | "fm";
      let gammaAt;
      if (variant === "ct") {
        if (!r.gamma) throw new Error("the CT sampler needs the schedule graph");
        const grid = Float32Array.from({ length: r.steps + 1 }, (_, k) => k / r.steps);
        const g = await r.gamma(grid);
        gammaAt = (t: number) => g[Math.round(t * r.steps)];
      }
      let step = 0;
      return integrate({
        variant,
        sampler: name,
        steps: r.steps,
        z0: r.noise.fill(new Float32Array(r.batch * r.manifest.embedDim)),
        gammaAt,
        predict: async (z, t) => {
          const u = await r.denoise(t, z);
          r.onStep?.(++step, u, z);
          return u;
        },
      });
    },
  };
}

/**
 * The runtime's Euler sampler for ct/fm models (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { eulerSampler } from "./continuous.ts";
 * assert.deepEqual(eulerSampler.variants, ["ct", "fm"]);
 * ```
 */
export const eulerSampler: Sampler = continuousSampler("euler");

/**
 * The runtime's Heun sampler for ct/fm models (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { heunSampler } from "./continuous.ts";
 * assert.equal(heunSampler.name, "heun");
 * ```
 */
export const heunSampler: Sampler = continuousSampler("heun");
