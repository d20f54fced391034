/**
 * The whole NoProp-DT model: T independent denoising blocks, the linear classifier on z_T
 * and the label embedding, plus the schedule that ties them together. Each block gets its own
 * seeded RNG stream so that initialisation does not depend on how blocks are spread over workers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { createNoPropDT, disposeModel } from "./noprop.ts";
 * await initBackend("cpu");
 * const m = createNoPropDT({
 *   image: { height: 28, width: 28, channels: 1 }, classes: 10, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 20, widths: [4, 4, 4], hidden: 16, seed: 0,
 * });
 * assert.equal(m.blocks.length, 2); // one block per diffusion step
 * assert.equal(m.embedding.dim, 10); // one-hot: the embedding is I_10 whatever embedDim says
 * disposeModel(m);
 * ```
 * @module
 */
import type { BackboneName } from "./backbone.ts";
import { type BlockSpec, blockSpec, createBlock } from "./block.ts";
import {
  type Embedding,
  type EmbeddingKind,
  learnedEmbedding,
  oneHotEmbedding,
  type PrototypeData,
  prototypeEmbedding,
} from "./embedding.ts";
import { ParamSet } from "./params.ts";
import { Rng } from "../rng.ts";
import { type DtSchedule, makeSchedule, type ScheduleName } from "../schedule.ts";

/** Options for {@linkcode createNoPropDT}. */
export interface NoPropOptions {
  /** Input image shape. */
  image: { height: number; width: number; channels: number };
  /** Number of classes. */
  classes: number;
  /** Number of blocks. */
  T: number;
  /** Fixed noise schedule. */
  schedule: ScheduleName;
  /** Label embedding kind. */
  embedding: EmbeddingKind;
  /** Embedding dimension for `learned`. */
  embedDim: number;
  /** Conv widths. */
  widths: [number, number, number];
  /** FC width. */
  hidden: number;
  /** Image-branch backbone (default `paper`). */
  backbone?: BackboneName;
  /** Width multiplier of a ResNet backbone (default 1). */
  backboneWidth?: number;
  /** Seed for initialisation. */
  seed: number;
  /** For `prototype`: normalised NHWC-flattened training images and labels. */
  prototypeData?: PrototypeData;
}

/** A NoProp-DT model. */
export interface NoPropDT {
  /** Block shapes. */
  spec: BlockSpec;
  /** Schedule (T = blocks.length). */
  schedule: DtSchedule;
  /** Blocks 1..T at indices 0..T−1. */
  blocks: ParamSet[];
  /** Linear classifier `cls.w` [d, classes], `cls.b` [classes] on z_T. */
  classifier: ParamSet;
  /** W_Embed. */
  embedding: Embedding;
}

/** Derives an independent RNG seed for a named stream (e.g. block t's init). */
export function streamSeed(seed: number, stream: number): number {
  let h = (seed ^ 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (stream + 0x9e3779b9), 0xcc9e2d51) >>> 0;
  h ^= h >>> 15;
  return Math.imul(h, 0x1b873593) >>> 0;
}

/**
 * Builds a freshly initialised NoProp-DT model.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { createNoPropDT } from "./noprop.ts";
 * await initBackend("cpu");
 * const m = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 3, T: 3,
 *   schedule: "linear", embedding: "onehot", embedDim: 3, widths: [2, 2, 2], hidden: 8, seed: 1,
 * });
 * assert.equal(m.embedding.dim, 3);
 * assert.equal(m.blocks.length, 3);
 * ```
 */
export function createNoPropDT(o: NoPropOptions): NoPropDT {
  const { height, width, channels } = o.image;
  const embRng = new Rng(streamSeed(o.seed, 1000));
  let embedding: Embedding;
  if (o.embedding === "onehot") embedding = oneHotEmbedding(o.classes);
  else if (o.embedding === "learned") embedding = learnedEmbedding(o.classes, o.embedDim, embRng);
  else {
    if (!o.prototypeData) throw new Error("prototype embedding needs the training images");
    embedding = prototypeEmbedding(
      o.prototypeData.features,
      height * width * channels,
      o.prototypeData.labels,
      o.classes,
      embRng,
    );
  }
  const spec = blockSpec({
    height,
    width,
    channels,
    classes: o.classes,
    embedDim: embedding.dim,
    widths: o.widths,
    hidden: o.hidden,
    zAsImage: o.embedding === "prototype",
    backbone: o.backbone ?? "paper",
    backboneWidth: o.backboneWidth ?? 1,
  });
  const blocks = [];
  for (let t = 1; t <= o.T; t++) blocks.push(createBlock(spec, new Rng(streamSeed(o.seed, t))));
  const classifier = new ParamSet();
  classifier.dense("cls", embedding.dim, o.classes, new Rng(streamSeed(o.seed, 2000)));
  return { spec, schedule: makeSchedule(o.schedule, o.T), blocks, classifier, embedding };
}

/**
 * Frees every tensor of a model.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "../backend/mod.ts";
 * import { createNoPropDT, disposeModel } from "./noprop.ts";
 * await initBackend("cpu");
 * const before = tf.memory().numTensors;
 * const m = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 3, T: 2,
 *   schedule: "cosine", embedding: "learned", embedDim: 4, widths: [2, 2, 2], hidden: 8, seed: 1,
 * });
 * disposeModel(m);
 * assert.equal(tf.memory().numTensors, before);
 * ```
 */
export function disposeModel(m: NoPropDT): void {
  for (const b of m.blocks) b.dispose();
  m.classifier.dispose();
  m.embedding.W.dispose();
}
