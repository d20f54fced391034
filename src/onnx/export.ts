/**
 * Exports a training run folder to ONNX: `block_01.onnx` … `block_TT.onnx` (one per
 * denoising block, see `block_graph.ts`), `classifier.onnx` and `manifest.json` (the
 * runtime's contract, see `src/infer/manifest.ts`), everything the runtime needs and nothing
 * else. Each file is written atomically; the manifest, which carries every graph's SHA-256,
 * is written last, so a folder with a manifest always has complete graphs.
 *
 * Everything comes from `weights.safetensors`: the tensors and the model description in its
 * metadata (variant, T, ᾱ schedule, block shapes, embedding, class names, normalisation). The
 * DT sampler's coefficients a_t, b_t, c_t are computed by `scheduleFromAlphaBar` — the same
 * function the trainer uses.
 *
 * @example
 * ```ts
 * import { exportRun } from "./export.ts";
 * const r = await exportRun("models/mnist-dt-20250101-000000");
 * console.log(r.outDir, r.files);
 * ```
 * @module
 */
import { loadSafetensors, type Tensor } from "../safetensors.ts";
import { mixCoefficients, scheduleFromAlphaBar } from "../schedule.ts";
import { decodeMetadata } from "../run/metadata.ts";
import type { Manifest } from "@noprop/infer";
import { blockGraph } from "./block_graph.ts";
import { classifierGraph } from "./classifier_graph.ts";
import { exportContinuous } from "./export_continuous.ts";
import { ExportError, type ExportOptions, type ExportResult } from "./export_types.ts";
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
 * import { blockFileName } from "./export.ts";
 * blockFileName(3); // "block_03.onnx"
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
 * import { exportRun } from "./export.ts";
 * await exportRun("models/run", { outDir: "/tmp/onnx" });
 * ```
 */
export async function exportRun(runDir: string, opts: ExportOptions = {}): Promise<ExportResult> {
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
  if (md.variant !== "dt") return exportContinuous(runDir, file, md, opts);
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
  for (let t = 1; t <= T; t++) {
    const name = blockFileName(t).replace(".onnx", "");
    const g = blockGraph({ spec, weights: WeightMap.withPrefix(tensors, name), embed, name });
    const what = backprop ? "Backprop-baseline block" : "NoProp-DT block";
    const bytes = g.encode({ docString: `${what} ${t} of ${T}: (x, z_${t - 1}) → û_${t}` });
    blocks.push(await writeGraph(outDir, `${name}.onnx`, bytes));
    blockNodes.push(g.nodeCount);
  }
  const cbytes = classifierGraph(WeightMap.withPrefix(tensors, "cls"), spec.embedDim, spec.classes)
    .encode({ docString: "NoProp classifier: z_T → logits" });
  const classifier = await writeGraph(outDir, "classifier.onnx", cbytes);

  const manifest = await writeManifest(outDir, {
    variant: "dt",
    T,
    classNames,
    spec,
    normalization: norm,
    schedule: {
      name: sched.name,
      a: Array.from(sched.a.subarray(1)),
      b: Array.from(sched.b.subarray(1)),
      c: Array.from(sched.c.subarray(1)),
    },
    sampler: { name: "dt", steps: T, noise: opts.noise ?? false },
    blocks,
    classifier,
  });
  return {
    outDir,
    files: [...blocks.map((b) => b.file), "classifier.onnx", "manifest.json"],
    manifest,
    blockNodes,
  };
}

/**
 * The backprop baseline's chain (eq. 17–19) as DT sampler coefficients (`mixCoefficients` in
 * `src/schedule.ts`: a_t = α_t = tanh(w_t), b_t = 1 − α_t, c_t = 0, index t), after checking
 * the `mix.w` tensor.
 *
 * @example
 * ```ts
 * import { backpropCoefficients } from "./export.ts";
 * const s = backpropCoefficients({ shape: [1], data: new Float32Array([Math.atanh(0.5)]) }, 1, "w");
 * s.a[1]; // 0.5 (up to rounding)
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
