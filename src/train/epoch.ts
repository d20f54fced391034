/**
 * One epoch of a {@linkcode Team} (NoProp-DT's block trainers or the backprop baseline), run in
 * ranges of `syncEvery` batches from the current position until the epoch ends, `lastStep` is
 * reached or Ctrl-C is requested. Between ranges the process's peak RSS is sampled.
 *
 * @example
 * ```ts
 * import { runEpoch } from "./epoch.ts";
 * // const r = await runEpoch(team, { pos, perEpoch, lastStep, syncEvery: 20, losses: T, stop, bar });
 * // pos = r.pos; r.lossSum[t − 1] / r.batches is block t's mean loss
 * ```
 * @module
 */
import type { Position } from "../run/checkpoint.ts";
import type { Interrupt } from "./interrupt.ts";
import type { ProgressBar } from "./progress.ts";
import type { Team } from "./dt/team.ts";

/** What {@linkcode runEpoch} did. */
export interface EpochRun {
  /** The position after the last batch run (same epoch; the caller advances it). */
  pos: Position;
  /** Summed loss per entry of the team's `lossSum` (DT: per block; backprop: one). */
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
 * // const { pos, lossSum, batches, seconds } = await runEpoch(team, o);
 * ```
 */
export async function runEpoch(
  team: Team,
  o: {
    pos: Position;
    perEpoch: number;
    lastStep: number;
    syncEvery: number;
    /** Entries of the team's `lossSum` (DT: T, one per block; backprop: 1). */
    losses: number;
    stop: Interrupt;
    bar: ProgressBar;
    peakRss?: number;
  },
): Promise<EpochRun> {
  let pos = o.pos, done = pos.batch, batches = 0, peakRss = o.peakRss ?? 0;
  const lossSum = new Float64Array(o.losses);
  const t0 = performance.now();
  while (pos.batch < o.perEpoch && pos.step < o.lastStep && !(await o.stop.requested())) {
    const to = Math.min(o.perEpoch, pos.batch + o.syncEvery, pos.batch + (o.lastStep - pos.step));
    const r = await team.run(pos.epoch, pos.batch, to, (loss) => o.bar.update(++done, loss));
    r.lossSum.forEach((v, i) => lossSum[i] += v);
    batches += r.batches;
    pos = { ...pos, batch: pos.batch + r.batches, step: pos.step + r.batches };
    peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
  }
  return { pos, lossSum, batches, seconds: (performance.now() - t0) / 1000, peakRss };
}
