/**
 * The NoProp-DT forecaster's weights as named tensors: block t's as `block_XX.<name>` (the DT
 * classifier's prefix), the autoencoder's as `ae.<name>`; and back. Used by the method's
 * checkpoint, `deno task eval`, the exporter and the forecast CLI (`loadForecaster`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../../backend/mod.ts";
 * import { createNoPropForecaster } from "../../../model/forecast/noprop.ts";
 * import { assignForecaster, forecasterTensors } from "./weights.ts";
 * await initBackend("cpu");
 * const spec = {
 *   kind: "noprop-dt" as const, lookback: 4, horizon: 2, T: 2, schedule: "cosine" as const,
 *   alphaBar: [], hidden: 4, mode: "autoencoder" as const, latentDim: 3,
 * };
 * const a = createNoPropForecaster(spec, 0), b = createNoPropForecaster(spec, 1);
 * const tensors = await forecasterTensors(a);
 * assert.ok("block_02.fc2.w" in tensors && "ae.enc.bn.var" in tensors);
 * assignForecaster(b, tensors);
 * assert.deepEqual(await forecasterTensors(b), tensors);
 * ```
 * @module
 */
import type { NoPropForecaster } from "../../../model/forecast/noprop.ts";
import type { Tensor } from "../../../safetensors.ts";
import { blockPrefix } from "../../dt/weights.ts";
import { f32Tensors, pickArrays } from "../../named_tensors.ts";

/**
 * Every weight and buffer of the forecaster, named (module doc).
 *
 * @example
 * ```ts
 * import type { NoPropForecaster } from "../../../model/forecast/noprop.ts";
 * import { forecasterTensors } from "./weights.ts";
 * const names = async (m: NoPropForecaster) => Object.keys(await forecasterTensors(m));
 * ```
 */
export async function forecasterTensors(m: NoPropForecaster): Promise<Record<string, Tensor>> {
  const out: Record<string, Tensor> = {};
  for (let t = 1; t <= m.blocks.length; t++) {
    Object.assign(out, f32Tensors(await m.blocks[t - 1].toArrays(), `${blockPrefix(t)}.`));
  }
  if (m.ae) Object.assign(out, f32Tensors(await m.ae.toArrays(), "ae."));
  return out;
}

/**
 * Overwrites the forecaster's weights from named tensors (names and shapes must match).
 *
 * @example
 * ```ts
 * import type { NoPropForecaster } from "../../../model/forecast/noprop.ts";
 * import type { Tensor } from "../../../safetensors.ts";
 * import { assignForecaster } from "./weights.ts";
 * const load = (m: NoPropForecaster, t: Record<string, Tensor>) => assignForecaster(m, t);
 * ```
 */
export function assignForecaster(m: NoPropForecaster, tensors: Record<string, Tensor>): void {
  m.blocks.forEach((b, i) => b.assignFrom(pickArrays(tensors, `${blockPrefix(i + 1)}.`, true)));
  m.ae?.assignFrom(pickArrays(tensors, "ae.", true));
}
