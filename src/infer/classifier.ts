/**
 * The image classifier: a model folder (graph bytes already verified) on one onnxruntime engine.
 * The T block sessions and the classifier session are created once and reused; images are
 * preprocessed into one NCHW float32 batch, run through the sampler (which calls the block
 * graphs) in chunks of `batchSize`, and the classifier's logits become probabilities and a top-k
 * list. No Deno or Node API: the Deno entry (`create.ts`, `createClassifier`: a folder
 * on disk, PNG/JPEG decoded in JavaScript) and the browser entry (`web.ts`: a folder by URL,
 * images decoded by the browser) both build on {@linkcode openClassifier}.
 * When the manifest lists a fused chain graph (`chain.onnx`, dt models), the dt sampler runs as
 * that one session instead, fed the same noise draws (`dtNoise`), and the block sessions are
 * only opened if a call needs them (`onStep`, another sampler, a mode the chain lacks).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openClassifier } from "./classifier.ts";
 * import { loadModelFolder } from "./model_folder.ts";
 * import { checkRaw, preprocessPixels } from "./image/pixels.ts";
 * import { selectEngine } from "./runtime/select.ts";
 * import type { RawImage } from "./image/types.ts";
 * // A hand-drawn "0": a white ring on black, as 28×28 grey pixels.
 * const pixels = new Uint8Array(28 * 28);
 * for (let i = 0; i < 28 * 28; i++) {
 *   const r = Math.hypot(i % 28 - 13.5, (Math.floor(i / 28) - 13.5) * 0.8);
 *   if (r > 6 && r < 9) pixels[i] = 255;
 * }
 * // The model shipped with the project (run from the repository root).
 * const folder = await loadModelFolder("models/mnist");
 * const prepare = (images: readonly RawImage[], spec: typeof folder.manifest) =>
 *   preprocessPixels(images, spec, checkRaw);
 * const clf = await openClassifier(folder, await selectEngine("cpu"), {}, prepare);
 * const [r] = await clf.classify([{ width: 28, height: 28, channels: 1, data: pixels }], { top: 3 });
 * assert.equal(r.label, "0");
 * assert.ok(r.probability > 0.9 && r.top.length === 3 && r.top[0].label === "0");
 * assert.match(clf.providerNote, /^cpu \(onnxruntime-node/);
 * await clf.close();
 * ```
 * @module
 */
import { InferError } from "./errors.ts";
import type { ModelFolder } from "./folder.ts";
import { type Manifest, MANIFEST_FILE } from "./manifest.ts";
import type { RawImage } from "./image/types.ts";
import { type Classification, rankLogits } from "./rank.ts";
export { type Classification, type Prediction, softmaxRows } from "./rank.ts";
import { dtNoise, dtSampler } from "./sampler/dt.ts";
import { type NoiseSource, SeededNormal } from "./sampler/random.ts";
import { getSampler } from "./sampler/registry.ts";
import type { Sampler } from "./sampler/types.ts";
import type { Precision } from "./precision.ts";
import type { ConcreteProvider, Engine, GraphSession } from "./runtime/types.ts";

/**
 * Options of {@linkcode Classifier.classify}.
 *
 * @example
 * ```ts
 * import type { ClassifyOptions } from "./classifier.ts";
 * const o: ClassifyOptions = { sampler: "dt", noise: true, seed: 7, top: 3 };
 * ```
 */
export interface ClassifyOptions {
  /** Sampler name (default: the manifest's, `dt`). */
  sampler?: string;
  /** Sampler steps (default: the sampler's; DT takes exactly T). */
  steps?: number;
  /** Stochastic sampler term on/off (default: the manifest's). */
  noise?: boolean;
  /** Seed of z_0 and the sampler noise (default 0: repeatable results). */
  seed?: number;
  /** Length of each result's top-k list (default 5, at most the number of classes). */
  top?: number;
  /** Explicit noise instead of `seed` (draw order: z_0, then ε_1 … ε_T per chunk). */
  noiseSource?: NoiseSource;
  /** Names of the images for error messages. */
  labels?: readonly string[];
  /** Called after each sampler step with (t, û_t, z_t) of the current chunk. */
  onStep?: (t: number, uhat: Float32Array, z: Float32Array) => void;
}

