/**
 * The whole NoProp-CT / NoProp-FM model: the one network û_θ(z_t, x, t), the label embedding,
 * and for CT the linear classifier on z_1 and the learnable schedule (eq. 65–67).
 * Parameter names in one flat map (for weights files): `net.*`, `cls.*`, `sched.*`, `embed.W`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { createContinuousModel } from "./continuous_model.ts";
 * await initBackend("cpu");
 * const m = createContinuousModel({
 *   variant: "ct", image: { height: 28, width: 28, channels: 1 }, classes: 10,
 *   embedding: "onehot", embedDim: 20, widths: [4, 4, 4], hidden: 16, seed: 0,
 *   gamma0: -9.21, gamma1: 9.21, gammaHidden: 16,
 * });
 * assert.notEqual(m.schedule, null); // CT learns its noise schedule
 * ```
 * @module
 */
import type { tf } from "../deps_tf.ts";
import { Rng } from "../rng.ts";
import type { BackboneName } from "./backbone.ts";
import { createCtSchedule } from "./ct_schedule.ts";
import { type ContinuousSpec, continuousSpec, createContinuousNet } from "./continuous.ts";
import {
  type Embedding,
  learnedEmbedding,
  oneHotEmbedding,
  type PrototypeData,
  prototypeEmbedding,
} from "./embedding.ts";
import { streamSeed } from "./noprop.ts";
import { ParamSet } from "./params.ts";

/** Options of {@linkcode createContinuousModel}. */
export interface ContinuousOptions {
  /** `ct` or `fm`. */
  variant: "ct" | "fm";
  /** Input image shape. */
  image: { height: number; width: number; channels: number };
  /** Number of classes. */
  classes: number;
  /** `onehot`, `learned` or `prototype` (d = H·W·C; z then gets its own conv stack). */
  embedding: "onehot" | "learned" | "prototype";
  /** d for `learned`. */
  embedDim: number;
  /** Conv widths. */
  widths: [number, number, number];
  /** FC width. */
  hidden: number;
  /** Image-branch backbone (default `paper`; a ResNet here has no BatchNorm). */
  backbone?: BackboneName;
  /** Width multiplier of a ResNet backbone (default 1). */
  backboneWidth?: number;
  /** Seed. */
  seed: number;
  /** CT: initial γ_0. */
  gamma0: number;
  /** CT: initial γ_1. */
  gamma1: number;
  /** CT: γ̃'s width. */
  gammaHidden: number;
  /** `prototype`: the training images W_Embed's rows are chosen from. */
  prototypeData?: PrototypeData;
  /**
   * The weights will be overwritten from a file (loading or resuming a run): a `prototype`
   * W_Embed starts at zeros instead of being chosen from `prototypeData`.
   */
  restoring?: boolean;
}

/** A NoProp-CT or -FM model. */
export interface ContinuousModel {
  /** `ct` or `fm`. */
  variant: "ct" | "fm";
  /** Network shapes. */
  spec: ContinuousSpec;
  /** The network (names without the `net.` prefix). */
  net: ParamSet;
  /** CT: classifier `cls.w` [d, classes], `cls.b` on z_1; FM: empty (nearest embedding). */
  classifier: ParamSet;
  /** CT: the learnable schedule; FM: null. */
  schedule: ParamSet | null;
  /** W_Embed. */
  embedding: Embedding;
}

function embeddingDim(o: ContinuousOptions): number {
  if (o.embedding === "onehot") return o.classes;
  if (o.embedding === "learned") return o.embedDim;
  return o.image.height * o.image.width * o.image.channels;
}

/** W_Embed of `o` (stream 1000 of the seed, as in DT). */
function createEmbedding(o: ContinuousOptions, d: number): Embedding {
  const rng = new Rng(streamSeed(o.seed, 1000));
  if (o.embedding === "onehot") return oneHotEmbedding(o.classes);
  if (o.embedding === "learned") return learnedEmbedding(o.classes, d, rng);
  if (o.restoring) {
    const zeros = new Float32Array(o.classes * d);
    return prototypeEmbedding(
      zeros,
      d,
      Int32Array.from({ length: o.classes }, (_, c) => c),
      o.classes,
      rng,
    );
  }
  if (!o.prototypeData) throw new Error("prototype embedding needs the training images");
  return prototypeEmbedding(o.prototypeData.features, d, o.prototypeData.labels, o.classes, rng);
}

