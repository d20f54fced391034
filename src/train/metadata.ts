/**
 * The description of a trained model stored in the safetensors metadata: everything the
 * ONNX exporter needs to rebuild the graphs without the config (variant, T, shapes, embedding,
 * schedule, class names, normalisation and layout).
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
import type { NoPropDT } from "../model/noprop.ts";

/** Metadata strings for `weights.safetensors`. */
export function runMetadata(
  cfg: Config,
  info: DatasetInfo,
  model: NoPropDT,
): Record<string, string> {
  return {
    format: "noprop-dt",
    variant: cfg.variant,
    dataset: info.name,
    T: String(model.schedule.T),
    schedule: model.schedule.name,
    alphaBar: JSON.stringify(Array.from(model.schedule.alphaBar)),
    embedding: model.embedding.kind,
    embedDim: String(model.embedding.dim),
    spec: JSON.stringify(model.spec),
    classNames: JSON.stringify(info.classNames),
    normalization: JSON.stringify({ mean: info.mean, std: info.std, scale: 1 / 255 }),
    layout: "tfjs: images NHWC, conv [kh,kw,in,out], dense [in,out], flatten in NHWC order",
  };
}
