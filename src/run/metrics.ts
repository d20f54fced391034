/**
 * The `metrics.jsonl` line: one JSON object per evaluation point (the end of an epoch, or the
 * end of a run cut short by `maxSteps` or Ctrl-C), the same schema for every method. Written
 * by the training loop (`src/train/loop.ts`), read by `deno task compare` and `deno task eval`.
 *
 * The file is derived from the checkpoint: every line is also stored in
 * `checkpoint.safetensors` and the file is rewritten from there (atomically) after each
 * checkpoint, so a crash can never lose a line or keep one the checkpoint does not have.
 *
 * Schema `noprop.metrics/1` (fields in {@linkcode MetricsLine}). Lines written before the
 * schema existed (no `schema` field: DT/backprop with `testAccNoisy`/`testAccClean`, CT/FM
 * with `testAcc`) are read by {@linkcode decodeMetricsLine} as version 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMetricsLine, METRICS_SCHEMA } from "./metrics.ts";
 * // A line written before the schema existed (a CT run: it has `testAcc`).
 * const line = decodeMetricsLine({ epoch: 1, step: 10, trainLoss: 0.5, testAcc: 0.9 }, "m.jsonl:1");
 * assert.equal(line.schema, METRICS_SCHEMA);
 * assert.equal(line.method, "ct");
 * assert.deepEqual(line.trainLoss, [0.5]);
 * ```
 * @module
 */

/** The schema tag of every line this version writes. */
export const METRICS_SCHEMA = "noprop.metrics/1";

/** Training methods, as recorded in a metrics line (the last three: forecasting). */
export type MetricsMethod = "dt" | "ct" | "fm" | "backprop" | "forecast-dt" | "dlinear" | "last";

const METHODS: readonly MetricsMethod[] = [
  "dt",
  "ct",
  "fm",
  "backprop",
  "forecast-dt",
  "dlinear",
  "last",
];

/**
 * A forecaster's scores on a split: MSE and MAE of the point forecast on the z-scored values,
 * averaged over every window, evaluated channel and horizon step.
 *
 * @example
 * ```ts
 * import type { ForecastScores } from "./metrics.ts";
 * const s: ForecastScores = {
 *   split: "val", mse: 0.7, mae: 0.55, mseNoiseFree: 0.69, maeNoiseFree: 0.55, windows: 2785,
 *   select: 0.69,
 * };
 * ```
 */
export interface ForecastScores {
  /** The split evaluated (training evaluates the validation split only). */
  split: "val" | "test";
  /** MSE of the method's forecast (NoProp-DT: one stochastic eq. 3 sample). */
  mse: number;
  /** MAE of the same forecast. */
  mae: number;
  /** NoProp-DT: MSE of the noise-free eq. 3 sample (ε = 0, same z_0); else null. */
  mseNoiseFree: number | null;
  /** NoProp-DT: MAE of the noise-free sample; else null. */
  maeNoiseFree: number | null;
  /** Windows evaluated. */
  windows: number;
  /** The model-selection score (lower is better): the MSE of the point forecast used. */
  select: number;
}

/**
 * One line of `metrics.jsonl`.
 *
 * @example
 * ```ts
 * import type { MetricsLine } from "./metrics.ts";
 * const best = (lines: MetricsLine[]) => Math.max(...lines.map((l) => l.testAcc ?? 0));
 * ```
 */
