/**
 * `manifest.json`: everything the runtime needs to run an exported NoProp model, and
 * nothing else. Written by the project's exporter (`deno task export`), validated here
 * field by field; any problem is one {@linkcode InferError} line naming the field.
 *
 * ```json
 * {
 *   "format": "noprop-onnx", "version": 1, "variant": "dt", "T": 10,
 *   "classNames": ["0", "1", …],
 *   "input": { "layout": "NCHW", "dtype": "float32", "channels": 1, "height": 28, "width": 28 },
 *   "normalization": { "mean": [0.1307], "std": [0.3081] },
 *   "embedDim": 10,
 *   "schedule": { "name": "cosine", "a": [a_1, …, a_T], "b": […], "c": […] },
 *   "sampler": { "name": "dt", "steps": 10, "noise": false },
 *   "opset": 17,
 *   "weights": "fp16",
 *   "blocks": [{ "file": "block_01.onnx", "sha256": "…" }, …],
 *   "classifier": { "file": "classifier.onnx", "sha256": "…" },
 *   "chain": { "file": "chain.onnx", "sha256": "…", "modes": ["noise-free", "stochastic"] },
 *   "int8": [{ "replaces": "block_01.onnx", "file": "block_01.int8.onnx", "sha256": "…" }, …]
 * }
 * ```
 *
 * `weights` is optional: how the graphs store their large float weights. Absent or `"fp32"`:
 * as float32 initializers. `"fp16"` (`deno task export --weights fp16`): as float16
 * initializers, each widened by a `Cast` to float32 at the top of its graph, so the graphs still
 * compute in float32 (onnxruntime folds the casts away when it creates the session); only the
 * weights are rounded, once. The runtime reads the graphs the same way either way.
 *
 * `int8` is optional (`deno task export --quantize int8` writes it): for some of the float
 * graphs (blocks, classifier, chain), a statically quantized replacement with the same inputs
 * and outputs, which the runtime uses when asked for int8 precision (the graphs it does not
 * replace stay float; a float chain is not used at int8 unless the list replaces it, as the
 * exporter's `chain.int8.onnx` does, see `withPrecision`).
 *
 * Graph contracts: block t takes `x` [N, C, H, W] (normalised) and `z` [N, embedDim] and
 * returns `uhat` [N, embedDim]; the classifier takes `z` and returns `logits` [N, classes].
 * The optional fused chain (dt only; `deno task export --fused`) takes `x`, `z0` [N, embedDim]
 * and `eps` [T, N, embedDim] (ε_1 … ε_T) and returns `logits`: the T blocks, the sampler's steps
 * with a_t, b_t, √c_t baked in, and the classifier in one graph; `modes` lists the sampler
 * modes it computes (`noise-free`: fed ε = 0).
 * Normalisation: `x = (pixel/255 − mean[c]) / std[c]`, in float64, rounded once to float32.
 * Sampler coefficients: `a[t−1]`, `b[t−1]`, `c[t−1]` are a_t, b_t, c_t of
 * `z_t = a_t·û_t + b_t·z_{t−1} + √c_t·ε` for t = 1..T.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseManifest } from "./manifest.ts";
 * const text = await Deno.readTextFile("models/mnist/manifest.json"); // the shipped model
 * const m = parseManifest(text, "models/mnist/manifest.json");
 * assert.equal(m.T, 10);
 * assert.deepEqual(m.classNames, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
 * ```
 * @module
 */
import { InferError } from "./errors.ts";

/**
 * The manifest file name inside a model folder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MANIFEST_FILE } from "./manifest.ts";
 * assert.equal(`models/mnist/${MANIFEST_FILE}`, "models/mnist/manifest.json");
 * ```
 */
export const MANIFEST_FILE = "manifest.json";
/**
 * The `format` tag.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MANIFEST_FORMAT } from "./manifest.ts";
 * assert.equal(MANIFEST_FORMAT, "noprop-onnx");
 * ```
 */
export const MANIFEST_FORMAT = "noprop-onnx";
/**
 * The manifest version this runtime reads.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MANIFEST_VERSION } from "./manifest.ts";
 * assert.equal(MANIFEST_VERSION, 1);
 * ```
 */
export const MANIFEST_VERSION = 1;

/**
 * One graph file and its digest.
 *
 * @example
 * ```ts
 * import type { GraphRef } from "./manifest.ts";
 * const g: GraphRef = { file: "block_01.onnx", sha256: "0".repeat(64) };
 * ```
 */
export interface GraphRef {
  /** File name inside the model folder (no directories, no `..`). */
  file: string;
  /** Lower-case hex SHA-256 of the file. */
  sha256: string;
}

