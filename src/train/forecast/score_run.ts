/**
 * `deno task eval` for forecasters: a run's selected weights (`load.ts`) scored on a split
 * (the test split by default, touched only here) under the protocol it was trained with (its
 * `config.yaml`; the data's training statistics must equal the ones stored with the weights).
 * Point forecasters give one row. The NoProp-DT forecaster gives two: the noise-free eq. 3
 * sample, and the mean of `samples` stochastic samples with the CRPS and the coverage of the
 * central 80% and 90% intervals of those samples. All on the z-scored values.
 *
 * @example
 * ```ts
 * import type { ForecastEvalRow } from "./score_run.ts";
 * const text = (r: ForecastEvalRow) => `${r.method} H=${r.horizon}: MSE ${r.mse.toFixed(3)}`;
 * ```
 * @module
 */
import { loadConfig } from "../../config/load.ts";
import type { SplitName } from "../../data/series/mod.ts";
import { runFile } from "../../run/folder.ts";
import { parseMetrics } from "../../run/metrics.ts";
import { Rng } from "../../rng.ts";
import { evalBatches, loadSeriesRun } from "./data.ts";
import { loadForecaster } from "./load.ts";
import { EnsembleSums, ErrorSums } from "./scores.ts";

/** One row of the forecast evaluation table. */
export interface ForecastEvalRow {
  /** The run folder. */
  run: string;
  /** The method, e.g. `NoProp-DT (direct)`, `DLinear`, `repeat last`. */
  method: string;
  /** The point forecast scored: `noise-free sample`, `mean of N samples` or `point`. */
  forecast: string;
  /** Forecast rows H. */
  horizon: number;
  /** Input rows L. */
  lookback: number;
  /** Feature mode. */
  features: string;
  /** The split scored. */
  split: SplitName;
  /** Windows scored. */
  windows: number;
  /** Values scored (windows × evaluated channels × H). */
  values: number;
  /** MSE on the z-scored values. */
  mse: number;
  /** MAE on the z-scored values. */
  mae: number;
  /** CRPS of the samples (probabilistic rows), else null. */
  crps: number | null;
  /** Share of values inside the central 80% interval of the samples, else null. */
  cover80: number | null;
  /** Share of values inside the central 90% interval of the samples, else null. */
  cover90: number | null;
  /** Seconds of training (Σ epochSeconds of the run's metrics lines, evaluations excluded). */
  trainSeconds: number;
  /** Epochs trained. */
  epochs: number;
  /** Epoch whose weights were selected on the validation split (null: the latest weights). */
  bestEpoch: number | null;
  /** Seconds this evaluation took (all rows of the run). */
  evalSeconds: number;
}

/** How {@linkcode evaluateForecastRun} scores. */
export interface ForecastEvalOptions {
  /** Split (default test). */
  split?: SplitName;
  /** Stochastic samples of the NoProp forecaster (default 100; 0: only the noise-free one). */
  samples?: number;
  /** Seed of the sampler's noise (default 1). */
  seed?: number;
  /** Windows per batch (default: about 8192 chain rows per batch). */
  batch?: number;
  /** Data dir (default: the run's, then $NOPROP_DATA_DIR). */
  dataDir?: string;
}

const METHOD = {
  "noprop-dt": "NoProp-DT",
  dlinear: "DLinear",
  last: "repeat last",
} as const;

/**
 * Scores the run in `runDir` (module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluateForecastRun } from "./score_run.ts";
 * await assert.rejects(evaluateForecastRun("/nonexistent"), /config\.yaml/);
 * ```
 */
export async function evaluateForecastRun(
  runDir: string,
  o: ForecastEvalOptions = {},
): Promise<ForecastEvalRow[]> {
  const t0 = performance.now();
  const split = o.split ?? "test", S = o.samples ?? 100;
  const cfg = await loadConfig({ configPath: runFile(runDir, "config") });
  if (o.dataDir !== undefined) cfg.dataDir = o.dataDir;
  const f = await loadForecaster(runDir);
  try {
    const { series } = await loadSeriesRun({ ...cfg, batchSize: 1 });
    const info = f.meta.series;
    const same = (a: number[], b: number[]) =>
      a.every((v, i) => Math.abs(v - b[i]) <= 1e-9 * (1 + Math.abs(v)));
    if (
      series.channels.join() !== info.channels.join() || !same(series.mean, info.mean) ||
      !same(series.std, info.std) || series.horizon !== info.horizon
    ) {
      throw new Error(
        `${series.path}: its training statistics differ from the ones stored in ${f.path}: ` +
          `not the data this model was trained on`,
      );
    }
    const samples = f.probabilistic ? S : 0;
    const batch = o.batch ?? Math.max(1, Math.floor(8192 / (samples + 1)));
    const point = new ErrorSums(), mean = new ErrorSums(), ens = new EnsembleSums();
    const rng = new Rng(o.seed ?? 1);
    const H = info.horizon;
    for (const b of evalBatches(series, split, batch)) {
      const r = await f.sample(b.x, b.size, { samples, noiseFree: true }, rng);
      point.add(r.noiseFree!, b.y);
      if (samples > 0) {
        const m = new Float32Array(b.size * H);
        for (let s = 0; s < samples; s++) {
          const off = s * m.length;
          for (let i = 0; i < m.length; i++) m[i] += r.samples[off + i] / samples;
        }
        mean.add(m, b.y);
        ens.add(r.samples, b.y, samples);
      }
    }
    const lines = parseMetrics(
      await Deno.readTextFile(runFile(runDir, "metrics")).catch(() => ""),
      runFile(runDir, "metrics"),
    );
    const spec = f.meta.spec;
    const base = {
      run: runDir,
      method: METHOD[spec.kind] + (spec.kind === "noprop-dt" ? ` (${spec.mode})` : ""),
      horizon: H,
      lookback: info.lookback,
      features: info.features,
      split,
      windows: series.splits[split].count,
      values: point.n,
      trainSeconds: lines.reduce((s, l) => s + l.epochSeconds, 0),
      epochs: lines.at(-1)?.epoch ?? 0,
      bestEpoch: f.best?.epoch ?? null,
      evalSeconds: (performance.now() - t0) / 1000,
    };
    const none = { crps: null, cover80: null, cover90: null };
    const rows: ForecastEvalRow[] = [{
      ...base,
      forecast: f.probabilistic ? "noise-free sample" : "point",
      mse: point.mse,
      mae: point.mae,
      ...none,
    }];
    if (samples > 0) {
      const [c80, c90] = ens.coverage;
      rows.push({
        ...base,
        forecast: `mean of ${samples} samples`,
        mse: mean.mse,
        mae: mean.mae,
        crps: ens.crps,
        cover80: c80,
        cover90: c90,
      });
    }
    return rows;
  } finally {
    f.close();
  }
}
