/**
 * Export of a NoProp-CT / -FM run (`weights.safetensors` with format `noprop-ct`/`noprop-fm`):
 * `network.onnx` (inputs x, z, t → `uhat` or `vhat`), `classifier.onnx` (CT: the linear
 * classifier on z_1; FM: logits = −‖z − u_k‖², the nearest embedding), for CT `schedule.onnx`
 * (t → gamma, alpha, sigma), and `manifest.json` (variant ct/fm, T = 1, `blocks` = [network],
 * `schedule.graph`, default sampler `euler` with 10 steps), written last.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { continuousArrays, createContinuousModel } from "../model/continuous_model.ts";
 * import { dataMetadata, decodeMetadata, encodeMetadata } from "../run/metadata.ts";
 * import { loadSafetensors, saveSafetensors } from "../safetensors.ts";
 * import { f32Tensors } from "../train/named_tensors.ts";
 * import { exportContinuous } from "./export_continuous.ts";
 * await initBackend("cpu");
 * // A NoProp-CT run folder with only weights.safetensors, as training writes it.
 * const model = createContinuousModel({
 *   variant: "ct", image: { height: 8, width: 8, channels: 1 }, classes: 2, embedding: "onehot",
 *   embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0, gamma0: -5, gamma1: 5, gammaHidden: 4,
 * });
 * const runDir = await Deno.makeTempDir();
 * const info = { name: "mnist" as const, classNames: ["a", "b"], mean: [0.1307], std: [0.3081] };
 * const md = encodeMetadata({
 *   format: "noprop-ct", variant: "ct", embedding: "onehot", spec: model.spec,
 *   ...dataMetadata(info),
 * });
 * const weights = f32Tensors(await continuousArrays(model));
 * await saveSafetensors(`${runDir}/weights.safetensors`, weights, md);
 * // What exportRun does for a ct/fm run:
 * const file = await loadSafetensors(`${runDir}/weights.safetensors`);
 * const meta = decodeMetadata(file.metadata, "weights.safetensors");
 * assert.ok(meta.variant !== "dt" && meta.variant !== "forecast"); // a CT/FM classifier
 * const outDir = `${runDir}/ct`;
 * const { files, manifest } = await exportContinuous(runDir, file, meta, { outDir });
 * assert.deepEqual(files, ["network.onnx", "classifier.onnx", "schedule.onnx", "manifest.json"]);
 * assert.deepEqual(manifest.sampler, { name: "euler", steps: 10, noise: false });
 * await Deno.remove(runDir, { recursive: true });
 * ```
 * @module
 */
import type { ContinuousMetadata } from "../run/metadata.ts";
import type { SafetensorsFile } from "../safetensors.ts";
import { ctScheduleValuesFrom } from "../model/ct_schedule_values.ts";
import type { Manifest } from "@noprop/infer";
import { classifierGraph } from "./classifier_graph.ts";
import { continuousGraph, ctScheduleGraph, nearestEmbeddingGraph } from "./continuous_graph.ts";
import { ExportError, type ExportOptions, type ExportResult } from "./export_types.ts";
import { writeGraph, writeManifest } from "./manifest_file.ts";
import { type NamedTensor, WeightMap } from "./weights.ts";

/** Default sampler steps written into the manifest. */
export const DEFAULT_CONTINUOUS_STEPS = 10;

