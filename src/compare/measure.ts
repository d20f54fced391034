/**
 * Measurements the comparison makes in its own process, after both runs: the peak tensor
 * memory of one training step of each method (`tf.profile`'s `peakBytes`: every tensor alive
 * at once during the step, activations kept for the backward pass included), and the final
 * train accuracy of each run's saved weights.
 *
 * @example
 * ```ts
 * import { measureMethods } from "./measure.ts";
 * // const m = await measureMethods(config, { noprop: "models/x/noprop", backprop: "models/x/backprop" });
 * ```
 * @module
 */
import { tf } from "../deps_tf.ts";
import type { Config } from "../config/schema.ts";
import { batches } from "../data/batches.ts";
import { loadSafetensors } from "../safetensors.ts";
import { BlockTrainer } from "../train/dt/trainer.ts";
import { assignModel } from "../train/dt/weights.ts";
import { evaluateDT } from "../train/dt/evaluate.ts";
import { limitSet, setupRun, trainerHyper } from "../train/dt/setup.ts";
import { backpropVariables, createMix, evaluateBackprop } from "../model/backprop.ts";
import { BackpropTeam } from "../train/backprop/team.ts";
import { disposeModel } from "../model/noprop.ts";

/** The training images used for the final train accuracy (at most this many). */
export const TRAIN_ACC_IMAGES = 10000;

/** What {@linkcode measureMethods} returns per method. */
export interface MethodMeasure {
  /** Peak tensor bytes during one training step (one batch through every block). */
  stepPeakBytes: number;
  /** Accuracy on the first {@linkcode TRAIN_ACC_IMAGES} training images. */
  trainAcc: number;
  /** Trainable scalars. */
  params: number;
  /** Training images the train accuracy was measured on. */
  trainImages: number;
}

/**
 * Measures both methods (see the module doc). `runDirs` are the finished run folders.
 *
 * @example
 * ```ts
 * import { measureMethods } from "./measure.ts";
 * // (await measureMethods(cfg, dirs)).backprop.stepPeakBytes;
 * ```
 */
export async function measureMethods(
  cfg: Config,
  runDirs: { noprop: string; backprop: string },
): Promise<{ noprop: MethodMeasure; backprop: MethodMeasure }> {
  const hyper = trainerHyper(cfg);
  const peak = async (build: () => Promise<unknown>) =>
    (await tf.profile(async () => {
      await build();
      return [];
    })).peakBytes;

  // NoProp: one batch through all T blocks, each with its own local step.
  const np = await setupRun(cfg);
  const T = np.model.blocks.length;
  const bt = new BlockTrainer(
    np.model,
    hyper,
    np.model.blocks.map((_, i) => i + 1),
    np.train,
    np.stats,
  );
  const npPeak = await peak(() => bt.runBatches(0, 0, 1));
  assignModel(np.model, (await loadSafetensors(`${runDirs.noprop}/weights.safetensors`)).tensors);
  const trainSet = limitSet(np.train, Math.min(np.train.count, TRAIN_ACC_IMAGES));
  const evalBatches = () => batches(trainSet, { batchSize: cfg.evalBatch, stats: np.stats });
  const npAcc = await evaluateDT(np.model, evalBatches(), { seed: cfg.seed + 1 });
  const npParams = np.model.blocks.reduce((n, b) => n + b.size(), 0) +
    np.model.classifier.size() + (np.model.embedding.trainable ? np.model.embedding.W.size : 0);

  // Backprop: one batch through the chain and back.
  const bp = await setupRun(cfg);
  const mix = createMix(T);
  const team = new BackpropTeam(bp.model, mix, hyper, bp.train, bp.stats);
  const bpPeak = await peak(() => team.run(0, 0, 1, () => {}));
  team.close();
  const bpTensors = (await loadSafetensors(`${runDirs.backprop}/weights.safetensors`)).tensors;
  assignModel(bp.model, bpTensors);
  const w = bpTensors["mix.w"];
  if (!w) throw new Error(`${runDirs.backprop}/weights.safetensors has no "mix.w"`);
  tf.tidy(() => mix.assign(tf.tensor(w.data as Float32Array, w.shape, "float32")));
  const bpAcc = await evaluateBackprop(bp.model, mix, evalBatches(), { seed: cfg.seed + 1 });
  const bpParams = backpropVariables(bp.model, mix).reduce((n, v) => n + v.size, 0);
  disposeModel(np.model);
  disposeModel(bp.model);
  mix.dispose();
  return {
    noprop: {
      stepPeakBytes: npPeak,
      trainAcc: npAcc.accNoisy,
      params: npParams,
      trainImages: trainSet.count,
    },
    backprop: {
      stepPeakBytes: bpPeak,
      trainAcc: bpAcc.acc,
      params: bpParams,
      trainImages: trainSet.count,
    },
  };
}
