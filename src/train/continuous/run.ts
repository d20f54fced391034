/**
 * `trainContinuous(config)`: the NoProp-CT / NoProp-FM training loop (paper v1 Algorithms 2
 * and 3). Writes a run folder like the DT loop: `config.yaml`, `weights.safetensors` (`net.*`,
 * `cls.*`, `sched.*`, `embed.W`, metadata with the variant and shapes), `checkpoint.safetensors`
 * (the weights plus the AdamW moments `opt.all.*`, the position and the `noise` stream's
 * state; see `checkpoint_file.ts`) and `metrics.jsonl` (one line per epoch: train loss, test
 * accuracy of the configured sampler, samples/s, wall time). Evaluation: `sampler` with
 * `sampleSteps` steps (deterministic ODE, so `accNoisy` = `accClean` in the result).
 *
 * The checkpoint is written after every epoch, when `maxSteps` is reached and on SIGINT, always
 * before evaluating. `opts.resumeDir` continues from it: the batch order comes from
 * (seed, epoch) and the dropout masks from the step, so a run stopped mid-epoch and resumed
 * ends with the same weights, bit for bit, as one that was never stopped.
 *
 * Not supported for ct/fm (rejected with a one-line error): `--workers > 1`, the prototype
 * embedding.
 *
 * @example
 * ```ts
 * import { trainContinuous } from "./run.ts";
 * // await trainContinuous({ ...config, variant: "ct" }, { quiet: true });
 * ```
 * @module
 */
import { writeFileAtomic } from "../../atomic.ts";
import { initBackend } from "../../backend/mod.ts";
import { type Config, configToYaml, resolveRunName } from "../../config.ts";
import { resolveDataDir } from "../../config/resolve.ts";
import { batches } from "../../data/batches.ts";
import { loadDataset } from "../../data/mod.ts";
import { NORMALIZATION } from "../../data/normalize.ts";
import { tf } from "../../deps_tf.ts";
import {
  continuousArrays,
  continuousVariables,
  createContinuousModel,
  disposeContinuousModel,
} from "../../model/continuous_model.ts";
import { streamSeed } from "../../model/noprop.ts";
import { Rng } from "../../rng.ts";
import { AdamW } from "../adamw.ts";
import { batchesPerEpoch, epochBatches } from "../dt/trainer.ts";
import { type Position, readCheckpoint, writeCheckpoint } from "../../run/checkpoint.ts";
import { assignContinuousModel } from "./weights.ts";
import { type ContinuousState, continuousStep } from "./step.ts";
import { evaluateContinuous } from "./evaluate.ts";
import { continuousMetadata } from "../../run/metadata.ts";
import type { TrainOptions, TrainResult } from "../mod.ts";
import { Interrupt } from "../interrupt.ts";
import { f32Tensors } from "../named_tensors.ts";
import { epochBar } from "../progress.ts";
import { limitSet } from "../dt/setup.ts";

/**
 * Trains NoProp-CT or NoProp-FM as configured, or continues the run in `opts.resumeDir` from
 * its checkpoint (see the module doc).
 *
 * @example
 * ```ts
 * import { trainContinuous } from "./run.ts";
 * // const r = await trainContinuous({ ...config, variant: "fm", maxSteps: 30 });
 * // await trainContinuous({ ...config, variant: "fm" }, { resumeDir: r.runDir });
 * ```
 */
