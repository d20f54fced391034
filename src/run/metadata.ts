/**
 * The description of a trained model stored in the safetensors metadata: everything the
 * ONNX exporter needs to rebuild the graphs without the config (variant, T, shapes, embedding,
 * schedule, class names, normalisation and layout). Its `format` also tells a resumed run
 * whose checkpoint it is reading.
 *
 * @example
 * ```ts
 * import { runMetadata } from "./metadata.ts";
 * // const meta = runMetadata(config, dataset.info, model); // Record<string, string>
 * ```
 * @module
 */
import type { Config } from "../config/schema.ts";
import type { DatasetInfo } from "../data/types.ts";
import type { ContinuousModel } from "../model/continuous_model.ts";
import type { NoPropDT } from "../model/noprop.ts";

/**
 * Metadata strings for `weights.safetensors` of a NoProp-DT run (the backprop baseline adds
 * `format: noprop-backprop` and `method: backprop`).
 *
 * @example
 * ```ts
 * import { runMetadata } from "./metadata.ts";
 * // runMetadata(config, dataset.info, model).format; // "noprop-dt"
 * ```
 */
export function runMetadata(
  cfg: Config,
  info: DatasetInfo,
  model: NoPropDT,
): Record<string, string> {
  return {
    format: "noprop-dt",
    variant: cfg.variant,
    T: String(model.schedule.T),
    schedule: model.schedule.name,
    alphaBar: JSON.stringify(Array.from(model.schedule.alphaBar)),
    embedding: model.embedding.kind,
    embedDim: String(model.embedding.dim),
    spec: JSON.stringify(model.spec),
    ...dataMetadata(info),
    layout: "tfjs: images NHWC, conv [kh,kw,in,out], dense [in,out], flatten in NHWC order",
  };
}

/**
 * Metadata strings for `weights.safetensors` of a NoProp-CT / -FM run (format `noprop-ct` or
 * `noprop-fm`, shapes, embedding, class names, normalisation).
 *
 * @example
 * ```ts
 * import { continuousMetadata } from "./metadata.ts";
 * // const meta = continuousMetadata(dataset.info, model); // meta.format === "noprop-ct"
 * ```
 */
export function continuousMetadata(info: DatasetInfo, m: ContinuousModel): Record<string, string> {
  return {
    format: `noprop-${m.variant}`,
    variant: m.variant,
    spec: JSON.stringify(m.spec),
    embedding: m.embedding.kind,
    ...dataMetadata(info),
  };
}

/** What every variant records about its data: dataset, class names, normalisation. */
function dataMetadata(info: DatasetInfo): Record<string, string> {
  return {
    dataset: info.name,
    classNames: JSON.stringify(info.classNames),
    normalization: JSON.stringify({ mean: info.mean, std: info.std, scale: 1 / 255 }),
  };
}
