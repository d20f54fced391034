/**
 * Trains one work unit (`units.ts`) in a worker, with the training code of a local run: block
 * units go through {@linkcode BlockTrainer} (the `--workers` trainer, `runRange` inside), the
 * classifier unit through {@linkcode ClassifierTrainer}. A unit is trained in chunks of
 * `checkpointEvery` batches; after each chunk but the last its whole state (weights, BatchNorm
 * statistics, AdamW moments, noise stream, the shared copy, the loss so far) is saved as a unit
 * checkpoint, so a retry on another worker starts from there and, since every random draw is
 * derived from the seed and the position (`trainer.ts`), finishes with the same bytes as an
 * uninterrupted unit. Between chunks the event loop runs, which keeps the worker's job lock
 * renewed (BullMQ's stalled-job detection): a chunk must take less than the lock time.
 *
 * States (`unit_state.ts` kinds): `block` (block t's parameters, its AdamW `block` and its noise
 * stream `noise`); `block-ck` (the same plus the worker's current shared weights as
 * `shared:<name>`, with the one-hot run's classifier-copy AdamW `shared`, or the central run's
 * shared gradients so far as `grad:<batch of the unit>:<i>`); `classifier` (the classifier, its
 * AdamW `shared` and the T noise streams by t); `shared` (the classifier and W_Embed, the weights
 * every block unit starts from); `grads` (a central block unit's gradients of the shared
 * parameters, `g.<batch>.<i>` in the shared AdamW's variable order).
 *
 * In a central run (learnable W_Embed) the block trainer's shared optimizer is an
 * {@linkcode UpdateRecorder}: the shared parameters stay at the range's start while block t
 * trains, and the gradients go to the submitter (`method.ts`).
 *
 * @module
 */
import type { Config } from "../config/schema.ts";
import type { NoPropDT } from "../model/noprop.ts";
import type { ParamArrays } from "../model/params.ts";
import type { RunData } from "../train/batches.ts";
import { ClassifierTrainer } from "../train/dt/classifier_trainer.ts";
import { assignShared, sharedArrays } from "../train/dt/team.ts";
import { BlockTrainer, type TrainerHyper } from "../train/dt/trainer.ts";
import { sharedVariables } from "../train/dt/step.ts";
import { UpdateRecorder } from "./recorder.ts";
import type { BlobStore } from "./store.ts";
import { decodeUnitState, encodeUnitState, type UnitState } from "./unit_state.ts";
import type { UnitCheckpoint, UnitJob } from "./units.ts";

/** How the shared parameters are handled: see `method.ts`. */
export type SharedMode = "onehot" | "central";

/** A run as a worker holds it: config, data, model (all T blocks) and trainer settings. */
export interface RunSetup {
  /** The run's config. */
  cfg: Config;
  /** The data. */
  run: RunData;
  /** The model the units are trained in (weights overwritten by each unit's input). */
  model: NoPropDT;
  /** Trainer hyper-parameters. */
  hyper: TrainerHyper;
  /** One-hot (classifier unit, exact) or central (shared gradients applied by the submitter). */
  mode: SharedMode;
}

/** What a unit needs from its surroundings (Redis in a worker, a test's stand-ins elsewhere). */
export interface UnitIo {
  /** Where states are read and written. */
  store: BlobStore;
  /** Batches per chunk (between unit checkpoints). */
  checkpointEvery: number;
  /** The unit's last checkpoint, if an earlier attempt saved one. */
  loadCheckpoint(): Promise<UnitCheckpoint | null>;
  /** Records a new checkpoint (the previous one may be deleted). */
  saveCheckpoint(ck: UnitCheckpoint): Promise<void>;
  /** Reports progress after each chunk. */
  progress(batch: number, lossSum: number[]): Promise<void>;
}

/** What {@linkcode trainUnit} produced. */
export interface UnitOutput {
  /** sha256 of the final state. */
  state: string;
  /** sha256 of the final shared weights (the classifier unit). */
  shared?: string;
  /** sha256 of the shared parameters' gradients, one set per batch (central block units). */
  grads?: string;
  /** Summed loss per block. */
  lossSum: number[];
  /** Batches trained, all attempts. */
  batches: number;
  /** Training seconds of this attempt. */
  seconds: number;
  /** Batch this attempt resumed at, if it started from a unit checkpoint. */
  resumedAt?: number;
}

/** The `shared` blob's state: the classifier and W_Embed. */
export async function sharedState(model: NoPropDT): Promise<UnitState> {
  return { params: await sharedArrays(model), optimizers: {}, rngs: {} };
}

/** Trains the unit `job` in `setup.model` (see the module doc). */
export async function trainUnit(setup: RunSetup, job: UnitJob, io: UnitIo): Promise<UnitOutput> {
  return job.part === 0 ? await classifierUnit(setup, job, io) : await blockUnit(setup, job, io);
}

const yieldToEventLoop = () => new Promise((r) => setTimeout(r, 0));

