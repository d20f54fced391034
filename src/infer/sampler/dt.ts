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
import type { Sampler } from "./types.ts";

/**
 * The DT sampler (see the module doc).
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
    const { T, embedDim: d, schedule } = r.manifest;
    const n = r.batch * d;
    const z = r.noise.fill(new Float32Array(n));
    const eps = new Float32Array(n);
    for (let t = 1; t <= T; t++) {
      const u = await r.denoise(t, z);
      if (u.length !== n) throw new Error(`block ${t} returned ${u.length} values, expected ${n}`);
      const a = schedule.a[t - 1], b = schedule.b[t - 1], s = Math.sqrt(schedule.c[t - 1]);
      if (r.stochastic) {
        r.noise.fill(eps);
        for (let i = 0; i < n; i++) z[i] = a * u[i] + b * z[i] + s * eps[i];
      } else {
        for (let i = 0; i < n; i++) z[i] = a * u[i] + b * z[i];
      }
      r.onStep?.(t, u, z);
    }
    return z;
  },
};
