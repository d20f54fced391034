/**
 * Where a distributed run keeps its records in Redis, besides BullMQ's own keys (prefix
 * `noprop:bull`, queue {@linkcode QUEUE}). All names start with `noprop:`.
 *
 * - `noprop:run:<id>`: hash: `config` (YAML, no secrets), `state`, `message`, `store`,
 *   `unitCheckpoint`, `dataCheck`, `created`, `updated`.
 * - `…:results`: hash unit key → result JSON (`units.ts` {@linkcode UnitResult}).
 * - `…:ck`: hash unit key → the unit's last checkpoint (`{ sha, batch, lossSum }`).
 * - `…:progress`: hash part (`block 3`, `classifier`) → what it is doing (`units.ts`).
 * - `…:blobs`: set of the sha256 of every blob the run stored; `…:blob:<sha>`: the bytes.
 * - `noprop:workers`: hash worker id → heartbeat JSON.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { keys } from "./keys.ts";
 * assert.equal(keys("r1").results, "noprop:run:r1:results");
 * ```
 * @module
 */

/** BullMQ queue of every run's work units. */
export const QUEUE = "units";
/** BullMQ key prefix. */
export const BULL_PREFIX = "noprop:bull";
/** The workers' heartbeats (hash worker id → JSON). */
export const WORKERS = "noprop:workers";

/** The Redis keys of run `id` (see the module doc). */
export function keys(id: string): {
  run: string;
  results: string;
  ck: string;
  progress: string;
  blobs: string;
  blob: (sha: string) => string;
} {
  const run = `noprop:run:${id}`;
  return {
    run,
    results: `${run}:results`,
    ck: `${run}:ck`,
    progress: `${run}:progress`,
    blobs: `${run}:blobs`,
    blob: (sha: string) => `${run}:blob:${sha}`,
  };
}