export async function trainContinuous(
  config: Config,
  opts: TrainOptions = {},
): Promise<TrainResult> {
  if (config.variant === "dt") throw new Error("trainContinuous: variant must be ct or fm");
  if (config.workers > 1) {
    throw new Error(`--workers > 1 is not supported for --variant ${config.variant}`);
  }
  const cfg = resolveRunName(config);
  const variant = config.variant;
  const runDir = opts.resumeDir ?? `${cfg.outDir}/${cfg.runName}`;
  const ck = opts.resumeDir ? await readCheckpoint(runDir, `noprop-${variant}`) : undefined;
  const backend = await initBackend(cfg.backend);
  const dataDir = resolveDataDir(cfg);
  const data = await loadDataset(cfg.dataset, dataDir ? { dataDir } : {});
  const trainSet = limitSet(data.train, cfg.trainLimit);
  const testSet = limitSet(data.test, cfg.evalSamples);
  const stats = NORMALIZATION[cfg.dataset];
  const { height, width, channels, numClasses } = data.info;
  const model = createContinuousModel({
    variant,
    image: { height, width, channels },
    classes: numClasses,
    embedding: cfg.embedding,
    embedDim: cfg.embeddingDim,
    widths: cfg.widths as [number, number, number],
    hidden: cfg.hidden,
    seed: cfg.seed,
    gamma0: cfg.ctGamma0,
    gamma1: cfg.ctGamma1,
    gammaHidden: cfg.ctGammaHidden,
  });
  const meta = continuousMetadata(data.info, model);
  const state: ContinuousState = {
    model,
    opt: new AdamW(continuousVariables(model), {
      lr: cfg.lr,
      weightDecay: cfg.weightDecay,
      beta1: cfg.beta1,
      beta2: cfg.beta2,
      eps: cfg.adamEps,
    }),
    eta: cfg.eta,
    fmSigma: cfg.fmSigma,
    dropout: cfg.dropout,
  };
  let noise = new Rng(streamSeed(cfg.seed, 3000));
  let pos: Position = { epoch: 0, batch: 0, step: 0 };
  if (ck) {
    assignContinuousModel(model, ck.tensors);
    state.opt.load(ck.optimizer("all"));
    noise = Rng.fromState(ck.rng("noise"));
    pos = ck.pos;
  } else {
    await Deno.mkdir(runDir, { recursive: true });
    await writeFileAtomic(`${runDir}/config.yaml`, configToYaml(cfg));
  }
  const B = cfg.batchSize, d = model.embedding.dim;
  const perEpoch = batchesPerEpoch(trainSet, B);
  const lastStep = cfg.maxSteps > 0 ? cfg.maxSteps : Infinity;
  const log = (s: string) => opts.quiet || console.error(s);
  log(
    `noprop: training ${cfg.dataset} (NoProp-${cfg.variant.toUpperCase()}, ${model.net.size()} ` +
      `params) on ${backend.name} → ${runDir}`,
  );
  const stop = new Interrupt();
  const started = performance.now();
  let last: TrainResult["last"];
  try {
    while (pos.epoch < cfg.epochs && pos.step < lastStep && !(await stop.requested())) {
      const bar = epochBar(pos.epoch, cfg, perEpoch, opts.quiet);
      let lossSum = 0, nBatches = 0;
      const t0 = performance.now();
      const it = epochBatches(trainSet, stats, cfg, pos.epoch, pos.batch);
      for (const b of it) {
        if (pos.step >= lastStep || await stop.requested()) break;
        const x = tf.tensor4d(b.x, [B, height, width, channels]);
        const y = tf.tensor1d(b.y, "int32");
        const n = {
          t: tf.tensor1d(Float32Array.from({ length: B }, () => noise.uniform())),
          e1: tf.tensor2d(noise.fillNormal(new Float32Array(B * d)), [B, d]),
          e2: tf.tensor2d(noise.fillNormal(new Float32Array(B * d)), [B, d]),
        };
        const loss = continuousStep(state, x, y, n, streamSeed(pos.step, 7000));
        const v = (await loss.data())[0];
        tf.dispose([x, y, n.t, n.e1, n.e2, loss]);
        if (!Number.isFinite(v)) {
          throw new Error(
            `loss is ${v} at step ${pos.step}: training stopped; the last good checkpoint in ` +
              `${runDir} is kept`,
          );
        }
        lossSum += v;
        nBatches++;
        pos = { ...pos, batch: pos.batch + 1, step: pos.step + 1 };
        bar.update(pos.batch, v);
      }
      const seconds = (performance.now() - t0) / 1000;
      bar.finish();
      const epochDone = pos.batch >= perEpoch;
      const epochValue = epochDone ? pos.epoch + 1 : pos.epoch + pos.batch / perEpoch;
      if (epochDone) pos = { epoch: pos.epoch + 1, batch: 0, step: pos.step };
      // Checkpoint before evaluating, so a failing evaluation never costs training work.
      await writeCheckpoint(runDir, f32Tensors(await continuousArrays(model)), meta, {
        pos,
        optimizers: { all: await state.opt.state() },
        rngs: { noise: noise.state() },
      });
      const finished = pos.epoch >= cfg.epochs || pos.step >= lastStep || stop.seen;
      let acc;
      if ((epochDone && pos.epoch % cfg.evalEvery === 0) || finished) {
        acc = await evaluateContinuous(
          model,
          batches(testSet, { batchSize: cfg.evalBatch, stats }),
          { seed: cfg.seed + 1, sampler: cfg.sampler, steps: cfg.sampleSteps },
        );
        last = { accNoisy: acc.acc, accClean: acc.acc };
        log(
          `epoch ${epochValue}: test acc ${(acc.acc * 100).toFixed(2)}% (${cfg.sampler}, ` +
            `${cfg.sampleSteps} steps), ${(nBatches * B / seconds).toFixed(0)} samples/s`,
        );
      }
      const line = {
        epoch: epochValue,
        step: pos.step,
        trainLoss: nBatches ? lossSum / nBatches : null,
        testAcc: acc?.acc ?? null,
        testCount: acc?.count ?? null,
        sampler: cfg.sampler,
        sampleSteps: cfg.sampleSteps,
        samplesPerSec: nBatches * B / seconds,
        epochSeconds: seconds,
        wallSeconds: (performance.now() - started) / 1000,
        tensorMB: tf.memory().numBytes / 2 ** 20,
      };
      await Deno.writeTextFile(`${runDir}/metrics.jsonl`, JSON.stringify(line) + "\n", {
        append: true,
      });
      if (!epochDone) break;
    }
  } finally {
    stop.close();
    state.opt.dispose();
    disposeContinuousModel(model);
  }
  if (stop.seen) {
    log(`interrupted at step ${pos.step}: checkpoint saved; continue with --resume ${runDir}`);
  }
  const wall = ((performance.now() - started) / 1000).toFixed(1);
  log(`done: ${pos.step} steps in ${wall} s → ${runDir}`);
  return { runDir, steps: pos.step, last, interrupted: stop.seen };
}
