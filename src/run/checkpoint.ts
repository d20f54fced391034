/**
 * The checkpoint of a run folder, one format for every method (NoProp-DT, NoProp-CT/-FM and
 * the backprop baseline). `checkpoint.safetensors` holds:
 * - the model's weights under their `weights.safetensors` names (BatchNorm running statistics
 *   included);
 * - each AdamW's moments as `opt.<name>.m.<i>` and `opt.<name>.v.<i>` (one per variable, in the
 *   optimizer's order);
 * - in the metadata, the model description (`src/run/metadata.ts`) and `trainer`: JSON
 *   `{ pos, optSteps, optSizes, rngs, metrics }` with the training position, each optimizer's
 *   step count and number of variables, the state of every random stream by name, and every
 *   `metrics.jsonl` line written so far (`src/run/metrics.ts`).
 *
 * The checkpoint is the folder's source of truth: {@linkcode writeCheckpoint} writes it, then
 * `weights.safetensors` and `metrics.jsonl` from the same state (each atomically: temp file +
 * rename); {@linkcode syncDerivedFiles} rewrites those two from a checkpoint read back, which a
 * resumed run does first, so a crash between the writes never leaves the folder inconsistent
 * for the next run. {@linkcode readCheckpoint} validates everything it reads and refuses, in one
 * line naming the file, a missing checkpoint, one of another method, or a malformed state.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Tensor } from "../safetensors.ts";
 * import type { RunMetadata } from "./metadata.ts";
 * import { readCheckpoint, writeCheckpoint } from "./checkpoint.ts";
 * const dir = await Deno.makeTempDir();
 * const meta: RunMetadata = {
 *   format: "noprop-fm", variant: "fm", dataset: "mnist", classNames: ["a", "b"],
 *   normalization: { mean: [0], std: [1], scale: 1 / 255 }, embedding: "onehot",
 *   spec: {
 *     height: 1, width: 1, channels: 1, classes: 2, embedDim: 2, widths: [1, 1, 1], hidden: 1,
 *     zAsImage: false,
 *   },
 * };
 * const w: Record<string, Tensor> = {
 *   "embed.W": { dtype: "F32", shape: [2, 2], data: Float32Array.of(1, 0, 0, 1) },
 * };
 * const adam = { step: 5, m: [new Float32Array(4)], v: [new Float32Array(4)] };
 * await writeCheckpoint(dir, w, meta, {
 *   pos: { epoch: 1, batch: 0, step: 5 }, optimizers: { all: adam },
 *   rngs: { noise: { s: 7, spare: null } }, metrics: [],
 * });
 * const ck = await readCheckpoint(dir, "noprop-fm");
 * assert.deepEqual(ck.pos, { epoch: 1, batch: 0, step: 5 });
 * assert.equal(ck.rng("noise").s, 7);
 * assert.equal(ck.optimizer("all").step, 5);
 * assert.deepEqual(ck.tensors["embed.W"].data, Float32Array.of(1, 0, 0, 1));
 * await assert.rejects(readCheckpoint(dir, "noprop-dt"), /a noprop-fm checkpoint, not noprop-dt/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import type { RngState } from "../rng.ts";
import { loadSafetensors, saveSafetensors, type Tensor } from "../safetensors.ts";
import { writeFileAtomic } from "../atomic.ts";
import type { AdamWState } from "../train/adamw.ts";
import { decodeMetadata, encodeMetadata, type Format, type RunMetadata } from "./metadata.ts";
import { decodeMetricsLine, formatMetrics, type MetricsLine, parseMetrics } from "./metrics.ts";
import { RUN_FILES, runFile } from "./folder.ts";

/**
 * The checkpoint's file name inside a run folder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CHECKPOINT_FILE } from "./checkpoint.ts";
 * assert.equal(CHECKPOINT_FILE, "checkpoint.safetensors");
 * ```
 */
export const CHECKPOINT_FILE: string = RUN_FILES.checkpoint;

/**
 * Where training stands: the next batch to run. Batch order comes from (seed, epoch) and
 * dropout masks from the step, so this is all a trainer needs to continue mid-epoch.
 *
 * @example
 * ```ts
 * import type { Position } from "./checkpoint.ts";
 * const start: Position = { epoch: 0, batch: 0, step: 0 };
 * ```
 */
export interface Position {
  /** Epoch of the next batch (0-based). */
  epoch: number;
  /** Batch index within that epoch. */
  batch: number;
  /** Batches completed so far over the whole run. */
  step: number;
}

