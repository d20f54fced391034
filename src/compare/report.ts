/**
 * The comparison's numbers: per-method summary rows from the runs' `metrics.jsonl` lines and
 * the in-process measurements, and `report.md` with one table and the exact command.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { MetricsLine } from "../run/metrics.ts";
 * import { reportMarkdown, summarize } from "./report.ts";
 * const epoch: MetricsLine = {
 *   schema: "noprop.metrics/1", method: "dt", epoch: 1, step: 469, trainLoss: [0.9, 0.7],
 *   testAcc: 0.97, testAccNoiseFree: 0.98, testCount: 10000, sampler: "dt", sampleSteps: 10,
 *   samplesPerSec: 1200, epochSeconds: 50, wallSeconds: 60, peakRssMB: 900, tensorMB: 12, extra: {},
 * };
 * const measure = { stepPeakBytes: 2 ** 26, trainAcc: 0.99, params: 25_000, trainImages: 100 };
 * const row = summarize("noprop", [epoch], measure);
 * const md = reportMarkdown({
 *   dataset: "mnist", command: "deno task compare --epochs 1", backend: "wasm", rows: [row],
 *   charts: ["acc_vs_epoch.svg"], settings: "T = 10, batch 128.", trainAccImages: 1000,
 * });
 * assert.ok(md.startsWith("# NoProp-DT vs backprop on mnist"));
 * assert.ok(md.includes("| NoProp-DT | 97.00% (noise-free 98.00%) | 99.00% | 50.0 | 1200 |"));
 * ```
 * @module
 */
import type { MethodMeasure } from "./measure.ts";
import type { MetricsLine } from "../run/metrics.ts";

