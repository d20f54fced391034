/**
 * `train(config)`: the one training loop, for every method behind the {@linkcode TrainMethod}
 * seam (NoProp-DT, NoProp-CT/-FM, the backprop baseline). It reads top to bottom:
 * open the run folder (lock, fresh start or resume: `src/run/open.ts`), load the data, build
 * the method (from the checkpoint when resuming), then per epoch: train in ranges, checkpoint,
 * evaluate every `evalEvery` epochs and at the end, record the metrics line. The checkpoint
 * holds every metrics line and is written before evaluating, so a failing evaluation never
 * costs training work and no crash loses a line (`src/run/checkpoint.ts`).
 *
 * Ctrl-C or SIGTERM stops after the current range: checkpoint saved, `interrupted: true`.
 * `maxSteps` and `maxSeconds` end the run after the range that reaches them, like its last
 * epoch: checkpoint, evaluation, `interrupted: false`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../config.ts";
 * import { train } from "./loop.ts";
 * // A data dir with a tiny MNIST in plain IDX files: 8 training and 4 test images.
 * const dataDir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dataDir}/mnist`);
 * const idx = (magic: number, dims: number[], byte: (i: number) => number) => {
 *   const head = 4 + 4 * dims.length, bytes = new Uint8Array(head + dims.reduce((a, b) => a * b));
 *   [magic, ...dims].forEach((v, i) => new DataView(bytes.buffer).setUint32(4 * i, v));
 *   for (let i = head; i < bytes.length; i++) bytes[i] = byte(i - head);
 *   return bytes;
 * };
 * for (const [split, n] of [["train", 8], ["t10k", 4]] as const) {
 *   const images = idx(2051, [n, 28, 28], (i) => (i * 37) % 256);
 *   await Deno.writeFile(`${dataDir}/mnist/${split}-images-idx3-ubyte`, images);
 *   const labels = idx(2049, [n], (i) => i % 10);
 *   await Deno.writeFile(`${dataDir}/mnist/${split}-labels-idx1-ubyte`, labels);
 * }
 * const config = {
 *   ...defaultConfig(), dataset: "mnist" as const, dataDir, outDir: dataDir,
 *   backend: "cpu" as const, T: 2, widths: [2, 2, 2], hidden: 8, batchSize: 4, epochs: 1,
 * };
 * // Two batches in one go, and the same run stopped after one batch and resumed.
 * const whole = await train({ ...config, runName: "whole" }, { quiet: true });
 * const part = await train({ ...config, runName: "part", maxSteps: 1 }, { quiet: true });
 * assert.equal(part.steps, 1);
 * const resumed = await train(config, { quiet: true, resumeDir: part.runDir });
 * assert.equal(resumed.steps, 2);
 * const weights = (r: { runDir: string }) => Deno.readFile(`${r.runDir}/weights.safetensors`);
 * assert.deepEqual(await weights(resumed), await weights(whole)); // bit for bit
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 * @module
 */
import { initBackend } from "../backend/mod.ts";
import { type Config, ConfigError, isSeriesDataset, resolveRunName } from "../config.ts";
import { tf } from "../deps_tf.ts";
import {
  checkPosition,
  type Position,
  readCheckpoint,
  selection,
  syncDerivedFiles,
  writeBestWeights,
  writeCheckpoint,
  writeConfusionChart,
} from "../run/checkpoint.ts";
import { type ForecastScores, METRICS_SCHEMA, type MetricsLine } from "../run/metrics.ts";
import { perClassAccuracy } from "./confusion.ts";
import { openRunFolder } from "../run/open.ts";
import { NonFiniteLossError } from "./batches.ts";
import { type EpochRun, runEpoch } from "./epoch.ts";
import {
  type Evaluation,
  isForecastEvaluation,
  type MethodContext,
  type TrainMethod,
} from "./method.ts";
import { Interrupt } from "./interrupt.ts";
import { buildMethod, formatOf, loadMethodData, methodBatchesPerEpoch } from "./methods.ts";
import { epochBar } from "./progress.ts";