/**
 * Everything of a run besides the weights: position, optimizers, random streams by name and
 * the metrics lines so far.
 *
 * @example
 * ```ts
 * import type { TrainingState } from "./checkpoint.ts";
 * const s: TrainingState = {
 *   pos: { epoch: 0, batch: 3, step: 3 }, optimizers: {}, rngs: {}, metrics: [],
 * };
 * ```
 */
export interface TrainingState {
  /** The next batch to run. */
  pos: Position;
  /** AdamW states by name (`opt.<name>.*` in the file). */
  optimizers: Record<string, AdamWState>;
  /** Random-stream states by name. */
  rngs: Record<string, RngState>;
  /** Every metrics line of the run so far (`metrics.jsonl` is rewritten from these). */
  metrics: MetricsLine[];
  /** The latest evaluation's confusion matrix (`confusion.svg` is drawn from it), if any. */
  confusion?: ConfusionRecord | null;
}

/**
 * A confusion matrix as the checkpoint keeps it: K·K counts, rows = true class, and the
 * chart's title.
 *
 * @example
 * ```ts
 * import type { ConfusionRecord } from "./checkpoint.ts";
 * const c: ConfusionRecord = { classes: 2, counts: [3, 1, 0, 4], title: "epoch 1" };
 * ```
 */
export interface ConfusionRecord {
  /** K. */
  classes: number;
  /** K·K counts, row-major. */
  counts: number[];
  /** The chart's title. */
  title: string;
}

/**
 * A checkpoint read back by {@linkcode readCheckpoint}.
 *
 * @example
 * ```ts
 * import type { CheckpointFile } from "./checkpoint.ts";
 * const next = (ck: CheckpointFile) => ck.pos.step;
 * ```
 */
export interface CheckpointFile {
  /** The file read. */
  path: string;
  /** The model's weights (every tensor but the optimizer moments). */
  tensors: Record<string, Tensor>;
  /** The model description. */
  meta: RunMetadata;
  /** The next batch to run. */
  pos: Position;
  /** The metrics lines so far. */
  metrics: MetricsLine[];
  /** The latest evaluation's confusion matrix, if any. */
  confusion: ConfusionRecord | null;
  /** Names of the saved optimizers. */
  optimizerNames: string[];
  /** The optimizer state `name`; throws a one-line error naming the file when absent. */
  optimizer(name: string): AdamWState;
  /** The random-stream state `name`; throws a one-line error naming the file when absent. */
  rng(name: string): RngState;
}

