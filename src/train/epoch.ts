/**
 * One epoch of a {@linkcode TrainMethod}, run in ranges of `method.rangeSize` batches from the
 * current position until the epoch ends, `lastStep` is reached, the `deadline` has passed (after
 * at least one range) or a stop is requested (Ctrl-C or SIGTERM, checked between ranges).
 * Between ranges the process's peak RSS is sampled. With a deadline, a range is cut to the
 * batches that fit before it at the pace measured so far (the epoch's first range: one batch), so
 * long ranges (webgpu reads its losses back once per `syncEvery` batches) do not overrun it by up
 * to a whole range; see {@linkcode rangeEnd}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { defaultConfig } from "../config.ts";
 * import { NORMALIZATION } from "../data/normalize.ts";
 * import type { RunData } from "./batches.ts";
 * import { createDtMethod } from "./dt/method.ts";
 * import { Interrupt } from "./interrupt.ts";
 * import { ProgressBar } from "./progress.ts";
 * import { runEpoch } from "./epoch.ts";
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
 * const method = await createDtMethod({ cfg, run });
 * const stop = new Interrupt();
 * const lines: string[] = [];
 * const bar = new ProgressBar({
 *   epoch: 1, epochs: 1, total: 2, batchSize: 4, tty: false, write: (s) => lines.push(s),
 * });
 * const pos = { epoch: 0, batch: 0, step: 0 };
 * const r = await runEpoch(method, { pos, perEpoch: 2, lastStep: Infinity, stop, bar });
 * stop.close();
 * bar.finish();
 * assert.deepEqual(r.pos, { epoch: 0, batch: 2, step: 2 }); // the caller moves on to epoch 1
 * assert.equal(r.batches, 2);
 * const blockMeans = Array.from(r.lossSum, (v) => v / r.batches); // DT: one per block
 * assert.ok(blockMeans.every((v) => v > 0));
 * assert.ok(lines.at(-1)!.includes("2/2 batches"));
 * method.close();
 * ```
 * @module
 */
import type { Position } from "../run/checkpoint.ts";
import type { Interrupt } from "./interrupt.ts";
import type { TrainMethod } from "./method.ts";
import type { ProgressBar } from "./progress.ts";

/** What {@linkcode runEpoch} did. */
export interface EpochRun {
  /** The position after the last batch run (same epoch; the caller advances it). */
  pos: Position;
  /** Summed loss per part of the method. */
  lossSum: Float64Array;
  /** Batches run. */
  batches: number;
  /** Wall seconds of training. */
  seconds: number;
  /** Largest RSS seen, bytes (at least `peakRss` passed in). */
  peakRss: number;
}

/**
 * The end of the next range from `pos`: `rangeSize` batches, cut at the epoch's end, at
 * `lastStep`, and, with a `deadline` (`performance.now()` ms), at the batches that fit before it
 * at `msPerBatch` (null: no pace measured yet, one batch); always at least one batch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rangeEnd } from "./epoch.ts";
 * const pos = { epoch: 0, batch: 10, step: 10 };
 * const o = { perEpoch: 100, lastStep: Infinity, rangeSize: 20 };
 * assert.equal(rangeEnd(pos, o), 30);
 * assert.equal(rangeEnd(pos, { ...o, deadline: 1000, now: 0, msPerBatch: null }), 11);
 * assert.equal(rangeEnd(pos, { ...o, deadline: 1000, now: 0, msPerBatch: 200 }), 15);
 * assert.equal(rangeEnd(pos, { ...o, deadline: 1000, now: 990, msPerBatch: 200 }), 11);
 * ```
 */
export function rangeEnd(
  pos: Position,
  o: {
    perEpoch: number;
    lastStep: number;
    rangeSize: number;
    deadline?: number;
    now?: number;
    msPerBatch?: number | null;
  },
): number {
  let size = o.rangeSize;
  if (o.deadline !== undefined && Number.isFinite(o.deadline)) {
    const left = o.deadline - (o.now ?? performance.now());
    const fit = o.msPerBatch ? Math.floor(left / o.msPerBatch) : 1;
    size = Math.max(1, Math.min(size, fit));
  }
  return Math.min(o.perEpoch, pos.batch + size, pos.batch + (o.lastStep - pos.step));
}

/**
 * Runs the rest of `o.pos.epoch` (see the module doc), updating `o.bar` after every batch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { defaultConfig } from "../config.ts";
 * import { NORMALIZATION } from "../data/normalize.ts";
 * import type { RunData } from "./batches.ts";
 * import { createMethod } from "./methods.ts";
 * import { Interrupt } from "./interrupt.ts";
 * import { ProgressBar } from "./progress.ts";
 * import { runEpoch } from "./epoch.ts";
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
 *   method: "backprop" as const,
 * };
 * const method = await createMethod({ cfg, run }); // the backprop baseline
 * const stop = new Interrupt();
 * const bar = new ProgressBar({ epoch: 1, epochs: 1, total: 2, batchSize: 4, write: () => {} });
 * // Resume at batch 1 of epoch 0 (step 1), with a step limit of 2: one batch runs.
 * const o = { pos: { epoch: 0, batch: 1, step: 1 }, perEpoch: 2, lastStep: 2, stop, bar };
 * const { pos, batches, seconds } = await runEpoch(method, o);
 * stop.close();
 * assert.deepEqual(pos, { epoch: 0, batch: 2, step: 2 });
 * assert.equal(batches, 1);
 * assert.ok(seconds > 0);
 * method.close();
 * ```
 */
export async function runEpoch(
  method: TrainMethod,
  o: {
    pos: Position;
    perEpoch: number;
    lastStep: number;
    stop: Interrupt;
    bar: ProgressBar;
    peakRss?: number;
    /** `performance.now()` after which no further range starts, once one has run (default: none). */
    deadline?: number;
  },
): Promise<EpochRun> {
  let pos = o.pos, done = pos.batch, batches = 0, peakRss = o.peakRss ?? 0;
  const lossSum = new Float64Array(method.lossParts);
  const t0 = performance.now(), deadline = o.deadline ?? Infinity;
  while (
    pos.batch < o.perEpoch && pos.step < o.lastStep &&
    (batches === 0 || performance.now() < deadline) &&
    !(await o.stop.requested())
  ) {
    const to = rangeEnd(pos, {
      perEpoch: o.perEpoch,
      lastStep: o.lastStep,
      rangeSize: method.rangeSize,
      deadline,
      msPerBatch: batches ? (performance.now() - t0) / batches : null,
    });
    const r = await method.run(pos.epoch, pos.batch, to, (loss) => o.bar.update(++done, loss));
    if (r.batches === 0) break; // the data ran out (cannot happen with a fixed epoch length)
    r.lossSum.forEach((v, i) => lossSum[i] += v);
    batches += r.batches;
    pos = { ...pos, batch: pos.batch + r.batches, step: pos.step + r.batches };
    peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
  }
  return { pos, lossSum, batches, seconds: (performance.now() - t0) / 1000, peakRss };
}
