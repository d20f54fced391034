/**
 * `deno task eval` for forecasting runs (`tools/eval.ts` hands over when the run holds a
 * forecaster): scores each `--run` on the test split (touched only here; training selected the
 * weights on the validation split) and writes one table, `forecast_eval.md` and
 * `forecast_eval.json`, into `--out` (default `<first run>/eval`).
 *
 * @example
 * ```sh
 * deno task eval --run models/etth1-dt-direct-h96 --run models/etth1-dlinear-h96 --samples 100
 * ```
 * @module
 */
import { initBackend } from "../src/backend/mod.ts";
import { writeFileAtomic } from "../src/atomic.ts";
import { type BackendChoice, BACKENDS } from "../src/config/schema.ts";
import { parseArgs } from "../src/deps.ts";
import { evaluateForecastRun, type ForecastEvalRow } from "../src/train/forecast/score_run.ts";
import { failed, usageError } from "./cli_errors.ts";

const USAGE =
  `usage: deno task eval --run models/<run> [--run …] [--samples N] [--split test|val] [--seed N]
                      [--batch N] [--data-dir DIR] [--backend auto|wasm|cpu|webgpu]
                      [--out DIR] [--overwrite]

  --run DIR       a forecasting run folder (best.safetensors, else weights.safetensors); repeat
                  it to put several runs in one table
  --samples N     NoProp forecaster: stochastic samples per window (default 100; 0: only the
                  noise-free sample); CRPS and 80%/90% coverage come from them
  --split S       test (default) or val
  --seed N        seed of z_0 and ε (default 1)
  --batch N       windows per batch (default: about 8192 chain rows)
  --data-dir DIR  dataset folder (default: the run's, then $NOPROP_DATA_DIR)
  --out DIR       folder for forecast_eval.md and forecast_eval.json (default: <first run>/eval)
  --overwrite     replace those files when they exist`;

/** The files written into `--out`. */
export const FORECAST_EVAL_FILES = ["forecast_eval.md", "forecast_eval.json"] as const;

/**
 * The Markdown table of `rows` (z-scored MSE/MAE, CRPS and coverage; times in seconds).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forecastTable } from "./eval_forecast.ts";
 * const row = {
 *   run: "r", method: "DLinear", forecast: "point", horizon: 96, lookback: 336, features: "M",
 *   split: "test" as const, windows: 2785, values: 1871520, mse: 0.3751, mae: 0.3992, crps: null,
 *   cover80: null, cover90: null, trainSeconds: 120.4, epochs: 5, bestEpoch: 2, evalSeconds: 3.2,
 * };
 * assert.ok(forecastTable([row]).includes("| DLinear | point | 96 | 0.3751 | 0.3992 | – | – | – |"));
 * ```
 */
export function forecastTable(rows: readonly ForecastEvalRow[]): string {
  const f = (v: number | null, d = 4) => v === null ? "–" : v.toFixed(d);
  const pct = (v: number | null) => v === null ? "–" : `${(100 * v).toFixed(1)}%`;
  const out = [
    "| method | forecast | H | MSE | MAE | CRPS | 80% cover | 90% cover | windows | epochs (best) | train s | eval s |",
    "| ------ | -------- | -: | --: | --: | ---: | --------: | --------: | ------: | ------------: | ------: | -----: |",
  ];
  for (const r of rows) {
    const ep = `${+r.epochs.toFixed(2)} (${r.bestEpoch === null ? "latest" : r.bestEpoch})`;
    out.push(
      `| ${r.method} | ${r.forecast} | ${r.horizon} | ${f(r.mse)} | ${f(r.mae)} | ${f(r.crps)} | ` +
        `${pct(r.cover80)} | ${pct(r.cover90)} | ${r.windows} | ${ep} | ` +
        `${r.trainSeconds.toFixed(0)} | ${r.evalSeconds.toFixed(0)} |`,
    );
  }
  return out.join("\n");
}

/**
 * Runs the CLI (module doc); returns the exit status.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./eval_forecast.ts";
 * assert.equal(await main(["--samples", "-1", "--run", "x"]), 2); // bad value: usage error
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: {
        run: { type: "string", multiple: true },
        samples: { type: "string", default: "100" },
        split: { type: "string", default: "test" },
        seed: { type: "string", default: "1" },
        batch: { type: "string" },
        "data-dir": { type: "string" },
        backend: { type: "string", default: "auto" },
        out: { type: "string" },
        overwrite: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
    if (a.help) {
      console.log(USAGE);
      return 0;
    }
    if (!a.run?.length) throw new Error("--run is required");
    for (const k of ["samples", "seed", "batch"] as const) {
      if (a[k] === undefined) continue;
      const v = Number(a[k]);
      if (!Number.isInteger(v) || v < (k === "batch" ? 1 : 0)) {
        throw new Error(`--${k} must be an integer ≥ ${k === "batch" ? 1 : 0}, got ${a[k]}`);
      }
    }
    if (a.split !== "test" && a.split !== "val") {
      throw new Error(`--split must be test or val, got ${a.split}`);
    }
    if (!(BACKENDS as readonly string[]).includes(a.backend!)) {
      throw new Error(`unknown backend "${a.backend}" (expected ${BACKENDS.join(", ")})`);
    }
  } catch (e) {
    return usageError(e, USAGE);
  }
  try {
    const outDir = a.out ?? `${a.run[0].replace(/\/+$/, "")}/eval`;
    if (!a.overwrite) {
      for (const f of FORECAST_EVAL_FILES) {
        if (await Deno.lstat(`${outDir}/${f}`).then(() => true, () => false)) {
          throw new Error(
            `${outDir}/${f} already exists: pass --out with another folder, or --overwrite`,
          );
        }
      }
    }
    await initBackend(a.backend as BackendChoice);
    const rows: ForecastEvalRow[] = [];
    for (const run of a.run) {
      const r = await evaluateForecastRun(run.replace(/\/+$/, ""), {
        split: a.split as "test" | "val",
        samples: Number(a.samples),
        seed: Number(a.seed),
        batch: a.batch === undefined ? undefined : Number(a.batch),
        dataDir: a["data-dir"],
      });
      for (const row of r) console.error(forecastTable([row]).split("\n")[2]);
      rows.push(...r);
    }
    const split = a.split === "val" ? "validation" : "test";
    const markdown = `Forecast evaluation on the ${split} split (MSE/MAE/CRPS on z-scored ` +
      `values, seed ${a.seed}):\n\n${forecastTable(rows)}`;
    await Deno.mkdir(outDir, { recursive: true });
    await writeFileAtomic(`${outDir}/forecast_eval.md`, markdown + "\n");
    const json = { seed: Number(a.seed), samples: Number(a.samples), rows };
    await writeFileAtomic(`${outDir}/forecast_eval.json`, JSON.stringify(json, null, 2) + "\n");
    console.log(
      `${markdown}\n\nwritten: ${FORECAST_EVAL_FILES.map((f) => `${outDir}/${f}`).join(", ")}`,
    );
    return 0;
  } catch (e) {
    return failed(e);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
