/**
 * Helpers for the series tests: a small generated series in the ETT layout (a `date` column,
 * then numeric columns ending with `OT`), written as CSV. Contains no tests itself.
 * @module
 */

/** What {@linkcode seriesCsv} generates. */
export interface SeriesSpec {
  /** Rows (default 14,400: the 20 months of the protocol, hourly). */
  rows?: number;
  /** Numeric column names (default a, b, OT). */
  columns?: string[];
  /** Hours between rows (default 1). */
  stepHours?: number;
  /** First timestamp (default 2016-07-01 00:00 UTC, as ETTh1). */
  start?: number;
}

/**
 * The value of column `c` at row `r`: a daily and a weekly cycle, a slow trend and a
 * deterministic wiggle, different per column, so every column has a non-zero spread.
 */
export function seriesValue(r: number, c: number): number {
  return Math.sin((2 * Math.PI * r) / 24 + c) * (1 + c) + 0.5 * Math.sin((2 * Math.PI * r) / 168) +
    r * 1e-4 * (c + 1) + 0.1 * Math.sin(r * 0.7 + c * 1.3);
}

/** `YYYY-MM-DD HH:MM:SS` of a UTC time in ms. */
export function stamp(t: number): string {
  return new Date(t).toISOString().slice(0, 19).replace("T", " ");
}

/** CSV text of a generated series (see {@linkcode SeriesSpec}). */
export function seriesCsv(spec: SeriesSpec = {}): string {
  const rows = spec.rows ?? 14_400, columns = spec.columns ?? ["a", "b", "OT"];
  const step = (spec.stepHours ?? 1) * 3600e3, start = spec.start ?? Date.UTC(2016, 6, 1);
  const lines = [["date", ...columns].join(",")];
  for (let r = 0; r < rows; r++) {
    lines.push([stamp(start + r * step), ...columns.map((_, c) => seriesValue(r, c))].join(","));
  }
  return lines.join("\n") + "\n";
}

/** Writes {@linkcode seriesCsv} to `path` and returns the path. */
export async function writeSeriesCsv(path: string, spec: SeriesSpec = {}): Promise<string> {
  await Deno.writeTextFile(path, seriesCsv(spec));
  return path;
}

/** The error `fn` throws (fails when it throws none). */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error, none was thrown");
}

/** Asserts |a − b| ≤ tol. */
export function near(a: number, b: number, tol: number, what = "value"): void {
  if (!(Math.abs(a - b) <= tol)) throw new Error(`${what}: ${a} is not within ${tol} of ${b}`);
}

/**
 * A tiny forecasting config on the CSV `dataFile` (the default protocol's 12/4/4 months, but
 * lookback 24, horizon 8, T = 2 narrow blocks), runs written under `outDir` as `run`.
 */
export async function tinySeriesConfig(
  dataFile: string,
  outDir: string,
  over: Record<string, unknown> = {},
) {
  const { defaultConfig } = await import("../../src/config.ts");
  return {
    ...defaultConfig(),
    dataset: "etth1" as const,
    dataFile,
    outDir,
    runName: "run",
    lookback: 24,
    horizon: 8,
    T: 2,
    hidden: 8,
    batchSize: 512,
    evalBatch: 4096,
    epochs: 1,
    backend: "cpu" as const,
    ...over,
  };
}