/**
 * Writes `<dir>/checkpoint.safetensors` (weights, optimizer moments, `trainer` metadata), then
 * `weights.safetensors` and `metrics.jsonl` from the same state, each atomically.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSafetensors, type Tensor } from "../safetensors.ts";
 * import { dataMetadata, type RunMetadata } from "./metadata.ts";
 * import { writeCheckpoint } from "./checkpoint.ts";
 * const dir = await Deno.makeTempDir();
 * const meta: RunMetadata = {
 *   format: "noprop-ct", variant: "ct", embedding: "onehot",
 *   ...dataMetadata({ name: "mnist", classNames: ["a", "b"], mean: [0.1], std: [0.3] }),
 *   spec: {
 *     height: 1, width: 1, channels: 1, classes: 2, embedDim: 2, widths: [1, 1, 1], hidden: 1,
 *     zAsImage: false,
 *   },
 * };
 * const weights: Record<string, Tensor> = {
 *   "cls.b": { dtype: "F32", shape: [2], data: Float32Array.of(0.5, -0.5) },
 * };
 * await writeCheckpoint(dir, weights, meta, {
 *   pos: { epoch: 0, batch: 1, step: 1 }, optimizers: {}, rngs: {}, metrics: [],
 * });
 * // The checkpoint, and the two files derived from it.
 * const names = [];
 * for await (const e of Deno.readDir(dir)) names.push(e.name);
 * const all = ["checkpoint.safetensors", "metrics.jsonl", "weights.safetensors"];
 * assert.deepEqual(names.sort(), all);
 * const w = await loadSafetensors(`${dir}/weights.safetensors`);
 * assert.deepEqual(Object.keys(w.tensors), ["cls.b"]); // no optimizer state, no trainer metadata
 * assert.equal(w.metadata.trainer, undefined);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeCheckpoint(
  dir: string,
  weights: Record<string, Tensor>,
  meta: RunMetadata,
  state: TrainingState,
): Promise<void> {
  const tensors = { ...weights };
  const optSteps: Record<string, number> = {};
  const optSizes: Record<string, number> = {};
  for (const [name, s] of Object.entries(state.optimizers)) {
    optSteps[name] = s.step;
    optSizes[name] = s.m.length;
    for (const kind of ["m", "v"] as const) {
      s[kind].forEach((a, i) => {
        const data = a as Float32Array<ArrayBuffer>;
        tensors[`opt.${name}.${kind}.${i}`] = { dtype: "F32", shape: [a.length], data };
      });
    }
  }
  const trainer = JSON.stringify({
    pos: state.pos,
    optSteps,
    optSizes,
    rngs: state.rngs,
    metrics: state.metrics,
    confusion: state.confusion ?? null,
  });
  const md = encodeMetadata(meta);
  await saveSafetensors(runFile(dir, "checkpoint"), tensors, { ...md, trainer });
  await writeDerived(dir, weights, md, state.metrics);
}

async function writeDerived(
  dir: string,
  weights: Record<string, Tensor>,
  md: Record<string, string>,
  metrics: readonly MetricsLine[],
): Promise<void> {
  await saveSafetensors(runFile(dir, "weights"), weights, md);
  await writeFileAtomic(runFile(dir, "metrics"), formatMetrics(metrics));
}

/**
 * Rewrites `weights.safetensors` and `metrics.jsonl` of `dir` from a checkpoint read back
 * (a resumed run does this first: see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dataMetadata, type RunMetadata } from "./metadata.ts";
 * import { readCheckpoint, syncDerivedFiles, writeCheckpoint } from "./checkpoint.ts";
 * const dir = await Deno.makeTempDir();
 * const meta: RunMetadata = {
 *   format: "noprop-fm", variant: "fm", embedding: "onehot",
 *   ...dataMetadata({ name: "mnist", classNames: ["a", "b"], mean: [0.1], std: [0.3] }),
 *   spec: {
 *     height: 1, width: 1, channels: 1, classes: 2, embedDim: 2, widths: [1, 1, 1], hidden: 1,
 *     zAsImage: false,
 *   },
 * };
 * const state = { pos: { epoch: 0, batch: 0, step: 0 }, optimizers: {}, rngs: {}, metrics: [] };
 * await writeCheckpoint(dir, {}, meta, state);
 * // A crash right after the checkpoint: the derived files are missing.
 * await Deno.remove(`${dir}/weights.safetensors`);
 * await Deno.remove(`${dir}/metrics.jsonl`);
 * await syncDerivedFiles(dir, await readCheckpoint(dir, "noprop-fm"));
 * assert.ok((await Deno.stat(`${dir}/weights.safetensors`)).isFile);
 * assert.equal(await Deno.readTextFile(`${dir}/metrics.jsonl`), "");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function syncDerivedFiles(dir: string, ck: CheckpointFile): Promise<void> {
  await writeDerived(dir, ck.tensors, encodeMetadata(ck.meta), ck.metrics);
  const sel = selection(ck.metrics);
  if (sel.bestLine !== null && sel.bestLine === ck.metrics.length - 1) {
    await writeBestWeights(dir, ck.tensors, ck.meta, ck.metrics[sel.bestLine]);
  }
  if (ck.confusion && "classNames" in ck.meta) {
    await writeConfusionChart(dir, ck.confusion, ck.meta.classNames);
  }
}

/**
 * Draws `confusion.svg` of `dir` from a confusion record (vega is loaded only here).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeConfusionChart } from "./checkpoint.ts";
 * const dir = await Deno.makeTempDir();
 * await writeConfusionChart(dir, { classes: 2, counts: [3, 1, 0, 4], title: "t" }, ["a", "b"]);
 * assert.ok((await Deno.readTextFile(`${dir}/confusion.svg`)).startsWith("<svg"));
 * ```
 */
export async function writeConfusionChart(
  dir: string,
  c: ConfusionRecord,
  classNames: readonly string[],
): Promise<void> {
  const { writeConfusionSvg } = await import("../compare/confusion_chart.ts");
  const counts = Uint32Array.from(c.counts);
  await writeConfusionSvg(
    runFile(dir, "confusion"),
    { classes: c.classes, counts },
    classNames,
    c.title,
  );
}

/**
 * Model selection on the validation split (forecasters): the line with the lowest
 * `val.select` so far, its score, and the evaluations since it (for `patience`). Image runs have
 * no `val` and no best line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selection } from "./checkpoint.ts";
 * const at = (select: number | null) => ({ val: select === null ? null : { select } }) as never;
 * assert.deepEqual(selection([at(0.5), at(null), at(0.4), at(0.45), at(0.41)]), {
 *   bestLine: 2, best: 0.4, since: 2,
 * });
 * assert.deepEqual(selection([]), { bestLine: null, best: Infinity, since: 0 });
 * ```
 */
