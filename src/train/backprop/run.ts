/**
 * `trainBackprop(config)`: the backprop baseline's run (`deno task train --method backprop`),
 * with the same run folder as NoProp: `config.yaml`, `weights.safetensors` (the NoProp names
 * plus `mix.w` [T]; metadata `method: backprop`, `format: noprop-backprop`),
 * `checkpoint.safetensors` (the weights plus the AdamW moments `opt.all.*`, the position and the
 * z_0 stream `z0`; see `checkpoint_file.ts`) and `metrics.jsonl` with the same fields
 * (`trainLoss` holds the one cross-entropy; `testAccNoisy` and `testAccClean` are equal, the
 * chain has no sampler noise). The batches come from {@linkcode BackpropTeam}, the same data
 * order as NoProp's block trainers.
 *
 * The checkpoint is written after every epoch, when `maxSteps` is reached and on SIGINT, always
 * before evaluating; `opts.resumeDir` continues from it and ends with the same weights, bit for
 * bit, as a run that was never stopped.
 *
 * Not supported for the baseline (rejected with a message): `--workers` > 1 and `--variant`
 * other than `dt`.
 *
 * @example
 * ```ts
 * import { trainBackprop } from "./run.ts";
 * // await trainBackprop({ ...config, method: "backprop" }, { quiet: true });
 * ```
 * @module
 */
import { initBackend } from "../../backend/mod.ts";
import { type Config, configToYaml, resolveRunName } from "../../config.ts";
import { batches } from "../../data/batches.ts";
import { writeFileAtomic } from "../../atomic.ts";
import { tf } from "../../deps_tf.ts";
import type { NoPropDT } from "../../model/noprop.ts";
import type { Tensor } from "../../safetensors.ts";
import { batchesPerEpoch } from "../dt/trainer.ts";
import { assignModel, modelArrays } from "../dt/weights.ts";
import { type Position, readCheckpoint, writeCheckpoint } from "../../run/checkpoint.ts";
import { Interrupt } from "../interrupt.ts";
import { assignVariable, variableTensor } from "../named_tensors.ts";
import { runMetadata } from "../../run/metadata.ts";
import { epochBar } from "../progress.ts";
import { runEpoch } from "../epoch.ts";
import { limitSet, setupRun, trainerHyper } from "../dt/setup.ts";
import { createMix, evaluateBackprop, initClassifierFromEmbedding } from "../../model/backprop.ts";
import { BackpropTeam } from "./team.ts";
import type { TrainOptions, TrainResult } from "../mod.ts";

/**
 * The baseline's weights as named tensors: the NoProp-DT model's plus `mix.w` [T].
 *
 * @example
 * ```ts
 * import { backpropTensors } from "./run.ts";
 * // Object.keys(await backpropTensors(model, mix)).includes("mix.w"); // true
 * ```
 */
export async function backpropTensors(
  model: NoPropDT,
  mix: tf.Variable,
): Promise<Record<string, Tensor>> {
  return { ...await modelArrays(model), "mix.w": await variableTensor(mix) };
}

/**
 * Trains the backprop baseline as configured, or continues the run in `opts.resumeDir` from its
 * checkpoint (see the module doc).
 *
 * @example
 * ```ts
 * import { trainBackprop } from "./run.ts";
 * // const r = await trainBackprop({ ...config, method: "backprop", maxSteps: 30 });
 * // await trainBackprop({ ...config, method: "backprop" }, { resumeDir: r.runDir });
 * ```
 */
