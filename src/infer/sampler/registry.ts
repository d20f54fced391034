/**
 * Samplers by name: `dt` for NoProp-DT, `euler` and `heun` for the continuous-time variants
 * (CT, FM). Asking for a sampler the model's variant cannot use, or an unknown
 * one, is a one-line {@linkcode InferError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseManifest } from "../manifest.ts";
 * import { getSampler, samplerNames } from "./registry.ts";
 * assert.deepEqual(samplerNames(), ["dt", "euler", "heun"]);
 * const text = await Deno.readTextFile("models/mnist/manifest.json"); // the shipped model
 * const manifest = parseManifest(text, "manifest.json");
 * assert.equal(getSampler(manifest.sampler.name, manifest).name, "dt"); // then .run(…)
 * ```
 * @module
 */
import { InferError } from "../errors.ts";
import type { Manifest } from "../manifest.ts";
import { eulerSampler, heunSampler } from "./continuous.ts";
import { dtSampler } from "./dt.ts";
import type { Sampler } from "./types.ts";

const registry = new Map<string, Sampler>(
  [dtSampler, eulerSampler, heunSampler].map((s) => [s.name, s]),
);

/**
 * Adds (or replaces) a sampler.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dtSampler } from "./dt.ts";
 * import { registerSampler, samplerNames } from "./registry.ts";
 * registerSampler({ ...dtSampler, name: "dt-copy" });
 * assert.ok(samplerNames().includes("dt-copy"));
 * ```
 */
export function registerSampler(s: Sampler): void {
  registry.set(s.name, s);
}

/**
 * Registered sampler names.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { samplerNames } from "./registry.ts";
 * assert.ok(samplerNames().includes("dt"));
 * ```
 */
export function samplerNames(): string[] {
  return [...registry.keys()];
}

/**
 * The sampler called `name` for this model; throws an {@linkcode InferError} if it is unknown
 * or does not fit the model's variant.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseManifest } from "../manifest.ts";
 * import { getSampler } from "./registry.ts";
 * const dt = parseManifest(await Deno.readTextFile("models/mnist/manifest.json"), "manifest.json");
 * assert.throws(() => getSampler("heun", dt), {
 *   name: "InferError",
 *   message: /^sampler "heun" is for continuous-time models .*; this dt model takes: dt$/,
 * });
 * ```
 */
export function getSampler(name: string, manifest: Manifest): Sampler {
  const s = registry.get(name);
  const fits = [...registry.values()].filter((x) => x.variants.includes(manifest.variant));
  const options = fits.map((x) => x.name).join(", ") || "none";
  if (!s) {
    throw new InferError(
      "bad-option",
      `sampler "${name}" is unknown; this ${manifest.variant} model takes: ${options}`,
    );
  }
  if (!s.variants.includes(manifest.variant)) {
    throw new InferError(
      "bad-option",
      `sampler "${name}" is for ${
        s.variants.includes("dt") ? "discrete-time" : "continuous-time"
      } models (variants ${
        s.variants.join(", ")
      }); this ${manifest.variant} model takes: ${options}`,
    );
  }
  return s;
}
