/**
 * What a forecasting model is, as data (stored in the weights' metadata, read back by
 * `deno task eval`, the exporter and the runtime): the NoProp-DT forecaster, DLinear and
 * repeat-last. Plain types and one helper, no tfjs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { latentSize, type NoPropForecastSpec } from "./spec.ts";
 * const spec: NoPropForecastSpec = {
 *   kind: "noprop-dt", lookback: 336, horizon: 96, T: 10, schedule: "cosine", alphaBar: [],
 *   hidden: 128, mode: "direct", latentDim: 32,
 * };
 * assert.equal(latentSize(spec), 96); // direct: u is the future window itself
 * assert.equal(latentSize({ ...spec, mode: "autoencoder" }), 32);
 * ```
 * @module
 */

/**
 * The NoProp-DT forecaster (`src/model/forecast/noprop.ts`): T blocks, each mapping the
 * RevIN-normalised lookback window x̃ [L] and z_{t−1} [d] to û_t [d]; in `autoencoder` mode an
 * encoder/decoder pair maps the normalised future window [H] to the latent u [d] and back.
 *
 * @example
 * ```ts
 * import type { NoPropForecastSpec } from "./spec.ts";
 * const blocks = (s: NoPropForecastSpec) => s.T;
 * ```
 */
export interface NoPropForecastSpec {
  /** Discriminant. */
  kind: "noprop-dt";
  /** Input rows L. */
  lookback: number;
  /** Forecast rows H. */
  horizon: number;
  /** Number of blocks. */
  T: number;
  /** Noise schedule name. */
  schedule: "cosine" | "linear";
  /** ᾱ_0 … ᾱ_T. */
  alphaBar: number[];
  /** Width of each block's MLP. */
  hidden: number;
  /** What u is: the normalised future window, or an autoencoder's latent of it. */
  mode: "direct" | "autoencoder";
  /** Latent size of the autoencoder (used in `autoencoder` mode). */
  latentDim: number;
}

/**
 * DLinear (Zeng et al. 2023): moving-average trend + seasonal remainder, one linear layer each
 * from L to H, shared by every channel.
 *
 * @example
 * ```ts
 * import type { DLinearSpec } from "./spec.ts";
 * const s: DLinearSpec = { kind: "dlinear", lookback: 336, horizon: 96, kernel: 25 };
 * ```
 */
export interface DLinearSpec {
  /** Discriminant. */
  kind: "dlinear";
  /** Input rows L. */
  lookback: number;
  /** Forecast rows H. */
  horizon: number;
  /** Moving-average kernel. */
  kernel: number;
}

/**
 * Repeat the last value: every forecast step equals the window's last input. No weights.
 *
 * @example
 * ```ts
 * import type { LastValueSpec } from "./spec.ts";
 * const s: LastValueSpec = { kind: "last", lookback: 336, horizon: 96 };
 * ```
 */
export interface LastValueSpec {
  /** Discriminant. */
  kind: "last";
  /** Input rows L. */
  lookback: number;
  /** Forecast rows H. */
  horizon: number;
}

/** Any forecasting model. */
export type ForecastSpec = NoPropForecastSpec | DLinearSpec | LastValueSpec;

/**
 * The size d of u, z and û: H in direct mode, `latentDim` with the autoencoder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { latentSize } from "./spec.ts";
 * assert.equal(latentSize({ mode: "autoencoder", horizon: 96, latentDim: 16 }), 16);
 * ```
 */
export function latentSize(
  s: Pick<NoPropForecastSpec, "mode" | "horizon" | "latentDim">,
): number {
  return s.mode === "direct" ? s.horizon : s.latentDim;
}
