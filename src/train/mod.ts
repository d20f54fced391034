/**
 * `train(config)`: the NoProp-DT training loop (paper Algorithm 1), top to bottom; NoProp-CT/-FM
 * (`trainContinuous`) and the backprop baseline (`trainBackprop`) are dispatched from here.
 * Every one writes a run folder `<outDir>/<runName>/` with `config.yaml` (the effective config),
 * `weights.safetensors`, `checkpoint.safetensors` and `metrics.jsonl`, and every one continues
 * from its checkpoint with `opts.resumeDir` (the checkpoint must be of the same variant and
 * method).
 *
 * @example
 * ```ts
 * import { train } from "./mod.ts";
 * import { loadConfig } from "../config/load.ts";
 * // await train(await loadConfig({ overrides: { dataset: "mnist", epochs: "1" } }), {});
 * ```
 * @module
 */
import { initBackend } from "../backend/mod.ts";
import { type Config, configToYaml, resolveRunName } from "../config.ts";
import { batches } from "../data/batches.ts";
import { writeFileAtomic } from "../atomic.ts";
import { tf } from "../deps_tf.ts";
import { limitSet, setupRun, trainerHyper } from "./dt/setup.ts";
import { batchesPerEpoch, NonFiniteLossError } from "./dt/trainer.ts";
import { assignModel, loadCheckpoint, type Position, saveCheckpoint } from "./dt/weights.ts";
import { evaluateDT } from "./dt/evaluate.ts";
import { Interrupt } from "./interrupt.ts";
import { runMetadata } from "../run/metadata.ts";
import { epochBar } from "./progress.ts";
import { runEpoch } from "./epoch.ts";
import { LocalTeam, type Team, WorkerTeam } from "./dt/team.ts";
import { trainBackprop } from "./backprop/run.ts";
import { trainContinuous } from "./continuous/run.ts";

/** Options of {@linkcode train}. */
export interface TrainOptions {
  /** Continue the run in this folder from its `checkpoint.safetensors` (any variant or method). */
  resumeDir?: string;
  /** Quiet: no progress bar (tests). */
  quiet?: boolean;
}

/** What a finished (or interrupted) run reports. */
export interface TrainResult {
  /** The run folder. */
  runDir: string;
  /** Batches completed. */
  steps: number;
  /** Last evaluation, if any. */
  last?: { accNoisy: number; accClean: number };
  /** Stopped early by SIGINT (checkpoint saved). */
  interrupted: boolean;
}

/**
 * Trains as configured, or continues the run in `opts.resumeDir` (see the module doc).
 *
 * @example
 * ```ts
 * import { train } from "./mod.ts";
 * // const part = await train({ ...config, maxSteps: 27 }, { quiet: true });
 * // await train(config, { quiet: true, resumeDir: part.runDir }); // same weights as one run
 * ```
 */