export async function trainBackprop(
  config: Config,
  opts: TrainOptions = {},
): Promise<TrainResult> {
  if (config.variant !== "dt") {
    throw new Error(
      "--method backprop is the discrete-time baseline (eq. 17–19): use --variant dt",
    );
  }
  if (config.workers > 1) {
    throw new Error("--method backprop trains end to end in one process: use --workers 1");
  }
  const cfg = resolveRunName(config);
  const runDir = opts.resumeDir ?? `${cfg.outDir}/${cfg.runName}`;
  const ck = opts.resumeDir ? await readCheckpoint(runDir, "noprop-backprop") : undefined;
  const backend = await initBackend(cfg.backend);
  const { data, train: trainSet, stats, model } = await setupRun(cfg);
  const testSet = limitSet(data.test, cfg.evalSamples);
  const mix = createMix(cfg.T);
  if (cfg.backpropClassifierInit === "embedding") initClassifierFromEmbedding(model);
  const meta: Record<string, string> = {
    ...runMetadata(cfg, data.info, model),
    format: "noprop-backprop",
    method: "backprop",
  };
  const team = new BackpropTeam(model, mix, trainerHyper(cfg), trainSet, stats);
  let pos: Position = { epoch: 0, batch: 0, step: 0 };
  if (ck) {
    assignModel(model, ck.tensors);
    assignVariable(mix, ck.tensors, "mix.w");
    team.load({ opt: ck.optimizer("all"), rng: ck.rng("z0") });
    pos = ck.pos;
  } else {
    await Deno.mkdir(runDir, { recursive: true });
    await writeFileAtomic(`${runDir}/config.yaml`, configToYaml(cfg));
  }
  const perEpoch = batchesPerEpoch(trainSet, cfg.batchSize);
  const lastStep = cfg.maxSteps > 0 ? cfg.maxSteps : Infinity;
  const stop = new Interrupt();
  const loop = { perEpoch, lastStep, syncEvery: cfg.syncEvery, stop };
  const log = (s: string) => opts.quiet || console.error(s);
  const params = backpropParamCount(model, mix);
  log(
    `backprop: training ${cfg.dataset} (T=${cfg.T}, ${params} params) on ${backend.name} → ${runDir}`,
  );
  const started = performance.now();
  let peakRss = 0;
  let last: TrainResult["last"];
  try {
    while (pos.epoch < cfg.epochs && pos.step < lastStep && !(await stop.requested())) {
      const bar = epochBar(pos.epoch, cfg, perEpoch, opts.quiet);
      const run = await runEpoch(team, { ...loop, pos, peakRss, losses: 1, bar });
      bar.finish();
      ({ pos, peakRss } = run);
      const { lossSum: [lossSum], batches: nBatches, seconds } = run;
      const epochDone = pos.batch >= perEpoch;
      const epochValue = epochDone ? pos.epoch + 1 : pos.epoch + pos.batch / perEpoch; // as NoProp's loop
      if (epochDone) pos = { epoch: pos.epoch + 1, batch: 0, step: pos.step };
      // Checkpoint before evaluating, so a failing evaluation never costs training work.
      const { opt, rng } = await team.state();
      await writeCheckpoint(runDir, await backpropTensors(model, mix), meta, {
        pos,
        optimizers: { all: opt },
        rngs: { z0: rng },
      });
      const finished = pos.epoch >= cfg.epochs || pos.step >= lastStep;
      let acc;
      if ((epochDone && pos.epoch % cfg.evalEvery === 0) || finished) {
        acc = await evaluateBackprop(
          model,
          mix,
          batches(testSet, { batchSize: cfg.evalBatch, stats }),
          { seed: cfg.seed + 1 },
        );
        last = { accNoisy: acc.acc, accClean: acc.acc };
      }
      const line = {
        epoch: epochValue,
        step: pos.step,
        trainLoss: [nBatches ? lossSum / nBatches : null],
        testAccNoisy: acc?.acc ?? null,
        testAccClean: acc?.acc ?? null,
        testCount: acc?.count ?? null,
        samplesPerSec: nBatches * cfg.batchSize / seconds,
        epochSeconds: seconds,
        wallSeconds: (performance.now() - started) / 1000,
        peakRssMB: peakRss / 2 ** 20,
        tensorMB: tf.memory().numBytes / 2 ** 20,
        alpha: Array.from(await tf.tanh(mix).data()),
      };
      await Deno.writeTextFile(`${runDir}/metrics.jsonl`, JSON.stringify(line) + "\n", {
        append: true,
      });
      if (acc) {
        log(
          `epoch ${epochValue}: test acc ${(acc.acc * 100).toFixed(2)}%, ${
            line.samplesPerSec.toFixed(0)
          } samples/s`,
        );
      }
    }
  } finally {
    stop.close();
    team.close();
  }
  if (stop.seen) {
    log(`interrupted at step ${pos.step}: checkpoint saved; continue with --resume ${runDir}`);
  }
  const wall = ((performance.now() - started) / 1000).toFixed(1);
  log(`done: ${pos.step} steps in ${wall} s → ${runDir}`);
  return { runDir, steps: pos.step, last, interrupted: stop.seen };
}

/**
 * Trainable scalars of the baseline (all blocks, classifier, learnable W_Embed, w_t).
 *
 * @example
 * ```ts
 * import { backpropParamCount } from "./run.ts";
 * // backpropParamCount(model, mix);
 * ```
 */
export function backpropParamCount(
  model: NoPropDT,
  mix: tf.Variable,
): number {
  return model.blocks.reduce((n, b) => n + b.size(), 0) + model.classifier.size() +
    (model.embedding.trainable ? model.embedding.W.size : 0) + mix.size;
}
