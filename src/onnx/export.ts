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
import { writeFileAtomic } from "../atomic.ts";
import { createHash } from "../deps.ts";
import type { BlockSpec } from "../model/block.ts";
import { loadSafetensors, type Tensor } from "../safetensors.ts";
import { scheduleFromAlphaBar, type ScheduleName } from "../schedule.ts";
import type { Manifest } from "@noprop/infer";
import { blockGraph } from "./block_graph.ts";
import { classifierGraph } from "./classifier_graph.ts";
import { exportContinuous } from "./export_continuous.ts";
import { OPSET } from "./graph.ts";
import { type NamedTensor, WeightMap } from "./weights.ts";

/**
 * Options of {@linkcode exportRun}.
 *
 * @example
 * ```ts
 * import type { ExportOptions } from "./export.ts";
 * const o: ExportOptions = { outDir: "/tmp/onnx", noise: false };
 * ```
 */
export interface ExportOptions {
  /** Output folder (default: the run folder itself). Created if missing. */
  outDir?: string;
  /** Default of the sampler's stochastic term written to the manifest (default false). */
  noise?: boolean;
}

/**
 * What {@linkcode exportRun} wrote.
 *
 * @example
 * ```ts
 * import { exportRun } from "./export.ts";
 * const { files, manifest } = await exportRun("models/run");
 * console.log(files, manifest.T);
 * ```
 */
export interface ExportResult {
  /** The output folder. */
  outDir: string;
  /** File names written, manifest last. */
  files: string[];
  /** The manifest written. */
  manifest: Manifest;
  /** Node count of each block graph. */
  blockNodes: number[];
}

/**
 * A problem with the run folder (missing file, bad metadata); the message is one line.
 *
 * @example
 * ```ts
 * import { ExportError, exportRun } from "./export.ts";
 * try {
 *   await exportRun("/no/such/run");
 * } catch (e) {
 *   if (e instanceof ExportError) console.error(e.message); // one line
 * }
 * ```
 */
export class ExportError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ExportError";
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function meta(md: Record<string, string>, key: string, path: string): string {
  const v = md[key];
  if (v === undefined) throw new ExportError(`${path}: metadata "${key}" is missing`);
  return v;
}

function json<T>(md: Record<string, string>, key: string, path: string): T {
  try {
    return JSON.parse(meta(md, key, path)) as T;
  } catch (e) {
    if (e instanceof ExportError) throw e;
    throw new ExportError(`${path}: metadata "${key}" is not valid JSON`);
  }
}

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
  const md = file.metadata;
  if (md.format === "noprop-ct" || md.format === "noprop-fm") {
    return exportContinuous(runDir, file, opts, (m) => new ExportError(m), manifestJson);
  }
  if (md.format !== "noprop-dt") {
    throw new ExportError(`${path}: metadata format ${JSON.stringify(md.format)} is not noprop-dt`);
  }
  const variant = meta(md, "variant", path);
  if (variant !== "dt") {
    throw new ExportError(`${path}: variant "${variant}" cannot be exported yet`);
  }
  const T = Number(meta(md, "T", path));
  const spec = json<BlockSpec>(md, "spec", path);
  const classNames = json<string[]>(md, "classNames", path);
  const norm = json<{ mean: number[]; std: number[] }>(md, "normalization", path);
  const alphaBar = json<number[]>(md, "alphaBar", path);
  if (!Number.isInteger(T) || T < 1 || alphaBar.length !== T + 1) {
    throw new ExportError(`${path}: T = ${md.T} and ${alphaBar.length} ᾱ values do not match`);
  }
  if (classNames.length !== spec.classes) {
    throw new ExportError(`${path}: ${classNames.length} class names for ${spec.classes} classes`);
  }
  const sched = scheduleFromAlphaBar(
    meta(md, "schedule", path) as ScheduleName,
    Float64Array.from(alphaBar),
  );
  const tensors = floats(file.tensors);
  const embed = tensors["embed.W"];
  if (!embed) throw new ExportError(`${path}: tensor "embed.W" is missing`);
  const outDir = opts.outDir ?? runDir;
  await Deno.mkdir(outDir, { recursive: true });

  const blocks: Manifest["blocks"] = [];
  const blockNodes: number[] = [];
  for (let t = 1; t <= T; t++) {
    const name = blockFileName(t).replace(".onnx", "");
    const g = blockGraph({ spec, weights: WeightMap.withPrefix(tensors, name), embed, name });
    const bytes = g.encode({ docString: `NoProp-DT block ${t} of ${T}: (x, z_${t - 1}) → û_${t}` });
    await writeFileAtomic(`${outDir}/${name}.onnx`, bytes);
    blocks.push({ file: `${name}.onnx`, sha256: sha256(bytes) });
    blockNodes.push(g.nodeCount);
  }
  const cbytes = classifierGraph(WeightMap.withPrefix(tensors, "cls"), spec.embedDim, spec.classes)
    .encode({ docString: "NoProp classifier: z_T → logits" });
  await writeFileAtomic(`${outDir}/classifier.onnx`, cbytes);

  const manifest: Manifest = {
    format: "noprop-onnx",
    version: 1,
    variant: "dt",
    T,
    classNames,
    input: {
      layout: "NCHW",
      dtype: "float32",
      channels: spec.channels,
      height: spec.height,
      width: spec.width,
    },
    normalization: { mean: norm.mean, std: norm.std },
    embedDim: spec.embedDim,
    schedule: {
      name: sched.name,
      a: Array.from(sched.a.subarray(1)),
      b: Array.from(sched.b.subarray(1)),
      c: Array.from(sched.c.subarray(1)),
    },
    sampler: { name: "dt", steps: T, noise: opts.noise ?? false },
    opset: OPSET,
    blocks,
    classifier: { file: "classifier.onnx", sha256: sha256(cbytes) },
  };
  await writeFileAtomic(`${outDir}/manifest.json`, manifestJson(manifest));
  return {
    outDir,
    files: [...blocks.map((b) => b.file), "classifier.onnx", "manifest.json"],
    manifest,
    blockNodes,
  };
}

/**
 * The manifest as JSON text laid out the way `deno fmt` leaves it: two-space indentation,
 * arrays of numbers or strings on one line.
 *
 * @example
 * ```ts
 * import { manifestJson } from "./export.ts";
 * // manifestJson(manifest).endsWith("}\n"); // true
 * ```
 */
export function manifestJson(m: Manifest): string {
  const width = 100; // deno.json "fmt.lineWidth"
  const fmt = (v: unknown, pad: string, column: number): string => {
    if (Array.isArray(v) && v.every((x) => x === null || typeof x !== "object")) {
      const inline = `[${v.map((x) => JSON.stringify(x)).join(", ")}]`;
      if (column + inline.length + 1 <= width) return inline;
      return `[\n${v.map((x) => `${pad}  ${JSON.stringify(x)}`).join(",\n")}\n${pad}]`;
    }
    if (Array.isArray(v)) {
      const inner = pad + "  ";
      return `[\n${v.map((x) => inner + fmt(x, inner, inner.length)).join(",\n")}\n${pad}]`;
    }
    if (v !== null && typeof v === "object") {
      const inner = pad + "  ";
      const items = Object.entries(v).map(([k, x]) => {
        const head = `${inner}${JSON.stringify(k)}: `;
        return head + fmt(x, inner, head.length);
      });
      return `{\n${items.join(",\n")}\n${pad}}`;
    }
    return JSON.stringify(v);
  };
  return fmt(m, "", 0) + "\n";
}
