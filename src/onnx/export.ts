/**
 * Exports a training run folder to ONNX: `block_01.onnx` … `block_TT.onnx` (one per
 * denoising block, see `block_graph.ts`), `classifier.onnx` and `manifest.json` (the
 * runtime's contract, see `src/infer/manifest.ts`), everything the runtime needs and nothing
 * else. The export is written into a hidden sibling of the output folder and swapped in only
 * when complete (`export_folder.ts`): a re-export that fails or is killed half-way leaves the
 * previous export as it was. The manifest, which carries every graph's SHA-256, is written
 * last.
 *
 * Everything comes from `weights.safetensors`: the tensors and the model description in its
 * metadata (variant, T, ᾱ schedule, block shapes, embedding, class names, normalisation). The
 * DT sampler's coefficients a_t, b_t, c_t are computed by `scheduleFromAlphaBar` — the same
 * function the trainer uses.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { createNoPropDT } from "../model/noprop.ts";
 * import { dtMetadata, saveWeights } from "../train/dt/weights.ts";
 * import { createClassifier } from "@noprop/infer";
 * import { exportRun } from "./export.ts";
 * await initBackend("cpu");
 * // A run folder with only weights.safetensors, as training writes it (a tiny T = 2 model).
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * const runDir = await Deno.makeTempDir();
 * const info = { name: "mnist" as const, classNames: ["a", "b"], mean: [0.1307], std: [0.3081] };
 * await saveWeights(runDir, model, dtMetadata(model, info));
 * const r = await exportRun(runDir);
 * assert.equal(r.outDir, runDir); // by default, next to the weights
 * assert.deepEqual(r.files, [
 *   "block_01.onnx", "block_02.onnx", "classifier.onnx", "manifest.json",
 * ]);
 * assert.deepEqual(r.manifest.schedule.a, Array.from(model.schedule.a.subarray(1)));
 * // The folder is all the runtime needs.
 * const clf = await createClassifier({ modelDir: runDir, provider: "cpu" });
 * const logits = await clf.logits(new Float32Array(3 * 64), 3, { noise: false });
 * assert.equal(logits.length, 3 * 2);
 * await clf.close();
 * await Deno.remove(runDir, { recursive: true });
 * ```
 * @module
 */
import { loadSafetensors, type Tensor } from "../safetensors.ts";
import { mixCoefficients, scheduleFromAlphaBar } from "../schedule.ts";
import { decodeMetadata } from "../run/metadata.ts";
import type { Manifest } from "@noprop/infer";
import { blockGraph } from "./block_graph.ts";
import { classifierGraph, classifierLayer } from "./classifier_graph.ts";
import { blockScope, CHAIN_FILE, writeChain } from "./export_chain.ts";
import { trainedLayers } from "./layer_source.ts";
import { exportContinuous } from "./export_continuous.ts";
import { publishExport } from "./export_folder.ts";
import {
  ExportError,
  type ExportOptions,
  type ExportResult,
  type ForecastExportResult,
} from "./export_types.ts";
import { writeGraph, writeManifest } from "./manifest_file.ts";
import { type NamedTensor, WeightMap } from "./weights.ts";

export { ExportError, type ExportOptions, type ExportResult } from "./export_types.ts";

function floats(tensors: Record<string, Tensor>): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {};
  for (const [k, t] of Object.entries(tensors)) {
    if (t.dtype === "F32") out[k] = { shape: t.shape, data: t.data as Float32Array };
  }
  return out;
}

/**
 * Block file name for block t: `block_01.onnx` (the trainer's `block_01` prefix).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blockFileName } from "./export.ts";
 * assert.equal(blockFileName(3), "block_03.onnx");
 * ```
 */
export function blockFileName(t: number): string {
  return `block_${String(t).padStart(2, "0")}.onnx`;
}