/**
 * A loaded model ready to classify images of type `I` (the Deno entry: PNG/JPEG bytes or
 * decoded pixels; the browser entry: what the browser can draw).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Classifier } from "./classifier.ts";
 * import { createClassifier } from "./create.ts";
 * const clf: Classifier = await createClassifier({ modelDir: "models/mnist", provider: "cpu" });
 * assert.equal(clf.manifest.T, 10);
 * // Already preprocessed NCHW input: two black images, deterministic sampler.
 * const x = new Float32Array(2 * 784).fill(-0.1307 / 0.3081);
 * const logits = await clf.logits(x, 2, { noise: false });
 * assert.equal(logits.length, 2 * 10);
 * await clf.close();
 * ```
 */
export interface Classifier<I = Uint8Array | RawImage> {
  /** The model description. */
  readonly manifest: Manifest;
  /** The provider the sessions run on. */
  readonly provider: ConcreteProvider;
  /** How the provider was chosen (one line). */
  readonly providerNote: string;
  /**
   * Whether the fused chain graph is loaded: the dt sampler then runs as one session for the
   * modes the manifest lists (not when `onStep` asks for the steps, nor for other samplers).
   */
  readonly fused: boolean;
  /** The precision of the graphs in use (the folder's, see `ModelFolder.precision`). */
  readonly precision: Precision;
  /** Classifies images. */
  classify(images: readonly I[], opts?: ClassifyOptions): Promise<Classification[]>;
  /** Runs the sampler and classifier on `n` preprocessed NCHW images; returns logits [n × K]. */
  logits(x: Float32Array, n: number, opts?: ClassifyOptions): Promise<Float32Array>;
  /** Releases the sessions. */
  close(): Promise<void>;
}

function checkIo(s: GraphSession, label: string, inputs: string[], output: string) {
  const ok = inputs.every((i) => s.inputNames.includes(i)) && s.outputNames.includes(output);
  if (!ok) {
    throw new InferError(
      "bad-model",
      `${label}: expected inputs ${inputs.join(", ")} and output ${output}, got ${
        s.inputNames.join(", ")
      } → ${s.outputNames.join(", ")}`,
    );
  }
}

/**
 * Refuses an option that is given but is not a positive integer (one-line `bad-option`
 * {@linkcode InferError}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkPositiveInt } from "./classifier.ts";
 * checkPositiveInt(undefined, "threads"); // not given: fine
 * assert.throws(() => checkPositiveInt(1.5, "threads"), /^InferError: threads must be a positive/);
 * ```
 */
export function checkPositiveInt(v: number | undefined, name: string): void {
  if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) {
    throw new InferError("bad-option", `${name} must be a positive integer, got ${v}`);
  }
}

/**
 * The sampler and step count a run will use (the given ones, else the manifest's defaults),
 * checked against the model; a bad name or step count is a one-line {@linkcode InferError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { samplerFor } from "./classifier.ts";
 * import { parseManifest } from "./manifest.ts";
 * const m = parseManifest(await Deno.readTextFile("models/mnist/manifest.json"), "manifest.json");
 * assert.equal(samplerFor(m, undefined, undefined).steps, m.T); // DT runs exactly T steps
 * assert.throws(() => samplerFor(m, "dt", 3), { name: "InferError" });
 * ```
 */
export function samplerFor(
  m: Manifest,
  name: string | undefined,
  steps: number | undefined,
): { sampler: Sampler; steps: number } {
  const sampler = getSampler(name ?? m.sampler.name, m);
  checkPositiveInt(steps, "steps");
  const n = steps ?? sampler.defaultSteps(m);
  const bad = sampler.checkSteps?.(m, n);
  if (bad) throw new InferError("bad-option", bad);
  return { sampler, steps: n };
}

/**
 * Checks a graph's logits count against the manifest's class names (one run on zero inputs):
 * a manifest listing fewer or more names than the graph has logits would give wrong labels.
 */
async function checkClasses(
  session: GraphSession,
  file: string,
  feeds: Record<string, { data: Float32Array; dims: number[] }>,
  folder: ModelFolder,
): Promise<void> {
  const { manifest: m, dir } = folder;
  const k = (await session.run(feeds)).logits.length;
  if (k !== m.classNames.length) {
    throw new InferError(
      "bad-model",
      `${dir}/${MANIFEST_FILE}: "classNames" lists ${m.classNames.length} classes, but ${dir}/${file} returns ${k} logits per image`,
    );
  }
}

