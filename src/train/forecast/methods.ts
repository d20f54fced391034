/**
 * The forecasting methods by config (`--dataset etth1`): `--method noprop` → the NoProp-DT
 * forecaster (`noprop/method.ts`), `dlinear` → DLinear, `last` → repeat-last. Registered in
 * `src/train/methods.ts`, the one place the loop learns which method to build.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forecastFormatOf } from "./methods.ts";
 * assert.equal(forecastFormatOf("dlinear"), "forecast-dlinear");
 * ```
 * @module
 */
import type { Method } from "../../config/schema.ts";
import type { ForecastFormat } from "../../run/forecast_metadata.ts";
import type { TrainMethod } from "../method.ts";
import type { ForecastContext } from "./context.ts";
import { createDLinearMethod } from "./dlinear.ts";
import { createLastValueMethod } from "./last.ts";
import { createNoPropForecastMethod } from "./noprop/method.ts";

/**
 * The weight format a forecasting method trains.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forecastFormatOf } from "./methods.ts";
 * assert.equal(forecastFormatOf("noprop"), "forecast-dt");
 * ```
 */
export function forecastFormatOf(method: Method): ForecastFormat {
  return method === "dlinear"
    ? "forecast-dlinear"
    : method === "last"
    ? "forecast-last"
    : "forecast-dt";
}

/**
 * Builds the configured forecasting method.
 *
 * @example
 * ```ts
 * import type { ForecastContext } from "./context.ts";
 * import { createForecastMethod } from "./methods.ts";
 * const build = (ctx: ForecastContext) => createForecastMethod(ctx);
 * ```
 */
export function createForecastMethod(ctx: ForecastContext): Promise<TrainMethod> {
  if (ctx.cfg.method === "dlinear") return createDLinearMethod(ctx);
  if (ctx.cfg.method === "last") return createLastValueMethod(ctx);
  return createNoPropForecastMethod(ctx);
}