export interface MetricsLine {
  /** Always {@linkcode METRICS_SCHEMA}. */
  schema: typeof METRICS_SCHEMA;
  /** Which method wrote it. */
  method: MetricsMethod;
  /** Epochs done (fractional when the run stopped mid-epoch). */
  epoch: number;
  /** Batches done over the whole run. */
  step: number;
  /**
   * Mean training loss since the previous line, per part: DT one per block (t = 1..T, eq. 8),
   * CT/FM and backprop one (eq. 9, eq. 10–13, the chain's cross-entropy). null: no batch ran.
   */
  trainLoss: (number | null)[];
  /**
   * Test accuracy of the method's sampler: DT the stochastic eq. 3 sampler, CT/FM the
   * configured ODE sampler (`sampler`, `sampleSteps`), backprop the chain. null: not evaluated.
   */
  testAcc: number | null;
  /** DT only: test accuracy of the noise-free eq. 3 sampler (ε = 0, same z_0); else null. */
  testAccNoiseFree: number | null;
  /** Test images evaluated (null: not evaluated). */
  testCount: number | null;
  /**
   * Per-class test accuracy of the sampler of `testAcc`, by class index (null for a class with
   * no test image); present on evaluated lines written since it was added.
   */
  perClassAcc?: (number | null)[];
  /** The sampler of `testAcc`: `dt`, `euler`, `heun` or `chain` (backprop). */
  sampler: string;
  /** Its steps (DT: T). */
  sampleSteps: number;
  /** Training samples per second since the previous line. */
  samplesPerSec: number;
  /** Seconds of training since the previous line (evaluation excluded). */
  epochSeconds: number;
  /** Seconds since this process started training. */
  wallSeconds: number;
  /** Peak resident set size of the training process so far, MiB (0: not measured). */
  peakRssMB: number;
  /** tfjs tensor memory at the end of the range, MiB. */
  tensorMB: number;
  /** Method-specific extras (backprop: `alpha`, the learned tanh(w_t)). */
  extra: Record<string, number | number[]>;
  /** Forecasters: the validation scores of this line's evaluation (absent or null: none). */
  val?: ForecastScores | null;
}

const num = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const numOrNull = (v: unknown) => v === null || num(v);

/**
 * Checks one parsed line (upgrading a pre-schema line) and returns it typed; throws a
 * one-line error naming `where` and the bad field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMetricsLine } from "./metrics.ts";
 * assert.throws(
 *   () => decodeMetricsLine({ epoch: "x" }, "run/metrics.jsonl:3"),
 *   /^Error: run\/metrics\.jsonl:3: epoch is not a number ≥ 0$/,
 * );
 * ```
 */
