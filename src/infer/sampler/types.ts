/**
 * The sampler interface: a sampler turns the chain of denoising graphs into z_T, the input of
 * the classifier. Samplers are plain TypeScript over Float32Arrays and know nothing about
 * onnxruntime; the runtime hands them a `denoise` callback.
 *
 * @example
 * ```ts
 * import type { Sampler } from "./types.ts";
 * const identity: Sampler = {
 *   name: "none", variants: ["dt"], defaultSteps: (m) => m.T,
 *   run: (r) => Promise.resolve(r.noise.fill(new Float32Array(r.batch * r.manifest.embedDim))),
 * };
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
 * import type { SamplerRun } from "./types.ts";
 * function describe(r: SamplerRun): string {
 *   return `${r.batch} images, ${r.steps} steps, noise ${r.stochastic ? "on" : "off"}`;
 * }
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
 * import type { Sampler } from "./types.ts";
 * import { registerSampler } from "./registry.ts";
 * declare const euler: Sampler; // a continuous-time sampler, when it exists
 * registerSampler(euler);
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