export async function train(config: Config, opts: TrainOptions = {}): Promise<TrainResult> {
  if (config.method === "backprop") return trainBackprop(config, opts);
  if (config.variant !== "dt") return trainContinuous(config, opts);
  const cfg = resolveRunName(config);
  const runDir = opts.resumeDir ?? `${cfg.outDir}/${cfg.runName}`;
  const ck = opts.resumeDir ? await loadCheckpoint(runDir) : undefined; // fails fast
  const backend = await initBackend(cfg.backend);
  const { data, train: trainSet, stats, model } = await setupRun(cfg);
  const testSet = limitSet(data.test, cfg.evalSamples);
  const meta = runMetadata(cfg, data.info, model);
  let pos: Position = { epoch: 0, batch: 0, step: 0 };
  if (ck) {
    assignModel(model, ck.tensors);
    pos = ck.pos;
  } else {
    await Deno.mkdir(runDir, { recursive: true });
    await writeFileAtomic(`${runDir}/config.yaml`, configToYaml(cfg));
  }
  const team: Team = cfg.workers > 1
    ? await WorkerTeam.start(model, cfg, ck)
    : new LocalTeam(model, trainerHyper(cfg), trainSet, stats, ck);
  const perEpoch = batchesPerEpoch(trainSet, cfg.batchSize);
  const lastStep = cfg.maxSteps > 0 ? cfg.maxSteps : Infinity;
  const stop = new Interrupt();
  const loop = { perEpoch, lastStep, syncEvery: cfg.syncEvery, stop };
  const log = (s: string) => opts.quiet || console.error(s);
  log(
    `noprop: training ${cfg.dataset} (T=${cfg.T}, ${model.blocks[0].size()} params/block) ` +
      `on ${backend.name}${cfg.workers > 1 ? ` with ${cfg.workers} workers` : ""} → ${runDir}`,
  );
  const started = performance.now();
  let last: TrainResult["last"];
  let peakRss = 0;
  try {
    while (pos.epoch < cfg.epochs && pos.step < lastStep && !(await stop.requested())) {
      // One epoch: ranges of `syncEvery` batches (shared weights are averaged between ranges).
      const bar = epochBar(pos.epoch, cfg, perEpoch, opts.quiet);
      const run = await runEpoch(team, { ...loop, pos, peakRss, losses: cfg.T, bar });
      bar.finish();
      ({ pos, peakRss } = run);
      const { lossSum, batches: nBatches, seconds } = run;
      const epochDone = pos.batch >= perEpoch;
      if (epochDone) pos = { epoch: pos.epoch + 1, batch: 0, step: pos.step };
      const states = await team.collect(); // all block weights into `model`
      // Checkpoint before evaluating, so a failing evaluation never costs training work.
      await saveCheckpoint(runDir, model, meta, states, pos);
      // Evaluate (eq. 3 sampler, with and without noise) after every `evalEvery` epochs and at the end.
      let acc;
      const finished = pos.epoch >= cfg.epochs || pos.step >= lastStep;
      if (epochDone && (pos.epoch % cfg.evalEvery === 0 || finished) || (finished && !epochDone)) {
        acc = await evaluateDT(
          model,
          batches(testSet, { batchSize: cfg.evalBatch, stats }),
          { seed: cfg.seed + 1 },
        );
        last = { accNoisy: acc.accNoisy, accClean: acc.accClean };
      }
      const mem = tf.memory();
      const line = {
        epoch: epochDone ? pos.epoch : pos.epoch + pos.batch / perEpoch,
        step: pos.step,
        trainLoss: Array.from(lossSum, (v) => nBatches ? v / nBatches : null),
        testAccNoisy: acc?.accNoisy ?? null,
        testAccClean: acc?.accClean ?? null,
        testCount: acc?.count ?? null,
        samplesPerSec: nBatches * cfg.batchSize / seconds,
        blockSamplesPerSec: nBatches * cfg.batchSize * cfg.T / seconds,
        epochSeconds: seconds,
        wallSeconds: (performance.now() - started) / 1000,
        peakRssMB: peakRss / 2 ** 20,
        tensorMB: mem.numBytes / 2 ** 20,
      };
      await Deno.writeTextFile(`${runDir}/metrics.jsonl`, JSON.stringify(line) + "\n", {
        append: true,
      });
      if (acc) {
        log(
          `epoch ${line.epoch}: test acc ${(acc.accNoisy * 100).toFixed(2)}% (noisy sampler), ` +
            `${(acc.accClean * 100).toFixed(2)}% (noise-free), ${
              line.samplesPerSec.toFixed(0)
            } samples/s`,
        );
      }
    }
  } catch (err) {
    if (err instanceof NonFiniteLossError) {
      throw new Error(`${err.message}; the last good checkpoint in ${runDir} is kept`);
    }
    throw err;
  } finally {
    stop.close();
    team.close();
  }
  const wall = (performance.now() - started) / 1000;
  if (stop.seen) {
    log(`interrupted at step ${pos.step}: checkpoint saved; continue with --resume ${runDir}`);
  }
  log(
    `done: ${pos.step} steps in ${wall.toFixed(1)} s` +
      (last
        ? `, test acc ${(last.accNoisy * 100).toFixed(2)}% / ${
          (last.accClean * 100).toFixed(2)
        }% (noisy / noise-free)`
        : "") +
      ` → ${runDir}`,
  );
  return { runDir, steps: pos.step, last, interrupted: stop.seen };
}
