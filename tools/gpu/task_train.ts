/**
 * The training tasks of the GPU report, each run in its own process by `child.ts` (a tfjs backend
 * is chosen once per process):
 * - {@linkcode firstLosses}: part (2), the first training losses of a seeded run;
 * - {@linkcode measureBlockSteps} (from `tools/bench.ts`): part (3), block-step samples/s;
 * - {@linkcode fixedTimeRun}: part (4), a run of the one training loop stopped by `maxSeconds`.
 *
 * Configurations are given as `deno task train` takes them ({@linkcode TrainSetup}: a YAML file
 * and flags), so an option another branch adds (`--fuse-blocks`) is used exactly as a user would.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flagAccepted, trainConfig } from "./task_train.ts";
 * const setup = { name: "quick", config: "configs/mnist-quick.yaml", flags: ["--workers", "1"] };
 * const cfg = await trainConfig(setup, ["--batch-size", "64"], "/data");
 * assert.deepEqual([cfg.widths, cfg.workers, cfg.batchSize, cfg.dataDir], [[8, 16, 16], 1, 64, "/data"]);
 * assert.equal(flagAccepted("--max-seconds", "1"), true);
 * assert.equal(flagAccepted("--no-such-flag"), false);
 * ```
 * @module
 */
import { type Config, loadConfig, parseTrainArgs } from "../../src/config.ts";
import type { TrainSetup } from "./plan.ts";

const REPO = new URL("../../", import.meta.url);

/**
 * The effective config of `setup` plus `extra` flags, reading data from `dataDir`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainConfig } from "./task_train.ts";
 * const cfg = await trainConfig({ name: "p", config: "configs/mnist.yaml", flags: [] }, [], "d");
 * assert.deepEqual(cfg.widths, [32, 64, 128]);
 * ```
 */
export async function trainConfig(
  setup: TrainSetup,
  extra: string[],
  dataDir: string,
): Promise<Config> {
  const args = parseTrainArgs([...setup.flags, ...extra, "--data-dir", dataDir]);
  return await loadConfig({
    configPath: new URL(setup.config, REPO).pathname,
    overrides: args.overrides,
  });
}

/**
 * Whether `deno task train` accepts `flag` (with `value`, for flags that take one) in this tree.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flagAccepted } from "./task_train.ts";
 * assert.equal(flagAccepted("--T", "3"), true);
 * ```
 */
export function flagAccepted(flag: string, value?: string): boolean {
  try {
    parseTrainArgs(value === undefined ? [flag] : [flag, value]);
    return true;
  } catch {
    return false;
  }
}

/** What {@linkcode firstLosses} returns. */
export interface LossRun {
  /** The tfjs backend. */
  backend: string;
  /** The WebGPU adapter's description (webgpu only). */
  adapter: string | null;
  /** Each batch's mean loss, in order. */
  losses: number[];
}

/**
 * Trains the first `batches` batches of `cfg` (epoch 0, seeded by `cfg.seed`) through the method
 * seam on `cfg.backend` and returns each batch's loss. Dropout and the noise are drawn in JS by
 * tfjs-core, so two backends see the same random numbers: the losses differ by arithmetic only.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../../src/config.ts";
 * import { writeRandomMnist } from "../bench.ts";
 * import { firstLosses } from "./task_train.ts";
 * const dataDir = await Deno.makeTempDir();
 * await writeRandomMnist(dataDir, 8, 2);
 * const cfg = {
 *   ...defaultConfig(), dataset: "mnist" as const, dataDir, backend: "cpu" as const, T: 2,
 *   widths: [2, 2, 2], hidden: 8, batchSize: 4,
 * };
 * const r = await firstLosses(cfg, 2);
 * assert.equal(r.losses.length, 2);
 * assert.deepEqual((await firstLosses(cfg, 2)).losses, r.losses); // seeded
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 */
export async function firstLosses(cfg: Config, batches: number): Promise<LossRun> {
  const { initBackend } = await import("../../src/backend/mod.ts");
  const { loadRunData } = await import("../../src/train/batches.ts");
  const { createMethod } = await import("../../src/train/methods.ts");
  const info = await initBackend(cfg.backend);
  const method = await createMethod({ cfg, run: await loadRunData(cfg) });
  const losses: number[] = [];
  try {
    const r = await method.run(0, 0, batches, (loss) => losses.push(loss));
    if (r.batches !== batches) throw new Error(`only ${r.batches} of ${batches} batches ran`);
  } finally {
    method.close();
  }
  return { backend: info.name, adapter: info.adapterDescription ?? null, losses };
}

/** What {@linkcode fixedTimeRun} returns. */
export interface FixedTimeRun {
  /** The run folder. */
  runDir: string;
  /** The backend of the run. */
  backend: string;
  /** Batches trained. */
  steps: number;
  /** Epochs trained (fractional). */
  epochs: number;
  /** Seconds of training (the metrics lines' epochSeconds summed; evaluation excluded). */
  trainSeconds: number;
  /** Wall seconds from the start of training to the last line (evaluations included). */
  wallSeconds: number;
  /** Training samples/s: steps × batch / trainSeconds (each sample trains all T blocks). */
  samplesPerSec: number;
  /** Test accuracy of the stochastic sampler after training. */
  testAcc: number | null;
  /** Test accuracy of the noise-free sampler. */
  testAccNoiseFree: number | null;
  /** Test images evaluated. */
  testCount: number | null;
}

/**
 * Trains `cfg` with the one training loop for `seconds` (`maxSeconds`; evaluation only at the
 * end), writing the run folder `<outDir>/<name>`, and sums up its metrics lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../../src/config.ts";
 * import { writeRandomMnist } from "../bench.ts";
 * import { fixedTimeRun } from "./task_train.ts";
 * const dir = await Deno.makeTempDir();
 * await writeRandomMnist(dir, 8, 4);
 * const cfg = {
 *   ...defaultConfig(), dataset: "mnist" as const, dataDir: dir, backend: "cpu" as const, T: 2,
 *   widths: [2, 2, 2], hidden: 8, batchSize: 4,
 * };
 * const r = await fixedTimeRun(cfg, 1e-9, dir, "run"); // one batch, then the evaluation
 * assert.deepEqual([r.steps, r.testCount], [1, 4]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function fixedTimeRun(
  cfg: Config,
  seconds: number,
  outDir: string,
  name: string,
): Promise<FixedTimeRun> {
  const { train } = await import("../../src/train/mod.ts");
  const { parseMetrics } = await import("../../src/run/metrics.ts");
  const run = {
    ...cfg,
    maxSeconds: seconds,
    epochs: Math.max(cfg.epochs, 1000),
    evalEvery: 1000,
    outDir,
    runName: name,
  };
  // No confusion.svg: nobody looks at it here, and without it the kit carries no vega.
  const r = await train(run, { overwrite: true, quiet: true, charts: false });
  const path = `${r.runDir}/metrics.jsonl`;
  const lines = parseMetrics(await Deno.readTextFile(path), path);
  const last = lines.at(-1);
  if (!last) throw new Error(`${path} holds no metrics line`);
  const trainSeconds = lines.reduce((s, l) => s + l.epochSeconds, 0);
  return {
    runDir: r.runDir,
    backend: cfg.backend,
    steps: r.steps,
    epochs: last.epoch,
    trainSeconds,
    wallSeconds: last.wallSeconds,
    samplesPerSec: r.steps * cfg.batchSize / trainSeconds,
    testAcc: last.testAcc,
    testAccNoiseFree: last.testAccNoiseFree,
    testCount: last.testCount,
  };
}