/**
 * Exports `runDir` (see the module doc). Throws {@linkcode ExportError} for a run folder it
 * cannot read; weight problems name the tensor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { createNoPropDT } from "../model/noprop.ts";
 * import { dtMetadata, saveWeights } from "../train/dt/weights.ts";
 * import { exportRun } from "./export.ts";
 * import { ExportError } from "./export_types.ts";
 * await initBackend("cpu");
 * // A run folder with only weights.safetensors, as training writes it (a tiny T = 2 model).
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * const runDir = await Deno.makeTempDir();
 * const info = { name: "mnist" as const, classNames: ["a", "b"], mean: [0.1307], std: [0.3081] };
 * await saveWeights(runDir, model, dtMetadata(model, info));
 * const outDir = `${runDir}/onnx`; // created when missing
 * const { manifest } = await exportRun(runDir, { outDir, noise: true });
 * assert.deepEqual(manifest.sampler, { name: "dt", steps: 2, noise: true });
 * assert.ok((await Deno.stat(`${outDir}/manifest.json`)).isFile);
 * await assert.rejects(
 *   exportRun(outDir), // an export is no run folder
 *   (e) => e instanceof ExportError && e.message.endsWith("weights.safetensors is missing"),
 * );
 * await Deno.remove(runDir, { recursive: true });
 * ```
 */
export async function exportRun(runDir: string, opts: ExportOptions = {}): Promise<ExportResult> {
  const r = await publishAny(runDir, opts, false);
  if (r.kind === "forecaster") throw new Error("unreachable: a forecaster is refused first");
  return r.result;
}

/** What {@linkcode exportAnyRun} exported: a classifier or a forecaster. */
export type AnyExport =
  | { kind: "classifier"; result: ExportResult }
  | { kind: "forecaster"; result: ForecastExportResult };

/**
 * Exports `runDir` whatever it holds: a classifier (as {@linkcode exportRun}) or a NoProp-DT
 * forecaster (`forecast/export.ts`), staged and published like {@linkcode exportRun}. What
 * `deno task export` runs.
 *
 * @example
 * ```ts
 * import { exportAnyRun } from "./export.ts";
 * const what = async (runDir: string) => (await exportAnyRun(runDir)).kind;
 * ```
 */
export function exportAnyRun(runDir: string, opts: ExportOptions = {}): Promise<AnyExport> {
  return publishAny(runDir, opts, true);
}

/**
 * Writes the export of `runDir` into a staging folder beside `opts.outDir` and publishes it
 * there (`export_folder.ts`); a forecaster only when `forecasters`.
 */
async function publishAny(
  runDir: string,
  opts: ExportOptions,
  forecasters: boolean,
): Promise<AnyExport> {
  const outDir = opts.outDir ?? runDir;
  const { any } = await publishExport(outDir, async (stage) => {
    const any = await exportInto(runDir, { ...opts, outDir: stage }, forecasters);
    return { files: any.result.files, any };
  });
  return any.kind === "classifier"
    ? { kind: "classifier", result: { ...any.result, outDir } }
    : { kind: "forecaster", result: { ...any.result, outDir } };
}

