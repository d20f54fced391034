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
  schedule: { a: ArrayLike<number>; b: ArrayLike<number>; c: ArrayLike<number> };
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
 * Runs the DT chain of eq. 3 (see the module doc) and returns z_T. The one implementation of
 * the DT sampler: the runtime's {@linkcode dtSampler} and the trainer's evaluation
 * (`src/train/dt/evaluate.ts`, tfjs blocks) both call it.
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
  const { a: A, b: B, c: C } = o.schedule;
  const T = A.length, n = o.size;
  const z = o.noise.fill(new Float32Array(n));
  const eps = new Float32Array(n);
  for (let t = 1; t <= T; t++) {
    const u = await o.denoise(t, z);
    if (u.length !== n) throw new Error(`block ${t} returned ${u.length} values, expected ${n}`);
    const a = A[t - 1], b = B[t - 1], s = Math.sqrt(C[t - 1]);
    if (o.stochastic) {
      o.noise.fill(eps);
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