/** Options of {@linkcode train}. */
export interface TrainOptions {
  /** Continue the run in this folder from its `checkpoint.safetensors`. */
  resumeDir?: string;
  /** Start over in a folder that already holds a run (its files are deleted first). */
  overwrite?: boolean;
  /** Quiet: no progress bar or log lines (tests). */
  quiet?: boolean;
  /**
   * Draw `confusion.svg` after each evaluation (default true). Off, vega is never loaded: the
   * GPU kit's fixed-time runs (`tools/gpu/task_train.ts`), whose kit part then does not carry
   * it. The confusion counts are recorded either way (checkpoint and metrics).
   */
  charts?: boolean;
  /**
   * Builds the method instead of the config's own (`methods.ts`): another driver of the same
   * method, such as the distributed run (`src/dist/method.ts`).
   */
  method?: (ctx: MethodContext) => Promise<TrainMethod>;
}

/** What a finished (or interrupted) run reports. */
export interface TrainResult {
  /** The run folder. */
  runDir: string;
  /** Batches completed. */
  steps: number;
  /** The last metrics line with an evaluation, if any. */
  last?: MetricsLine;
  /** Stopped early by Ctrl-C or SIGTERM (checkpoint saved). */
  interrupted: boolean;
}

/**
 * Trains as configured, or continues the run in `opts.resumeDir` (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../config.ts";
 * import { train } from "./loop.ts";
 * // A data dir with a tiny MNIST in plain IDX files: 8 training and 4 test images.
 * const dataDir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dataDir}/mnist`);
 * const idx = (magic: number, dims: number[], byte: (i: number) => number) => {
 *   const head = 4 + 4 * dims.length, bytes = new Uint8Array(head + dims.reduce((a, b) => a * b));
 *   [magic, ...dims].forEach((v, i) => new DataView(bytes.buffer).setUint32(4 * i, v));
 *   for (let i = head; i < bytes.length; i++) bytes[i] = byte(i - head);
 *   return bytes;
 * };
 * for (const [split, n] of [["train", 8], ["t10k", 4]] as const) {
 *   const images = idx(2051, [n, 28, 28], (i) => (i * 37) % 256);
 *   await Deno.writeFile(`${dataDir}/mnist/${split}-images-idx3-ubyte`, images);
 *   const labels = idx(2049, [n], (i) => i % 10);
 *   await Deno.writeFile(`${dataDir}/mnist/${split}-labels-idx1-ubyte`, labels);
 * }
 * const config = {
 *   ...defaultConfig(), dataset: "mnist" as const, dataDir, outDir: dataDir, runName: "fm",
 *   backend: "cpu" as const, variant: "fm" as const, widths: [2, 2, 2], hidden: 8, batchSize: 4,
 *   epochs: 1, sampleSteps: 2,
 * };
 * const { runDir, steps, last, interrupted } = await train(config, { quiet: true });
 * assert.equal(runDir, `${dataDir}/fm`);
 * assert.deepEqual([steps, interrupted], [2, false]);
 * assert.equal(last?.testCount, 4); // evaluated on the 4 test images
 * const files = ["config.yaml", "checkpoint.safetensors", "weights.safetensors", "metrics.jsonl"];
 * for (const f of files) assert.ok((await Deno.stat(`${runDir}/${f}`)).isFile);
 * // The folder now holds a run: training into it again is refused.
 * await assert.rejects(train(config, { quiet: true }), /already holds a run/);
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 */
export async function train(config: Config, opts: TrainOptions = {}): Promise<TrainResult> {
  const log = (s: string) => opts.quiet || console.error(s);
  const cfg = resolveRunName(config);
  if (cfg.workers > cfg.T && cfg.method === "noprop" && cfg.variant === "dt" && !opts.method) {
    log(`note: --workers ${cfg.workers} capped to T = ${cfg.T} (one block per worker at most)`);
    cfg.workers = cfg.T;
  }
  if (opts.method && isSeriesDataset(cfg.dataset)) {
    throw new ConfigError(
      `dataset ${cfg.dataset} is a time series: its forecasters train only in one process ` +
        `(no other method driver, such as --distributed)`,
    );
  }
  const folder = await openRunFolder(cfg, opts);
  const runDir = folder.dir;
  const stop = new Interrupt(100, log);
  try {
    const ck = folder.resumed ? await readCheckpoint(runDir, formatOf(cfg)) : undefined;
    const backend = await initBackend(cfg.backend);
    const data = await loadMethodData(cfg);
    const perEpoch = methodBatchesPerEpoch(data, cfg.batchSize);
    if (ck) {
      checkPosition(ck.path, ck.pos, perEpoch);
      await syncDerivedFiles(runDir, ck); // repairs a crash between the checkpoint and the rest
    }
    // A method factory drives an image method differently (the distributed run); the
    // forecasters have no other driver (refused above).
    const method = opts.method && data.kind === "images"
      ? await opts.method({ cfg, run: data.run, checkpoint: ck })
      : await buildMethod(cfg, data, ck);
    const classNames = data.kind === "images" ? data.run.data.info.classNames : [];
    let pos: Position = ck?.pos ?? { epoch: 0, batch: 0, step: 0 };
    const lines = ck?.metrics ?? [];
    // Forecasters: model selection on the validation split (best.safetensors), early stop.
    let sel = selection(lines);
    const patienceOut = () => cfg.patience > 0 && sel.since >= cfg.patience;
    let confusion = ck?.confusion ?? null;
    const lastStep = cfg.maxSteps > 0 ? cfg.maxSteps : Infinity;
    log(`noprop: training ${cfg.dataset} (${method.description}) on ${backend.name} → ${runDir}`);
    const started = performance.now();
    // maxSeconds: wall time of this process's training (evaluations included), checked between
    // batch ranges like maxSteps, after at least one range; the run then ends as if its last
    // epoch had been reached.
    const deadline = cfg.maxSeconds > 0 ? started + cfg.maxSeconds * 1000 : Infinity;
    const firstStep = pos.step;
    const timeUp = () => pos.step > firstStep && performance.now() >= deadline;
    let peakRss = 0;
    try {
      while (
        pos.epoch < cfg.epochs && pos.step < lastStep && !timeUp() && !patienceOut() &&
        !(await stop.requested())
      ) {
        const bar = epochBar(pos.epoch, cfg, perEpoch, opts.quiet);
        const r = await runEpoch(method, { pos, perEpoch, lastStep, stop, bar, peakRss, deadline });
        bar.finish();
        ({ pos, peakRss } = r);
        const epochDone = pos.batch >= perEpoch;
        if (epochDone) pos = { epoch: pos.epoch + 1, batch: 0, step: pos.step };
        const finished = pos.epoch >= cfg.epochs || pos.step >= lastStep || timeUp();
        const evaluate = !stop.seen &&
          ((epochDone && pos.epoch % cfg.evalEvery === 0) || finished);
        const epoch = epochDone ? pos.epoch : pos.epoch + pos.batch / perEpoch;
        const wallSeconds = (performance.now() - started) / 1000;
        const line = await rangeLine(
          method,
          r,
          { epoch, step: pos.step, wallSeconds, peakRss },
          cfg,
        );
        const state = { ...await method.state(), pos };
        const save = () =>
          writeCheckpoint(runDir, state.weights, method.meta, {
            ...state,
            metrics: [...lines, line],
            confusion,
          });
        await save();
        if (evaluate) {
          const e = await method.evaluate();
          if (isForecastEvaluation(e)) {
            line.val = e.scores;
            await save();
            const better = e.scores.select < sel.best;
            if (better) await writeBestWeights(runDir, state.weights, method.meta, line);
            lines.push(line);
            sel = selection(lines);
            const shown = +line.epoch.toFixed(3);
            log(`epoch ${shown}: ${forecastText(e.scores)}${better ? " (best so far)" : ""}`);
            continue;
          }
          Object.assign(line, evaluationFields(e));
          const shown = +line.epoch.toFixed(3);
          confusion = {
            classes: e.confusion.classes,
            counts: Array.from(e.confusion.counts),
            title: `${cfg.dataset}, ${method.sampler.name} sampler, epoch ${shown}: confusion of ` +
              `${e.count} test images (rows: true class)`,
          };
          await save();
          if (opts.charts ?? true) {
            await writeConfusionChart(runDir, confusion, classNames);
          }
          log(`epoch ${shown}: ${accuracyText(line)}, ${line.samplesPerSec.toFixed(0)} samples/s`);
        }
        lines.push(line);
      }
    } catch (err) {
      if (err instanceof NonFiniteLossError) {
        throw new Error(`${err.message}; the last good checkpoint in ${runDir} is kept`);
      }
      throw err;
    } finally {
      method.close();
    }
    const last = lines.findLast((l) => l.testAcc !== null || l.val);
    if (patienceOut()) {
      log(
        `early stop: no lower validation MSE in ${cfg.patience} evaluations; the best ` +
          `(epoch ${lines[sel.bestLine!].epoch}) is in ${runDir}/best.safetensors`,
      );
    }
    if (stop.seen) {
      log(`interrupted at step ${pos.step}: checkpoint saved; continue with --resume ${runDir}`);
    }
    const wall = ((performance.now() - started) / 1000).toFixed(1);
    log(`done: ${pos.step} steps in ${wall} s${last ? `, ${accuracyText(last)}` : ""} → ${runDir}`);
    return { runDir, steps: pos.step, last, interrupted: stop.seen };
  } finally {
    stop.close();
    await folder.close();
  }
}

