/**
 * One epoch of a {@linkcode TrainMethod}, run in ranges of `method.rangeSize` batches from the
 * current position until the epoch ends, `lastStep` is reached or a stop is requested (Ctrl-C
 * or SIGTERM, checked between ranges). Between ranges the process's peak RSS is sampled.
 *
 * @example
 * ```ts
 * import { runEpoch } from "./epoch.ts";
 * // const r = await runEpoch(method, { pos, perEpoch, lastStep, stop, bar });
 * // pos = r.pos; r.lossSum[t − 1] / r.batches is block t's mean loss (DT)
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
 * Runs the rest of `o.pos.epoch` (see the module doc), updating `o.bar` after every batch.
 *
 * @example
 * ```ts
 * import { runEpoch } from "./epoch.ts";
 * // const { pos, lossSum, batches, seconds } = await runEpoch(method, o);
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
  },
): Promise<EpochRun> {
  let pos = o.pos, done = pos.batch, batches = 0, peakRss = o.peakRss ?? 0;
  const lossSum = new Float64Array(method.lossParts);
  const t0 = performance.now();
  while (pos.batch < o.perEpoch && pos.step < o.lastStep && !(await o.stop.requested())) {
    const to = Math.min(
      o.perEpoch,
      pos.batch + method.rangeSize,
      pos.batch + (o.lastStep - pos.step),
    );
    const r = await method.run(pos.epoch, pos.batch, to, (loss) => o.bar.update(++done, loss));
    if (r.batches === 0) break; // the data ran out (cannot happen with a fixed epoch length)
    r.lossSum.forEach((v, i) => lossSum[i] += v);
    batches += r.batches;
    pos = { ...pos, batch: pos.batch + r.batches, step: pos.step + r.batches };
    peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
  }
  return { pos, lossSum, batches, seconds: (performance.now() - t0) / 1000, peakRss };
}
