/**
 * Loads a trained NoProp-CT / -FM run (`weights.safetensors` of its run folder) back
 * into a {@linkcode ContinuousModel}, from the weights file alone (shapes come from its metadata
 * and tensor shapes).
 *
 * @example
 * ```ts
 * import { loadContinuousRun } from "./weights.ts";
 * // const { model, classNames, dataset } = await loadContinuousRun("models/mnist-ct-…");
 * ```
 * @module
 */
import type { DatasetName } from "../../config/schema.ts";
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
  dataset: DatasetName;
  /** Class names. */
  classNames: string[];
}

/**
 * Reads `<runDir>/weights.safetensors` of a ct/fm run; throws a one-line error for a DT run.
 * Files written before γ_1 = γ_0 + softplus(δ) (`sched.gamma1`) are converted on loading.
 *
 * @example
 * ```ts
 * import { loadContinuousRun } from "./weights.ts";
 * // (await loadContinuousRun(dir)).model.variant; // "ct"
 * ```
 */
export async function loadContinuousRun(runDir: string): Promise<LoadedContinuousRun> {
  const path = runFile(runDir, "weights");
  const file = await loadSafetensors(path);
  const meta = decodeMetadata(file.metadata, path);
  if (meta.variant === "dt") throw new Error(`${runDir} is not a ct/fm run (variant: dt)`);
  const { variant, spec } = meta;
  const tensors = upgradeCtScheduleArrays(file.tensors, path) as Record<string, Tensor>;
  const model = createContinuousModel({
    variant,
    image: { height: spec.height, width: spec.width, channels: spec.channels },
    classes: spec.classes,
    embedding: meta.embedding as "onehot" | "learned",
    embedDim: spec.embedDim,
    widths: spec.widths,
    hidden: spec.hidden,
    seed: 0,
    gamma0: -1,
    gamma1: 1,
    gammaHidden: variant === "ct" ? tensors["sched.a"].shape[0] : 1,
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
 * import { assignContinuousModel } from "./weights.ts";
 * // assignContinuousModel(model, (await readCheckpoint(dir, "noprop-ct")).tensors);
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
