/**
 * The description of a trained model stored in the metadata of `weights.safetensors` and
 * `checkpoint.safetensors`: everything the ONNX exporter, `deno task eval` and a resumed run need
 * to rebuild the model without the config (format, variant, T, ᾱ schedule, shapes and image
 * backbone (`spec.backbone`, `spec.backboneWidth`; absent in older files, meaning the paper's),
 * embedding, class names, normalisation and layout). One typed encoding ({@linkcode encodeMetadata}) and
 * decoding ({@linkcode decodeMetadata}) that every writer and reader goes through; safetensors
 * metadata values are strings, so numbers and lists are stored as JSON.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMetadata, encodeMetadata, type RunMetadata } from "./metadata.ts";
 * const m: RunMetadata = {
 *   format: "noprop-fm", variant: "fm", dataset: "mnist", classNames: ["a", "b"],
 *   normalization: { mean: [0.1], std: [0.3], scale: 1 / 255 }, embedding: "onehot",
 *   spec: {
 *     height: 4, width: 4, channels: 1, classes: 2, embedDim: 2, widths: [2, 2, 2], hidden: 4,
 *     zAsImage: false,
 *   },
 * };
 * const strings = encodeMetadata(m); // what safetensors stores
 * assert.equal(strings.classNames, '["a","b"]');
 * assert.deepEqual(decodeMetadata(strings, "w.safetensors"), m);
 * ```
 * @module
 */
import type { ImageDatasetName } from "../config/schema.ts";
import type { DatasetInfo } from "../data/types.ts";
import { BACKBONES } from "../model/backbone.ts";
import type { BlockSpec } from "../model/block.ts";
import type { ContinuousSpec } from "../model/continuous.ts";
import {
  decodeForecastMetadata,
  encodeForecastMetadata,
  FORECAST_FORMATS,
  type ForecastMetadata,
} from "./forecast_metadata.ts";

export type { ForecastMetadata } from "./forecast_metadata.ts";

/** The weight formats: one per training method (the forecasters': `forecast_metadata.ts`). */
export const FORMATS = [
  "noprop-dt",
  "noprop-backprop",
  "noprop-ct",
  "noprop-fm",
  ...FORECAST_FORMATS,
] as const;
/** A weight format. */
export type Format = (typeof FORMATS)[number];

/** What every format records about its data. */
interface DataMetadata {
  /** Dataset name. */
  dataset: ImageDatasetName;
  /** Class names, index = label. */
  classNames: string[];
  /** Input normalisation: x = (pixel · scale − mean[c]) / std[c]. */
  normalization: { mean: number[]; std: number[]; scale: number };
  /** Label embedding kind. */
  embedding: "onehot" | "learned" | "prototype";
}

/**
 * NoProp-DT or the backprop baseline (same blocks; the baseline's coefficients come from its
 * `mix.w` tensor).
 *
 * @example
 * ```ts
 * import type { DtMetadata } from "./metadata.ts";
 * const blocks = (m: DtMetadata) => m.T;
 * ```
 */
export interface DtMetadata extends DataMetadata {
  /** `noprop-dt` or `noprop-backprop`. */
  format: "noprop-dt" | "noprop-backprop";
  /** Always `dt`. */
  variant: "dt";
  /** Number of blocks. */
  T: number;
  /** Noise schedule name. */
  schedule: "cosine" | "linear";
  /** ᾱ_0 … ᾱ_T. */
  alphaBar: number[];
  /** Label-embedding dimension. */
  embedDim: number;
  /** Block shapes. */
  spec: BlockSpec;
}

/**
 * NoProp-CT or NoProp-FM (one network).
 *
 * @example
 * ```ts
 * import type { ContinuousMetadata } from "./metadata.ts";
 * const isCt = (m: ContinuousMetadata) => m.variant === "ct";
 * ```
 */
export interface ContinuousMetadata extends DataMetadata {
  /** `noprop-ct` or `noprop-fm`. */
  format: "noprop-ct" | "noprop-fm";
  /** `ct` or `fm`. */
  variant: "ct" | "fm";
  /** Network shapes. */
  spec: ContinuousSpec;
}

/**
 * The description of any trained model.
 *
 * @example
 * ```ts
 * import type { RunMetadata } from "./metadata.ts";
 * const continuous = (m: RunMetadata) => m.variant !== "dt";
 * ```
 */
export type RunMetadata = DtMetadata | ContinuousMetadata | ForecastMetadata;

/** The image-classification descriptions (every format but the forecasters'). */
export type ClassifierMetadata = DtMetadata | ContinuousMetadata;

/**
 * True for a forecaster's description (`forecast_metadata.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isForecastMetadata } from "./metadata.ts";
 * assert.equal(isForecastMetadata({ variant: "dt" } as never), false);
 * ```
 */
export function isForecastMetadata(m: RunMetadata): m is ForecastMetadata {
  return m.variant === "forecast";
}

/** The layout note stored with DT weights. */
const LAYOUT = "tfjs: images NHWC, conv [kh,kw,in,out], dense [in,out], flatten in NHWC order";

/**
 * The data part of the metadata, from a dataset's description.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dataMetadata } from "./metadata.ts";
 * const d = dataMetadata({ name: "mnist", classNames: ["0"], mean: [0.1], std: [0.3] });
 * assert.deepEqual(d, {
 *   dataset: "mnist",
 *   classNames: ["0"],
 *   normalization: { mean: [0.1], std: [0.3], scale: 1 / 255 },
 * });
 * ```
 */