/** The T + 1 (ct: + schedule) sessions of the block-by-block path. */
async function openBlocks(engine: Engine, folder: ModelFolder) {
  const { manifest: m, dir } = folder;
  const opened: GraphSession[] = [];
  const open = async (bytes: Uint8Array, file: string) => {
    const s = await engine.open(bytes, `${dir}/${file}`);
    opened.push(s);
    return s;
  };
  try {
    const blocks: GraphSession[] = []; // one at a time: the WebGPU EP cannot create two at once
    for (const [i, b] of folder.blocks.entries()) blocks.push(await open(b, m.blocks[i].file));
    const continuous = m.variant === "ct" || m.variant === "fm";
    const [inputs, out] = continuous
      ? [["x", "z", "t"], m.variant === "ct" ? "uhat" : "vhat"]
      : [["x", "z"], "uhat"];
    blocks.forEach((s, i) => checkIo(s, `${dir}/${m.blocks[i].file}`, inputs, out));
    const cls = await open(folder.classifier, m.classifier.file);
    checkIo(cls, `${dir}/${m.classifier.file}`, ["z"], "logits");
    await checkClasses(cls, m.classifier.file, {
      z: { data: new Float32Array(m.embedDim), dims: [1, m.embedDim] },
    }, folder);
    let sched: GraphSession | undefined;
    if (folder.schedule && m.schedule.graph) {
      sched = await open(folder.schedule, m.schedule.graph.file);
      checkIo(sched, `${dir}/${m.schedule.graph.file}`, ["t"], "gamma");
    }
    return { blocks, cls, sched, out, all: opened };
  } catch (e) {
    await Promise.all(opened.map((s) => s.release().catch(() => {})));
    throw e;
  }
}

/** The fused chain's session, when the manifest lists one and `fused` is not false. */
async function openChain(engine: Engine, folder: ModelFolder, fused: boolean | undefined) {
  const ref = folder.manifest.chain;
  if (fused === false || !ref || !folder.chain) return undefined;
  const label = `${folder.dir}/${ref.file}`;
  const s = await engine.open(folder.chain, label, { alone: true }); // see EngineOptions.spinning
  const { input: { channels: c, height: h, width: w }, embedDim: d, T } = folder.manifest;
  try {
    checkIo(s, label, ["x", "z0", "eps"], "logits");
    await checkClasses(s, ref.file, {
      x: { data: new Float32Array(c * h * w), dims: [1, c, h, w] },
      z0: { data: new Float32Array(d), dims: [1, d] },
      eps: { data: new Float32Array(T * d), dims: [T, 1, d] },
    }, folder);
  } catch (e) {
    await s.release().catch(() => {});
    throw e;
  }
  return s;
}

/**
 * Options of {@linkcode openClassifier}.
 *
 * @example
 * ```ts
 * import type { OpenOptions } from "./classifier.ts";
 * const o: OpenOptions = { batchSize: 64, sampler: "dt" };
 * ```
 */
export interface OpenOptions {
  /** Largest batch run through the graphs at once (default 128). */
  batchSize?: number;
  /** Default sampler of `classify` (checked against the model before any session starts). */
  sampler?: string;
  /** Default sampler steps of `classify` (checked likewise). */
  steps?: number;
  /**
   * Use the manifest's fused chain graph (`chain.onnx`) when it lists one (default true): one
   * session for the whole DT chain. `false` runs the block graphs one by one.
   */
  fused?: boolean;
}

/**
 * Turns a batch of images into the model's NCHW float32 input (see `image/pixels.ts`);
 * `labels` name the images in errors.
 *
 * @example
 * ```ts
 * import type { Prepare } from "./classifier.ts";
 * import { checkRaw, preprocessPixels } from "./image/pixels.ts";
 * import type { RawImage } from "./image/types.ts";
 * const prepare: Prepare<RawImage> = (images, spec, labels) =>
 *   preprocessPixels(images, spec, checkRaw, labels);
 * ```
 */
export type Prepare<I> = (
  images: readonly I[],
  spec: Manifest,
  labels?: readonly string[],
) => Float32Array | Promise<Float32Array>;

