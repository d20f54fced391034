/**
 * The training methods by config: `method: backprop` → the baseline, else NoProp with
 * `variant` dt, ct or fm. The one place the loop learns which {@linkcode TrainMethod} to build.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../config.ts";
 * import { formatOf } from "./methods.ts";
 * assert.equal(formatOf({ ...defaultConfig(), variant: "fm" }), "noprop-fm");
 * ```
 * @module
 */
import type { Config } from "../config/schema.ts";
import { ConfigError } from "../config/errors.ts";
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
 * import assert from "node:assert/strict";
 * import { formatOf } from "./methods.ts";
 * assert.equal(formatOf({ method: "backprop", variant: "dt" }), "noprop-backprop");
 * assert.equal(formatOf({ method: "noprop", variant: "dt" }), "noprop-dt");
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
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { defaultConfig } from "../config.ts";
 * import { NORMALIZATION } from "../data/normalize.ts";
 * import type { RunData } from "./batches.ts";
 * import { createMethod } from "./methods.ts";
 * await initBackend("cpu");
 * // Eight 8×8 grey images of two classes (dark, bright), used as both splits.
 * const set = {
 *   count: 8, height: 8, width: 8, channels: 1, labels: Uint8Array.of(0, 1, 0, 1, 0, 1, 0, 1),
 *   images: Uint8Array.from({ length: 8 * 64 }, (_, i) => (Math.floor(i / 64) % 2) * 200),
 * };
 * const info = {
 *   name: "mnist" as const, height: 8, width: 8, channels: 1, numClasses: 2,
 *   classNames: ["dark", "bright"], mean: [0.1307], std: [0.3081],
 * };
 * const run: RunData = {
 *   data: { train: set, test: set, info }, train: set, test: set, stats: NORMALIZATION.mnist,
 * };
 * const cfg = {
 *   ...defaultConfig(), T: 2, widths: [2, 2, 2], hidden: 8, batchSize: 4, evalBatch: 8,
 * };
 * const ct = await createMethod({ cfg: { ...cfg, variant: "ct" }, run });
 * assert.equal(ct.name, "ct");
 * ct.close();
 * const baseline = await createMethod({ cfg: { ...cfg, method: "backprop" }, run });
 * assert.equal(baseline.description, `backprop baseline, T=2, ${baseline.params} params`);
 * baseline.close();
 * // Fusing the blocks' steps is NoProp-DT's: refused, in one line, for the others.
 * assert.throws(
 *   () => createMethod({ cfg: { ...cfg, variant: "fm", fuseBlocks: true }, run }),
 *   /^ConfigError: --fuse-blocks fuses NoProp-DT's block steps: not for --variant fm$/,
 * );
 * ```
 */
export function createMethod(ctx: MethodContext): Promise<TrainMethod> {
  const { cfg } = ctx;
  if (cfg.fuseBlocks && (cfg.method !== "noprop" || cfg.variant !== "dt")) {
    throw new ConfigError(
      "--fuse-blocks fuses NoProp-DT's block steps: not for " +
        (cfg.method === "backprop" ? "--method backprop" : `--variant ${cfg.variant}`),
    );
  }
  if (ctx.cfg.method === "backprop") return createBackpropMethod(ctx);
  return ctx.cfg.variant === "dt" ? createDtMethod(ctx) : createContinuousMethod(ctx);
}
