/**
 * NoProp-DT's weights as named tensors (the names of `weights.safetensors` and the checkpoint):
 * every block (`block_01.img.conv1.w`, …), the classifier (`cls.w`, `cls.b`) and the embedding
 * (`embed.W`), in tfjs layouts (conv [kh, kw, in, out], dense [in, out], NHWC flatten order),
 * and the model description that goes with them (`src/run/metadata.ts`).
 *
 * @example
 * ```ts
 * import { blockPrefix } from "./weights.ts";
 * console.assert(blockPrefix(3) === "block_03");
 * ```
 * @module
 */
import type { NoPropDT } from "../../model/noprop.ts";
import type { DatasetInfo } from "../../data/types.ts";
import { dataMetadata, type DtMetadata } from "../../run/metadata.ts";
import { runFile } from "../../run/folder.ts";
import { saveSafetensors, type Tensor } from "../../safetensors.ts";
import { encodeMetadata } from "../../run/metadata.ts";
import { assignVariable, f32Tensors, pickArrays, variableTensor } from "../named_tensors.ts";

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
 * The model description of a NoProp-DT model (`noprop-dt`) or of the backprop baseline built
 * on the same blocks (`noprop-backprop`).
 *
 * @example
 * ```ts
 * import { dtMetadata } from "./weights.ts";
 * // dtMetadata(model, dataset.info).T === model.schedule.T
 * ```
 */
export function dtMetadata(
  model: NoPropDT,
  info: Pick<DatasetInfo, "name" | "classNames" | "mean" | "std">,
  format: DtMetadata["format"] = "noprop-dt",
): DtMetadata {
  return {
    format,
    variant: "dt",
    ...dataMetadata(info),
    embedding: model.embedding.kind,
    T: model.schedule.T,
    schedule: model.schedule.name,
    alphaBar: Array.from(model.schedule.alphaBar),
    embedDim: model.embedding.dim,
    spec: model.spec,
  };
}

/**
 * Saves `weights.safetensors` of `model` into `dir` (without a checkpoint: fixtures, benches).
 *
 * @example
 * ```ts
 * import { saveWeights } from "./weights.ts";
 * // await saveWeights("/tmp/run", model, dtMetadata(model, dataset.info));
 * ```
 */
export async function saveWeights(dir: string, model: NoPropDT, meta: DtMetadata): Promise<void> {
  await saveSafetensors(runFile(dir, "weights"), await modelArrays(model), encodeMetadata(meta));
}
