/**
 * What a forecasting method is built from: the config, the series run and, when resuming, the
 * checkpoint (already checked to be of the method's format). The forecasters' counterpart of
 * `MethodContext`.
 *
 * @example
 * ```ts
 * import type { ForecastContext } from "./context.ts";
 * const resuming = (c: ForecastContext) => c.checkpoint !== undefined;
 * ```
 * @module
 */
import type { Config } from "../../config/schema.ts";
import type { CheckpointFile } from "../../run/checkpoint.ts";
import type { SeriesRun } from "./data.ts";

/** See the module doc. */
export interface ForecastContext {
  /** The effective config. */
  cfg: Config;
  /** The series. */
  series: SeriesRun;
  /** The checkpoint to continue from. */
  checkpoint?: CheckpointFile;
}
