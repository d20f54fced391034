/**
 * `manifest.json` of an exported NoProp-DT forecaster (format `noprop-onnx-forecaster`): what
 * the runtime needs to forecast from raw history, and nothing else — the channels and their
 * training-split normalisation, lookback L and horizon H, the latent size d and whether a
 * decoder maps z_T back to the window, the eq. 3 coefficients, and each graph's SHA-256.
 * Written by `deno task export`, validated here (every problem is one {@linkcode InferError}
 * line naming the file and field).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseForecastManifest } from "./manifest.ts";
 * assert.throws(() => parseForecastManifest('{"format": "noprop-onnx"}', "m.json"), {
 *   message: 'm.json: "format" must be "noprop-onnx-forecaster", got "noprop-onnx" ' +
 *     "(a classifier folder? use createClassifier)",
 * });
 * ```
 * @module
 */
import { InferError } from "../errors.ts";
import { type GraphRef, graphRef } from "../manifest.ts";

/** The format tag of a forecaster's manifest. */
export const FORECAST_MANIFEST_FORMAT = "noprop-onnx-forecaster";

/**
 * A validated forecaster manifest.
 *
 * @example
 * ```ts
 * import type { ForecastManifest } from "./manifest.ts";
 * const outputs = (m: ForecastManifest) => m.outputs.map((i) => m.channels[i]);
 * ```
 */
export interface ForecastManifest {
  /** Always {@linkcode FORECAST_MANIFEST_FORMAT}. */
  format: typeof FORECAST_MANIFEST_FORMAT;
  /** Manifest version (1). */
  version: 1;
  /** Always `dt`: one block per eq. 3 step. */
  variant: "dt";
  /** `direct` (z_T is the normalised window) or `autoencoder` (a decoder graph maps it back). */
  mode: "direct" | "autoencoder";
  /** Number of blocks. */
  T: number;
  /** Input rows L. */
  lookback: number;
  /** Forecast rows H. */
  horizon: number;
  /** Size d of z and û (H in direct mode). */
  latentDim: number;
  /** The model's channels, by column name. */
  channels: string[];
  /** Indices into `channels` that are forecast. */
  outputs: number[];
  /** Target column (features S, MS), else null. */
  target: string | null;
  /** Feature mode trained with (M, S, MS). */
  features: string;
  /** Training-split mean and std of each channel: z = (value − mean)/std. */
  normalization: { mean: number[]; std: number[] };
  /** ε of the per-window normalisation √(var + ε). */
  revinEps: number;
  /** Eq. 3 coefficients a_t, b_t, c_t for t = 1..T at index t − 1. */
  schedule: { name: string; a: number[]; b: number[]; c: number[] };
  /** Default samples of a forecast. */
  samples: number;
  /** ONNX opset of the graphs. */
  opset: number;
  /** Block graphs 1..T: (x [N, L], z [N, d]) → uhat [N, d]. */
  blocks: GraphRef[];
  /** Autoencoder mode: z [N, d] → y [N, H]; else null. */
  decoder: GraphRef | null;
}

type Obj = Record<string, unknown>;

function fail(where: string, msg: string): never {
  throw new InferError("bad-model", `${where}: ${msg}`);
}

function posInt(v: unknown, where: string, field: string): number {
  if (!Number.isSafeInteger(v) || (v as number) < 1) {
    fail(where, `"${field}" must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v as number;
}

function numbers(v: unknown, where: string, field: string, len: number): number[] {
  if (!Array.isArray(v) || v.length !== len || !v.every((x) => Number.isFinite(x))) {
    fail(where, `"${field}" must be an array of ${len} finite numbers`);
  }
  return v as number[];
}

/**
 * Parses and validates a forecaster manifest; `where` prefixes errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseForecastManifest } from "./manifest.ts";
 * assert.throws(() => parseForecastManifest("[", "m.json"), { message: /^m\.json: not valid JSON/ });
 * ```
 */
export function parseForecastManifest(text: string, where: string): ForecastManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    fail(where, `not valid JSON (${(e as Error).message})`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) fail(where, "not an object");
  const m = raw as Obj;
  if (m.format !== FORECAST_MANIFEST_FORMAT) {
    fail(
      where,
      `"format" must be "${FORECAST_MANIFEST_FORMAT}", got ${JSON.stringify(m.format)}` +
        (m.format === "noprop-onnx" ? " (a classifier folder? use createClassifier)" : ""),
    );
  }
  if (m.version !== 1) fail(where, `"version" ${JSON.stringify(m.version)} is not supported (1)`);
  if (m.variant !== "dt") fail(where, `"variant" must be "dt"`);
  if (m.mode !== "direct" && m.mode !== "autoencoder") {
    fail(where, `"mode" must be "direct" or "autoencoder"`);
  }
  const T = posInt(m.T, where, "T"), L = posInt(m.lookback, where, "lookback");
  const H = posInt(m.horizon, where, "horizon"), d = posInt(m.latentDim, where, "latentDim");
  if (m.mode === "direct" && d !== H) {
    fail(where, `"latentDim" must equal "horizon" in direct mode`);
  }
  const channels = m.channels;
  if (
    !Array.isArray(channels) || !channels.length || !channels.every((c) => typeof c === "string")
  ) {
    fail(where, `"channels" must be a non-empty list of column names`);
  }
  const C = channels.length;
  const outputs = m.outputs;
  if (
    !Array.isArray(outputs) || !outputs.length ||
    !outputs.every((o) => Number.isInteger(o) && o >= 0 && o < C)
  ) {
    fail(where, `"outputs" must be a non-empty list of channel indices`);
  }
  const norm = m.normalization as Obj | undefined;
  if (!norm || typeof norm !== "object") fail(where, `"normalization" must be an object`);
  const mean = numbers(norm.mean, where, "normalization.mean", C);
  const std = numbers(norm.std, where, "normalization.std", C);
  if (!std.every((s) => s > 0)) fail(where, `"normalization.std" must be positive`);
  const sch = m.schedule as Obj | undefined;
  if (!sch || typeof sch !== "object") fail(where, `"schedule" must be an object`);
  const schedule = {
    name: String(sch.name ?? "cosine"),
    a: numbers(sch.a, where, "schedule.a", T),
    b: numbers(sch.b, where, "schedule.b", T),
    c: numbers(sch.c, where, "schedule.c", T),
  };
  if (!Array.isArray(m.blocks) || m.blocks.length !== T) {
    fail(where, `"blocks" must list T = ${T} graphs`);
  }
  const blocks = m.blocks.map((b, i) => graphRef(b, where, `blocks[${i}]`));
  const decoder = m.mode === "autoencoder" ? graphRef(m.decoder, where, "decoder") : null;
  const eps = m.revinEps;
  if (typeof eps !== "number" || !(eps > 0)) fail(where, `"revinEps" must be a positive number`);
  return {
    format: FORECAST_MANIFEST_FORMAT,
    version: 1,
    variant: "dt",
    mode: m.mode,
    T,
    lookback: L,
    horizon: H,
    latentDim: d,
    channels: channels as string[],
    outputs: outputs as number[],
    target: typeof m.target === "string" ? m.target : null,
    features: String(m.features ?? "M"),
    normalization: { mean, std },
    revinEps: eps,
    schedule,
    samples: posInt(m.samples ?? 100, where, "samples"),
    opset: posInt(m.opset, where, "opset"),
    blocks,
    decoder,
  };
}
