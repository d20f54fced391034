/**
 * `deno task compare`: trains NoProp-DT and the backprop baseline under identical settings
 * (same config, seed and data order), each in its own `deno task train` process so that
 * their peak RSS are measured apart, then writes `<outDir>/compare-<dataset>-<stamp>/`:
 * `report.md` (one table + the exact command), `acc_vs_epoch.svg`, `acc_vs_time.svg`,
 * `loss_vs_step.svg`, `memory.svg` (vega-lite), `epochs.jsonl` (raw per-epoch numbers with a
 * `method` field), `summary.json` (the table's rows), `config.yaml`, and the two run folders
 * `noprop/` and `backprop/`.
 *
 * No example here: a comparison is two training processes (`tests/compare_test.ts` runs a tiny
 * one).
 *
 * @module
 */
import { initBackend } from "../backend/mod.ts";
import { type Config, ConfigError, configToYaml, loadConfig } from "../config.ts";
import { writeFileAtomic } from "../atomic.ts";
import { type EpochPoint, type MemoryBar, renderCharts } from "./charts.ts";
import { measureMethods } from "./measure.ts";
import { reportMarkdown, summarize } from "./report.ts";
import { meanLoss, type MetricsLine, parseMetrics } from "../run/metrics.ts";
import { runFile } from "../run/folder.ts";

/** The two methods, in the order they run. */
export const METHODS = ["noprop", "backprop"] as const;

/** Options of {@linkcode runCompare}. */
export interface CompareOptions {
  /** YAML config to start from. */
  configPath?: string;
  /** Config flags as strings (field or flag names). */
  overrides: Record<string, string>;
  /** The command line to print in the report. */
  command: string;
  /** Quiet: the training processes' output is discarded (tests). */
  quiet?: boolean;
  /** Time stamp of the folder name (default now). */
  now?: Date;
}

/** `yyyymmdd-hhmmss` in local time. */
function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-` +
    `${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

async function readMetrics(dir: string): Promise<MetricsLine[]> {
  const path = runFile(dir, "metrics");
  return parseMetrics(await Deno.readTextFile(path), path);
}

/** Runs `tools/train.ts` for one method in a child process. */
async function trainChild(configFile: string, method: string, outDir: string, quiet: boolean) {
  const train = new URL("../../tools/train.ts", import.meta.url);
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net",
      "--allow-sys",
      "--config",
      new URL("../../deno.json", import.meta.url).pathname,
      train.href,
      "--config",
      configFile,
      "--method",
      method,
      "--out-dir",
      outDir,
      "--run-name",
      method,
    ],
    stdout: quiet ? "null" : "inherit",
    stderr: quiet ? "piped" : "inherit",
  });
  const r = await cmd.output();
  if (!r.success) {
    const tail = quiet ? new TextDecoder().decode(r.stderr).trim().split("\n").at(-1) : "";
    throw new Error(`training ${method} failed (exit ${r.code})${tail ? `: ${tail}` : ""}`);
  }
}

/**
 * Validates the settings; throws a one-line {@linkcode ConfigError} for what compare cannot do.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareConfig } from "./mod.ts";
 * const cfg = await compareConfig(undefined, { dataset: "fashion-mnist", epochs: "3" });
 * assert.deepEqual([cfg.dataset, cfg.epochs, cfg.variant], ["fashion-mnist", 3, "dt"]);
 * await assert.rejects(
 *   compareConfig(undefined, { variant: "ct" }),
 *   /^ConfigError: --variant: compare covers NoProp-DT \(got "ct"\)$/,
 * );
 * await assert.rejects(compareConfig(undefined, { method: "backprop" }), /compare trains both/);
 * ```
 */
export async function compareConfig(
  configPath: string | undefined,
  overrides: Record<string, string>,
): Promise<Config> {
  if ("method" in overrides) throw new ConfigError("--method: compare trains both methods");
  const cfg = await loadConfig({ configPath, overrides });
  if (cfg.variant !== "dt") {
    throw new ConfigError(`--variant: compare covers NoProp-DT (got "${cfg.variant}")`);
  }
  if (cfg.workers > 1) {
    throw new ConfigError("--workers: compare trains both methods in one process each (use 1)");
  }
  return cfg;
}

/** Runs the comparison (see the module doc); returns the folder. */
export async function runCompare(o: CompareOptions): Promise<{ dir: string }> {
  const cfg = await compareConfig(o.configPath, o.overrides);
  const dir = `${cfg.outDir}/compare-${cfg.dataset}-${stamp(o.now ?? new Date())}`;
  await Deno.mkdir(dir, { recursive: true });
  const configFile = `${dir}/config.yaml`;
  await writeFileAtomic(
    configFile,
    configToYaml({ ...cfg, runName: null }, `settings shared by both runs\n${o.command}`),
  );
  for (const m of METHODS) {
    if (!o.quiet) console.error(`compare: training ${m} → ${dir}/${m}`);
    await trainChild(configFile, m, dir, o.quiet ?? false);
  }
  const backend = await initBackend(cfg.backend);
  const measured = await measureMethods(cfg, {
    noprop: `${dir}/noprop`,
    backprop: `${dir}/backprop`,
  });
  const points: EpochPoint[] = [];
  const memory: MemoryBar[] = [];
  const raw: string[] = [];
  const rows = [];
  for (const m of METHODS) {
    const lines = await readMetrics(`${dir}/${m}`);
    const row = summarize(m, lines, measured[m]);
    rows.push(row);
    for (const l of lines) {
      raw.push(JSON.stringify({ ...l, method: m }));
      points.push({
        method: m,
        epoch: l.epoch,
        step: l.step,
        wallSeconds: l.wallSeconds,
        testAcc: l.testAcc,
        loss: meanLoss(l),
      });
    }
    memory.push(
      { method: m, measure: "peak RSS", mb: row.peakRssMB },
      { method: m, measure: "peak tensors / step", mb: row.stepPeakMB },
    );
  }
  const charts = await renderCharts(points, memory);
  for (const [name, svg] of Object.entries(charts)) await writeFileAtomic(`${dir}/${name}`, svg);
  await writeFileAtomic(`${dir}/epochs.jsonl`, raw.join("\n") + "\n");
  await writeFileAtomic(`${dir}/summary.json`, JSON.stringify(rows, null, 2) + "\n");
  const settings = `T = ${cfg.T}, batch ${cfg.batchSize}, lr ${cfg.lr}, ${cfg.epochs} epochs` +
    `${cfg.trainLimit ? `, first ${cfg.trainLimit} training images` : ""}, seed ${cfg.seed}, ` +
    `backprop classifier init: ${cfg.backpropClassifierInit}.`;
  await writeFileAtomic(
    `${dir}/report.md`,
    reportMarkdown({
      dataset: cfg.dataset,
      command: o.command,
      backend: backend.name,
      rows,
      charts: Object.keys(charts),
      settings,
      trainAccImages: measured.noprop.trainImages,
    }),
  );
  return { dir };
}