/**
 * Writes the graphs and the manifest of a ct/fm run (see the module doc). Throws
 * {@linkcode ExportError} for bad metadata.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { continuousArrays, createContinuousModel } from "../model/continuous_model.ts";
 * import { dataMetadata, decodeMetadata, encodeMetadata } from "../run/metadata.ts";
 * import { loadSafetensors, saveSafetensors } from "../safetensors.ts";
 * import { f32Tensors } from "../train/named_tensors.ts";
 * import { exportContinuous } from "./export_continuous.ts";
 * await initBackend("cpu");
 * // A NoProp-FM run folder with only weights.safetensors, as training writes it.
 * const model = createContinuousModel({
 *   variant: "fm", image: { height: 8, width: 8, channels: 1 }, classes: 2, embedding: "onehot",
 *   embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0, gamma0: -5, gamma1: 5, gammaHidden: 4,
 * });
 * const runDir = await Deno.makeTempDir();
 * const info = { name: "mnist" as const, classNames: ["a", "b"], mean: [0.1307], std: [0.3081] };
 * const md = encodeMetadata({
 *   format: "noprop-fm", variant: "fm", embedding: "onehot", spec: model.spec,
 *   ...dataMetadata(info),
 * });
 * const weights = f32Tensors(await continuousArrays(model));
 * await saveSafetensors(`${runDir}/weights.safetensors`, weights, md);
 * // What exportRun does for a ct/fm run:
 * const file = await loadSafetensors(`${runDir}/weights.safetensors`);
 * const meta = decodeMetadata(file.metadata, "weights.safetensors");
 * assert.ok(meta.variant !== "dt" && meta.variant !== "forecast"); // a CT/FM classifier
 * const r = await exportContinuous(runDir, file, meta, {}); // into the run folder
 * // FM has no learnable schedule; its classifier is the nearest embedding.
 * assert.deepEqual(r.files, ["network.onnx", "classifier.onnx", "manifest.json"]);
 * assert.equal(r.outDir, runDir);
 * await Deno.remove(runDir, { recursive: true });
 * ```
 */
export async function exportContinuous(
  runDir: string,
  file: SafetensorsFile,
  md: ContinuousMetadata,
  opts: ExportOptions,
): Promise<ExportResult> {
  const path = `${runDir}/weights.safetensors`;
  const { variant, spec, classNames, normalization: norm } = md;
  const tensors: Record<string, NamedTensor> = {};
  for (const [k, t] of Object.entries(file.tensors)) {
    if (t.dtype === "F32") tensors[k] = { shape: t.shape, data: t.data as Float32Array };
  }
  const embed = tensors["embed.W"];
  if (!embed) throw new ExportError(`${path}: tensor "embed.W" is missing`);
  const outDir = opts.outDir ?? runDir;
  await Deno.mkdir(outDir, { recursive: true });
  const write = (name: string, bytes: Uint8Array) => writeGraph(outDir, name, bytes);
  const net = continuousGraph({
    variant,
    spec,
    weights: WeightMap.withPrefix(tensors, "net"),
    embed,
    name: "network",
  });
  const netRef = await write(
    "network.onnx",
    net.encode({
      docString: `NoProp-${variant.toUpperCase()} network: (x, z_t, t) → ${
        variant === "ct" ? "û" : "v̂"
      }`,
    }),
  );
  const cls = variant === "ct"
    ? classifierGraph(WeightMap.withPrefix(tensors, "cls"), spec.embedDim, spec.classes)
    : nearestEmbeddingGraph(embed);
  const clsRef = await write("classifier.onnx", cls.encode({ docString: "NoProp: z_1 → logits" }));
  const schedule: Manifest["schedule"] = {
    name: variant === "ct" ? "learned" : "fm",
    a: [],
    b: [],
    c: [],
  };
  if (variant === "ct") {
    let v;
    try {
      v = ctScheduleValuesFrom(tensors, path);
    } catch (e) {
      throw new ExportError((e as Error).message);
    }
    schedule.graph = await write(
      "schedule.onnx",
      ctScheduleGraph(v).encode({ docString: "NoProp-CT schedule: t → γ, √ᾱ, √(1 − ᾱ)" }),
    );
  }
  const manifest = await writeManifest(outDir, {
    variant,
    T: 1,
    classNames,
    spec,
    normalization: norm,
    schedule,
    sampler: { name: "euler", steps: DEFAULT_CONTINUOUS_STEPS, noise: false },
    blocks: [netRef],
    classifier: clsRef,
  });
  return {
    outDir,
    files: [
      netRef.file,
      clsRef.file,
      ...(schedule.graph ? [schedule.graph.file] : []),
      "manifest.json",
    ],
    manifest,
    blockNodes: [net.nodeCount],
  };
}
