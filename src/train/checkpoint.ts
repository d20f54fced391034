/**
 * Run-folder persistence in the safetensors format (readable by other tools):
 * - `weights.safetensors`: every block (`block_01.img.conv1.w`, …), the classifier
 *   (`cls.w`, `cls.b`) and the embedding (`embed.W`), tfjs layouts (conv [kh, kw, in, out],
 *   dense [in, out], NHWC flatten order), with the model description in the metadata;
 * - `checkpoint.safetensors`: the same weights plus the AdamW moments (`opt.block_01.m.3`, …)
 *   and, in the metadata, the training position (epoch, batch, step) and RNG states.
 * Both are written atomically (temp file + rename), so an interrupted write never replaces a
 * good file.
 *
 * @example
 * ```ts
 * import { saveCheckpoint, loadCheckpoint } from "./checkpoint.ts";
 * // await saveCheckpoint(runDir, model, meta, trainerStates, position);
 * // const ck = await loadCheckpoint(runDir);
 * ```
 * @module
 */
import { tf } from "../deps.ts";
import type { NoPropDT } from "../model/noprop.ts";
import type { ParamArrays } from "../model/params.ts";
import { loadSafetensors, saveSafetensors, type Tensor } from "../safetensors.ts";
import type { TrainerState } from "./block_trainer.ts";

/** Where training stands: the next batch to run. */
export interface Position {
  /** Epoch of the next batch (0-based). */
  epoch: number;
  /** Batch index within that epoch. */
  batch: number;
  /** Batches completed so far over the whole run. */
  step: number;
}

/** Block name prefix for block t: `block_01`. */
export function blockPrefix(t: number): string {
  return `block_${String(t).padStart(2, "0")}`;
}

/** All model weights as named plain arrays (async: safe on webgpu). */
export async function modelArrays(model: NoPropDT): Promise<Record<string, Tensor>> {
  const out: Record<string, Tensor> = {};
  const put = (prefix: string, arrays: ParamArrays) => {
    for (const [k, v] of Object.entries(arrays)) {
      out[prefix + k] = { dtype: "F32", shape: v.shape, data: v.data as Float32Array<ArrayBuffer> };
    }
  };
  for (let t = 1; t <= model.blocks.length; t++) {
    put(`${blockPrefix(t)}.`, await model.blocks[t - 1].toArrays());
  }
  put("", await model.classifier.toArrays());
  const W = model.embedding.W;
  out["embed.W"] = {
    dtype: "F32",
    shape: W.shape.slice(),
    data: (await W.data()) as Float32Array<ArrayBuffer>,
  };
  return out;
}

/** Loads named arrays (from {@linkcode modelArrays}) into a model with the same shapes. */
export function assignModel(model: NoPropDT, tensors: Record<string, Tensor>): void {
  const pick = (prefix: string, strip = true): ParamArrays => {
    const o: ParamArrays = {};
    for (const [k, v] of Object.entries(tensors)) {
      if (!k.startsWith(prefix)) continue;
      o[strip ? k.slice(prefix.length) : k] = { shape: v.shape, data: v.data as Float32Array };
    }
    return o;
  };
  model.blocks.forEach((b, i) => b.assignFrom(pick(`${blockPrefix(i + 1)}.`)));
  model.classifier.assignFrom(pick("cls.", false));
  const W = tensors["embed.W"];
  if (!W) throw new Error(`weights: "embed.W" is missing`);
  tf.tidy(() => model.embedding.W.assign(tf.tensor(W.data as Float32Array, W.shape, "float32")));
}

/** Saves `weights.safetensors` into `dir`. */
export async function saveWeights(
  dir: string,
  model: NoPropDT,
  meta: Record<string, string>,
): Promise<void> {
  await saveSafetensors(`${dir}/weights.safetensors`, await modelArrays(model), meta);
}

/** Saves `checkpoint.safetensors` (weights, optimizer states, position) and `weights.safetensors`. */
export async function saveCheckpoint(
  dir: string,
  model: NoPropDT,
  meta: Record<string, string>,
  states: TrainerState[],
  pos: Position,
): Promise<void> {
  const tensors = await modelArrays(model);
  const rngs: Record<number, unknown> = {};
  const optSteps: Record<string, number> = {};
  const putOpt = (name: string, s: { step: number; m: Float32Array[]; v: Float32Array[] }) => {
    optSteps[name] = s.step;
    s.m.forEach((a, i) =>
      tensors[`opt.${name}.m.${i}`] = {
        dtype: "F32",
        shape: [a.length],
        data: a as Float32Array<ArrayBuffer>,
      }
    );
    s.v.forEach((a, i) =>
      tensors[`opt.${name}.v.${i}`] = {
        dtype: "F32",
        shape: [a.length],
        data: a as Float32Array<ArrayBuffer>,
      }
    );
  };
  states.forEach((s, k) => {
    putOpt(`shared_${k}`, s.shared);
    for (const [t, b] of Object.entries(s.blocks)) {
      putOpt(blockPrefix(Number(t)), b.opt);
      rngs[Number(t)] = b.rng;
    }
  });
  const trainer = JSON.stringify({ pos, rngs, optSteps, sharedCount: states.length });
  await saveSafetensors(`${dir}/checkpoint.safetensors`, tensors, { ...meta, trainer });
  await saveSafetensors(`${dir}/weights.safetensors`, await modelArrays(model), meta);
}

/** A loaded checkpoint. */
export interface Checkpoint {
  /** Next position to train. */
  pos: Position;
  /** All tensors (weights and optimizer moments). */
  tensors: Record<string, Tensor>;
  /** Metadata. */
  metadata: Record<string, string>;
  /** Trainer state for the given owned blocks (shared state from worker slot `slot`). */
  trainerState(owned: number[], slot: number): TrainerState;
}

/** Reads `checkpoint.safetensors` from `dir`. */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const path = `${dir}/checkpoint.safetensors`;
  const { tensors, metadata } = await loadSafetensors(path);
  if (!metadata.trainer) throw new Error(`${path}: no training state in the metadata`);
  const tr = JSON.parse(metadata.trainer) as {
    pos: Position;
    rngs: Record<number, { s: number; spare: number | null }>;
    optSteps: Record<string, number>;
    sharedCount: number;
  };
  const opt = (name: string) => {
    const m: Float32Array[] = [], v: Float32Array[] = [];
    for (let i = 0; tensors[`opt.${name}.m.${i}`]; i++) {
      m.push(tensors[`opt.${name}.m.${i}`].data as Float32Array);
      v.push(tensors[`opt.${name}.v.${i}`].data as Float32Array);
    }
    if (tr.optSteps[name] === undefined) throw new Error(`${path}: no optimizer state "${name}"`);
    return { step: tr.optSteps[name], m, v };
  };
  return {
    pos: tr.pos,
    tensors,
    metadata,
    trainerState(owned, slot) {
      const blocks: TrainerState["blocks"] = {};
      for (const t of owned) blocks[t] = { opt: opt(blockPrefix(t)), rng: tr.rngs[t] };
      return { blocks, shared: opt(`shared_${Math.min(slot, tr.sharedCount - 1)}`) };
    },
  };
}
