/**
 * `trainContinuous(config)`: the NoProp-CT / NoProp-FM training loop (paper v1 Algorithms 2
 * and 3). Writes a run folder like the DT loop: `config.yaml`, `weights.safetensors` (`net.*`,
 * `cls.*`, `sched.*`, `embed.W`, metadata with the variant and shapes, after every epoch) and
 * `metrics.jsonl` (one line per epoch: train loss, test accuracy of the configured sampler,
 * samples/s, wall time). Evaluation: `sampler` with `sampleSteps` steps (deterministic ODE,
 * so `accNoisy` = `accClean` in the result).
 *
 * Not supported yet for ct/fm (rejected with a one-line error): `--resume`, `--workers > 1`,
 * the prototype embedding.
 *
 * @example
 * ```ts
 * import { trainContinuous } from "./continuous.ts";
 * // await trainContinuous({ ...config, variant: "ct" }, { quiet: true });
 * ```
 * @module
 */
import { writeFileAtomic } from "../atomic.ts";
import { initBackend } from "../backend/mod.ts";
import { type Config, configToYaml, resolveRunName } from "../config.ts";
import { resolveDataDir } from "../config/resolve.ts";
import { batches } from "../data/batches.ts";
import { loadDataset } from "../data/mod.ts";
import { NORMALIZATION } from "../data/normalize.ts";
import { tf } from "../deps.ts";
import {
  continuousArrays,
  type ContinuousModel,
  continuousVariables,
  createContinuousModel,
  disposeContinuousModel,
} from "../model/continuous_model.ts";
import { streamSeed } from "../model/noprop.ts";
import { Rng } from "../rng.ts";
import { saveSafetensors, type Tensor } from "../safetensors.ts";
import { AdamW } from "./adamw.ts";
import { batchesPerEpoch } from "./block_trainer.ts";
import { type ContinuousState, continuousStep } from "./continuous_step.ts";
import { evaluateContinuous } from "./continuous_eval.ts";
import type { TrainOptions, TrainResult } from "./mod.ts";
import { ProgressBar } from "./progress.ts";
import { limitSet } from "./setup.ts";

/**
 * Writes `weights.safetensors` of a continuous model (metadata: format, variant, shapes).
 *
 * @example
 * ```ts
 * import { saveContinuousWeights } from "./continuous.ts";
 * // await saveContinuousWeights("models/run", model, config, ["0", "1", …]);
 * ```
 */
export async function saveContinuousWeights(
  runDir: string,
  m: ContinuousModel,
  cfg: Config,
  classNames: string[],
): Promise<void> {
  const tensors: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(await continuousArrays(m))) {
    tensors[k] = { dtype: "F32", shape: v.shape, data: Float32Array.from(v.data) };
  }
  await saveSafetensors(`${runDir}/weights.safetensors`, tensors, {
    format: `noprop-${m.variant}`,
    variant: m.variant,
    dataset: cfg.dataset,
    spec: JSON.stringify(m.spec),
    embedding: m.embedding.kind,
    classNames: JSON.stringify(classNames),
    normalization: JSON.stringify({
      mean: NORMALIZATION[cfg.dataset].mean,
      std: NORMALIZATION[cfg.dataset].std,
      scale: 1 / 255,
    }),
  });
}

/** Trains NoProp-CT or NoProp-FM as configured (see the module doc). */
export async function trainContinuous(
  config: Config,
  opts: TrainOptions = {},
): Promise<TrainResult> {
  if (config.variant === "dt") throw new Error("trainContinuous: variant must be ct or fm");
  if (opts.resumeDir) throw new Error(`--resume is not supported for --variant ${config.variant}`);
  if (config.workers > 1) {
    throw new Error(`--workers > 1 is not supported for --variant ${config.variant}`);
  }
  const cfg = resolveRunName(config);
  const variant = config.variant;
  const runDir = `${cfg.outDir}/${cfg.runName}`;
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
  await Deno.mkdir(runDir, { recursive: true });
  await writeFileAtomic(`${runDir}/config.yaml`, configToYaml(cfg));
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
  const B = cfg.batchSize, d = model.embedding.dim;
  const perEpoch = batchesPerEpoch(trainSet, B);
  const lastStep = cfg.maxSteps > 0 ? cfg.maxSteps : Infinity;
  const noise = new Rng(streamSeed(cfg.seed, 3000));
  const log = (s: string) => opts.quiet || console.error(s);
  log(
    `noprop: training ${cfg.dataset} (NoProp-${cfg.variant.toUpperCase()}, ${model.net.size()} ` +
      `params) on ${backend.name} → ${runDir}`,
  );
  let interrupted = false;
  const onSigint = () => interrupted = true;
  Deno.addSignalListener("SIGINT", onSigint);
  const started = performance.now();
  let step = 0, epoch = 0;
  let last: TrainResult["last"];
  try {
    while (epoch < cfg.epochs && step < lastStep && !interrupted) {
      const bar = new ProgressBar({
        epoch: epoch + 1,
        epochs: cfg.epochs,
        total: perEpoch,
        batchSize: B,
        ...(opts.quiet ? { write: () => {} } : {}),
      });
      let lossSum = 0, nBatches = 0;
      const t0 = performance.now();
      const it = batches(trainSet, {
        batchSize: B,
        stats,
        rng: new Rng(streamSeed(cfg.seed, 5000 + epoch)),
        dropLast: true,
      });
      for (const b of it) {
        if (step >= lastStep || interrupted) break;
        const x = tf.tensor4d(b.x, [B, height, width, channels]);
        const y = tf.tensor1d(b.y, "int32");
        const n = {
          t: tf.tensor1d(Float32Array.from({ length: B }, () => noise.uniform())),
          e1: tf.tensor2d(noise.fillNormal(new Float32Array(B * d)), [B, d]),
          e2: tf.tensor2d(noise.fillNormal(new Float32Array(B * d)), [B, d]),
        };
        const loss = continuousStep(state, x, y, n, streamSeed(step, 7000));
        const v = (await loss.data())[0];
        tf.dispose([x, y, n.t, n.e1, n.e2, loss]);
        if (!Number.isFinite(v)) throw new Error(`loss is ${v} at step ${step}: training stopped`);
        lossSum += v;
        nBatches++;
        step++;
        bar.update(nBatches, v);
      }
      const seconds = (performance.now() - t0) / 1000;
      bar.finish();
      const epochDone = nBatches === perEpoch;
      if (epochDone) epoch++;
      const finished = epoch >= cfg.epochs || step >= lastStep || interrupted;
      let acc;
      if ((epochDone && epoch % cfg.evalEvery === 0) || finished) {
        acc = await evaluateContinuous(
          model,
          batches(testSet, { batchSize: cfg.evalBatch, stats }),
          { seed: cfg.seed + 1, sampler: cfg.sampler, steps: cfg.sampleSteps },
        );
        last = { accNoisy: acc.acc, accClean: acc.acc };
        log(
          `epoch ${epoch}: test acc ${(acc.acc * 100).toFixed(2)}% (${cfg.sampler}, ` +
            `${cfg.sampleSteps} steps), ${(nBatches * B / seconds).toFixed(0)} samples/s`,
        );
      }
      const line = {
        epoch: epochDone ? epoch : epoch + nBatches / perEpoch,
        step,
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
      await saveContinuousWeights(runDir, model, cfg, data.info.classNames);
      if (!epochDone) break;
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
    state.opt.dispose();
    disposeContinuousModel(model);
  }
  log(`done: ${step} steps in ${((performance.now() - started) / 1000).toFixed(1)} s → ${runDir}`);
  return { runDir, steps: step, last, interrupted };
}
