/**
 * `trainBackprop(config)`: the backprop baseline's run (`deno task train --method backprop`),
 * with the same run folder as NoProp: `config.yaml`, `weights.safetensors` (the NoProp names
 * plus `mix.w` [T]; metadata `method: backprop`, `format: noprop-backprop`) and `metrics.jsonl`
 * with the same fields (`trainLoss` holds the one cross-entropy; `testAccNoisy` and
 * `testAccClean` are equal, the chain has no sampler noise). The batches come from
 * {@linkcode BackpropTeam}, the same data order as NoProp's block trainers.
 *
 * Not supported for the baseline (rejected with a message): `--resume`, `--workers` > 1 and
 * `--variant` other than `dt`.
 * The ONNX exporter rejects its weights (format `noprop-backprop`) until it learns the chain.
 *
 * @example
 * ```ts
 * import { trainBackprop } from "./backprop.ts";
 * // await trainBackprop({ ...config, method: "backprop" }, { quiet: true });
 * ```
 * @module
 */
import { initBackend } from "../backend/mod.ts";
import { type Config, configToYaml, resolveRunName } from "../config.ts";
import { batches } from "../data/batches.ts";
import { writeFileAtomic } from "../atomic.ts";
import { tf } from "../deps.ts";
import { saveSafetensors } from "../safetensors.ts";
import { batchesPerEpoch } from "./block_trainer.ts";
import { modelArrays } from "./checkpoint.ts";
import { runMetadata } from "./metadata.ts";
import { ProgressBar } from "./progress.ts";
import { limitSet, setupRun, trainerHyper } from "./setup.ts";
import { createMix, evaluateBackprop } from "./backprop_model.ts";
import { BackpropTeam } from "./backprop_team.ts";
import type { TrainOptions, TrainResult } from "./mod.ts";

/**
 * Saves `weights.safetensors` of the baseline: the model's tensors plus `mix.w`.
 *
 * @example
 * ```ts
 * import { saveBackpropWeights } from "./backprop.ts";
 * // await saveBackpropWeights(runDir, model, mix, meta);
 * ```
 */
export async function saveBackpropWeights(
  dir: string,
  model: Parameters<typeof modelArrays>[0],
  mix: tf.Variable,
  meta: Record<string, string>,
): Promise<void> {
  const tensors = await modelArrays(model);
  tensors["mix.w"] = {
    dtype: "F32",
    shape: mix.shape.slice(),
    data: (await mix.data()) as Float32Array<ArrayBuffer>,
  };
  await saveSafetensors(`${dir}/weights.safetensors`, tensors, meta);
}

/** Trains the backprop baseline as configured (see the module doc). */
export async function trainBackprop(
  config: Config,
  opts: TrainOptions = {},
): Promise<TrainResult> {
  if (opts.resumeDir) throw new Error("--resume is not supported with --method backprop");
  if (config.variant !== "dt") {
    throw new Error(
      "--method backprop is the discrete-time baseline (eq. 17–19): use --variant dt",
    );
  }
  if (config.workers > 1) {
    throw new Error("--method backprop trains end to end in one process: use --workers 1");
  }
  const cfg = resolveRunName(config);
  const runDir = `${cfg.outDir}/${cfg.runName}`;
  const backend = await initBackend(cfg.backend);
  const { data, train: trainSet, stats, model } = await setupRun(cfg);
  const testSet = limitSet(data.test, cfg.evalSamples);
  const mix = createMix(cfg.T);
  const meta: Record<string, string> = {
    ...runMetadata(cfg, data.info, model),
    format: "noprop-backprop",
    method: "backprop",
  };
  await Deno.mkdir(runDir, { recursive: true });
  await writeFileAtomic(`${runDir}/config.yaml`, configToYaml(cfg));
  const team = new BackpropTeam(model, mix, trainerHyper(cfg), trainSet, stats);
  const perEpoch = batchesPerEpoch(trainSet, cfg.batchSize);
  const lastStep = cfg.maxSteps > 0 ? cfg.maxSteps : Infinity;
  const log = (s: string) => opts.quiet || console.error(s);
  const params = backpropParamCount(model, mix);
  log(
    `backprop: training ${cfg.dataset} (T=${cfg.T}, ${params} params) on ${backend.name} → ${runDir}`,
  );
  const started = performance.now();
  let step = 0, epoch = 0, peakRss = 0;
  let last: TrainResult["last"];
  try {
    while (epoch < cfg.epochs && step < lastStep) {
      const bar = new ProgressBar({
        epoch: epoch + 1,
        epochs: cfg.epochs,
        total: perEpoch,
        batchSize: cfg.batchSize,
        ...(opts.quiet ? { write: () => {} } : {}),
      });
      let done = 0, lossSum = 0, batch = 0;
      const t0 = performance.now();
      while (batch < perEpoch && step < lastStep) {
        const to = Math.min(perEpoch, batch + cfg.syncEvery, batch + (lastStep - step));
        const r = await team.run(epoch, batch, to, (loss) => bar.update(++done, loss));
        lossSum += r.lossSum[0];
        batch += r.batches;
        step += r.batches;
        peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
      }
      const seconds = (performance.now() - t0) / 1000;
      bar.finish();
      const epochDone = batch >= perEpoch;
      const epochValue = epochDone ? epoch + 1 : epoch + batch / perEpoch; // as NoProp's loop
      if (epochDone) epoch++;
      const finished = epoch >= cfg.epochs || step >= lastStep;
      let acc;
      if ((epochDone && epoch % cfg.evalEvery === 0) || finished) {
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
        step,
        trainLoss: [done ? lossSum / done : null],
        testAccNoisy: acc?.acc ?? null,
        testAccClean: acc?.acc ?? null,
        testCount: acc?.count ?? null,
        samplesPerSec: done * cfg.batchSize / seconds,
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
          `epoch ${epoch}: test acc ${(acc.acc * 100).toFixed(2)}%, ${
            line.samplesPerSec.toFixed(0)
          } samples/s`,
        );
      }
      await saveBackpropWeights(runDir, model, mix, meta);
    }
  } finally {
    team.close();
  }
  log(`done: ${step} steps in ${((performance.now() - started) / 1000).toFixed(1)} s → ${runDir}`);
  return { runDir, steps: step, last, interrupted: false };
}

/**
 * Trainable scalars of the baseline (all blocks, classifier, learnable W_Embed, w_t).
 *
 * @example
 * ```ts
 * import { backpropParamCount } from "./backprop.ts";
 * // backpropParamCount(model, mix);
 * ```
 */
export function backpropParamCount(
  model: Parameters<typeof modelArrays>[0],
  mix: tf.Variable,
): number {
  return model.blocks.reduce((n, b) => n + b.size(), 0) + model.classifier.size() +
    (model.embedding.trainable ? model.embedding.W.size : 0) + mix.size;
}
