/**
 * The NoProp-DT sampler (paper eq. 3): z_0 ~ N(0, I), then for t = 1..T
 * `z_t = a_t·û_t(z_{t−1}, x) + b_t·z_{t−1} + √c_t·ε_t` (ε_t ~ N(0, I) when stochastic, else
 * 0); one step per block, so it always runs T steps. Noise order: z_0, then ε_1 … ε_T.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dtSampler } from "./dt.ts";
 * assert.equal(dtSampler.name, "dt");
 * assert.deepEqual(dtSampler.variants, ["dt"]);
 * ```
 * @module
 */
import type { NoiseSource } from "./random.ts";
import type { Sampler } from "./types.ts";

/**
 * What {@linkcode dtChain} needs: the eq. 3 coefficients, the noise and the denoiser.
 *
 * @example
 * ```ts
 * import type { DtChainOptions } from "./dt.ts";
 * import { SeededNormal } from "./random.ts";
 * const o: DtChainOptions = {
 *   schedule: { a: [0.5], b: [0.5], c: [0] }, size: 2, stochastic: false,
 *   noise: new SeededNormal(0), denoise: () => Promise.resolve(new Float32Array([1, 1])),
 * };
 * ```
 */
export interface DtChainOptions {
  /**
   * a_t, b_t, c_t of eq. 3 for t = 1..T at index t − 1 (the manifest's `schedule`); T is the
   * length of `a`.
   */
  schedule: DtCoefficients;
  /** Length of z: batch × embedDim. */
  size: number;
  /** Add the stochastic term √c_t·ε_t. */
  stochastic: boolean;
  /** Source of z_0 and, when stochastic, of ε_1 … ε_T (in that order). */
  noise: NoiseSource;
  /** û_t (length `size`) from block `t` (1-based) given z_{t−1}. */
  denoise(t: number, z: Float32Array): Promise<Float32Array>;
  /** Called after each step with t, û_t and the new z_t. */
  onStep?(t: number, uhat: Float32Array, z: Float32Array): void;
}

/**
 * The eq. 3 coefficients as a schedule gives them: a_t, b_t, c_t for t = 1..T at index t − 1
 * (the manifest's `schedule`).
 *
 * @example
 * ```ts
 * import type { DtCoefficients } from "./dt.ts";
 * const s: DtCoefficients = { a: [0.5, 0.9], b: [0.4, 0.1], c: [0.3, 0.01] }; // T = 2
 * ```
 */
export interface DtCoefficients {
  /** a_t (index t − 1). */
  a: ArrayLike<number>;
  /** b_t (index t − 1). */
  b: ArrayLike<number>;
  /** c_t, the variance of the stochastic term (index t − 1). */
  c: ArrayLike<number>;
}

/**
 * The factors each step of eq. 3 multiplies by, `z_t = a_t·û_t + b_t·z_{t−1} + s_t·ε_t` with
 * s_t = √c_t, for t = 1..T at index t − 1. The one place they are computed: the runtime's
 * {@linkcode dtChain} and the fused chain graph (`src/onnx/chain_graph.ts`, which bakes them in
 * as constants) both take them from here, so the two paths cannot disagree.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dtStepFactors } from "./dt.ts";
 * const f = dtStepFactors({ a: [0.5], b: [0.25], c: [0.16] });
 * assert.deepEqual(f, { a: [0.5], b: [0.25], s: [0.4] });
 * assert.throws(() => dtStepFactors({ a: [0.5], b: [], c: [0.16] }), /3 coefficient lists/);
 * ```
 */
export function dtStepFactors(
  schedule: DtCoefficients,
): { a: number[]; b: number[]; s: number[] } {
  const { a, b, c } = schedule;
  if (b.length !== a.length || c.length !== a.length) {
    throw new Error(
      `the DT sampler needs 3 coefficient lists of one length, got ${a.length}, ${b.length}, ${c.length}`,
    );
  }
  return { a: Array.from(a), b: Array.from(b), s: Array.from(c, (ct) => Math.sqrt(ct)) };
}

/**
 * The noise of one chain as {@linkcode dtChain} draws it from `noise`: z_0, then (stochastic
 * only) ε_1 … ε_T, each of `size` values, one `fill` call each. `eps` holds ε_t at
 * [(t − 1)·size, t·size) — all zeros when not stochastic, so a graph that adds s_t·ε_t
 * computes the noise-free chain from it unchanged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dtNoise } from "./dt.ts";
 * import { FixedNoise } from "./random.ts";
 * const draws = [Float32Array.of(1, 2), Float32Array.of(3, 4), Float32Array.of(5, 6)];
 * const { z0, eps } = dtNoise(new FixedNoise(draws), 2, 2, true);
 * assert.deepEqual([z0, eps], [Float32Array.of(1, 2), Float32Array.of(3, 4, 5, 6)]);
 * const clean = dtNoise(new FixedNoise(draws), 2, 2, false); // draws z_0 only
 * assert.deepEqual(clean.eps, new Float32Array(4));
 * ```
 */