export function decodeMetricsLine(raw: unknown, where: string): MetricsLine {
  if (typeof raw !== "object" || raw === null) throw new Error(`${where}: not a JSON object`);
  const r = raw as Record<string, unknown>;
  const legacy = r.schema === undefined;
  if (!legacy && r.schema !== METRICS_SCHEMA) {
    throw new Error(`${where}: schema ${JSON.stringify(r.schema)} is not ${METRICS_SCHEMA}`);
  }
  const trainLoss = Array.isArray(r.trainLoss) ? r.trainLoss : [r.trainLoss ?? null];
  const line: MetricsLine = legacy
    ? {
      schema: METRICS_SCHEMA,
      method: r.testAcc !== undefined ? "ct" : "dt",
      epoch: r.epoch as number,
      step: r.step as number,
      trainLoss: trainLoss as (number | null)[],
      testAcc: (r.testAccNoisy ?? r.testAcc ?? null) as number | null,
      testAccNoiseFree: r.testAcc !== undefined ? null : (r.testAccClean ?? null) as number | null,
      testCount: (r.testCount ?? null) as number | null,
      sampler: (r.sampler ?? "dt") as string,
      sampleSteps: (r.sampleSteps ?? 0) as number,
      samplesPerSec: (r.samplesPerSec ?? 0) as number,
      epochSeconds: (r.epochSeconds ?? 0) as number,
      wallSeconds: (r.wallSeconds ?? 0) as number,
      peakRssMB: (r.peakRssMB ?? 0) as number,
      tensorMB: (r.tensorMB ?? 0) as number,
      extra: r.alpha ? { alpha: r.alpha as number[] } : {},
    }
    : r as unknown as MetricsLine;
  const bad = (field: string, what: string) => new Error(`${where}: ${field} ${what}`);
  if (!METHODS.includes(line.method)) throw bad("method", "is unknown");
  if (!num(line.epoch) || line.epoch < 0) throw bad("epoch", "is not a number ≥ 0");
  if (!Number.isInteger(line.step) || line.step < 0) throw bad("step", "is not an integer ≥ 0");
  if (!Array.isArray(line.trainLoss) || !line.trainLoss.every(numOrNull)) {
    throw bad("trainLoss", "is not a list of numbers or nulls");
  }
  for (const k of ["testAcc", "testAccNoiseFree", "testCount"] as const) {
    if (!numOrNull(line[k])) throw bad(k, "is not a number or null");
  }
  for (const k of ["samplesPerSec", "epochSeconds", "wallSeconds", "peakRssMB", "tensorMB"]) {
    if (!num(line[k as keyof MetricsLine])) throw bad(k, "is not a number");
  }
  if (typeof line.sampler !== "string") throw bad("sampler", "is not a string");
  const perClass = line.perClassAcc;
  if (
    perClass !== undefined &&
    !(Array.isArray(perClass) && perClass.every((v) => v === null || (num(v) && v >= 0 && v <= 1)))
  ) {
    throw bad("perClassAcc", "is not a list of accuracies in [0, 1] or nulls");
  }
  if (typeof line.extra !== "object" || line.extra === null) throw bad("extra", "is not an object");
  const v = line.val;
  if (
    v !== undefined && v !== null &&
    !(typeof v === "object" && (v.split === "val" || v.split === "test") && num(v.mse) &&
      num(v.mae) && numOrNull(v.mseNoiseFree) && numOrNull(v.maeNoiseFree) &&
      Number.isInteger(v.windows) && num(v.select))
  ) {
    throw bad("val", "is not a forecaster's scores { split, mse, mae, …, windows, select }");
  }
  return line;
}

/**
 * Parses the text of a `metrics.jsonl` file (blank lines ignored); `path` names it in errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMetrics } from "./metrics.ts";
 * assert.deepEqual(parseMetrics("\n", "m.jsonl"), []);
 * const two = parseMetrics('{"epoch":1,"step":5}\n\n{"epoch":2,"step":10}\n', "m.jsonl");
 * assert.deepEqual(two.map((l) => l.step), [5, 10]);
 * assert.throws(() => parseMetrics("{", "m.jsonl"), /^Error: m\.jsonl:1: not valid JSON$/);
 * ```
 */
export function parseMetrics(text: string, path: string): MetricsLine[] {
  const out: MetricsLine[] = [];
  text.split("\n").forEach((l, i) => {
    if (!l.trim()) return;
    let raw: unknown;
    try {
      raw = JSON.parse(l);
    } catch {
      throw new Error(`${path}:${i + 1}: not valid JSON`);
    }
    out.push(decodeMetricsLine(raw, `${path}:${i + 1}`));
  });
  return out;
}

/**
 * The text of a `metrics.jsonl` file holding `lines`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatMetrics, parseMetrics } from "./metrics.ts";
 * assert.equal(formatMetrics([]), "");
 * const lines = parseMetrics('{"epoch":1,"step":5}', "m.jsonl");
 * assert.deepEqual(parseMetrics(formatMetrics(lines), "again"), lines); // one JSON line each
 * ```
 */
export function formatMetrics(lines: readonly MetricsLine[]): string {
  return lines.map((l) => JSON.stringify(l) + "\n").join("");
}

/**
 * Mean of a line's loss parts (null when none ran): DT's mean block loss.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { meanLoss } from "./metrics.ts";
 * assert.equal(meanLoss({ trainLoss: [1, 3, null] }), 2); // block 3 did not run
 * assert.equal(meanLoss({ trainLoss: [null] }), null);
 * ```
 */
export function meanLoss(l: Pick<MetricsLine, "trainLoss">): number | null {
  const xs = l.trainLoss.filter((v): v is number => v !== null);
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}
