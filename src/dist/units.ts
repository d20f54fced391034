/**
 * Work units of a distributed NoProp-DT run and what is recorded about them. A unit is one
 * part (block t, or the classifier, part 0) trained over batches [from, to) of one epoch, from
 * an input state named by its sha256 (`unit_state.ts`). Its key, which is also its BullMQ job
 * id, is made of all of these, so the same work from the same state is the same unit: enqueuing
 * it again is a no-op, and a finished unit's result is reused by a restarted submitter.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { partName, unitKey } from "./units.ts";
 * const u = { run: "r", part: 3, epoch: 1, from: 0, to: 50, input: "ab".repeat(32) };
 * assert.equal(unitKey(u), "b03.e1.0-50.abababababab");
 * assert.equal(partName(0), "classifier");
 * ```
 * @module
 */

/** What a worker is asked to do (the BullMQ job's data). */
export interface UnitJob {
  /** Run id. */
  run: string;
  /** Block t (1..T), or 0 for the classifier (one-hot embedding only). */
  part: number;
  /** Epoch. */
  epoch: number;
  /** First batch. */
  from: number;
  /** End batch (exclusive). */
  to: number;
  /** sha256 of the input state. */
  input: string;
  /** Block units: sha256 of the shared weights (classifier, W_Embed) to start from. */
  shared?: string;
}

/** What a finished unit produced (the job's return value, and the run's `results` hash). */
export interface UnitResult {
  /** sha256 of the state after the unit. */
  state: string;
  /** sha256 of the shared weights after the unit (the classifier unit). */
  shared?: string;
  /** sha256 of the shared parameters' gradients per batch (block units of a central run). */
  grads?: string;
  /** Summed loss per block (index t − 1; zeros for the classifier unit). */
  lossSum: number[];
  /** Batches trained. */
  batches: number;
  /** The worker that finished it (`host:pid`). */
  worker: string;
  /** Wall seconds of training (this attempt). */
  seconds: number;
  /** Bytes the worker moved through the store for it (all attempts' reads and writes of this one). */
  bytes: number;
  /** Seconds the worker waited on Redis and the store for it. */
  redisSeconds: number;
  /** The batch this attempt started at, when it resumed from a unit checkpoint. */
  resumedAt?: number;
}

/** A unit's last checkpoint (the run's `ck` hash). */
export interface UnitCheckpoint {
  /** sha256 of the state after batch `batch − 1`. */
  sha: string;
  /** The next batch to train. */
  batch: number;
  /** Summed loss per block so far. */
  lossSum: number[];
}

/** What a part is doing (the run's `progress` hash), for the progress line and `status`. */
export interface PartProgress {
  /** Unit key. */
  unit: string;
  /** Epoch of the unit. */
  epoch: number;
  /** Its batch range. */
  from: number;
  /** End of its batch range. */
  to: number;
  /** Batches done so far (next batch to train). */
  batch: number;
  /** queued, active, done or failed. */
  state: "queued" | "active" | "done" | "failed";
  /** The worker on it, if any. */
  worker?: string;
  /** Summed loss per block so far. */
  lossSum?: number[];
  /** When this was written (ms since the epoch). */
  at: number;
}

/** The unit key and BullMQ job id of `u` (see the module doc). */
export function unitKey(u: UnitJob): string {
  const part = u.part === 0 ? "cls" : `b${String(u.part).padStart(2, "0")}`;
  const shared = u.shared ? `.${u.shared.slice(0, 8)}` : "";
  return `${part}.e${u.epoch}.${u.from}-${u.to}.${u.input.slice(0, 12)}${shared}`;
}

/** "block 3" or "classifier". */
export function partName(part: number): string {
  return part === 0 ? "classifier" : `block ${part}`;
}
