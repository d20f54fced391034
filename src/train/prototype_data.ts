/**
 * The images the prototype embedding is chosen from (`prototypeRows` in
 * `src/model/embedding.ts`): every training image of the run, normalised like a training batch
 * and flattened in NHWC order (the order of z when z is an image). Shared by NoProp-DT and
 * NoProp-CT/FM.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NORMALIZATION } from "../data/normalize.ts";
 * import type { RunData } from "./batches.ts";
 * import { prototypeTrainingData } from "./prototype_data.ts";
 * // Two 2×2 grey training images.
 * const set = {
 *   count: 2, height: 2, width: 2, channels: 1, labels: Uint8Array.of(0, 1),
 *   images: Uint8Array.of(0, 0, 0, 0, 255, 255, 255, 255),
 * };
 * const info = {
 *   name: "mnist" as const, height: 2, width: 2, channels: 1, numClasses: 2,
 *   classNames: ["dark", "bright"], mean: [0.1307], std: [0.3081],
 * };
 * const run: RunData = {
 *   data: { train: set, test: set, info }, train: set, test: set, stats: NORMALIZATION.mnist,
 * };
 * const { features, labels } = prototypeTrainingData(run);
 * assert.equal(features.length, 2 * 4);
 * assert.ok(Math.abs(features[0] - (0 - 0.1307) / 0.3081) < 1e-6); // normalised like a batch
 * assert.deepEqual(labels, Uint8Array.of(0, 1));
 * ```
 * @module
 */
import { normalizeInto } from "../data/normalize.ts";
import type { PrototypeData } from "../model/embedding.ts";
import type { RunData } from "./batches.ts";

/**
 * Every training image of `run`, normalised and NHWC-flattened, with its labels.
 *
 * @example
 * ```ts
 * import type { RunData } from "./batches.ts";
 * import { prototypeTrainingData } from "./prototype_data.ts";
 * const rowsOf = (run: RunData) => prototypeTrainingData(run).features.length / run.train.count;
 * ```
 */
export function prototypeTrainingData(run: RunData): PrototypeData {
  const { train, stats } = run;
  const { height, width, channels } = run.data.info;
  const features = new Float32Array(train.count * height * width * channels);
  const all = Uint32Array.from({ length: train.count }, (_, i) => i);
  normalizeInto(train, all, stats, features, "NHWC");
  return { features, labels: train.labels };
}