/**
 * Input image description.
 *
 * @example
 * ```ts
 * import type { InputSpec } from "./manifest.ts";
 * const mnist: InputSpec = {
 *   layout: "NCHW", dtype: "float32", channels: 1, height: 28, width: 28,
 * };
 * ```
 */
export interface InputSpec {
  /** Always `NCHW`. */
  layout: "NCHW";
  /** Always `float32`. */
  dtype: "float32";
  /** Channels (1 grey, 3 RGB). */
  channels: number;
  /** Height in pixels. */
  height: number;
  /** Width in pixels. */
  width: number;
}

/**
 * How the graphs store their large float weights (see the module doc): `fp32`, or `fp16`
 * widened to float32 inside the graph.
 *
 * @example
 * ```ts
 * import type { WeightStorage } from "./manifest.ts";
 * const w: WeightStorage = "fp16";
 * ```
 */
export type WeightStorage = "fp32" | "fp16";

/**
 * The weight storages a manifest may name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WEIGHT_STORAGES } from "./manifest.ts";
 * assert.deepEqual(WEIGHT_STORAGES, ["fp32", "fp16"]);
 * ```
 */
export const WEIGHT_STORAGES: readonly WeightStorage[] = ["fp32", "fp16"];

/**
 * An int8 replacement of one of the manifest's float graphs.
 *
 * @example
 * ```ts
 * import type { QuantizedRef } from "./manifest.ts";
 * const q: QuantizedRef = {
 *   replaces: "block_01.onnx", file: "block_01.int8.onnx", sha256: "0".repeat(64),
 * };
 * ```
 */
export interface QuantizedRef extends GraphRef {
  /** The float graph's file name (one of `blocks`, `classifier`, `schedule.graph`). */
  replaces: string;
}

/**
 * The validated content of `manifest.json` (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Manifest, parseManifest } from "./manifest.ts";
 * const text = await Deno.readTextFile("models/mnist/manifest.json");
 * const m: Manifest = parseManifest(text, "manifest.json");
 * assert.equal(m.schedule.a.length, m.T);
 * assert.equal(m.blocks.length, m.T);
 * ```
 */
export interface Manifest {
  /** Format tag, {@linkcode MANIFEST_FORMAT}. */
  format: "noprop-onnx";
  /** Manifest version, {@linkcode MANIFEST_VERSION}. */
  version: number;
  /**
   * Model variant: `dt` (discrete time), `ct` (continuous time) or `fm` (flow matching). For
   * ct/fm, T = 1 and `blocks` holds the one network graph (inputs x, z, t; output `uhat` for
   * ct, `vhat` for fm).
   */
  variant: string;
  /** Number of blocks. */
  T: number;
  /** Class names, one per class. */
  classNames: string[];
  /** Input shape and layout. */
  input: InputSpec;
  /** Per-channel normalisation on pixel/255. */
  normalization: { mean: number[]; std: number[] };
  /** Label-embedding dimension d (the size of z). */
  embedDim: number;
  /**
   * Schedule name and the DT sampler coefficients for t = 1..T (index t − 1; empty for ct/fm);
   * for ct, `graph` is the schedule graph t → gamma, alpha, sigma.
   */
  schedule: { name: string; a: number[]; b: number[]; c: number[]; graph?: GraphRef };
  /** Default sampler settings. */
  sampler: { name: string; steps: number; noise: boolean };
  /** ONNX opset of the graphs. */
  opset: number;
  /** Weight storage of the graphs (absent: fp32). */
  weights?: WeightStorage;
  /** Block graphs 1..T. */
  blocks: GraphRef[];
  /** Classifier graph. */
  classifier: GraphRef;
  /**
   * The fused chain graph (dt only, optional): `x`, `z0`, `eps` [T, N, embedDim] → `logits`;
   * the runtime uses it for the modes it lists and the block graphs otherwise.
   */
  chain?: ChainRef;
  /** Int8 replacements of some of the graphs above (absent: float only). */
  int8?: QuantizedRef[];
}

/**
 * The sampler modes a fused chain graph can compute.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CHAIN_MODES } from "./manifest.ts";
 * assert.deepEqual(CHAIN_MODES, ["noise-free", "stochastic"]);
 * ```
 */
export const CHAIN_MODES = ["noise-free", "stochastic"] as const;
/**
 * One sampler mode of {@linkcode CHAIN_MODES}.
 *
 * @example
 * ```ts
 * import type { ChainMode } from "./manifest.ts";
 * const mode: ChainMode = "stochastic";
 * ```
 */
export type ChainMode = (typeof CHAIN_MODES)[number];

/**
 * The fused chain graph of a dt model and the sampler modes it covers.
 *
 * @example
 * ```ts
 * import type { ChainRef } from "./manifest.ts";
 * const c: ChainRef = { file: "chain.onnx", sha256: "0".repeat(64), modes: ["noise-free"] };
 * ```
 */
