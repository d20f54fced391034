/**
 * The states a distributed run starts from (`unit_state.ts` kinds): from the freshly built model
 * (AdamW moments zero, noise streams `(seed, 3000 + t)` as in `trainer.ts`), or from a run
 * folder's checkpoint (the model already holds its weights). Because the encoding is canonical,
 * a state rebuilt here from the checkpoint this run wrote is byte for byte the state a worker
 * produced, so finished units are recognised and reused after a restart.
 *
 * Checkpoint names, as a one-process run writes them: `block_XX` and the random stream `t` for
 * block t, `shared_0` for the shared parameters' AdamW (the classifier unit's in a one-hot run,
 * the submitter's in a central one; a `--workers` checkpoint gives its first worker's).
 *
 * @module
 */
import type { tf } from "../deps_tf.ts";
import { type NoPropDT, streamSeed } from "../model/noprop.ts";
import { Rng } from "../rng.ts";
import type { CheckpointFile } from "../run/checkpoint.ts";
import type { AdamWState } from "../train/adamw.ts";
import { sharedVariables } from "../train/dt/step.ts";
import { blockPrefix } from "../train/dt/weights.ts";
import { type SharedMode, sharedState } from "./unit_train.ts";
import type { UnitState } from "./unit_state.ts";

/** A fresh AdamW's state for `vars` (step 0, zero moments), as `AdamW.state()` gives it. */
export function zeroAdam(vars: tf.Variable[]): AdamWState {
  return {
    step: 0,
    m: vars.map((v) => new Float32Array(v.size)),
    v: vars.map((v) => new Float32Array(v.size)),
  };
}

/** The starting states of every part (see the module doc). */
export async function initialStates(
  model: NoPropDT,
  seed: number,
  mode: SharedMode,
  ck?: CheckpointFile,
): Promise<
  { blocks: UnitState[]; classifier?: UnitState; shared: UnitState; sharedOpt: AdamWState }
> {
  const T = model.blocks.length;
  const rng = (t: number) => ck?.rng(String(t)) ?? new Rng(streamSeed(seed, 3000 + t)).state();
  const sharedOpt = ck ? ck.optimizer("shared_0") : zeroAdam(sharedVariables(model));
  const blocks: UnitState[] = [];
  for (let t = 1; t <= T; t++) {
    const b = model.blocks[t - 1];
    const optimizers: UnitState["optimizers"] = {
      block: ck ? ck.optimizer(blockPrefix(t)) : zeroAdam(b.variables()),
    };
    blocks.push({ params: await b.toArrays(), optimizers, rngs: { noise: rng(t) } });
  }
  let classifier: UnitState | undefined;
  if (mode === "onehot") {
    const rngs: UnitState["rngs"] = {};
    for (let t = 1; t <= T; t++) rngs[t] = rng(t);
    classifier = {
      params: await model.classifier.toArrays(),
      optimizers: { shared: sharedOpt },
      rngs,
    };
  }
  return { blocks, classifier, shared: await sharedState(model), sharedOpt };
}