/**
 * Opens a verified model folder on an engine (see the module doc): the sampler options are
 * checked first, then every session is created and its inputs and outputs checked, and the
 * classifier's logits counted against the manifest's class names (a mismatch is a one-line
 * `bad-model` {@linkcode InferError}, from both entries). `selection.note` says how the engine was chosen (`providerNote`); `prepare` turns the
 * images given to `classify` into the model's input.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openClassifier } from "./classifier.ts";
 * import { loadModelFolder } from "./model_folder.ts";
 * import { webEngine } from "./runtime/ort_web.ts";
 * const folder = await loadModelFolder("models/mnist");
 * const engine = await webEngine("wasm", { threads: 2 });
 * const never = () => new Float32Array(); // logits() takes preprocessed input
 * const clf = await openClassifier(folder, { engine, note: "wasm" }, {}, never);
 * const logits = await clf.logits(new Float32Array(784), 1, { noise: false });
 * assert.equal(logits.length, 10);
 * await clf.close();
 * await assert.rejects(openClassifier(folder, { engine, note: "" }, { steps: 3 }, never), {
 *   name: "InferError",
 * });
 * ```
 */
export async function openClassifier<I>(
  folder: ModelFolder,
  selection: { engine: Engine; note: string },
  o: OpenOptions,
  prepare: Prepare<I>,
): Promise<Classifier<I>> {
  checkPositiveInt(o.batchSize, "batchSize");
  const batchSize = o.batchSize ?? 128;
  samplerFor(folder.manifest, o.sampler, o.steps);
  const { engine, note } = selection;
  const m = folder.manifest;
  const continuous = m.variant === "ct" || m.variant === "fm";
  const chain = await openChain(engine, folder, o.fused);
  // With a chain the block graphs are opened only if a run needs them (onStep, other samplers).
  let perBlock: ReturnType<typeof openBlocks> | undefined = chain
    ? undefined
    : openBlocks(engine, folder);
  const sessions = () => (perBlock ??= openBlocks(engine, folder));
  await perBlock;
  const { channels, height, width } = m.input;
  const size = channels * height * width, K = m.classNames.length, d = m.embedDim;

  async function logits(x: Float32Array, n: number, opts: ClassifyOptions = {}) {
    const { sampler, steps } = samplerFor(m, opts.sampler ?? o.sampler, opts.steps ?? o.steps);
    if (x.length !== n * size) {
      throw new InferError(
        "bad-option",
        `input holds ${x.length} floats, ${n} images need ${n * size}`,
      );
    }
    const noise = opts.noiseSource ?? new SeededNormal(opts.seed ?? 0);
    const out = new Float32Array(n * K);
    for (let s = 0; s < n; s += batchSize) {
      const b = Math.min(batchSize, n - s);
      const xb = x.subarray(s * size, (s + b) * size);
      const xFeed = { data: xb, dims: [b, channels, height, width] };
      const stochastic = opts.noise ?? m.sampler.noise;
      const mode = stochastic ? "stochastic" : "noise-free";
      if (chain && sampler === dtSampler && !opts.onStep && m.chain!.modes.includes(mode)) {
        // The same draws as the block-by-block chain (dtNoise: z_0, then ε_1 … ε_T).
        const { z0, eps } = dtNoise(noise, b * d, m.T, stochastic);
        const l = (await chain.run({
          x: xFeed,
          z0: { data: z0, dims: [b, d] },
          eps: { data: eps, dims: [m.T, b, d] },
        })).logits;
        out.set(l, s * K);
        continue;
      }
      const { blocks, cls, sched, out: netOut } = await sessions();
      const zT = await sampler.run({
        manifest: m,
        batch: b,
        steps,
        stochastic,
        noise,
        denoise: continuous
          ? async (t, z) =>
            (await blocks[0].run({
              x: xFeed,
              z: { data: z, dims: [b, d] },
              t: { data: new Float32Array(b).fill(t), dims: [b] },
            }))[netOut]
          : async (t, z) =>
            (await blocks[t - 1].run({ x: xFeed, z: { data: z, dims: [b, d] } })).uhat,
        gamma: sched
          ? async (t) => (await sched.run({ t: { data: t, dims: [t.length] } })).gamma
          : undefined,
        onStep: opts.onStep,
      });
      const l = (await cls.run({ z: { data: zT, dims: [b, d] } })).logits;
      out.set(l, s * K);
    }
    return out;
  }

  return {
    manifest: m,
    provider: engine.provider,
    providerNote: note,
    fused: chain !== undefined,
    precision: folder.precision,
    logits,
    async classify(images, opts = {}) {
      checkPositiveInt(opts.top, "top");
      const x = await prepare(images, m, opts.labels);
      return rankLogits(await logits(x, images.length, opts), m.classNames, opts.top ?? 5);
    },
    async close() {
      const opened = perBlock ? (await perBlock.catch(() => undefined))?.all ?? [] : [];
      await Promise.all([...opened, ...(chain ? [chain] : [])].map((s) => s.release()));
    },
  };
}
