/**
 * The checkpoint of a run folder, one format for every trainer (NoProp-DT, NoProp-CT/-FM and
 * the backprop baseline). `checkpoint.safetensors` holds:
 * - the model's weights under their `weights.safetensors` names (BatchNorm running statistics
 *   included);
 * - each AdamW's moments as `opt.<name>.m.<i>` and `opt.<name>.v.<i>` (one per variable, in the
 *   optimizer's order);
 * - in the metadata, the run description (`format`, `variant`, shapes, …) and `trainer`: JSON
 *   `{ pos, optSteps, rngs }` with the training position, each optimizer's step count and the
 *   state of every random stream by name.
 *
 * {@linkcode writeCheckpoint} writes it together with `weights.safetensors` (the weights and the
 * same description), each atomically (temp file + rename), so an interrupted write never
 * replaces a good file. {@linkcode readCheckpoint} reads it back and refuses, in one line naming
 * the file, a missing checkpoint or one written by another variant or method.
 *
 * @example
 * ```ts
 * import { readCheckpoint, writeCheckpoint } from "./checkpoint.ts";
 * // await writeCheckpoint(runDir, weights, { format: "noprop-ct" }, { pos, optimizers, rngs });
 * // const ck = await readCheckpoint(runDir, "noprop-ct"); opt.load(ck.optimizer("all"));
 * ```
 * @module
 */
import type { RngState } from "../rng.ts";
import { loadSafetensors, saveSafetensors, type Tensor } from "../safetensors.ts";
import type { AdamWState } from "../train/adamw.ts";

/**
 * The checkpoint's file name inside a run folder.
 *
 * @example
 * ```ts
 * import { CHECKPOINT_FILE } from "./checkpoint.ts";
 * CHECKPOINT_FILE; // "checkpoint.safetensors"
 * ```
 */
export const CHECKPOINT_FILE = "checkpoint.safetensors";

/**
 * Where training stands: the next batch to run. Batch order comes from (seed, epoch) and
 * dropout masks from the step, so this is all a trainer needs to continue mid-epoch.
 *
 * @example
 * ```ts
 * import type { Position } from "./checkpoint.ts";
 * const start: Position = { epoch: 0, batch: 0, step: 0 };
 * ```
 */
export interface Position {
  /** Epoch of the next batch (0-based). */
  epoch: number;
  /** Batch index within that epoch. */
  batch: number;
  /** Batches completed so far over the whole run. */
  step: number;
}

/**
 * Everything of a trainer besides the weights: position, optimizers and random streams by name.
 *
 * @example
 * ```ts
 * import type { TrainingState } from "./checkpoint.ts";
 * const s: TrainingState = { pos: { epoch: 0, batch: 3, step: 3 }, optimizers: {}, rngs: {} };
 * ```
 */
export interface TrainingState {
  /** The next batch to run. */
  pos: Position;
  /** AdamW states by name (`opt.<name>.*` in the file). */
  optimizers: Record<string, AdamWState>;
  /** Random-stream states by name. */
  rngs: Record<string, RngState>;
}

/**
 * A checkpoint read back by {@linkcode readCheckpoint}.
 *
 * @example
 * ```ts
 * import type { CheckpointFile } from "./checkpoint.ts";
 * const next = (ck: CheckpointFile) => ck.pos.step;
 * ```
 */
export interface CheckpointFile {
  /** The file read. */
  path: string;
  /** The model's weights (every tensor but the optimizer moments). */
  tensors: Record<string, Tensor>;
  /** The metadata (run description and `trainer`). */
  metadata: Record<string, string>;
  /** The next batch to run. */
  pos: Position;
  /** Names of the saved optimizers. */
  optimizerNames: string[];
  /** The optimizer state `name`; throws a one-line error naming the file when absent. */
  optimizer(name: string): AdamWState;
  /** The random-stream state `name`; throws a one-line error naming the file when absent. */
  rng(name: string): RngState;
}

