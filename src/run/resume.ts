/**
 * What a resumed run may change. A run folder's `config.yaml` is the base of `--resume`, and
 * flags override it; only the fields of {@linkcode RESUMABLE_FIELDS} (how long to train, how
 * often and how much to evaluate, where and how fast to run) may differ from the saved config.
 * Every other field changes the model, the data or the optimisation (T, schedule, dataset,
 * embedding, widths, variant, method, batch size, learning rate, seed, …), so continuing the
 * checkpoint under it would silently mix two runs: {@linkcode checkResumeConfig} refuses it in
 * one line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RESUMABLE_FIELDS } from "./resume.ts";
 * assert.ok(RESUMABLE_FIELDS.includes("epochs")); // train longer
 * assert.ok(!RESUMABLE_FIELDS.includes("T")); // a different model
 * ```
 * @module
 */
import type { Config } from "../config/schema.ts";
import { ConfigError } from "../config/errors.ts";

/** Config fields that may differ between a run and its resumption. */
export const RESUMABLE_FIELDS: readonly (keyof Config)[] = [
  "epochs",
  "maxSteps",
  "maxSeconds",
  "evalEvery",
  "evalSamples",
  "evalBatch",
  "patience",
  "sampler",
  "sampleSteps",
  "workers",
  "syncEvery",
  "fuseBlocks",
  "fuseShared",
  "backend",
  "dataDir",
  "outDir",
  "runName",
];

/**
 * Throws a one-line {@linkcode ConfigError} naming the first field (other than
 * {@linkcode RESUMABLE_FIELDS}) whose value in `next` differs from the run's saved config.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../config.ts";
 * import { checkResumeConfig } from "./resume.ts";
 * const saved = defaultConfig();
 * checkResumeConfig(saved, { ...saved, epochs: saved.epochs + 5 }, "models/r"); // fine
 * assert.throws(
 *   () => checkResumeConfig(saved, { ...saved, T: 5 }, "models/r"),
 *   /^ConfigError: --resume: T is 5, but the run in models\/r was trained with T = 10; only /,
 * );
 * ```
 */
export function checkResumeConfig(saved: Config, next: Config, runDir: string): void {
  for (const key of Object.keys(saved) as (keyof Config)[]) {
    if (RESUMABLE_FIELDS.includes(key)) continue;
    const a = JSON.stringify(saved[key]), b = JSON.stringify(next[key]);
    if (a !== b) {
      throw new ConfigError(
        `--resume: ${key} is ${b}, but the run in ${runDir} was trained with ${key} = ${a}; ` +
          `only ${RESUMABLE_FIELDS.join(", ")} may change when resuming`,
      );
    }
  }
}