/** The metrics line of a range just trained; its evaluation fields are still empty. */
async function rangeLine(
  method: TrainMethod,
  r: EpochRun,
  at: { epoch: number; step: number; wallSeconds: number; peakRss: number },
  cfg: Pick<Config, "batchSize">,
): Promise<MetricsLine> {
  return {
    schema: METRICS_SCHEMA,
    method: method.name,
    epoch: at.epoch,
    step: at.step,
    trainLoss: Array.from(r.lossSum, (v) => r.batches ? v / r.batches : null),
    testAcc: null,
    testAccNoiseFree: null,
    testCount: null,
    sampler: method.sampler.name,
    sampleSteps: method.sampler.steps,
    samplesPerSec: r.batches * cfg.batchSize / r.seconds,
    epochSeconds: r.seconds,
    wallSeconds: at.wallSeconds,
    peakRssMB: at.peakRss / 2 ** 20,
    tensorMB: tf.memory().numBytes / 2 ** 20,
    extra: await method.extra(),
  };
}

/** The metrics-line fields of an evaluation. */
function evaluationFields(e: Evaluation): Partial<MetricsLine> {
  return {
    testAcc: e.acc,
    testAccNoiseFree: e.accNoiseFree,
    testCount: e.count,
    perClassAcc: perClassAccuracy(e.confusion),
  };
}

/** "val MSE 0.6893, MAE 0.5572 (noise-free: …)" of a forecaster's validation scores. */
function forecastText(v: ForecastScores): string {
  const f = (x: number) => x.toFixed(4);
  return `val MSE ${f(v.mse)}, MAE ${f(v.mae)}` +
    (v.mseNoiseFree !== null
      ? ` (noise-free: MSE ${f(v.mseNoiseFree)}, MAE ${f(v.maeNoiseFree!)})`
      : "");
}

/** "test acc 97.50% (dt sampler), 98.10% (noise-free)" for a line with an evaluation. */
function accuracyText(l: MetricsLine): string {
  if (l.val) return forecastText(l.val);
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  const what = l.sampler === "dt"
    ? "stochastic eq. 3"
    : l.sampler === "chain"
    ? "chain"
    : `${l.sampler}, ${l.sampleSteps} steps`;
  return `test acc ${pct(l.testAcc!)} (${what})` +
    (l.testAccNoiseFree !== null ? `, ${pct(l.testAccNoiseFree)} (noise-free)` : "");
}
