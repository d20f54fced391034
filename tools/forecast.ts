/**
 * `deno task forecast`: forecasts a CSV's future with an exported NoProp-DT forecaster through
 * the runtime (`createForecaster`, onnxruntime; no tfjs). The CSV has the training data's
 * layout (a `date` column and the model's channels; read with the project's series reader, so
 * bad input is one line naming the file and line); the last L rows are the input. Writes a CSV
 * of the forecast — one row per future time step and output channel: the noise-free forecast,
 * the mean of the samples and the central 80% and 90% intervals of the samples, in raw units —
 * and an SVG chart of the history's last rows, the forecast and the intervals. Forecast
 * timestamps continue the history's last step.
 *
 * @example
 * ```sh
 * deno task forecast --model models/etth1 history.csv --samples 100 --out forecast.csv
 * ```
 * @module
 */
import { parseArgs } from "../src/deps.ts";
import { parseSeriesCsv } from "../src/data/series/csv.ts";
import { formatTimestamp } from "../src/data/series/timestamp.ts";
import { writeFileAtomic } from "../src/atomic.ts";
import { failed, usageError } from "./cli_errors.ts";

const USAGE =
  `usage: deno task forecast --model DIR history.csv [--samples N] [--seed N] [--out forecast.csv]
                          [--chart forecast.svg] [--provider auto|cpu|cuda|webgpu|wasm] [--threads N]

  --model DIR     an exported forecaster folder (deno task export --run <forecasting run>)
  history.csv     a date column and the model's channels; its last L rows are the input
  --samples N     stochastic samples for the mean and the intervals (default: the manifest's, 100;
                  0: only the noise-free forecast)
  --seed N        seed of z_0 and ε (default 0)
  --out FILE      the forecast CSV (default: forecast.csv next to history.csv)
  --chart FILE    the SVG chart (default: the --out path with .svg)
  --provider P    onnxruntime execution provider (default auto)
  --threads N     CPU threads`;

/**
 * The forecast CSV text: `date,channel,point,mean,lower80,upper80,lower90,upper90`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forecastCsv } from "./forecast.ts";
 * const f = { channel: "OT", point: Float64Array.of(1.5), mean: null, lower80: null, upper80: null,
 *   lower90: null, upper90: null };
 * assert.equal(forecastCsv([Date.UTC(2020, 0, 1)], [f]),
 *   "date,channel,point,mean,lower80,upper80,lower90,upper90\n2020-01-01 00:00:00,OT,1.5,,,,,\n");
 * ```
 */
export function forecastCsv(
  times: readonly number[],
  f: readonly {
    channel: string;
    point: ArrayLike<number>;
    mean: ArrayLike<number> | null;
    lower80: ArrayLike<number> | null;
    upper80: ArrayLike<number> | null;
    lower90: ArrayLike<number> | null;
    upper90: ArrayLike<number> | null;
  }[],
): string {
  const out = ["date,channel,point,mean,lower80,upper80,lower90,upper90"];
  const v = (a: ArrayLike<number> | null, i: number) => (a ? String(a[i]) : "");
  times.forEach((t, i) => {
    for (const c of f) {
      out.push(
        [
          formatTimestamp(t),
          c.channel,
          v(c.point, i),
          v(c.mean, i),
          v(c.lower80, i),
          v(c.upper80, i),
          v(c.lower90, i),
          v(c.upper90, i),
        ]
          .join(","),
      );
    }
  });
  return out.join("\n") + "\n";
}

/**
 * Runs the CLI (module doc); returns the exit status.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./forecast.ts";
 * assert.equal(await main(["history.csv"]), 2); // no --model: usage error
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  let a, csvPath: string;
  try {
    const p = parseArgs({
      args: argv,
      options: {
        model: { type: "string" },
        samples: { type: "string" },
        seed: { type: "string", default: "0" },
        out: { type: "string" },
        chart: { type: "string" },
        provider: { type: "string", default: "auto" },
        threads: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: true,
    });
    a = p.values;
    if (a.help) {
      console.log(USAGE);
      return 0;
    }
    if (!a.model) throw new Error("--model is required");
    if (p.positionals.length !== 1) throw new Error("give exactly one history CSV");
    csvPath = p.positionals[0];
    for (const k of ["samples", "seed", "threads"] as const) {
      if (a[k] === undefined) continue;
      const v = Number(a[k]);
      if (!Number.isInteger(v) || v < (k === "threads" ? 1 : 0)) {
        throw new Error(`--${k} must be an integer ≥ ${k === "threads" ? 1 : 0}, got ${a[k]}`);
      }
    }
  } catch (e) {
    return usageError(e, USAGE);
  }
  try {
    const text = await Deno.readTextFile(csvPath).catch((e) => {
      throw new Error(`${csvPath}: cannot be read (${(e as Error).message})`);
    });
    const table = parseSeriesCsv(text, csvPath);
    const { createForecaster } = await import("@noprop/infer");
    const t0 = performance.now();
    const f = await createForecaster({
      modelDir: a.model,
      provider: a.provider,
      threads: a.threads === undefined ? undefined : Number(a.threads),
    });
    try {
      const m = f.manifest;
      const samples = a.samples === undefined ? undefined : Number(a.samples);
      const values = Float64Array.from(table.values);
      const result = await f.forecast({ columns: table.columns, values }, {
        samples,
        seed: Number(a.seed),
      });
      const n = table.rows, last = table.times[n - 1];
      const step = n > 1 ? last - table.times[n - 2] : 3600e3;
      const times = Array.from({ length: m.horizon }, (_, i) => last + (i + 1) * step);
      const out = a.out ?? csvPath.replace(/(\.csv)?$/i, "").replace(/[^/]*$/, "forecast") + ".csv";
      await writeFileAtomic(out, forecastCsv(times, result));
      const chart = a.chart ?? out.replace(/(\.csv)?$/i, ".svg");
      const { writeForecastChart } = await import("../src/compare/forecast_chart.ts");
      const shown = Math.min(n, 2 * m.horizon);
      await writeForecastChart(chart, {
        title: `NoProp-DT forecast of ${csvPath} (${m.horizon} steps, ${
          samples ?? m.samples
        } samples)`,
        history: result.map((r) => {
          const col = table.columns.indexOf(r.channel), C = table.columns.length;
          return {
            channel: r.channel,
            times: Array.from(table.times.subarray(n - shown)),
            values: Array.from(
              { length: shown },
              (_, i) => table.values[(n - shown + i) * C + col],
            ),
          };
        }),
        forecast: result.map((r) => ({ ...r, times })),
      });
      const ms = performance.now() - t0;
      console.log(
        `forecast ${m.horizon} steps of ${result.map((r) => r.channel).join(", ")} from the last ` +
          `${m.lookback} rows of ${csvPath} (${f.provider}, ${
            ms.toFixed(0)
          } ms) → ${out}, ${chart}`,
      );
    } finally {
      await f.close();
    }
    return 0;
  } catch (e) {
    return failed(e);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