/** One row of the report's table. */
export interface SummaryRow {
  /** `noprop` or `backprop`. */
  method: string;
  /** Final test accuracy (NoProp: stochastic sampler). */
  testAcc: number | null;
  /** Final test accuracy without sampler noise (NoProp only). */
  testAccClean: number | null;
  /** Final train accuracy. */
  trainAcc: number;
  /** Mean training seconds per epoch. */
  secondsPerEpoch: number;
  /** Mean training samples per second. */
  samplesPerSec: number;
  /** Peak RSS of the training process, MiB. */
  peakRssMB: number;
  /** Tensor memory at the end of the last epoch, MiB. */
  tensorMB: number;
  /** Peak tensor memory during one training step, MiB. */
  stepPeakMB: number;
  /** Trainable scalars. */
  params: number;
  /** Epochs run. */
  epochs: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/**
 * Summarises one method's run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { MetricsLine } from "../run/metrics.ts";
 * import { summarize } from "./report.ts";
 * const line = (epoch: number, testAcc: number | null): MetricsLine => ({
 *   schema: "noprop.metrics/1", method: "backprop", epoch, step: 100 * epoch, trainLoss: [0.5],
 *   testAcc, testAccNoiseFree: null, testCount: testAcc === null ? null : 100, sampler: "chain",
 *   sampleSteps: 10, samplesPerSec: 1000, epochSeconds: 10, wallSeconds: 10 * epoch,
 *   peakRssMB: 500, tensorMB: 8, extra: {},
 * });
 * const measure = { stepPeakBytes: 1e6, trainAcc: 0.99, params: 1000, trainImages: 1000 };
 * const row = summarize("backprop", [line(1, 0.9), line(2, null)], measure);
 * assert.equal(row.testAcc, 0.9); // the last evaluated epoch
 * assert.equal(row.testAccClean, null); // backprop has no noise-free sampler
 * assert.equal(row.secondsPerEpoch, 10);
 * ```
 */
export function summarize(method: string, lines: MetricsLine[], m: MethodMeasure): SummaryRow {
  if (lines.length === 0) throw new Error(`${method}: the run wrote no metrics`);
  const evaluated = lines.filter((l) => l.testAcc !== null);
  const last = evaluated.at(-1);
  return {
    method,
    testAcc: last?.testAcc ?? null,
    testAccClean: last?.testAccNoiseFree ?? null,
    trainAcc: m.trainAcc,
    // A run cut short by maxSteps ends with a fraction of an epoch: scale its time up.
    secondsPerEpoch: lines.reduce((a, l) => a + l.epochSeconds, 0) /
      Math.max(1e-9, lines.at(-1)!.epoch),
    samplesPerSec: mean(lines.map((l) => l.samplesPerSec)),
    peakRssMB: Math.max(...lines.map((l) => l.peakRssMB)),
    tensorMB: lines.at(-1)!.tensorMB,
    stepPeakMB: m.stepPeakBytes / 2 ** 20,
    params: m.params,
    epochs: lines.length,
  };
}

const pct = (v: number | null) => v === null ? "–" : `${(v * 100).toFixed(2)}%`;

/** What {@linkcode reportMarkdown} needs. */
export interface ReportInput {
  /** Dataset name. */
  dataset: string;
  /** The exact command that produced the report. */
  command: string;
  /** Backend name. */
  backend: string;
  /** The two rows. */
  rows: SummaryRow[];
  /** The chart files, in order. */
  charts: string[];
  /** Extra settings line (T, batch size, …). */
  settings: string;
  /** Training images the train accuracy was measured on. */
  trainAccImages: number;
}

/**
 * `report.md` text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reportMarkdown, type SummaryRow } from "./report.ts";
 * const rows: SummaryRow[] = [{
 *   method: "backprop", testAcc: 0.991, testAccClean: null, trainAcc: 0.995, secondsPerEpoch: 40,
 *   samplesPerSec: 1500, peakRssMB: 1100, tensorMB: 20, stepPeakMB: 180, params: 25_000, epochs: 1,
 * }];
 * const md = reportMarkdown({
 *   dataset: "mnist", command: "deno task compare", backend: "wasm", rows,
 *   charts: ["memory.svg"], settings: "", trainAccImages: 1000,
 * });
 * assert.ok(md.includes("| backprop | 99.10% | 99.50% | 40.0 | 1500 | 1100 | 180.0 | 20.0 |"));
 * assert.ok(md.includes("![memory.svg](memory.svg)"));
 * ```
 */
export function reportMarkdown(r: ReportInput): string {
  const head = [
    "method",
    "test acc",
    "train acc",
    "s / epoch",
    "samples/s",
    "peak RSS (MiB)",
    "peak tensors / step (MiB)",
    "tensors at epoch end (MiB)",
    "parameters",
  ];
  const rows = r.rows.map((x) => [
    x.method === "noprop" ? "NoProp-DT" : "backprop",
    x.testAccClean !== null
      ? `${pct(x.testAcc)} (noise-free ${pct(x.testAccClean)})`
      : pct(x.testAcc),
    pct(x.trainAcc),
    x.secondsPerEpoch.toFixed(1),
    x.samplesPerSec.toFixed(0),
    x.peakRssMB.toFixed(0),
    x.stepPeakMB.toFixed(1),
    x.tensorMB.toFixed(1),
    x.params.toLocaleString("en-US"),
  ]);
  const table = [head, head.map(() => "---"), ...rows].map((c) => `| ${c.join(" | ")} |`);
  return [
    `# NoProp-DT vs backprop on ${r.dataset}`,
    "",
    "```sh",
    r.command,
    "```",
    "",
    `Backend: ${r.backend}. ${r.settings}`,
    "",
    ...table,
    "",
    "- **test acc**: after the last epoch. NoProp-DT: the eq. 3 sampler with noise (noise-free in",
    "  parentheses); backprop: the chain of eq. 17–19 from z_0 ~ N(0, I).",
    `- **train acc**: the saved weights on the first ${r.trainAccImages} training images (eval mode).`,
    "- **s / epoch, samples/s**: training only (evaluation excluded), mean over epochs.",
    "- **peak RSS**: the training process's resident set size, sampled after every",
    "  `syncEvery` batches (each method runs in its own process, so neither sees the other's).",
    "- **peak tensors / step**: `tf.profile` peakBytes of one training batch (all T blocks),",
    "  i.e. every tensor alive at once, including the activations kept for the backward pass.",
    "  NoProp needs one block's activations at a time; backprop all T blocks' (the paper reports",
    "  0.64 GB vs 1.17 GB of GPU memory on CIFAR-10).",
    "- **tensors at epoch end**: `tf.memory().numBytes`: weights, optimizer moments, buffers.",
    "- GPU memory is not reported: the tfjs backends used here do not expose it.",
    "",
    ...r.charts.map((c) => `![${c}](${c})`),
    "",
    "Raw per-epoch numbers: `epochs.jsonl`; the runs themselves: `noprop/`, `backprop/`.",
    "",
  ].join("\n");
}
