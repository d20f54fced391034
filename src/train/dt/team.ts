/**
 * Who trains the blocks: one process (`LocalTeam`) or N Deno workers (`WorkerTeam`), behind
 * one small interface so the training loop does not care.
 *
 * Parallel training (`--workers N`): worker k owns the blocks t with (t − 1) mod N = k and runs
 * the same batches in the same order as every other worker (the data order comes from the seed).
 * Blocks never exchange anything: NoProp's blocks do not use each other's outputs in training.
 * What IS shared is the classifier and (when learnable) W_Embed, which every block's loss updates:
 * each worker trains its own copy, and after every `syncEvery` batches the main thread averages
 * the copies (parameter averaging, as in local SGD) and sends the average back before the next
 * range. With the one-hot embedding this changes nothing for the blocks (their gradients do not
 * depend on the classifier), so a block's weights are the same as in sequential training.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { defaultConfig } from "../../config.ts";
 * import { NORMALIZATION } from "../../data/normalize.ts";
 * import type { RunData } from "../batches.ts";
 * import { buildDtModel, trainerHyper } from "./setup.ts";
 * import { LocalTeam } from "./team.ts";
 * await initBackend("cpu");
 * // Eight 8×8 grey images of two classes (dark, bright), used as both splits.
 * const set = {
 *   count: 8, height: 8, width: 8, channels: 1, labels: Uint8Array.of(0, 1, 0, 1, 0, 1, 0, 1),
 *   images: Uint8Array.from({ length: 8 * 64 }, (_, i) => (Math.floor(i / 64) % 2) * 200),
 * };
 * const info = {
 *   name: "mnist" as const, height: 8, width: 8, channels: 1, numClasses: 2,
 *   classNames: ["dark", "bright"], mean: [0.1307], std: [0.3081],
 * };
 * const run: RunData = {
 *   data: { train: set, test: set, info }, train: set, test: set, stats: NORMALIZATION.mnist,
 * };
 * const cfg = {
 *   ...defaultConfig(), T: 2, widths: [2, 2, 2], hidden: 8, batchSize: 4, evalBatch: 8,
 * };
 * const model = buildDtModel(cfg, run);
 * const team = new LocalTeam(model, trainerHyper(cfg), run.train, run.stats);
 * const losses: number[] = [];
 * const r = await team.run(0, 0, 2, (loss) => losses.push(loss)); // mean over the blocks
 * assert.equal(losses.length, 2);
 * assert.equal(r.lossSum.length, 2); // per block
 * const [state] = await team.collect(); // one process: one trainer state
 * assert.deepEqual(Object.keys(state.blocks), ["1", "2"]);
 * assert.equal(state.shared.step, 4); // the classifier's AdamW: one step per block per batch
 * team.close();
 * ```
 * @module
 */
import { tf } from "../../deps_tf.ts";
import type { Config } from "../../config/schema.ts";
import type { NormStats } from "../../data/normalize.ts";
import type { ImageSet } from "../../data/types.ts";
import type { NoPropDT } from "../../model/noprop.ts";
import type { ParamArrays } from "../../model/params.ts";
import { NonFiniteLossError, type RangeResult, type RangeRunner } from "../batches.ts";
import { FusedTrainer } from "./fused_trainer.ts";
import { BlockTrainer, type Trainer, type TrainerHyper, type TrainerState } from "./trainer.ts";

/** Trainer state for the blocks `owned`, with the shared optimizer of worker slot `slot`. */
export type RestoreState = (owned: number[], slot: number) => TrainerState;

/** Something that trains all T blocks over ranges of batches. */
export interface Team {
  /** Trains batches [from, to) of `epoch`; `onBatch` gets each batch's mean loss. */
  run: RangeRunner;
  /** Brings every block's weights (and the averaged shared weights) into the main model; returns trainer states. */
  collect(): Promise<TrainerState[]>;
  /** Stops workers, if any. */
  close(): void;
}

/** The blocks (values of t) owned by worker `k` of `n`. */
export function ownedBlocks(T: number, k: number, n: number): number[] {
  const out = [];
  for (let t = 1; t <= T; t++) if ((t - 1) % n === k) out.push(t);
  return out;
}

/** Trains every block in this process: block steps one after another, or fused (`fuseBlocks`). */
export class LocalTeam implements Team {
  readonly #bt: Trainer;

  /** Creates the trainer; restores optimizer/RNG state with `restore` if given. */
  constructor(
    model: NoPropDT,
    hyper: TrainerHyper,
    train: ImageSet,
    stats: NormStats,
    restore?: RestoreState,
  ) {
    const all = model.blocks.map((_, i) => i + 1);
    this.#bt = hyper.fuseBlocks
      ? new FusedTrainer(model, hyper, train, stats)
      : new BlockTrainer(model, hyper, all, train, stats);
    if (restore) this.#bt.load(restore(all, 0));
  }

  /** See {@linkcode Team.run}. */
  readonly run: RangeRunner = (epoch, from, to, onBatch) =>
    this.#bt.runBatches(epoch, from, to, onBatch);

