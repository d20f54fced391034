/**
 * A trained forecaster read back from its run folder (`best.safetensors`, the weights the
 * validation split selected, else `weights.safetensors`), as a tfjs model with one interface
 * for `deno task eval` and the forecast CLI: `sample(x, n, { samples, noiseFree }, noise)` gives
 * z-scored forecasts of z-scored windows; the point forecasters (DLinear, repeat-last) return
 * their forecast as the noise-free one and no samples.
 *
 * @example
 * ```ts
 * import type { LoadedForecaster } from "./load.ts";
 * const horizon = (f: LoadedForecaster) => f.meta.series.horizon;
 * ```
 * @module
 */
import { tf } from "../../deps_tf.ts";
import type { NoiseSource } from "../../infer/sampler/random.ts";
import { createDLinear, disposeDLinear, dlinearForward } from "../../model/forecast/dlinear.ts";
import { createNoPropForecaster, disposeForecaster } from "../../model/forecast/noprop.ts";
import { runFile } from "../../run/folder.ts";
import type { ForecastMetadata } from "../../run/forecast_metadata.ts";
import { decodeMetadata } from "../../run/metadata.ts";
import { loadSafetensors } from "../../safetensors.ts";
import { pickArrays } from "../named_tensors.ts";
import { repeatLast } from "./evaluate.ts";
import { type SampledForecasts, sampleForecasts } from "./noprop/sample.ts";
import { assignForecaster } from "./noprop/weights.ts";

/** A forecaster ready to forecast. */
export interface LoadedForecaster {
  /** The weights file read. */
  path: string;
  /** Its description. */
  meta: ForecastMetadata;
  /** The `best` metadata (epoch, step, validation scores) when read from best.safetensors. */
  best: { epoch: number; step: number } | null;
  /** Whether it draws samples (NoProp-DT) or gives one point forecast. */
  probabilistic: boolean;
  /** Forecasts of n z-scored windows x [n × L] (module doc). */
  sample(
    x: Float32Array,
    n: number,
    o: { samples: number; noiseFree: boolean },
    noise: NoiseSource,
  ): Promise<SampledForecasts>;
  /** Frees the model. */
  close(): void;
}

/**
 * Reads the forecaster of `runDir` (module doc); a folder that holds no forecaster is one line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadForecaster } from "./load.ts";
 * await assert.rejects(loadForecaster("/nonexistent"), /\/nonexistent\/weights\.safetensors/);
 * ```
 */
export async function loadForecaster(runDir: string): Promise<LoadedForecaster> {
  const bestPath = runFile(runDir, "best");
  const hasBest = await Deno.stat(bestPath).then((s) => s.isFile, () => false);
  const path = hasBest ? bestPath : runFile(runDir, "weights");
  const file = await loadSafetensors(path).catch((e) => {
    throw new Error(`${path}: ${e instanceof Deno.errors.NotFound ? "not found" : e.message}`);
  });
  const meta = decodeMetadata(file.metadata, path);
  if (meta.variant !== "forecast") {
    throw new Error(`${path} holds a ${meta.format} model, not a forecaster`);
  }
  const best = file.metadata.best ? JSON.parse(file.metadata.best) : null;
  const spec = meta.spec, { lookback: L, horizon: H } = meta.series;
  if (spec.kind === "noprop-dt") {
    const model = createNoPropForecaster(spec, 0);
    assignForecaster(model, file.tensors);
    return {
      path,
      meta,
      best,
      probabilistic: true,
      sample: (x, n, o, noise) => sampleForecasts(model, x, n, o, noise),
      close: () => disposeForecaster(model),
    };
  }
  let point: (x: Float32Array, n: number) => Promise<Float32Array>;
  let close = () => {};
  if (spec.kind === "dlinear") {
    const model = createDLinear(spec, 0);
    model.params.assignFrom(pickArrays(file.tensors, "", false));
    point = async (x, n) => {
      const y = tf.tidy(() => dlinearForward(model, tf.tensor2d(x.subarray(0, n * L), [n, L])));
      const out = await y.data() as Float32Array;
      y.dispose();
      return out;
    };
    close = () => disposeDLinear(model);
  } else {
    point = (x, n) => Promise.resolve(repeatLast(x, n, L, H));
  }
  return {
    path,
    meta,
    best,
    probabilistic: false,
    sample: async (x, n) => ({ samples: new Float32Array(0), noiseFree: await point(x, n) }),
    close,
  };
}
