/**
 * Scores of a point forecaster on a split: every window of the evaluated channels, forecast from
 * its z-scored inputs, compared with its z-scored targets (`scores.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scorePoint } from "./evaluate.ts";
 * // 12 rows of one channel, constant 1: repeat-last is exact.
 * const series = { z: new Float32Array(12).fill(1), channels: ["a"], outputs: [0], lookback: 3,
 *   horizon: 2, splits: { val: { name: "val" as const, first: 6, count: 5 } } } as never;
 * const last = (x: Float32Array, n: number) =>
 *   Promise.resolve(Float32Array.from({ length: n * 2 }, (_, i) => x[Math.floor(i / 2) * 3 + 2]));
 * const s = await scorePoint(series, "val", 4, last);
 * assert.deepEqual([s.errors.mse, s.windows], [0, 5]);
 * ```
 * @module
 */
import type { SeriesData, SplitName } from "../../data/series/mod.ts";
import type { ForecastEvaluation } from "../method.ts";
import { evalBatches } from "./data.ts";
import { ErrorSums } from "./scores.ts";

/** Forecasts [n × H] (z-scored) of n windows x [n × L] (z-scored). */
export type PointForecast = (x: Float32Array, n: number) => Promise<Float32Array>;

/**
 * Runs `forecast` over `split` in batches of `batch` samples and sums its errors.
 *
 * @example
 * ```ts
 * import type { PointForecast } from "./evaluate.ts";
 * const zero: PointForecast = (_x, n) => Promise.resolve(new Float32Array(n * 96));
 * ```
 */
export async function scorePoint(
  s: SeriesData,
  split: SplitName,
  batch: number,
  forecast: PointForecast,
): Promise<{ errors: ErrorSums; windows: number }> {
  const errors = new ErrorSums();
  for (const b of evalBatches(s, split, batch)) errors.add(await forecast(b.x, b.size), b.y);
  return { errors, windows: s.splits[split].count };
}

/**
 * The validation scores of a point forecaster (no sampler: no noise-free variant), as a method's
 * `evaluate()` returns them; model selection uses the MSE.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pointValidation } from "./evaluate.ts";
 * const series = { z: new Float32Array(12).fill(1), channels: ["a"], outputs: [0], lookback: 3,
 *   horizon: 2, splits: { val: { name: "val" as const, first: 6, count: 5 } } } as never;
 * const zero = (_x: Float32Array, n: number) => Promise.resolve(new Float32Array(n * 2));
 * const e = await pointValidation(series, 4, zero);
 * assert.deepEqual([e.scores.mse, e.scores.select, e.scores.windows], [1, 1, 5]);
 * ```
 */
export async function pointValidation(
  s: SeriesData,
  batch: number,
  forecast: PointForecast,
): Promise<ForecastEvaluation> {
  const { errors, windows } = await scorePoint(s, "val", batch, forecast);
  const { mse, mae } = errors;
  return {
    kind: "forecast",
    scores: {
      split: "val",
      mse,
      mae,
      mseNoiseFree: null,
      maeNoiseFree: null,
      windows,
      select: mse,
    },
  };
}

/**
 * Repeat the last value: every step of the forecast is the window's last input.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { repeatLast } from "./evaluate.ts";
 * assert.deepEqual(Array.from(repeatLast(Float32Array.of(1, 2, 3, 4), 2, 2, 3)), [2, 2, 2, 4, 4, 4]);
 * ```
 */
export function repeatLast(x: Float32Array, n: number, L: number, H: number): Float32Array {
  const out = new Float32Array(n * H);
  for (let i = 0; i < n; i++) out.fill(x[i * L + L - 1], i * H, (i + 1) * H);
  return out;
}
