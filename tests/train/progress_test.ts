import { assert, assertEquals } from "../assert.ts";
import {
  formatDuration,
  formatPercent,
  formatProgress,
  formatSummary,
  meanLoss,
  ProgressBar,
} from "../../src/train/progress.ts";

Deno.test("formatProgress shows epoch, batches, rate, loss and ETA", () => {
  const line = formatProgress({
    epoch: 3,
    epochs: 100,
    done: 120,
    total: 469,
    samplesPerSec: 1234.4,
    loss: 0.12345,
    etaSec: 42,
  });
  assertEquals(
    line,
    "epoch   3/100 [#####---------------] 120/469 batches  1234 samples/s  loss 0.1235  ETA 0:42",
  );
  const start = formatProgress({
    epoch: 1,
    epochs: 2,
    done: 0,
    total: 10,
    samplesPerSec: 0,
    loss: null,
    etaSec: null,
    runEtaSec: null,
    barWidth: 4,
  });
  assertEquals(start, "epoch 1/2 [----]  0/10 batches  - samples/s  loss -  ETA ?");
  const end = formatProgress({
    epoch: 2,
    epochs: 2,
    done: 10,
    total: 10,
    samplesPerSec: 99.6,
    loss: 2e-5,
    etaSec: 0,
    runEtaSec: 3725,
    barWidth: 4,
  });
  assertEquals(
    end,
    "epoch 2/2 [####] 10/10 batches  100 samples/s  loss 2.000e-5  ETA 0:00 (run 1:02:05)",
  );
});

Deno.test("formatDuration, formatPercent, meanLoss", () => {
  assertEquals(formatDuration(0), "0:00");
  assertEquals(formatDuration(59.6), "1:00");
  assertEquals(formatDuration(3723), "1:02:03");
  assertEquals(formatDuration(NaN), "?");
  assertEquals(formatDuration(null), "?");
  assertEquals(formatPercent(0.98765), "98.77%");
  assertEquals(formatPercent(null), "n/a");
  assertEquals(meanLoss([0.5, 1.5, NaN]), 1);
  assertEquals(meanLoss(2), 2);
  assertEquals(meanLoss([]), null);
  assertEquals(meanLoss(undefined), null);
});

Deno.test("formatSummary is one line with and without the noise-free figures", () => {
  const full = formatSummary({
    epochs: 100,
    bestAcc: 0.9947,
    bestEpoch: 87,
    finalAcc: 0.9941,
    bestAccNoNoise: 0.995,
    finalAccNoNoise: 0.9945,
    wallSec: 3723,
    samplesPerSec: 1234.2,
  });
  assertEquals(
    full,
    "done: 100 epochs in 1:02:03, 1234 samples/s; test acc best 99.47% (epoch 87), " +
      "final 99.41%; without noise best 99.50%, final 99.45%",
  );
  const bare = formatSummary({
    epochs: 1,
    bestAcc: null,
    finalAcc: null,
    wallSec: 5,
    samplesPerSec: 10,
  });
  assertEquals(bare, "done: 1 epoch in 0:05, 10 samples/s; test acc best n/a, final n/a");
  assert(!full.includes("\n"));
});

function fakeClock(stepMs: number) {
  let t = 0;
  return () => (t += stepMs);
}

Deno.test("non-terminal output: one line per 10 % and one at the end", () => {
  const out: string[] = [];
  const bar = new ProgressBar({
    epoch: 1,
    epochs: 3,
    total: 100,
    batchSize: 10,
    tty: false,
    write: (s) => out.push(s),
    now: fakeClock(10), // each call advances 10 ms
  });
  for (let i = 1; i <= 100; i++) bar.update(i, [1, 3]);
  bar.finish("test acc 97.00%");
  assertEquals(out.length, 10);
  assert(out.every((l) => l.endsWith("\n") && !l.includes("\r")));
  assert(out[0].includes(" 10/100 batches"), out[0]);
  assert(out[9].includes("100/100 batches"), out[9]);
  assert(out[9].trimEnd().endsWith("test acc 97.00%"), out[9]);
  assert(out[9].includes("loss 2.0000"), out[9]);
  // 10 samples per batch, 10 ms per batch -> 1000 samples/s
  assertEquals(Math.round(bar.state.samplesPerSec), 1000);
  assertEquals(bar.state.etaSec, 0);
});

Deno.test("non-terminal output of a short epoch still ends with one final line", () => {
  const out: string[] = [];
  const bar = new ProgressBar({
    epoch: 2,
    epochs: 2,
    total: 3,
    batchSize: 4,
    tty: false,
    write: (s) => out.push(s),
    now: fakeClock(1),
  });
  for (let i = 1; i <= 3; i++) bar.update(i, 0.5);
  bar.finish();
  assertEquals(out.length, 3); // 33 %, 66 %, then finish at 100 %
  assert(out[2].includes("3/3 batches"));
});

Deno.test("terminal output redraws in place, throttled, and ends with a newline", () => {
  const out: string[] = [];
  const bar = new ProgressBar({
    epoch: 1,
    epochs: 1,
    total: 50,
    batchSize: 1,
    tty: true,
    write: (s) => out.push(s),
    now: fakeClock(10),
    minIntervalMs: 100,
  });
  for (let i = 1; i <= 50; i++) bar.update(i, 1);
  bar.log("checkpoint saved");
  bar.finish();
  const text = out.join("");
  assert(out.length < 20, `not throttled: ${out.length} writes`);
  assert(out[0].startsWith("\r"));
  assert(text.includes("\rcheckpoint saved\n"));
  assert(text.endsWith("\n"));
  assertEquals(text.split("\n").length, 3); // log line, final bar line, trailing ""
});