export function selection(
  lines: readonly MetricsLine[],
): { bestLine: number | null; best: number; since: number } {
  let bestLine: number | null = null, best = Infinity, since = 0;
  lines.forEach((l, i) => {
    if (!l.val) return;
    if (l.val.select < best) {
      best = l.val.select;
      bestLine = i;
      since = 0;
    } else since++;
  });
  return { bestLine, best, since };
}

/**
 * Writes `best.safetensors`: the weights of the best validation score so far, with the model
 * description and the line that selected it (`best` metadata: epoch, step, validation scores).
 * `deno task eval`, the exporter and the forecast CLI read it in preference to
 * `weights.safetensors` (the latest weights).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeBestWeights } from "./checkpoint.ts";
 * import { loadSafetensors } from "../safetensors.ts";
 * import type { RunMetadata } from "./metadata.ts";
 * const dir = await Deno.makeTempDir();
 * const meta: RunMetadata = {
 *   format: "forecast-last", variant: "forecast", dataset: "etth1",
 *   series: { file: "a.csv", features: "M", channels: ["a"], outputs: [0], target: null,
 *     mean: [0], std: [1], lookback: 4, horizon: 2, splitMonths: [12, 4, 4] },
 *   spec: { kind: "last", lookback: 4, horizon: 2 },
 * };
 * const line = { epoch: 3, step: 30, val: { select: 0.4 } } as never;
 * await writeBestWeights(dir, {}, meta, line);
 * const { metadata } = await loadSafetensors(`${dir}/best.safetensors`);
 * assert.deepEqual(JSON.parse(metadata.best), { epoch: 3, step: 30, val: { select: 0.4 } });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeBestWeights(
  dir: string,
  weights: Record<string, Tensor>,
  meta: RunMetadata,
  line: MetricsLine,
): Promise<void> {
  const best = JSON.stringify({ epoch: line.epoch, step: line.step, val: line.val });
  await saveSafetensors(runFile(dir, "best"), weights, { ...encodeMetadata(meta), best });
}

const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;

function checkRng(path: string, name: string, s: unknown): RngState {
  const r = s as RngState;
  if (
    typeof s !== "object" || s === null || !isCount(r.s) || r.s >= 2 ** 32 ||
    !(r.spare === null || (typeof r.spare === "number" && Number.isFinite(r.spare)))
  ) {
    throw new Error(
      `${path}: random stream "${name}" has a malformed state ${JSON.stringify(s)} ` +
        `(expected { s: 32-bit integer, spare: number or null })`,
    );
  }
  return r;
}

/**
 * Reads `<dir>/checkpoint.safetensors`, expecting `format` (`noprop-dt`, `noprop-ct`,
 * `noprop-fm` or `noprop-backprop`). Throws a one-line error naming the file when it does not
 * exist, holds no or a malformed training state, or was written by another variant or method.
 * (Whether the position fits the data is checked by the loop, which knows the epoch length.)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readCheckpoint } from "./checkpoint.ts";
 * const empty = await Deno.makeTempDir();
 * await assert.rejects(
 *   readCheckpoint(empty, "noprop-dt"),
 *   /checkpoint\.safetensors does not exist: this run saved no checkpoint to resume$/,
 * );
 * await Deno.remove(empty);
 * ```
 */