/**
 * Writes `<dir>/checkpoint.safetensors` (weights, optimizer moments, `trainer` metadata) and
 * `<dir>/weights.safetensors` (weights and `meta`), each atomically. `weights` is not modified.
 *
 * @example
 * ```ts
 * import { writeCheckpoint } from "./checkpoint.ts";
 * // await writeCheckpoint("models/run", weights, meta, {
 * //   pos, optimizers: { all: await opt.state() }, rngs: { noise: noise.state() },
 * // });
 * ```
 */
export async function writeCheckpoint(
  dir: string,
  weights: Record<string, Tensor>,
  meta: Record<string, string>,
  state: TrainingState,
): Promise<void> {
  const tensors = { ...weights };
  const optSteps: Record<string, number> = {};
  for (const [name, s] of Object.entries(state.optimizers)) {
    optSteps[name] = s.step;
    for (const kind of ["m", "v"] as const) {
      s[kind].forEach((a, i) => {
        const data = a as Float32Array<ArrayBuffer>;
        tensors[`opt.${name}.${kind}.${i}`] = { dtype: "F32", shape: [a.length], data };
      });
    }
  }
  const trainer = JSON.stringify({ pos: state.pos, optSteps, rngs: state.rngs });
  await saveSafetensors(`${dir}/${CHECKPOINT_FILE}`, tensors, { ...meta, trainer });
  await saveSafetensors(`${dir}/weights.safetensors`, weights, meta);
}

/**
 * Reads `<dir>/checkpoint.safetensors`, expecting the run description `format` (`noprop-dt`,
 * `noprop-ct`, `noprop-fm` or `noprop-backprop`). Throws a one-line error naming the file when
 * it does not exist, holds no training state, or was written by another variant or method.
 *
 * @example
 * ```ts
 * import { readCheckpoint } from "./checkpoint.ts";
 * // const ck = await readCheckpoint("models/run", "noprop-fm");
 * // ck.pos; // { epoch, batch, step }
 * ```
 */
export async function readCheckpoint(dir: string, format: string): Promise<CheckpointFile> {
  const path = `${dir.replace(/\/+$/, "")}/${CHECKPOINT_FILE}`;
  const isFile = await Deno.stat(path).then((s) => s.isFile, () => false);
  if (!isFile) throw new Error(`${path} does not exist: this run saved no checkpoint to resume`);
  const { tensors, metadata } = await loadSafetensors(path);
  if (!metadata.trainer) throw new Error(`${path}: no training state in the metadata`);
  const found = metadata.format;
  if (!found) {
    throw new Error(`${path}: no "format" in the metadata, so not a ${format} checkpoint`);
  }
  if (found !== format) {
    throw new Error(
      `${path} is a ${found} checkpoint, not ${format}: resume it with the run's own ` +
        `--variant and --method`,
    );
  }
  const tr = JSON.parse(metadata.trainer) as {
    pos: Position;
    optSteps: Record<string, number>;
    rngs: Record<string, RngState>;
  };
  const weights: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(tensors)) if (!k.startsWith("opt.")) weights[k] = v;
  return {
    path,
    tensors: weights,
    metadata,
    pos: tr.pos,
    optimizerNames: Object.keys(tr.optSteps),
    optimizer(name) {
      if (tr.optSteps[name] === undefined) throw new Error(`${path}: no optimizer state "${name}"`);
      const m: Float32Array[] = [], v: Float32Array[] = [];
      for (let i = 0; tensors[`opt.${name}.m.${i}`]; i++) {
        m.push(tensors[`opt.${name}.m.${i}`].data as Float32Array);
        v.push(tensors[`opt.${name}.v.${i}`].data as Float32Array);
      }
      return { step: tr.optSteps[name], m, v };
    },
    rng(name) {
      const s = tr.rngs?.[name];
      if (!s) throw new Error(`${path}: no state of the random stream "${name}"`);
      return s;
    },
  };
}
