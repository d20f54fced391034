/**
 * The training methods by config: `method: backprop` → the baseline, else NoProp with
 * `variant` dt, ct or fm. The one place the loop learns which {@linkcode TrainMethod} to build.
 *
 * @example
 * ```ts
 * import { defaultConfig } from "../config.ts";
 * import { formatOf } from "./methods.ts";
 * console.assert(formatOf({ ...defaultConfig(), variant: "fm" }) === "noprop-fm");
 * ```
 * @module
 */
import type { Config } from "../config/schema.ts";
import type { Format } from "../run/metadata.ts";
import type { MethodContext, TrainMethod } from "./method.ts";
import { createBackpropMethod } from "./backprop/method.ts";
import { createContinuousMethod } from "./continuous/method.ts";
import { createDtMethod } from "./dt/method.ts";

/**
 * The weight format a config trains (and the checkpoint format it can resume).
 *
 * @example
 * ```ts
 * import { defaultConfig } from "../config.ts";
 * import { formatOf } from "./methods.ts";
 * console.assert(formatOf({ ...defaultConfig(), method: "backprop" }) === "noprop-backprop");
 * ```
 */
export function formatOf(cfg: Pick<Config, "method" | "variant">): Format {
  return cfg.method === "backprop" ? "noprop-backprop" : `noprop-${cfg.variant}`;
}

/**
 * Builds the configured method.
 *
 * @example
 * ```ts
 * import { createMethod } from "./methods.ts";
 * // const method = await createMethod({ cfg, run, checkpoint });
 * ```
 */
export function createMethod(ctx: MethodContext): Promise<TrainMethod> {
  if (ctx.cfg.method === "backprop") return createBackpropMethod(ctx);
  return ctx.cfg.variant === "dt" ? createDtMethod(ctx) : createContinuousMethod(ctx);
}