export async function readCheckpoint(dir: string, format: Format): Promise<CheckpointFile> {
  const path = runFile(dir, "checkpoint");
  const isFile = await Deno.stat(path).then((s) => s.isFile, () => false);
  if (!isFile) throw new Error(`${path} does not exist: this run saved no checkpoint to resume`);
  const { tensors, metadata } = await loadSafetensors(path);
  if (!metadata.trainer) throw new Error(`${path}: no training state in the metadata`);
  const found = metadata.format;
  if (!found) {
    throw new Error(`${path}: no "format" in the metadata, so not a ${format} checkpoint`);
  }
  if (found !== format) {
    throw new Error(
      `${path} is a ${found} checkpoint, not ${format}: resume it with the run's own ` +
        `--variant and --method`,
    );
  }
  const meta = decodeMetadata(metadata, path);
  let tr: Record<string, unknown>;
  try {
    tr = JSON.parse(metadata.trainer);
  } catch {
    throw new Error(`${path}: the training state is not valid JSON`);
  }
  const pos = tr.pos as Position;
  if (
    typeof pos !== "object" || pos === null || !isCount(pos.epoch) || !isCount(pos.batch) ||
    !isCount(pos.step)
  ) {
    throw new Error(
      `${path}: training position ${JSON.stringify(pos)} is not { epoch, batch, step } ` +
        `of integers ≥ 0`,
    );
  }
  const optSteps = (tr.optSteps ?? {}) as Record<string, number>;
  const optSizes = (tr.optSizes ?? {}) as Record<string, number>;
  for (const [name, s] of Object.entries(optSteps)) {
    if (!isCount(s)) {
      throw new Error(`${path}: optimizer "${name}" step ${s} is not an integer ≥ 0`);
    }
  }
  const rngs = (tr.rngs ?? {}) as Record<string, unknown>;
  for (const [name, s] of Object.entries(rngs)) checkRng(path, name, s);
  if (tr.metrics !== undefined && !Array.isArray(tr.metrics)) {
    throw new Error(`${path}: the metrics in the training state are not a list`);
  }
  const metrics = tr.metrics === undefined
    ? await legacyMetrics(dir)
    : (tr.metrics as unknown[]).map((l, i) =>
      decodeMetricsLine(l, `${path}: metrics line ${i + 1}`)
    );
  const confusion = (tr.confusion ?? null) as ConfusionRecord | null;
  const K = "classNames" in meta ? meta.classNames.length : 0;
  if (
    confusion !== null &&
    (confusion.classes !== K || !Array.isArray(confusion.counts) ||
      confusion.counts.length !== K * K || !confusion.counts.every(isCount) ||
      typeof confusion.title !== "string")
  ) {
    throw new Error(`${path}: the confusion matrix in the training state is not ${K}×${K} counts`);
  }
  const weights: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(tensors)) if (!k.startsWith("opt.")) weights[k] = v;
  return {
    path,
    tensors: weights,
    meta,
    pos,
    metrics,
    confusion,
    optimizerNames: Object.keys(optSteps),
    optimizer(name) {
      if (optSteps[name] === undefined) throw new Error(`${path}: no optimizer state "${name}"`);
      const size = optSizes[name];
      const m: Float32Array[] = [], v: Float32Array[] = [];
      for (let i = 0; size !== undefined ? i < size : tensors[`opt.${name}.m.${i}`]; i++) {
        for (const [kind, out] of [["m", m], ["v", v]] as const) {
          const t = tensors[`opt.${name}.${kind}.${i}`];
          if (!t) {
            throw new Error(`${path}: optimizer tensor "opt.${name}.${kind}.${i}" is missing`);
          }
          out.push(t.data as Float32Array);
        }
      }
      return { step: optSteps[name], m, v };
    },
    rng(name) {
      const s = rngs[name];
      if (!s) throw new Error(`${path}: no state of the random stream "${name}"`);
      return s as RngState;
    },
  };
}

/**
 * The metrics history of a checkpoint written before checkpoints held it: the folder's
 * `metrics.jsonl` (pre-schema lines are upgraded), or none.
 */
async function legacyMetrics(dir: string): Promise<MetricsLine[]> {
  const path = runFile(dir, "metrics");
  const text = await Deno.readTextFile(path).catch(() => "");
  return parseMetrics(text, path);
}

/**
 * Checks that a checkpoint's position fits an epoch of `perEpoch` batches: the batch lies
 * inside the epoch and the step count equals epoch · perEpoch + batch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkPosition } from "./checkpoint.ts";
 * checkPosition("ck", { epoch: 1, batch: 2, step: 12 }, 10); // batch 2 of epoch 1: step 12
 * assert.throws(
 *   () => checkPosition("ck", { epoch: 1, batch: 2, step: 12 }, 5),
 *   /^Error: ck: training position step 12 does not match epoch 1, batch 2 \(5 batches/,
 * );
 * ```
 */
export function checkPosition(path: string, pos: Position, perEpoch: number): void {
  if (pos.batch >= perEpoch) {
    throw new Error(
      `${path}: training position batch ${pos.batch} is past the end of the epoch ` +
        `(${perEpoch} batches per epoch)`,
    );
  }
  if (pos.step !== pos.epoch * perEpoch + pos.batch) {
    throw new Error(
      `${path}: training position step ${pos.step} does not match epoch ${pos.epoch}, batch ` +
        `${pos.batch} (${perEpoch} batches per epoch)`,
    );
  }
}