export function dtNoise(
  noise: NoiseSource,
  size: number,
  T: number,
  stochastic: boolean,
): { z0: Float32Array; eps: Float32Array } {
  const z0 = noise.fill(new Float32Array(size));
  const eps = new Float32Array(T * size);
  if (stochastic) {
    for (let t = 0; t < T; t++) {
      noise.fill(eps.subarray(t * size, (t + 1) * size));
    }
  }
  return { z0, eps };
}

/**
 * Runs the DT chain of eq. 3 (see the module doc) and returns z_T. The one implementation of
 * the DT sampler: the runtime's {@linkcode dtSampler} and the trainer's evaluation
 * (`src/train/dt/evaluate.ts`, tfjs blocks) both call it; the fused chain graph takes its
 * factors ({@linkcode dtStepFactors}) and its noise ({@linkcode dtNoise}) from here too.
 *
 * @example
 * ```ts
 * import { dtChain } from "./dt.ts";
 * import { FixedNoise } from "./random.ts";
 * const zT = await dtChain({
 *   schedule: { a: [0.5], b: [0.5], c: [0] }, size: 1, stochastic: false,
 *   noise: new FixedNoise([new Float32Array([2])]),
 *   denoise: () => Promise.resolve(new Float32Array([4])),
 * }); // [3] = 0.5·4 + 0.5·2
 * ```
 */
export async function dtChain(o: DtChainOptions): Promise<Float32Array> {
  const { a: A, b: B, s: S } = dtStepFactors(o.schedule);
  const T = A.length, n = o.size;
  const { z0: z, eps: all } = dtNoise(o.noise, n, T, o.stochastic);
  for (let t = 1; t <= T; t++) {
    const u = await o.denoise(t, z);
    if (u.length !== n) throw new Error(`block ${t} returned ${u.length} values, expected ${n}`);
    const a = A[t - 1], b = B[t - 1], s = S[t - 1];
    if (o.stochastic) {
      const eps = all.subarray((t - 1) * n, t * n);
      for (let i = 0; i < n; i++) z[i] = a * u[i] + b * z[i] + s * eps[i];
    } else {
      for (let i = 0; i < n; i++) z[i] = a * u[i] + b * z[i];
    }
    o.onStep?.(t, u, z);
  }
  return z;
}

/**
 * The DT sampler (see the module doc): {@linkcode dtChain} with the manifest's coefficients.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseManifest } from "../manifest.ts";
 * import { dtSampler } from "./dt.ts";
 * import { SeededNormal } from "./random.ts";
 * const text = await Deno.readTextFile("models/mnist/manifest.json"); // the shipped model
 * const manifest = parseManifest(text, "manifest.json");
 * // A stand-in for the T block graphs: every block predicts û = u_3 (one-hot class 3).
 * const u3 = Float32Array.from({ length: 10 }, (_, k) => (k === 3 ? 1 : 0));
 * let calls = 0;
 * const zT = await dtSampler.run({
 *   manifest, batch: 1, steps: manifest.T, stochastic: false, noise: new SeededNormal(0),
 *   denoise: (t, _z) => (calls++, Promise.resolve(u3)),
 * });
 * assert.equal(calls, manifest.T); // one step per block
 * assert.equal(zT.indexOf(Math.max(...zT)), 3); // z_T ends up near u_3
 * assert.equal(
 *   dtSampler.checkSteps?.(manifest, 5),
 *   "the dt sampler runs exactly T = 10 steps (one per block), not 5",
 * );
 * ```
 */
export const dtSampler: Sampler = {
  name: "dt",
  variants: ["dt"],
  defaultSteps: (m) => m.T,
  checkSteps: (m, steps) =>
    steps === m.T
      ? undefined
      : `the dt sampler runs exactly T = ${m.T} steps (one per block), not ${steps}`,
  async run(r) {
    const { T, embedDim, schedule } = r.manifest;
    if (schedule.a.length !== T) {
      throw new Error(`the manifest has ${schedule.a.length} schedule coefficients for T = ${T}`);
    }
    return await dtChain({
      schedule,
      size: r.batch * embedDim,
      stochastic: r.stochastic,
      noise: r.noise,
      denoise: r.denoise,
      onStep: r.onStep,
    });
  },
};
