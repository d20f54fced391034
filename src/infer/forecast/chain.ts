/**
 * The NoProp-DT forecaster's sampler: the one DT chain of eq. 3 (`dtChain`,
 * `src/infer/sampler/dt.ts`) run on a stack of copies of the same n windows — S stochastic
 * samples and, optionally, one noise-free sample — so one pass of every block serves them all.
 * Rows are copy-major: z[k·n·d + r·d + j] is copy k, window r, latent j; the noise-free copy is
 * the last one. Noise order, the same in the trainer and the runtime: z_0 of the S stochastic
 * copies, then ε_1 … ε_T of those copies; the noise-free copy starts from copy 0's z_0 and adds
 * ε = 0 (as the classifier's noise-free sampler). With S = 0 the noise-free copy draws its own
 * z_0. Plain TypeScript.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forecastChain } from "./chain.ts";
 * import { SeededNormal } from "../sampler/random.ts";
 * // One block that predicts û = 1 everywhere; a = 1, b = 0, c = 0.25.
 * const z = await forecastChain({
 *   schedule: { a: [1], b: [0], c: [0.25] }, rows: 2, dim: 3, samples: 4, noiseFree: true,
 *   noise: new SeededNormal(0), denoise: (_t, zz) => Promise.resolve(new Float32Array(zz.length).fill(1)),
 * });
 * assert.equal(z.length, (4 + 1) * 2 * 3);
 * assert.ok(z.subarray(4 * 6).every((v) => v === 1)); // the noise-free copy: exactly û
 * assert.ok(z.subarray(0, 6).some((v) => v !== 1)); // a stochastic copy: û + ½ε
 * ```
 * @module
 */
import { dtChain } from "../sampler/dt.ts";
import type { NoiseSource } from "../sampler/random.ts";

/**
 * Noise for S stochastic copies stacked with a noise-free one (module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StackedNoise } from "./chain.ts";
 * let k = 0;
 * const counting = {
 *   fill(o: Float32Array) {
 *     for (let i = 0; i < o.length; i++) o[i] = ++k; // 1, 2, 3, … in draw order
 *     return o;
 *   },
 * };
 * const n = new StackedNoise(counting, 2, true);
 * assert.deepEqual(Array.from(n.fill(new Float32Array(3))), [1, 2, 1]); // z_0: copy 0's reused
 * assert.deepEqual(Array.from(n.fill(new Float32Array(3))), [3, 4, 0]); // ε: none for the last
 * ```
 */
export class StackedNoise implements NoiseSource {
  #first = true;
  /** `samples` stochastic copies, plus one noise-free copy when `noiseFree`. */
  constructor(
    readonly source: NoiseSource,
    readonly samples: number,
    readonly noiseFree: boolean,
  ) {}

  /** Fills the stacked copies (module doc). */
  fill(out: Float32Array): Float32Array {
    const copies = this.samples + (this.noiseFree ? 1 : 0), per = out.length / copies;
    const stochastic = this.samples * per;
    if (this.samples) this.source.fill(out.subarray(0, stochastic));
    if (this.noiseFree) {
      if (!this.#first) out.fill(0, stochastic);
      else if (this.samples) out.copyWithin(stochastic, 0, per);
      else this.source.fill(out.subarray(stochastic));
    }
    this.#first = false;
    return out;
  }
}

/** What {@linkcode forecastChain} runs. */
export interface ForecastChainOptions {
  /** a_t, b_t, c_t of eq. 3 for t = 1..T at index t − 1. */
  schedule: { a: ArrayLike<number>; b: ArrayLike<number>; c: ArrayLike<number> };
  /** Windows n. */
  rows: number;
  /** Latent size d. */
  dim: number;
  /** Stochastic samples S per window. */
  samples: number;
  /** Add the noise-free copy. */
  noiseFree: boolean;
  /** The noise source (z_0, then ε_t; module doc). */
  noise: NoiseSource;
  /** û_t for every copy's z (copy-major, (S + noise-free)·n·d values) from block t (1-based). */
  denoise(t: number, z: Float32Array): Promise<Float32Array>;
}

/**
 * Runs the chain and returns z_T of every copy, copy-major (module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forecastChain } from "./chain.ts";
 * import { SeededNormal } from "../sampler/random.ts";
 * const o = {
 *   schedule: { a: [0.5], b: [0.5], c: [0.1] }, rows: 1, dim: 2, samples: 0, noiseFree: true,
 *   noise: new SeededNormal(3), denoise: (_t: number, z: Float32Array) => Promise.resolve(z.map(() => 2)),
 * };
 * const z0 = new SeededNormal(3).fill(new Float32Array(2));
 * const zT = await forecastChain(o); // ½·2 + ½·z_0, no noise
 * assert.ok(Math.abs(zT[0] - (1 + 0.5 * z0[0])) < 1e-6);
 * ```
 */
export function forecastChain(o: ForecastChainOptions): Promise<Float32Array> {
  const copies = o.samples + (o.noiseFree ? 1 : 0);
  if (copies < 1) throw new Error("forecastChain: no samples and no noise-free copy");
  return dtChain({
    schedule: o.schedule,
    size: copies * o.rows * o.dim,
    stochastic: o.samples > 0,
    noise: new StackedNoise(o.noise, o.samples, o.noiseFree),
    denoise: o.denoise,
  });
}
