/**
 * NoProp-DT's weights as named tensors (the names of `weights.safetensors` and the checkpoint):
 * every block (`block_01.img.conv1.w`, …), the classifier (`cls.w`, `cls.b`) and the embedding
 * (`embed.W`), in tfjs layouts (conv [kh, kw, in, out], dense [in, out], NHWC flatten order),
 * and the model description that goes with them (`src/run/metadata.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createNoPropDT } from "../../model/noprop.ts";
 * import { modelArrays } from "./weights.ts";
 * await initBackend("cpu");
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * const names = Object.keys(await modelArrays(model));
 * assert.ok(names.includes("block_01.img.conv1.w") && names.includes("block_02.head.bn1.mean"));
 * assert.deepEqual(names.slice(-3), ["cls.w", "cls.b", "embed.W"]);
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
 * import assert from "node:assert/strict";
 * import { blockPrefix } from "./weights.ts";
 * assert.equal(blockPrefix(3), "block_03");
 * assert.equal(blockPrefix(12), "block_12");
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
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createNoPropDT } from "../../model/noprop.ts";
 * import { modelArrays } from "./weights.ts";
 * await initBackend("cpu");
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * const w = await modelArrays(model);
 * assert.equal(w["embed.W"].dtype, "F32");
 * assert.deepEqual(w["block_01.img.conv1.w"].shape, [3, 3, 1, 2]); // tfjs layout [kh, kw, in, out]
 * assert.deepEqual(w["block_02.head.bn1.var"].data, new Float32Array(8).fill(1)); // BN statistics
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
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createNoPropDT } from "../../model/noprop.ts";
 * import { assignModel, modelArrays } from "./weights.ts";
 * await initBackend("cpu");
 * const a = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 1,
 * });
 * const b = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 2,
 * });
 * assignModel(b, await modelArrays(a));
 * assert.deepEqual(await modelArrays(b), await modelArrays(a));
 * assert.throws(() => assignModel(b, {}), /parameter "img.conv1.w" missing from the loaded/);
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
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createNoPropDT } from "../../model/noprop.ts";
 * import { dtMetadata } from "./weights.ts";
 * await initBackend("cpu");
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * const info = { name: "mnist" as const, classNames: ["a", "b"], mean: [0.1307], std: [0.3081] };
 * const meta = dtMetadata(model, info);
 * assert.deepEqual([meta.format, meta.T, meta.embedDim], ["noprop-dt", 2, 2]);
 * assert.deepEqual(meta.alphaBar, Array.from(model.schedule.alphaBar));
 * assert.equal(dtMetadata(model, info, "noprop-backprop").format, "noprop-backprop");
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
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createNoPropDT } from "../../model/noprop.ts";
 * import { decodeMetadata } from "../../run/metadata.ts";
 * import { loadSafetensors } from "../../safetensors.ts";
 * import { dtMetadata, saveWeights } from "./weights.ts";
 * await initBackend("cpu");
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * const info = { name: "mnist" as const, classNames: ["a", "b"], mean: [0.1307], std: [0.3081] };
 * const dir = await Deno.makeTempDir();
 * await saveWeights(dir, model, dtMetadata(model, info));
 * const file = await loadSafetensors(`${dir}/weights.safetensors`);
 * assert.equal(decodeMetadata(file.metadata, "weights").format, "noprop-dt");
 * assert.ok("block_02.head.fc3.w" in file.tensors);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function saveWeights(dir: string, model: NoPropDT, meta: DtMetadata): Promise<void> {
  await saveSafetensors(runFile(dir, "weights"), await modelArrays(model), encodeMetadata(meta));
}
