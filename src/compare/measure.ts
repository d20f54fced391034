/**
 * Measurements the comparison makes in its own process, after both runs, through the same
 * {@linkcode TrainMethod} seam the training loop uses: the peak tensor memory of one training
 * step of each method (`tf.profile`'s `peakBytes`: every tensor alive at once during the step,
 * activations kept for the backward pass included), and the final train accuracy of each run
 * (the method restored from its checkpoint, evaluated on training images).
 *
 * No example here: it needs two finished training runs (`tests/compare_test.ts` measures tiny
 * ones).
 *
 * @module
 */
import { tf } from "../deps_tf.ts";
import type { Config } from "../config/schema.ts";
import { readCheckpoint } from "../run/checkpoint.ts";
import { limitSet, loadRunData, type RunData } from "../train/batches.ts";
import { createMethod, formatOf } from "../train/methods.ts";
import { isForecastEvaluation } from "../train/method.ts";

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

async function measure(cfg: Config, run: RunData, runDir: string): Promise<MethodMeasure> {
  const fresh = await createMethod({ cfg, run });
  const stepPeakBytes = (await tf.profile(async () => {
    await fresh.run(0, 0, 1, () => {});
    return [];
  })).peakBytes;
  fresh.close();
  // The finished run, evaluated on training images instead of the test split.
  const train = limitSet(run.train, TRAIN_ACC_IMAGES);
  const checkpoint = await readCheckpoint(runDir, formatOf(cfg));
  const trained = await createMethod({ cfg, run: { ...run, test: train }, checkpoint });
  const acc = await trained.evaluate();
  trained.close();
  if (isForecastEvaluation(acc)) throw new Error("deno task compare measures classifiers");
  return { stepPeakBytes, trainAcc: acc.acc, params: trained.params, trainImages: train.count };
}

/**
 * Measures both methods (see the module doc). `runDirs` are the finished run folders.
 */
export async function measureMethods(
  cfg: Config,
  runDirs: { noprop: string; backprop: string },
): Promise<{ noprop: MethodMeasure; backprop: MethodMeasure }> {
  const run = await loadRunData(cfg);
  const one = { ...cfg, workers: 1 };
  return {
    noprop: await measure({ ...one, method: "noprop" }, run, runDirs.noprop),
    backprop: await measure({ ...one, method: "backprop" }, run, runDirs.backprop),
  };
}