export function dataMetadata(
  info: Pick<DatasetInfo, "name" | "classNames" | "mean" | "std">,
): Omit<DataMetadata, "embedding"> {
  return {
    dataset: info.name as ImageDatasetName,
    classNames: [...info.classNames],
    normalization: { mean: [...info.mean], std: [...info.std], scale: 1 / 255 },
  };
}

/**
 * The metadata strings of `m`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeMetadata } from "./metadata.ts";
 * const md = encodeMetadata({
 *   format: "noprop-backprop", variant: "dt", dataset: "mnist", classNames: ["a", "b"],
 *   normalization: { mean: [0.1], std: [0.3], scale: 1 / 255 }, embedding: "onehot",
 *   T: 2, schedule: "linear", alphaBar: [1e-4, 0.5, 0.9999], embedDim: 2,
 *   spec: {
 *     height: 4, width: 4, channels: 1, classes: 2, embedDim: 2, widths: [2, 2, 2], hidden: 4,
 *     zAsImage: false,
 *   },
 * });
 * // Every value is a string; numbers and lists are JSON.
 * assert.equal(md.T, "2");
 * assert.equal(md.alphaBar, "[0.0001,0.5,0.9999]");
 * assert.equal(md.method, "backprop");
 * ```
 */
export function encodeMetadata(m: RunMetadata): Record<string, string> {
  if (m.variant === "forecast") return encodeForecastMetadata(m);
  const common = {
    format: m.format,
    variant: m.variant,
    dataset: m.dataset,
    classNames: JSON.stringify(m.classNames),
    normalization: JSON.stringify(m.normalization),
    embedding: m.embedding,
    spec: JSON.stringify(m.spec),
  };
  if (m.variant !== "dt") return common;
  return {
    ...common,
    ...(m.format === "noprop-backprop" ? { method: "backprop" } : {}),
    T: String(m.T),
    schedule: m.schedule,
    alphaBar: JSON.stringify(m.alphaBar),
    embedDim: String(m.embedDim),
    layout: LAYOUT,
  };
}

/**
 * Reads the metadata strings of the file `path` back into a {@linkcode RunMetadata}; throws a
 * one-line error naming the file and the field for anything missing or malformed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMetadata } from "./metadata.ts";
 * assert.throws(
 *   () => decodeMetadata({ format: "noprop-dt" }, "run/weights.safetensors"),
 *   /^Error: run\/weights\.safetensors: metadata "embedding" is missing$/,
 * );
 * ```
 */
export function decodeMetadata(md: Record<string, string>, path: string): RunMetadata {
  const fail = (msg: string) => new Error(`${path}: metadata ${msg}`);
  const str = (k: string) => {
    const v = md[k];
    if (v === undefined) throw fail(`"${k}" is missing`);
    return v;
  };
  const json = <T>(k: string, ok: (v: unknown) => boolean, what: string): T => {
    let v: unknown;
    try {
      v = JSON.parse(str(k));
    } catch {
      throw fail(`"${k}" is not valid JSON`);
    }
    if (!ok(v)) throw fail(`"${k}" is not ${what}`);
    return v as T;
  };
  const isObj = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
  // The image-branch backbone (absent in files written before backbones: the paper's).
  const specOf = <T extends BlockSpec>(): T => {
    const spec = json<T>("spec", isObj, "an object");
    if (spec.backbone !== undefined && !BACKBONES.includes(spec.backbone)) {
      throw fail(`"spec" backbone ${JSON.stringify(spec.backbone)} is not ${BACKBONES.join(", ")}`);
    }
    const w = spec.backboneWidth;
    if (w !== undefined && !(typeof w === "number" && w > 0)) {
      throw fail(`"spec" backboneWidth ${JSON.stringify(w)} is not a number > 0`);
    }
    return spec;
  };
  const found = str("format");
  if ((FORECAST_FORMATS as readonly string[]).includes(found)) {
    return decodeForecastMetadata(md, path);
  }
  const format = found as ClassifierMetadata["format"];
  if (!FORMATS.includes(format)) {
    throw fail(
      `format ${JSON.stringify(format)} is not ${FORMATS.slice(0, -1).join(", ")} or ` +
        FORMATS.at(-1),
    );
  }
  const embedding = str("embedding") as DataMetadata["embedding"];
  if (!["onehot", "learned", "prototype"].includes(embedding)) {
    throw fail(`"embedding" ${JSON.stringify(embedding)} is not onehot, learned or prototype`);
  }
  const data: DataMetadata = {
    dataset: str("dataset") as ImageDatasetName,
    classNames: json("classNames", (v) => Array.isArray(v), "a list of names"),
    normalization: json("normalization", isObj, "an object"),
    embedding,
  };
  if (format === "noprop-ct" || format === "noprop-fm") {
    const variant = format === "noprop-ct" ? "ct" : "fm";
    if (str("variant") !== variant) throw fail(`"variant" does not match format ${format}`);
    return { format, variant, ...data, spec: specOf<ContinuousSpec>() };
  }
  if (str("variant") !== "dt") throw fail(`"variant" of a ${format} model must be dt`);
  const T = Number(str("T"));
  const alphaBar = json<number[]>("alphaBar", (v) => Array.isArray(v), "a list of numbers");
  if (!Number.isInteger(T) || T < 1 || alphaBar.length !== T + 1) {
    throw fail(`T = ${md.T} and ${alphaBar.length} ᾱ values do not match`);
  }
  const spec = specOf<BlockSpec>();
  if (data.classNames.length !== spec.classes) {
    throw fail(`has ${data.classNames.length} class names for ${spec.classes} classes`);
  }
  const schedule = str("schedule") as DtMetadata["schedule"];
  return {
    format,
    variant: "dt",
    ...data,
    T,
    schedule,
    alphaBar,
    embedDim: Number(str("embedDim")),
    spec,
  };
}
