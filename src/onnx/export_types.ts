/**
 * The types the ONNX exporter's modules share: the options and result of an export and its
 * error. Their own module so that `export.ts` (DT and backprop runs) and
 * `export_continuous.ts` (CT/FM runs) both import them without importing each other, and so
 * that the exporter's CLI can name {@linkcode ExportError} without loading the exporter.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ExportError } from "./export_types.ts";
 * const e = new ExportError("models/x: weights.safetensors is missing");
 * assert.equal(String(e), "ExportError: models/x: weights.safetensors is missing");
 * ```
 * @module
 */
import type { ForecastManifest, Manifest } from "@noprop/infer";

/**
 * Options of `exportRun` (`export.ts`).
 *
 * @example
 * ```ts
 * import type { ExportOptions } from "./export_types.ts";
 * const o: ExportOptions = { outDir: "/tmp/onnx", noise: false, fused: true };
 * ```
 */
export interface ExportOptions {
  /** Output folder (default: the run folder itself). Created if missing. */
  outDir?: string;
  /** Default of the sampler's stochastic term written to the manifest (default false). */
  noise?: boolean;
  /**
   * DT models: also write `chain.onnx`, the whole chain (T blocks, the sampler's steps, the
   * classifier) in one graph, and list it in the manifest (default false).
   */
  fused?: boolean;
}

/**
 * What `exportRun` (`export.ts`) wrote.
 *
 * @example
 * ```ts
 * import type { ExportResult } from "./export_types.ts";
 * const summary = (r: ExportResult) => `${r.files.length} files → ${r.outDir}`;
 * ```
 */
export interface ExportResult {
  /** The output folder. */
  outDir: string;
  /** File names written, manifest last. */
  files: string[];
  /** The manifest written. */
  manifest: Manifest;
  /** Node count of each block graph written. */
  blockNodes: number[];
  /** Node count of `chain.onnx`, when written. */
  chainNodes?: number;
}

/**
 * A problem with the run folder (missing file, bad metadata); the message is one line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exportRun } from "./export.ts";
 * import { ExportError } from "./export_types.ts";
 * const empty = await Deno.makeTempDir();
 * await assert.rejects(
 *   exportRun(empty),
 *   (e) => e instanceof ExportError &&
 *     e.message === `${empty} is not a run folder: weights.safetensors is missing`,
 * );
 * await Deno.remove(empty);
 * ```
 */
export class ExportError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ExportError";
  }
}

/**
 * What the export of a forecaster wrote (`src/onnx/forecast/export.ts`).
 *
 * @example
 * ```ts
 * import type { ForecastExportResult } from "./export_types.ts";
 * const graphs = (r: ForecastExportResult) => r.files.filter((f) => f.endsWith(".onnx"));
 * ```
 */
export interface ForecastExportResult {
  /** The output folder. */
  outDir: string;
  /** File names written, manifest last. */
  files: string[];
  /** The forecaster manifest written. */
  manifest: ForecastManifest;
  /** Node count of each block graph. */
  blockNodes: number[];
}