async function blockUnit(s: RunSetup, job: UnitJob, io: UnitIo): Promise<UnitOutput> {
  const { model, hyper, run } = s, t = job.part, T = model.blocks.length;
  if (!(t >= 1 && t <= T)) throw new Error(`unit for block ${t}, but the run has T = ${T}`);
  const ck = await io.loadCheckpoint();
  let state: UnitState;
  const shared: ParamArrays = {};
  const grads: Float32Array[][] = []; // central: per batch of the unit, the shared gradients
  if (ck) {
    state = decodeUnitState(await io.store.get(ck.sha), "block-ck");
    for (const [k, v] of Object.entries(state.params)) {
      const g = /^grad:(\d+):(\d+)$/.exec(k);
      if (g) (grads[Number(g[1])] ??= [])[Number(g[2])] = v.data;
      else if (k.startsWith("shared:")) shared[k.slice(7)] = v;
      else continue;
      delete state.params[k];
    }
  } else {
    if (!job.shared) throw new Error(`block unit ${job.part} has no shared weights to start from`);
    state = decodeUnitState(await io.store.get(job.input), "block");
    Object.assign(shared, decodeUnitState(await io.store.get(job.shared), "shared").params);
  }
  model.blocks[t - 1].assignFrom(state.params);
  assignShared(model, shared);
  const recorder = s.mode === "central" ? new UpdateRecorder(sharedVariables(model)) : undefined;
  const trainer = new BlockTrainer(model, hyper, [t], run.train, run.stats, recorder);
  try {
    const fresh = await trainer.state();
    const opt = state.optimizers.block, rng = state.rngs.noise;
    if (!opt || !rng) throw new Error(`block ${t}'s state has no optimizer or noise stream`);
    trainer.load({
      blocks: { [t]: { opt, rng } },
      shared: state.optimizers.shared ?? fresh.shared,
    });
    const lossSum = ck ? ck.lossSum.slice() : new Array(T).fill(0);
    const t0 = performance.now();
    const snapshot = async (): Promise<UnitState> => {
      const ts = await trainer.state();
      const params = await model.blocks[t - 1].toArrays();
      for (const [k, v] of Object.entries(await sharedArrays(model))) params[`shared:${k}`] = v;
      grads.forEach((list, b) =>
        list.forEach((data, i) => params[`grad:${b}:${i}`] = { shape: [data.length], data })
      );
      const optimizers: UnitState["optimizers"] = { block: ts.blocks[t].opt };
      if (!recorder) optimizers.shared = ts.shared; // one-hot: block t's own classifier copy
      return { params, optimizers, rngs: { noise: ts.blocks[t].rng } };
    };
    let b = ck ? ck.batch : job.from;
    while (b < job.to) {
      const next = Math.min(job.to, b + io.checkpointEvery);
      await trainer.runBatches(job.epoch, b, next, (loss) => lossSum[t - 1] += loss);
      if (recorder) grads.push(...await recorder.take());
      b = next;
      if (b < job.to) {
        const sha = await io.store.put(encodeUnitState(await snapshot(), "block-ck"));
        await io.saveCheckpoint({ sha, batch: b, lossSum });
      }
      await io.progress(b, lossSum);
      await yieldToEventLoop();
    }
    const ts = await trainer.state();
    const final: UnitState = {
      params: await model.blocks[t - 1].toArrays(),
      optimizers: { block: ts.blocks[t].opt },
      rngs: { noise: ts.blocks[t].rng },
    };
    let gradsOut: string | undefined;
    if (recorder) {
      if (grads.length !== job.to - job.from) {
        throw new Error(
          `block ${t}: ${grads.length} shared gradients for ${job.to - job.from} batches`,
        );
      }
      const params: ParamArrays = {};
      grads.forEach((list, k) =>
        list.forEach((data, i) => params[`g.${job.from + k}.${i}`] = { shape: [data.length], data })
      );
      gradsOut = await io.store.put(encodeUnitState({ params, optimizers: {}, rngs: {} }, "grads"));
    }
    return {
      state: await io.store.put(encodeUnitState(final, "block")),
      grads: gradsOut,
      lossSum,
      batches: job.to - job.from,
      seconds: (performance.now() - t0) / 1000,
      resumedAt: ck?.batch,
    };
  } finally {
    trainer.dispose();
    recorder?.dispose();
  }
}

async function classifierUnit(s: RunSetup, job: UnitJob, io: UnitIo): Promise<UnitOutput> {
  const { model, hyper, run } = s, T = model.blocks.length;
  if (s.mode !== "onehot") throw new Error("a classifier unit needs the one-hot embedding");
  const ck = await io.loadCheckpoint();
  const state = decodeUnitState(await io.store.get(ck?.sha ?? job.input), "classifier");
  model.classifier.assignFrom(state.params);
  const trainer = new ClassifierTrainer(model, hyper, run.train, run.stats);
  try {
    const shared = state.optimizers.shared;
    if (!shared) throw new Error("the classifier's state has no optimizer");
    trainer.load({ shared, rngs: state.rngs });
    const t0 = performance.now();
    const snapshot = async (): Promise<UnitState> => {
      const ts = await trainer.state();
      const rngs: UnitState["rngs"] = {};
      for (const [t, r] of Object.entries(ts.rngs)) rngs[t] = r;
      return { params: await model.classifier.toArrays(), optimizers: { shared: ts.shared }, rngs };
    };
    const zeros = new Array(T).fill(0);
    let b = ck ? ck.batch : job.from;
    while (b < job.to) {
      const next = Math.min(job.to, b + io.checkpointEvery);
      await trainer.runBatches(job.epoch, b, next);
      b = next;
      if (b < job.to) {
        const sha = await io.store.put(encodeUnitState(await snapshot(), "classifier"));
        await io.saveCheckpoint({ sha, batch: b, lossSum: zeros });
      }
      await io.progress(b, zeros);
      await yieldToEventLoop();
    }
    return {
      state: await io.store.put(encodeUnitState(await snapshot(), "classifier")),
      shared: await io.store.put(encodeUnitState(await sharedState(model), "shared")),
      lossSum: zeros,
      batches: job.to - job.from,
      seconds: (performance.now() - t0) / 1000,
      resumedAt: ck?.batch,
    };
  } finally {
    trainer.dispose();
  }
}