/**
 * Builds a freshly initialised model (streams: net 1, embedding 1000, classifier 2000,
 * schedule 2500 of the seed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { createContinuousModel } from "./continuous_model.ts";
 * await initBackend("cpu");
 * const m = createContinuousModel({
 *   variant: "fm", image: { height: 8, width: 8, channels: 1 },
 *   classes: 3, embedding: "onehot", embedDim: 3, widths: [2, 2, 2], hidden: 8, seed: 1,
 *   gamma0: -5, gamma1: 5, gammaHidden: 4,
 * });
 * assert.equal(m.schedule, null); // FM has no noise schedule
 * assert.equal(m.classifier.size(), 0); // and predicts with the nearest embedding
 * // Prototype embedding: W_Embed's rows are training images (d = 8·8·1), z is an image.
 * const features = Float32Array.from({ length: 3 * 64 }, (_, i) => Math.floor(i / 64));
 * const p = createContinuousModel({
 *   variant: "fm", image: { height: 8, width: 8, channels: 1 },
 *   classes: 3, embedding: "prototype", embedDim: 0, widths: [2, 2, 2], hidden: 8, seed: 1,
 *   gamma0: -5, gamma1: 5, gammaHidden: 4,
 *   prototypeData: { features, labels: Uint8Array.of(0, 1, 2) },
 * });
 * assert.deepEqual(p.embedding.W.shape, [3, 64]);
 * assert.ok(p.spec.zAsImage);
 * assert.deepEqual(p.net.get("z.conv1.w").shape, [3, 3, 1, 2]); // z's own conv stack
 * ```
 */
export function createContinuousModel(o: ContinuousOptions): ContinuousModel {
  const spec = continuousSpec({
    ...o.image,
    classes: o.classes,
    embedDim: embeddingDim(o),
    widths: o.widths,
    hidden: o.hidden,
    backbone: o.backbone ?? "paper",
    backboneWidth: o.backboneWidth ?? 1,
    zAsImage: o.embedding === "prototype",
  });
  const embedding = createEmbedding(o, spec.embedDim);
  const net = createContinuousNet(spec, new Rng(streamSeed(o.seed, 1)));
  const classifier = new ParamSet();
  let schedule = null;
  if (o.variant === "ct") {
    classifier.dense("cls", embedding.dim, o.classes, new Rng(streamSeed(o.seed, 2000)));
    schedule = createCtSchedule(
      { gamma0: o.gamma0, gamma1: o.gamma1, hidden: o.gammaHidden },
      new Rng(streamSeed(o.seed, 2500)),
    );
  }
  return { variant: o.variant, spec, net, classifier, schedule, embedding };
}

/**
 * Every trainable variable: network, classifier, schedule, and W_Embed when learnable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { AdamW } from "../train/adamw.ts";
 * import { continuousVariables, createContinuousModel } from "./continuous_model.ts";
 * await initBackend("cpu");
 * const m = createContinuousModel({
 *   variant: "fm", image: { height: 8, width: 8, channels: 1 },
 *   classes: 3, embedding: "learned", embedDim: 4, widths: [2, 2, 2], hidden: 8, seed: 1,
 *   gamma0: -5, gamma1: 5, gammaHidden: 4,
 * });
 * const vars = continuousVariables(m);
 * assert.ok(vars.includes(m.embedding.W)); // a learned embedding is trained too
 * const opt = new AdamW(vars, { lr: 1e-3, weightDecay: 1e-3 });
 * ```
 */
export function continuousVariables(m: ContinuousModel): tf.Variable[] {
  return [
    ...m.net.variables(),
    ...m.classifier.variables(),
    ...(m.schedule?.variables() ?? []),
    ...(m.embedding.trainable ? [m.embedding.W] : []),
  ];
}

/**
 * Every tensor as a flat name → array map (`net.*`, `cls.*`, `sched.*`, `embed.W`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { continuousArrays, createContinuousModel } from "./continuous_model.ts";
 * await initBackend("cpu");
 * const m = createContinuousModel({
 *   variant: "ct", image: { height: 8, width: 8, channels: 1 },
 *   classes: 3, embedding: "onehot", embedDim: 3, widths: [2, 2, 2], hidden: 8, seed: 1,
 *   gamma0: -5, gamma1: 5, gammaHidden: 4,
 * });
 * const arrays = await continuousArrays(m);
 * assert.ok(["embed.W", "cls.w", "net.head.fc3.w"].every((k) => k in arrays));
 * ```
 */
export async function continuousArrays(
  m: ContinuousModel,
): Promise<Record<string, { shape: number[]; data: Float32Array }>> {
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [k, v] of Object.entries(await m.net.toArrays())) out[`net.${k}`] = v;
  Object.assign(out, await m.classifier.toArrays());
  if (m.schedule) Object.assign(out, await m.schedule.toArrays());
  out["embed.W"] = {
    shape: m.embedding.W.shape.slice(),
    data: (await m.embedding.W.data()) as Float32Array,
  };
  return out;
}

/**
 * Frees every tensor of the model.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "../backend/mod.ts";
 * import { createContinuousModel, disposeContinuousModel } from "./continuous_model.ts";
 * await initBackend("cpu");
 * const before = tf.memory().numTensors;
 * const m = createContinuousModel({
 *   variant: "ct", image: { height: 8, width: 8, channels: 1 },
 *   classes: 3, embedding: "learned", embedDim: 4, widths: [2, 2, 2], hidden: 8, seed: 1,
 *   gamma0: -5, gamma1: 5, gammaHidden: 4,
 * });
 * disposeContinuousModel(m);
 * assert.equal(tf.memory().numTensors, before);
 * ```
 */
export function disposeContinuousModel(m: ContinuousModel): void {
  m.net.dispose();
  m.classifier.dispose();
  m.schedule?.dispose();
  m.embedding.W.dispose();
}