/** Writes the export of `runDir` into the (staging) folder `opts.outDir`. */
async function exportInto(
  runDir: string,
  opts: ExportOptions,
  forecasters: boolean,
): Promise<AnyExport> {
  const path = `${runDir}/weights.safetensors`;
  let file;
  try {
    file = await loadSafetensors(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new ExportError(`${runDir} is not a run folder: weights.safetensors is missing`);
    }
    throw new ExportError((e as Error).message);
  }
  let md;
  try {
    md = decodeMetadata(file.metadata, path);
  } catch (e) {
    throw new ExportError((e as Error).message);
  }
  if (md.variant === "forecast") {
    if (!forecasters) {
      throw new ExportError(`${runDir} holds a forecaster: export it with exportAnyRun`);
    }
    if (opts.fused) {
      throw new ExportError(
        `${path}: --fused is for dt classifiers (the chain of T blocks), not a forecaster`,
      );
    }
    const { exportForecast } = await import("./forecast/export.ts");
    return { kind: "forecaster", result: await exportForecast(runDir, file, md, opts) };
  }
  if (md.variant !== "dt") {
    if (opts.fused) {
      throw new ExportError(
        `${path}: --fused is for dt models (the chain of T blocks), not ${md.variant}`,
      );
    }
    return { kind: "classifier", result: await exportContinuous(runDir, file, md, opts) };
  }
  const backprop = md.format === "noprop-backprop";
  const { T, spec, classNames, normalization: norm } = md;
  const tensors = floats(file.tensors);
  const sched = backprop
    ? backpropCoefficients(tensors["mix.w"], T, path)
    : scheduleFromAlphaBar(md.schedule, Float64Array.from(md.alphaBar));
  const embed = tensors["embed.W"];
  if (!embed) throw new ExportError(`${path}: tensor "embed.W" is missing`);
  const outDir = opts.outDir ?? runDir;
  await Deno.mkdir(outDir, { recursive: true });

  const blocks: Manifest["blocks"] = [];
  const blockNodes: number[] = [];
  const blockLayers = (t: number, scope = "") =>
    trainedLayers(WeightMap.withPrefix(tensors, blockFileName(t).replace(".onnx", "")), scope);
  for (let t = 1; t <= T; t++) {
    const name = blockFileName(t).replace(".onnx", "");
    const g = blockGraph({ spec, layers: blockLayers(t), embed, name });
    const what = backprop ? "Backprop-baseline block" : "NoProp-DT block";
    const bytes = g.encode({ docString: `${what} ${t} of ${T}: (x, z_${t - 1}) → û_${t}` });
    blocks.push(await writeGraph(outDir, `${name}.onnx`, bytes));
    blockNodes.push(g.nodeCount);
  }
  const clsWeights = WeightMap.withPrefix(tensors, "cls");
  const cbytes = classifierGraph(clsWeights, spec.embedDim, spec.classes)
    .encode({ docString: "NoProp classifier: z_T → logits" });
  const classifier = await writeGraph(outDir, "classifier.onnx", cbytes);
  const schedule = {
    name: sched.name,
    a: Array.from(sched.a.subarray(1)),
    b: Array.from(sched.b.subarray(1)),
    c: Array.from(sched.c.subarray(1)),
  };
  const chain = opts.fused
    ? await writeChain(outDir, {
      spec,
      blocks: Array.from({ length: T }, (_, i) => blockLayers(i + 1, blockScope(i + 1))),
      embed,
      classifier: classifierLayer(clsWeights, spec.embedDim, spec.classes),
      schedule,
    })
    : undefined;

  const manifest = await writeManifest(outDir, {
    variant: "dt",
    T,
    classNames,
    spec,
    normalization: norm,
    schedule,
    sampler: { name: "dt", steps: T, noise: opts.noise ?? false },
    blocks,
    classifier,
    chain: chain?.ref,
  });
  return {
    kind: "classifier",
    result: {
      outDir,
      files: [
        ...blocks.map((b) => b.file),
        "classifier.onnx",
        ...(chain ? [CHAIN_FILE] : []),
        "manifest.json",
      ],
      manifest,
      blockNodes,
      ...(chain ? { chainNodes: chain.nodes } : {}),
    },
  };
}

/**
 * The backprop baseline's chain (eq. 17–19) as DT sampler coefficients (`mixCoefficients` in
 * `src/schedule.ts`: a_t = α_t = tanh(w_t), b_t = 1 − α_t, c_t = 0, index t), after checking
 * the `mix.w` tensor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backpropCoefficients } from "./export.ts";
 * const s = backpropCoefficients({ shape: [1], data: Float32Array.of(Math.atanh(0.5)) }, 1, "w");
 * assert.ok(Math.abs(s.a[1] - 0.5) < 1e-7 && s.b[1] === 1 - s.a[1] && s.c[1] === 0);
 * assert.throws(
 *   () => backpropCoefficients({ shape: [2], data: new Float32Array(2) }, 1, "run/w.safetensors"),
 *   /^ExportError: run\/w\.safetensors: tensor "mix\.w" has shape \[2\], expected \[1\]$/,
 * );
 * ```
 */
export function backpropCoefficients(
  w: NamedTensor | undefined,
  T: number,
  path: string,
): { name: string; a: Float64Array; b: Float64Array; c: Float64Array } {
  if (!w) {
    throw new ExportError(`${path}: tensor "mix.w" (the baseline's α_t = tanh(w_t)) is missing`);
  }
  if (w.shape.length !== 1 || w.shape[0] !== T) {
    throw new ExportError(`${path}: tensor "mix.w" has shape [${w.shape}], expected [${T}]`);
  }
  return { name: "backprop", ...mixCoefficients(w.data) };
}