  /** See {@linkcode Team.collect}. */
  async collect(): Promise<TrainerState[]> {
    return [await this.#bt.state()];
  }

  /** Frees the trainer's optimizer state (no workers to stop). */
  close(): void {
    this.#bt.dispose();
  }
}

/** Messages from a worker. */
export type WorkerReply =
  | { type: "ready" }
  | { type: "batch"; loss: number }
  | { type: "done"; result: RangeResult; shared: ParamArrays }
  | {
    type: "collected";
    blocks: Record<number, ParamArrays>;
    shared: ParamArrays;
    state: TrainerState;
  }
  | { type: "error"; message: string; nonFinite?: { what: string; step: number; value: number } };

/** Trains blocks in N Deno workers (see the module doc). */
export class WorkerTeam implements Team {
  readonly #workers: Worker[] = [];
  #shared: ParamArrays | undefined;

  private constructor(readonly model: NoPropDT, readonly n: number) {}

  /** Starts `n` workers, each building the same model from the seed (or the checkpoint). */
  static async start(model: NoPropDT, cfg: Config, restore?: RestoreState): Promise<WorkerTeam> {
    const team = new WorkerTeam(model, cfg.workers);
    const T = model.blocks.length;
    const blockArrays = await Promise.all(model.blocks.map((b) => b.toArrays()));
    const shared = await sharedArrays(model);
    for (let k = 0; k < cfg.workers; k++) {
      const w = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
      team.#workers.push(w);
      const owned = ownedBlocks(T, k, cfg.workers);
      const blocks: Record<number, ParamArrays> = {};
      for (const t of owned) blocks[t] = blockArrays[t - 1];
      w.postMessage({
        type: "init",
        config: cfg,
        owned,
        blocks,
        shared,
        state: restore?.(owned, k),
      });
    }
    await Promise.all(team.#workers.map((w) => team.#next(w, "ready")));
    return team;
  }

  #next(w: Worker, type: string, onBatch?: (loss: number) => void): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      w.onmessage = (e: MessageEvent<WorkerReply>) => {
        const m = e.data;
        if (m.type === "batch") return onBatch?.(m.loss);
        if (m.type === "error") {
          return reject(
            m.nonFinite
              ? new NonFiniteLossError(m.nonFinite.what, m.nonFinite.step, m.nonFinite.value)
              : new Error(m.message),
          );
        }
        if (m.type === type) resolve(m);
      };
      w.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`training worker failed: ${e.message}`));
      };
    });
  }

  /** See {@linkcode Team.run}: runs the range on every worker, then averages the shared weights. */
  async run(
    epoch: number,
    from: number,
    to: number,
    onBatch: (loss: number) => void,
  ): Promise<RangeResult> {
    const replies = await Promise.all(this.#workers.map((w, k) => {
      const p = this.#next(w, "done", k === 0 ? onBatch : undefined);
      w.postMessage({ type: "run", epoch, from, to, shared: this.#shared });
      return p;
    })) as Extract<WorkerReply, { type: "done" }>[];
    this.#shared = averageArrays(replies.map((r) => r.shared));
    const lossSum = new Float64Array(this.model.blocks.length);
    for (const r of replies) r.result.lossSum.forEach((v, i) => lossSum[i] += v);
    return { lossSum, batches: replies[0].result.batches };
  }

  /** See {@linkcode Team.collect}. */
  async collect(): Promise<TrainerState[]> {
    const replies = await Promise.all(this.#workers.map((w) => {
      const p = this.#next(w, "collected");
      w.postMessage({ type: "collect" });
      return p;
    })) as Extract<WorkerReply, { type: "collected" }>[];
    for (const r of replies) {
      for (const [t, arrays] of Object.entries(r.blocks)) {
        this.model.blocks[Number(t) - 1].assignFrom(arrays);
      }
    }
    this.#shared = averageArrays(replies.map((r) => r.shared));
    assignShared(this.model, this.#shared);
    return replies.map((r) => r.state);
  }

  /** Terminates the workers. */
  close(): void {
    for (const w of this.#workers) w.terminate();
  }
}

/** The shared weights (classifier, W_Embed) as plain arrays. */
export async function sharedArrays(model: NoPropDT): Promise<ParamArrays> {
  const out = await model.classifier.toArrays();
  const W = model.embedding.W;
  out["embed.W"] = { shape: W.shape.slice(), data: (await W.data()) as Float32Array };
  return out;
}

/** Writes shared weights from {@linkcode sharedArrays} into a model. */
export function assignShared(model: NoPropDT, arrays: ParamArrays): void {
  const { "embed.W": W, ...cls } = arrays;
  model.classifier.assignFrom(cls);
  if (model.embedding.trainable) {
    const t = tf.tensor(W.data, W.shape, "float32");
    model.embedding.W.assign(t);
    t.dispose();
  }
}

/** Element-wise mean of several parameter sets with the same names and shapes. */
export function averageArrays(sets: ParamArrays[]): ParamArrays {
  const out: ParamArrays = {};
  for (const name of Object.keys(sets[0])) {
    const acc = new Float32Array(sets[0][name].data.length);
    for (const s of sets) {
      const d = s[name].data;
      for (let i = 0; i < acc.length; i++) acc[i] += d[i];
    }
    for (let i = 0; i < acc.length; i++) acc[i] /= sets.length;
    out[name] = { shape: sets[0][name].shape, data: acc };
  }
  return out;
}
