/**
 * NoProp-DT's run-folder persistence in the safetensors format (readable by other tools):
 * - `weights.safetensors`: every block (`block_01.img.conv1.w`, …), the classifier
 *   (`cls.w`, `cls.b`) and the embedding (`embed.W`), tfjs layouts (conv [kh, kw, in, out],
 *   dense [in, out], NHWC flatten order), with the model description in the metadata;
 * - `checkpoint.safetensors`: the same weights plus the AdamW moments (`opt.block_01.m.3`, …,
 *   `opt.shared_<k>.*` for worker k's shared optimizer) and, in the metadata, the training
 *   position (epoch, batch, step) and each block's noise stream (named by t). The file format
 *   is the one every trainer shares (`checkpoint_file.ts`).
 * Both are written atomically (temp file + rename), so an interrupted write never replaces a
 * good file.
 *
 * @example
 * ```ts
 * import { saveCheckpoint, loadCheckpoint } from "./weights.ts";
 * // await saveCheckpoint(runDir, model, meta, trainerStates, position);
 * // const ck = await loadCheckpoint(runDir);
 * ```
 * @module
 */
import type { NoPropDT } from "../../model/noprop.ts";
import type { RngState } from "../../rng.ts";
import { saveSafetensors, type Tensor } from "../../safetensors.ts";
import type { AdamWState } from "../adamw.ts";
import type { TrainerState } from "./trainer.ts";
import {
  type CheckpointFile,
  type Position,
  readCheckpoint,
  writeCheckpoint,
} from "../../run/checkpoint.ts";
import { assignVariable, f32Tensors, pickArrays, variableTensor } from "../named_tensors.ts";

export type { Position } from "../../run/checkpoint.ts";

/**
 * Block name prefix for block t: `block_01`.
 *
 * @example
 * ```ts
 * import { blockPrefix } from "./weights.ts";
 * blockPrefix(3); // "block_03"
 * ```
 */
export function blockPrefix(t: number): string {
  return `block_${String(t).padStart(2, "0")}`;
}

/**
 * All model weights (BatchNorm running statistics included) as named tensors (async: safe on
 * webgpu).
 *
 * @example
 * ```ts
 * import { modelArrays } from "./weights.ts";
 * // Object.keys(await modelArrays(model)); // ["block_01.img.conv1.w", …, "cls.w", "embed.W"]
 * ```
 */
export async function modelArrays(model: NoPropDT): Promise<Record<string, Tensor>> {
  const out: Record<string, Tensor> = {};
  for (let t = 1; t <= model.blocks.length; t++) {
    Object.assign(out, f32Tensors(await model.blocks[t - 1].toArrays(), `${blockPrefix(t)}.`));
  }
  Object.assign(out, f32Tensors(await model.classifier.toArrays()));
  out["embed.W"] = await variableTensor(model.embedding.W);
  return out;
}

/**
 * Loads named tensors (from {@linkcode modelArrays}) into a model with the same shapes.
 *
 * @example
 * ```ts
 * import { assignModel } from "./weights.ts";
 * // assignModel(model, (await loadSafetensors("models/run/weights.safetensors")).tensors);
 * ```
 */
export function assignModel(model: NoPropDT, tensors: Record<string, Tensor>): void {
  model.blocks.forEach((b, i) => b.assignFrom(pickArrays(tensors, `${blockPrefix(i + 1)}.`, true)));
  model.classifier.assignFrom(pickArrays(tensors, "cls.", false));
  assignVariable(model.embedding.W, tensors, "embed.W");
}

/**
 * Saves `weights.safetensors` into `dir`.
 *
 * @example
 * ```ts
 * import { saveWeights } from "./weights.ts";
 * // await saveWeights("models/run", model, runMetadata(config, data.info, model));
 * ```
 */
export async function saveWeights(
  dir: string,
  model: NoPropDT,
  meta: Record<string, string>,
): Promise<void> {
  await saveSafetensors(`${dir}/weights.safetensors`, await modelArrays(model), meta);
}

/**
 * Saves `checkpoint.safetensors` (weights, every block's and the shared optimizers' states,
 * the blocks' noise streams, the position) and `weights.safetensors`.
 *
 * @example
 * ```ts
 * import { saveCheckpoint } from "./weights.ts";
 * // await saveCheckpoint(runDir, model, meta, await team.collect(), pos);
 * ```
 */
export async function saveCheckpoint(
  dir: string,
  model: NoPropDT,
  meta: Record<string, string>,
  states: TrainerState[],
  pos: Position,
): Promise<void> {
  const optimizers: Record<string, AdamWState> = {};
  const rngs: Record<string, RngState> = {};
  states.forEach((s, k) => {
    optimizers[`shared_${k}`] = s.shared;
    for (const [t, b] of Object.entries(s.blocks)) {
      optimizers[blockPrefix(Number(t))] = b.opt;
      rngs[t] = b.rng;
    }
  });
  await writeCheckpoint(dir, await modelArrays(model), meta, { pos, optimizers, rngs });
}

/**
 * A loaded NoProp-DT checkpoint.
 *
 * @example
 * ```ts
 * import type { Checkpoint } from "./weights.ts";
 * const stateOfAll = (ck: Checkpoint, T: number) =>
 *   ck.trainerState(Array.from({ length: T }, (_, i) => i + 1), 0);
 * ```
 */
export interface Checkpoint extends CheckpointFile {
  /** Trainer state for the given owned blocks (shared state from worker slot `slot`). */
  trainerState(owned: number[], slot: number): TrainerState;
}

/**
 * Reads `checkpoint.safetensors` of a NoProp-DT run from `dir` (one-line errors: see
 * {@linkcode readCheckpoint}).
 *
 * @example
 * ```ts
 * import { loadCheckpoint } from "./weights.ts";
 * // const ck = await loadCheckpoint("models/run"); ck.pos.step;
 * ```
 */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const ck = await readCheckpoint(dir, "noprop-dt");
  const sharedCount = ck.optimizerNames.filter((n) => n.startsWith("shared_")).length;
  return {
    ...ck,
    trainerState(owned, slot) {
      const blocks: TrainerState["blocks"] = {};
      for (const t of owned) {
        blocks[t] = { opt: ck.optimizer(blockPrefix(t)), rng: ck.rng(String(t)) };
      }
      return { blocks, shared: ck.optimizer(`shared_${Math.min(slot, sharedCount - 1)}`) };
    },
  };
}
