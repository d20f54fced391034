/**
 * The run record in Redis (`keys.ts` `noprop:run:<id>`): what the submitter registers, what
 * workers read to set a run up, and the check that a run id is not reused for another config.
 * The config is stored as JSON of the effective config, which holds no secret: the engine's
 * address (and its password) is not a config field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../config.ts";
 * import { configDifference } from "./record.ts";
 * const a = defaultConfig();
 * assert.equal(configDifference(a, { ...a, epochs: 9, outDir: "x" }), undefined); // may differ
 * assert.equal(configDifference(a, { ...a, lr: 0.01 }), "lr is 0.01 here, 0.001 in the run");
 * ```
 * @module
 */
import type { Config } from "../config/schema.ts";
import { RESUMABLE_FIELDS } from "../run/resume.ts";
import type { ImageSet } from "../data/types.ts";
import { sha256Hex } from "./store.ts";

/** The fields of the run record hash. */
export interface RunRecord {
  /** Effective config, JSON. */
  config: string;
  /** running, done, failed or interrupted. */
  state: string;
  /** One line: the failure, or where the run is. */
  message?: string;
  /** `redis`, or the `--store` folder the submitter named. */
  store: string;
  /** Batches between unit checkpoints. */
  unitCheckpoint: string;
  /** The tfjs backend the submitter runs (workers use the same, for bit-identical results). */
  backend?: string;
  /** sha256 of the training images and labels the submitter loaded (`dataCheck`). */
  dataCheck?: string;
  /** Created, ISO time. */
  created: string;
  /** Last change, ISO time. */
  updated: string;
}

/**
 * The first field (outside those a resumed run may change, `src/run/resume.ts`) in which
 * `here` differs from the run's stored config, as "field is X here, Y in the run"; undefined
 * when they agree.
 */
export function configDifference(stored: Config, here: Config): string | undefined {
  for (const key of Object.keys(stored) as (keyof Config)[]) {
    if (RESUMABLE_FIELDS.includes(key)) continue;
    const a = JSON.stringify(stored[key]), b = JSON.stringify(here[key]);
    if (a !== b) return `${key} is ${b} here, ${a} in the run`;
  }
  return undefined;
}

/**
 * sha256 of a training set's shape, labels and images: workers check they train on the data
 * the submitter loaded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dataCheck } from "./record.ts";
 * const s = { count: 1, height: 1, width: 2, channels: 1, images: Uint8Array.of(3, 4), labels: Uint8Array.of(0) };
 * assert.notEqual(await dataCheck(s), await dataCheck({ ...s, labels: Uint8Array.of(1) }));
 * ```
 */
export async function dataCheck(set: ImageSet): Promise<string> {
  const head = new TextEncoder().encode(`${set.count}x${set.height}x${set.width}x${set.channels}|`);
  const all = new Uint8Array(head.length + set.labels.length + set.images.length);
  all.set(head);
  all.set(set.labels, head.length);
  all.set(set.images, head.length + set.labels.length);
  return await sha256Hex(all);
}
