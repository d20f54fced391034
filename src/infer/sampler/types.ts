/**
 * The sampler interface: a sampler turns the chain of denoising graphs into z_T, the input of
 * the classifier. Samplers are plain TypeScript over Float32Arrays and know nothing about
 * onnxruntime; the runtime hands them a `denoise` callback.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseManifest } from "../manifest.ts";
 * import { FixedNoise } from "./random.ts";
 * import type { Sampler } from "./types.ts";
 * // A sampler that ignores the blocks and returns z_0.
 * const identity: Sampler = {
 *   name: "none", variants: ["dt"], defaultSteps: (m) => m.T,
 *   run: (r) => Promise.resolve(r.noise.fill(new Float32Array(r.batch * r.manifest.embedDim))),
 * };
 * const text = await Deno.readTextFile("models/mnist/manifest.json"); // the shipped model
 * const manifest = parseManifest(text, "manifest.json");
 * const z0 = new Float32Array(10).fill(0.5);
 * const zT = await identity.run({
 *   manifest, batch: 1, steps: 10, stochastic: false, noise: new FixedNoise([z0]),
 *   denoise: () => Promise.reject(new Error("not called")),
 * });
 * assert.deepEqual(zT, z0);
 * ```
 * @module
 */
import type { Manifest } from "../manifest.ts";
import type { NoiseSource } from "./random.ts";

/**
 * What one sampler run gets.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { SamplerRun } from "./types.ts";
 * function describe(r: Pick<SamplerRun, "batch" | "steps" | "stochastic">): string {
 *   return `${r.batch} images, ${r.steps} steps, noise ${r.stochastic ? "on" : "off"}`;
 * }
 * const text = describe({ batch: 2, steps: 10, stochastic: false });
 * assert.equal(text, "2 images, 10 steps, noise off");
 * ```
 */
export interface SamplerRun {
  /** The model description (schedule coefficients, T, embedDim). */
  manifest: Manifest;
  /** Number of images in this batch. */
  batch: number;
  /** Number of steps requested. */
  steps: number;
  /** Add the sampler's stochastic term (for DT: √c_t·ε). */
  stochastic: boolean;
  /** Source of z_0 and of the per-step noise. */
  noise: NoiseSource;
  /**
   * DT: û_t for the whole batch from block `t` (1-based) given z ([batch × embedDim]).
   * CT/FM: the network's û (CT) or v̂ (FM) at continuous time `t` ∈ [0, 1].
   */
  denoise(t: number, z: Float32Array): Promise<Float32Array>;
  /** CT only: γ(t) of the learnable schedule at each of the times `t`. */
  gamma?(t: Float32Array): Promise<Float32Array>;
  /** Called after each step with the step index (1-based), û and the new z. */
  onStep?(t: number, uhat: Float32Array, z: Float32Array): void;
}

/**
 * A sampler registered by name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { registerSampler, samplerNames } from "./registry.ts";
 * import type { Sampler } from "./types.ts";
 * const last: Sampler = { // a DT sampler that only runs the last block, from z_0
 *   name: "last-block", variants: ["dt"], defaultSteps: (m) => m.T,
 *   run: (r) => {
 *     const z0 = r.noise.fill(new Float32Array(r.batch * r.manifest.embedDim));
 *     return r.denoise(r.manifest.T, z0);
 *   },
 * };
 * registerSampler(last);
 * assert.ok(samplerNames().includes("last-block"));
 * ```
 */
export interface Sampler {
  /** Registry name (e.g. `dt`). */
  name: string;
  /** Model variants it works with (e.g. `["dt"]`). */
  variants: readonly string[];
  /** The step count used when none is given. */
  defaultSteps(manifest: Manifest): number;
  /** Checks a requested step count; returns an error message or undefined. */
  checkSteps?(manifest: Manifest, steps: number): string | undefined;
  /** Runs the sampler; returns z_T [batch × embedDim]. */
  run(r: SamplerRun): Promise<Float32Array>;
}