export interface ChainRef extends GraphRef {
  /** Sampler modes the graph computes (`noise-free`: the runtime feeds ε = 0). */
  modes: ChainMode[];
}

type Obj = Record<string, unknown>;

function fail(where: string, msg: string): never {
  throw new InferError("bad-model", `${where}: ${msg}`);
}

function obj(v: unknown, where: string, field: string): Obj {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    fail(where, `"${field}" must be an object`);
  }
  return v as Obj;
}

function posInt(v: unknown, where: string, field: string, max = 1 << 24): number {
  if (!Number.isSafeInteger(v) || (v as number) < 1 || (v as number) > max) {
    fail(where, `"${field}" must be an integer in 1..${max}, got ${JSON.stringify(v)}`);
  }
  return v as number;
}

function numbers(v: unknown, where: string, field: string, len: number): number[] {
  if (!Array.isArray(v) || v.length !== len || !v.every((x) => Number.isFinite(x))) {
    fail(where, `"${field}" must be an array of ${len} finite numbers`);
  }
  return v as number[];
}

function str(v: unknown, where: string, field: string): string {
  if (typeof v !== "string" || v.length === 0) fail(where, `"${field}" must be a non-empty string`);
  return v;
}

/** A safe graph file name: letters, digits, `.`, `_`, `-`; no path separators, no `..`. */
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * Checks that `file` names a file directly inside the model folder (not an absolute path, no
 * `/` or `\`, no `..`); returns it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkGraphFileName } from "./manifest.ts";
 * const ok = checkGraphFileName("block_01.onnx", "manifest.json", "blocks[0].file");
 * assert.equal(ok, "block_01.onnx");
 * assert.throws(() => checkGraphFileName("../../etc/passwd", "manifest.json", "blocks[0].file"), {
 *   message: 'manifest.json: "blocks[0].file" = "../../etc/passwd" is not a plain file name ' +
 *     "inside the model folder",
 * });
 * ```
 */
export function checkGraphFileName(file: unknown, where: string, field: string): string {
  const f = str(file, where, field);
  if (!SAFE_NAME.test(f) || f.includes("..")) {
    fail(
      where,
      `"${field}" = ${JSON.stringify(f)} is not a plain file name inside the model folder`,
    );
  }
  return f;
}

/**
 * Checks a `{ file, sha256 }` entry of a manifest (a plain file name and 64 lower-case hex
 * digits); returns it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { graphRef } from "./manifest.ts";
 * assert.throws(() => graphRef({ file: "a.onnx", sha256: "x" }, "m.json", "decoder"), {
 *   message: 'm.json: "decoder.sha256" must be 64 lower-case hex digits',
 * });
 * ```
 */
export function graphRef(v: unknown, where: string, field: string): GraphRef {
  const o = obj(v, where, field);
  const sha = o.sha256;
  if (typeof sha !== "string" || !/^[0-9a-f]{64}$/.test(sha)) {
    fail(where, `"${field}.sha256" must be 64 lower-case hex digits`);
  }
  return { file: checkGraphFileName(o.file, where, `${field}.file`), sha256: sha };
}

function chainRef(v: unknown, where: string, variant: string): ChainRef {
  if (variant !== "dt") fail(where, `"chain" is only for dt models, not ${variant}`);
  const ref = graphRef(v, where, "chain");
  const modes = (v as Obj).modes;
  const known = CHAIN_MODES as readonly unknown[];
  if (
    !Array.isArray(modes) || modes.length === 0 || !modes.every((x) => known.includes(x)) ||
    new Set(modes).size !== modes.length
  ) {
    fail(where, `"chain.modes" must list one or both of ${CHAIN_MODES.join(", ")}`);
  }
  return { ...ref, modes: modes as ChainMode[] };
}

/**
 * Parses and validates manifest text; `where` (usually the file path) prefixes errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseManifest } from "./manifest.ts";
 * assert.throws(() => parseManifest("{}", "m.json"), {
 *   name: "InferError",
 *   message: /^m\.json: "format" must be "noprop-onnx"/,
 * });
 * assert.throws(() => parseManifest("{", "m.json"), { message: /^m\.json: not valid JSON/ });
 * ```
 */
export function parseManifest(text: string, where: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    fail(where, `not valid JSON (${(e as Error).message})`);
  }
  const m = obj(raw, where, "(top level)");
  if (m.format !== MANIFEST_FORMAT) {
    fail(where, `"format" must be "${MANIFEST_FORMAT}", got ${JSON.stringify(m.format)}`);
  }
  if (m.version !== MANIFEST_VERSION) {
    fail(where, `"version" ${JSON.stringify(m.version)} is not supported (this runtime reads 1)`);
  }
  const variant = str(m.variant, where, "variant");
  const T = posInt(m.T, where, "T", 10_000);
  if (!Array.isArray(m.classNames) || m.classNames.length < 1) {
    fail(where, `"classNames" must be a non-empty array of strings`);
  }
  const classNames = m.classNames.map((c, i) => str(c, where, `classNames[${i}]`));
  const inp = obj(m.input, where, "input");
  if (inp.layout !== "NCHW" || inp.dtype !== "float32") {
    fail(where, `"input" must have layout "NCHW" and dtype "float32"`);
  }
  const input: InputSpec = {
    layout: "NCHW",
    dtype: "float32",
    channels: posInt(inp.channels, where, "input.channels", 4),
    height: posInt(inp.height, where, "input.height", 8192),
    width: posInt(inp.width, where, "input.width", 8192),
  };
  const nm = obj(m.normalization, where, "normalization");
  const normalization = {
    mean: numbers(nm.mean, where, "normalization.mean", input.channels),
    std: numbers(nm.std, where, "normalization.std", input.channels),
  };
  if (normalization.std.some((s) => s <= 0)) fail(where, `"normalization.std" must be positive`);
  const embedDim = posInt(m.embedDim, where, "embedDim");
  const continuous = variant === "ct" || variant === "fm";
  if (continuous && T !== 1) fail(where, `"T" must be 1 for ${variant} models (one network)`);
  const nCoef = continuous ? 0 : T;
  const sc = obj(m.schedule, where, "schedule");
  const schedule: Manifest["schedule"] = {
    name: str(sc.name, where, "schedule.name"),
    a: numbers(sc.a, where, "schedule.a", nCoef),
    b: numbers(sc.b, where, "schedule.b", nCoef),
    c: numbers(sc.c, where, "schedule.c", nCoef),
  };
  if (sc.graph !== undefined) schedule.graph = graphRef(sc.graph, where, "schedule.graph");
  if (variant === "ct" && !schedule.graph) {
    fail(where, `"schedule.graph" is required for ct models`);
  }
  if (schedule.c.some((c) => c < 0)) fail(where, `"schedule.c" must be non-negative`);
  const sp = obj(m.sampler, where, "sampler");
  if (typeof sp.noise !== "boolean") fail(where, `"sampler.noise" must be true or false`);
  const sampler = {
    name: str(sp.name, where, "sampler.name"),
    steps: posInt(sp.steps, where, "sampler.steps", 100_000),
    noise: sp.noise,
  };
  const opset = posInt(m.opset, where, "opset", 1000);
  const weights = m.weights;
  if (weights !== undefined && !(WEIGHT_STORAGES as readonly unknown[]).includes(weights)) {
    fail(
      where,
      `"weights" must be one of ${WEIGHT_STORAGES.join(", ")}, got ${JSON.stringify(weights)}`,
    );
  }
  if (!Array.isArray(m.blocks) || m.blocks.length !== T) {
    fail(where, `"blocks" must list T = ${T} graphs`);
  }
  const blocks = m.blocks.map((b, i) => graphRef(b, where, `blocks[${i}]`));
  const classifier = graphRef(m.classifier, where, "classifier");
  const chain = m.chain === undefined ? undefined : chainRef(m.chain, where, variant);
  const files = [
    ...blocks,
    classifier,
    ...(schedule.graph ? [schedule.graph] : []),
    ...(chain ? [chain] : []),
  ].map((g) => g.file);
  if (new Set(files).size !== files.length) fail(where, "two graphs share one file name");
  const int8 = m.int8 === undefined ? undefined : quantizedRefs(m.int8, where, files);
  return {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    variant,
    T,
    classNames,
    input,
    normalization,
    embedDim,
    schedule,
    sampler,
    opset,
    ...(weights !== undefined ? { weights: weights as WeightStorage } : {}),
    blocks,
    classifier,
    ...(chain ? { chain } : {}),
    ...(int8 ? { int8 } : {}),
  };
}

function quantizedRefs(v: unknown, where: string, floats: string[]): QuantizedRef[] {
  if (!Array.isArray(v) || v.length === 0) fail(where, `"int8" must be a non-empty array`);
  const refs = v.map((e, i) => {
    const field = `int8[${i}]`;
    const replaces = checkGraphFileName(obj(e, where, field).replaces, where, `${field}.replaces`);
    if (!floats.includes(replaces)) {
      fail(
        where,
        `"${field}.replaces" = ${JSON.stringify(replaces)} is not a graph of the manifest`,
      );
    }
    return { replaces, ...graphRef(e, where, field) };
  });
  const names = refs.map((r) => r.replaces);
  if (new Set(names).size !== names.length) fail(where, `"int8" replaces one graph twice`);
  const all = [...floats, ...refs.map((r) => r.file)];
  if (new Set(all).size !== all.length) fail(where, `"int8" reuses a graph file name`);
  return refs;
}
