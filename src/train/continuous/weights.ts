/**
 * Loads a trained NoProp-CT / -FM run (`weights.safetensors` of its run folder) back
 * into a {@linkcode ContinuousModel}, from the weights file alone (shapes come from its metadata
 * and tensor shapes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { continuousArrays, createContinuousModel } from "../../model/continuous_model.ts";
 * import { dataMetadata, encodeMetadata, type RunMetadata } from "../../run/metadata.ts";
 * import { saveSafetensors } from "../../safetensors.ts";
 * import { f32Tensors } from "../named_tensors.ts";
 * import { loadContinuousRun } from "./weights.ts";
 * await initBackend("cpu");
 * const model = createContinuousModel({
 *   variant: "ct", image: { height: 8, width: 8, channels: 1 }, classes: 2, embedding: "onehot",
 *   embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0, gamma0: -5, gamma1: 5, gammaHidden: 4,
 * });
 * // A run folder with only weights.safetensors, as training writes it.
 * const dir = await Deno.makeTempDir();
 * const meta: RunMetadata = {
 *   format: "noprop-ct", variant: "ct", embedding: "onehot", spec: model.spec,
 *   ...dataMetadata({ name: "mnist", classNames: ["a", "b"], mean: [0.1307], std: [0.3081] }),
 * };
 * const weights = f32Tensors(await continuousArrays(model));
 * await saveSafetensors(`${dir}/weights.safetensors`, weights, encodeMetadata(meta));
 * const loaded = await loadContinuousRun(dir);
 * assert.deepEqual(loaded.classNames, ["a", "b"]);
 * assert.deepEqual([loaded.model.variant, loaded.dataset], ["ct", "mnist"]);
 * assert.deepEqual(await continuousArrays(loaded.model), await continuousArrays(model));
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import type { ImageDatasetName } from "../../config/schema.ts";
import { backboneOf } from "../../model/backbone.ts";
import { decodeMetadata } from "../../run/metadata.ts";
import { runFile } from "../../run/folder.ts";
import { type ContinuousModel, createContinuousModel } from "../../model/continuous_model.ts";
import { LEGACY_GAMMA1, upgradeCtScheduleArrays } from "../../model/ct_schedule_values.ts";
import { loadSafetensors, type Tensor } from "../../safetensors.ts";
import { assignVariable, pickArrays } from "../named_tensors.ts";

/** A loaded run. */
export interface LoadedContinuousRun {
  /** The model with the trained weights. */
  model: ContinuousModel;
  /** Dataset the run was trained on. */
  dataset: ImageDatasetName;
  /** Class names. */
  classNames: string[];
}

/**
 * Reads `<runDir>/weights.safetensors` of a ct/fm run; throws a one-line error for a DT run.
 * Files written before γ_1 = γ_0 + softplus(δ) (`sched.gamma1`) are converted on loading.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createNoPropDT } from "../../model/noprop.ts";
 * import { dtMetadata, saveWeights } from "../dt/weights.ts";
 * import { loadContinuousRun } from "./weights.ts";
 * await initBackend("cpu");
 * // A NoProp-DT run is refused in one line.
 * const dt = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * const dir = await Deno.makeTempDir();
 * const info = { name: "mnist" as const, classNames: ["a", "b"], mean: [0.1307], std: [0.3081] };
 * await saveWeights(dir, dt, dtMetadata(dt, info));
 * await assert.rejects(loadContinuousRun(dir), /is not a ct\/fm run \(variant: dt\)$/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadContinuousRun(runDir: string): Promise<LoadedContinuousRun> {
  const path = runFile(runDir, "weights");
  const file = await loadSafetensors(path);
  const meta = decodeMetadata(file.metadata, path);
  if (meta.variant === "dt" || meta.variant === "forecast") {
    throw new Error(`${runDir} is not a ct/fm run (variant: ${meta.variant})`);
  }
  const { variant, spec } = meta;
  const tensors = upgradeCtScheduleArrays(file.tensors, path) as Record<string, Tensor>;
  const model = createContinuousModel({
    variant,
    image: { height: spec.height, width: spec.width, channels: spec.channels },
    classes: spec.classes,
    embedding: meta.embedding,
    embedDim: spec.embedDim,
    widths: spec.widths,
    hidden: spec.hidden,
    ...backboneOf(spec),
    seed: 0,
    gamma0: -1,
    gamma1: 1,
    gammaHidden: variant === "ct" ? tensors["sched.a"].shape[0] : 1,
    restoring: true,
  });
  assignContinuousModel(model, tensors);
  return {
    model,
    dataset: meta.dataset,
    classNames: meta.classNames,
  };
}

/**
 * Overwrites every tensor of a continuous model (`net.*`, `cls.*`, `sched.*`, `embed.W`) from
 * named tensors of a weights or checkpoint file; names and shapes must match. A checkpoint
 * written before γ_1 = γ_0 + softplus(δ) (it holds `sched.gamma1`) is refused in one line: its
 * optimizer moments belong to γ_1, not δ, so it cannot be resumed (evaluate or export it instead).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { continuousArrays, createContinuousModel } from "../../model/continuous_model.ts";
 * import { f32Tensors } from "../named_tensors.ts";
 * import { assignContinuousModel } from "./weights.ts";
 * await initBackend("cpu");
 * const a = createContinuousModel({
 *   variant: "ct", image: { height: 8, width: 8, channels: 1 }, classes: 2, embedding: "onehot",
 *   embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 1, gamma0: -5, gamma1: 5, gammaHidden: 4,
 * });
 * const b = createContinuousModel({
 *   variant: "ct", image: { height: 8, width: 8, channels: 1 }, classes: 2, embedding: "onehot",
 *   embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 2, gamma0: -5, gamma1: 5, gammaHidden: 4,
 * });
 * const tensors = f32Tensors(await continuousArrays(a)); // e.g. a checkpoint's
 * assignContinuousModel(b, tensors);
 * assert.deepEqual(await continuousArrays(b), await continuousArrays(a));
 * // An old file with γ_1 itself instead of δ cannot be resumed.
 * const { "sched.delta": _, ...old } = tensors;
 * old["sched.gamma1"] = { dtype: "F32", shape: [1], data: Float32Array.of(5) };
 * assert.throws(() => assignContinuousModel(b, old), /"sched\.gamma1" found: written before/);
 * ```
 */
export function assignContinuousModel(m: ContinuousModel, tensors: Record<string, Tensor>): void {
  if (m.schedule && tensors[LEGACY_GAMMA1] && !tensors["sched.delta"]) {
    throw new Error(
      `weights: "${LEGACY_GAMMA1}" found: written before γ_1 = γ_0 + softplus(δ), so it cannot be ` +
        "resumed (evaluate or export it instead)",
    );
  }
  m.net.assignFrom(pickArrays(tensors, "net.", true));
  m.classifier.assignFrom(pickArrays(tensors, "cls.", false));
  m.schedule?.assignFrom(pickArrays(tensors, "sched.", false));
  assignVariable(m.embedding.W, tensors, "embed.W");
}
