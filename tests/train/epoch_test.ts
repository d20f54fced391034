/** runEpoch's deadline (`--max-seconds`) against long ranges (webgpu's syncEvery batches). */
import { assert, assertEquals } from "../assert.ts";
import { runEpoch } from "../../src/train/epoch.ts";
import { Interrupt } from "../../src/train/interrupt.ts";
import type { TrainMethod } from "../../src/train/method.ts";
import { ProgressBar } from "../../src/train/progress.ts";

/** A method whose batches take `ms` each, in ranges of `rangeSize`; records the ranges asked. */
function slowMethod(rangeSize: number, ms: number, ranges: [number, number][]): TrainMethod {
  return {
    name: "dt",
    meta: {} as TrainMethod["meta"],
    description: "slow",
    params: 0,
    lossParts: 1,
    rangeSize,
    sampler: { name: "dt", steps: 1 },
    async run(_epoch, from, to, onBatch) {
      ranges.push([from, to]);
      for (let b = from; b < to; b++) {
        await new Promise((r) => setTimeout(r, ms));
        onBatch?.(1);
      }
      return { lossSum: Float64Array.of(to - from), batches: to - from };
    },
    state: () => Promise.reject(new Error("unused")),
    evaluate: () => Promise.reject(new Error("unused")),
    extra: () => Promise.resolve({}),
    close() {},
  };
}

Deno.test("a deadline cuts long ranges to the batches that fit: the first one batch, then by pace", async () => {
  const ranges: [number, number][] = [];
  const method = slowMethod(100, 50, ranges);
  const stop = new Interrupt();
  const bar = new ProgressBar({ epoch: 1, epochs: 1, total: 1000, batchSize: 1, write: () => {} });
  const t0 = performance.now();
  const r = await runEpoch(method, {
    pos: { epoch: 0, batch: 0, step: 0 },
    perEpoch: 1000,
    lastStep: Infinity,
    stop,
    bar,
    deadline: t0 + 500,
  });
  stop.close();
  const ms = performance.now() - t0;
  assertEquals(ranges[0], [0, 1]); // no pace yet: one batch
  assert(ranges.length >= 2 && ranges[1][1] - ranges[1][0] > 1, JSON.stringify(ranges));
  // One uncut range would be 100 batches, 5 s.
  assert(r.batches < 50, `${r.batches} batches in ${ms.toFixed(0)} ms: ${JSON.stringify(ranges)}`);
  assertEquals(r.pos.step, r.batches);
});

Deno.test("without a deadline ranges are the method's rangeSize", async () => {
  const ranges: [number, number][] = [];
  const stop = new Interrupt();
  const bar = new ProgressBar({ epoch: 1, epochs: 1, total: 5, batchSize: 1, write: () => {} });
  await runEpoch(slowMethod(2, 1, ranges), {
    pos: { epoch: 0, batch: 0, step: 0 },
    perEpoch: 5,
    lastStep: Infinity,
    stop,
    bar,
  });
  stop.close();
  assertEquals(ranges, [[0, 2], [2, 4], [4, 5]]);
});
