/**
 * Export of a NoProp-DT forecaster run to ONNX: `block_01.onnx` … `block_TT.onnx`,
 * `decoder.onnx` (autoencoder mode) and `manifest.json` (format `noprop-onnx-forecaster`,
 * `src/infer/forecast/manifest.ts`), from `best.safetensors` (the weights selected on the
 * validation split) when the run has one, else `weights.safetensors`. DLinear and repeat-last
 * runs are refused in one line (they are baselines, scored by `deno task eval`).
 *
 * @example
 * ```ts
 * import type { ForecastManifest } from "@noprop/infer";
 * const graphs = (m: ForecastManifest) => m.blocks.length + (m.decoder ? 1 : 0);
 * ```
 * @module
 */
import type { ForecastManifest } from "@noprop/infer";
import { writeFileAtomic } from "../../atomic.ts";
import type { ForecastMetadata } from "../../run/forecast_metadata.ts";
import { decodeMetadata } from "../../run/metadata.ts";
import { loadSafetensors, type SafetensorsFile } from "../../safetensors.ts";
import { scheduleFromAlphaBar } from "../../schedule.ts";
import { OPSET } from "../graph.ts";
import { ExportError, type ExportOptions, type ForecastExportResult } from "../export_types.ts";
import { manifestJson, writeGraph } from "../manifest_file.ts";
import { type NamedTensor, WeightMap } from "../weights.ts";
import { decoderGraph, forecastBlockGraph } from "./graphs.ts";

/** ε of the per-window normalisation (the trainer's `REVIN_EPS`). */
const REVIN_EPS = 1e-5;

/**
 * Exports the forecaster of `runDir` (module doc); `file`/`md` are its weights.safetensors.
 *
 * @example
 * ```ts
 * import { exportAnyRun } from "../export.ts";
 * const toOnnx = (runDir: string) => exportAnyRun(runDir, { outDir: `${runDir}/onnx` });
 * ```
 */
export async function exportForecast(
  runDir: string,
  file: SafetensorsFile,
  md: ForecastMetadata,
  opts: ExportOptions,
): Promise<ForecastExportResult> {
  let path = `${runDir}/weights.safetensors`;
  const bestPath = `${runDir}/best.safetensors`;
  if (await Deno.stat(bestPath).then((s) => s.isFile, () => false)) {
    try {
      file = await loadSafetensors(bestPath);
      md = decodeMetadata(file.metadata, bestPath) as ForecastMetadata;
    } catch (e) {
      throw new ExportError((e as Error).message);
    }
    path = bestPath;
  }
  const spec = md.spec;
  if (spec.kind !== "noprop-dt") {
    throw new ExportError(
      `${path}: a ${md.format} model is a baseline without an ONNX export; export a NoProp-DT ` +
        `forecaster (score baselines with deno task eval)`,
    );
  }
  const tensors: Record<string, NamedTensor> = {};
  for (const [k, t] of Object.entries(file.tensors)) {
    if (t.dtype === "F32") tensors[k] = { shape: t.shape, data: t.data as Float32Array };
  }
  const d = spec.mode === "direct" ? spec.horizon : spec.latentDim;
  const sched = scheduleFromAlphaBar(spec.schedule, Float64Array.from(spec.alphaBar));
  const outDir = opts.outDir ?? runDir;
  await Deno.mkdir(outDir, { recursive: true });
  const blocks: ForecastManifest["blocks"] = [];
  const blockNodes: number[] = [];
  try {
    for (let t = 1; t <= spec.T; t++) {
      const name = `block_${String(t).padStart(2, "0")}`;
      const g = forecastBlockGraph({
        lookback: spec.lookback,
        latentDim: d,
        hidden: spec.hidden,
        weights: WeightMap.withPrefix(tensors, name),
        name,
      });
      const doc = `NoProp-DT forecaster block ${t} of ${spec.T}: (x̃, z_${t - 1}) → û_${t}`;
      blocks.push(await writeGraph(outDir, `${name}.onnx`, g.encode({ docString: doc })));
      blockNodes.push(g.nodeCount);
    }
  } catch (e) {
    if (e instanceof ExportError) throw e;
    throw new ExportError(`${path}: ${(e as Error).message}`);
  }
  let decoder: ForecastManifest["decoder"] = null;
  if (spec.mode === "autoencoder") {
    const g = decoderGraph({
      latentDim: d,
      horizon: spec.horizon,
      weights: WeightMap.withPrefix(tensors, "ae"),
    });
    decoder = await writeGraph(
      outDir,
      "decoder.onnx",
      g.encode({ docString: "NoProp-DT forecaster decoder: z_T → normalised window" }),
    );
  }
  const s = md.series;
  const manifest: ForecastManifest = {
    format: "noprop-onnx-forecaster",
    version: 1,
    variant: "dt",
    mode: spec.mode,
    T: spec.T,
    lookback: spec.lookback,
    horizon: spec.horizon,
    latentDim: d,
    channels: s.channels,
    outputs: s.outputs,
    target: s.target,
    features: s.features,
    normalization: { mean: s.mean, std: s.std },
    revinEps: REVIN_EPS,
    schedule: {
      name: sched.name,
      a: Array.from(sched.a.subarray(1)),
      b: Array.from(sched.b.subarray(1)),
      c: Array.from(sched.c.subarray(1)),
    },
    samples: 100,
    opset: OPSET,
    blocks,
    decoder,
  };
  await writeFileAtomic(`${outDir}/manifest.json`, manifestJson(manifest));
  return {
    outDir,
    files: [...blocks.map((b) => b.file), ...(decoder ? [decoder.file] : []), "manifest.json"],
    manifest,
    blockNodes,
  };
}
