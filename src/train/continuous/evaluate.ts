/**
 * Training-side evaluation of NoProp-CT / -FM on tfjs: z_0 ~ N(0, I), integrate to t = 1 with
 * the runtime's own Euler/Heun driver (`src/infer/sampler/continuous.ts`, the same code the ONNX
 * runtime would use), network evaluated by tfjs; prediction = argmax classifier(z_1) for CT
 * and the class whose embedding is nearest (Euclidean) to z_1 for FM.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createContinuousModel } from "../../model/continuous_model.ts";
 * import { batches } from "../../data/batches.ts";
 * import { NORMALIZATION } from "../../data/normalize.ts";
 * import { evaluateContinuous } from "./evaluate.ts";
 * await initBackend("cpu");
 * const model = createContinuousModel({
 *   variant: "ct", image: { height: 8, width: 8, channels: 1 }, classes: 2, embedding: "onehot",
 *   embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0, gamma0: -5, gamma1: 5, gammaHidden: 4,
 * });
 * const test = {
 *   count: 6, height: 8, width: 8, channels: 1, labels: Uint8Array.of(0, 1, 0, 1, 0, 1),
 *   images: Uint8Array.from({ length: 6 * 64 }, (_, i) => (i * 37) % 256),
 * };
 * const { acc, count } = await evaluateContinuous(
 *   model,
 *   batches(test, { batchSize: 4, stats: NORMALIZATION.mnist }),
 *   { seed: 1, sampler: "heun", steps: 4 },
 * );
 * assert.equal(count, 6);
 * assert.ok(acc >= 0 && acc <= 1);
 * ```
 * @module
 */
import { tf } from "../../deps_tf.ts";
import { batchImages } from "../batch_tensor.ts";
import { type Confusion, countPredictions, emptyConfusion } from "../confusion.ts";
import { type ContinuousSamplerName, integrate } from "../../infer/sampler/continuous.ts";
import { continuousForward, velocity } from "../../model/continuous.ts";
import type { ContinuousModel } from "../../model/continuous_model.ts";
import { denoised } from "../../model/embedding.ts";
import { dense, evalContext } from "../../model/layers.ts";
import { squaredDistances } from "../../losses.ts";
import { Rng } from "../../rng.ts";
import { ctScheduleValues } from "../../model/ct_schedule.ts";
import { ctGammaAt } from "../../model/ct_schedule_values.ts";

/** Sampler settings of an evaluation. */
export interface ContinuousEvalOptions {
  /** Seed of z_0. */
  seed: number;
  /** Euler or Heun. */
  sampler: ContinuousSamplerName;
  /** Steps on the uniform grid. */
  steps: number;
}

/**
 * z_1 for one batch: x [n, H, W, C] tensor, z_0 [n·d] array → z_1 [n·d].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createContinuousModel } from "../../model/continuous_model.ts";
 * import { tf } from "../../deps_tf.ts";
 * import { sampleContinuous } from "./evaluate.ts";
 * await initBackend("cpu");
 * const model = createContinuousModel({
 *   variant: "fm", image: { height: 8, width: 8, channels: 1 }, classes: 2, embedding: "onehot",
 *   embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0, gamma0: -5, gamma1: 5, gammaHidden: 4,
 * });
 * const x = tf.randomNormal([3, 8, 8, 1]) as tf.Tensor4D;
 * const z0 = new Float32Array(3 * 2).fill(1); // three images, d = 2
 * const o = { seed: 0, sampler: "euler" as const, steps: 4 };
 * const z1 = await sampleContinuous(model, x, z0, o);
 * assert.equal(z1.length, 3 * 2);
 * assert.notDeepEqual(z1, z0); // moved along the predicted velocity
 * assert.deepEqual(await sampleContinuous(model, x, z0, o), z1); // deterministic
 * ```
 */
export async function sampleContinuous(
  m: ContinuousModel,
  x: tf.Tensor4D,
  z0: Float32Array,
  o: ContinuousEvalOptions,
): Promise<Float32Array> {
  const n = x.shape[0], d = m.embedding.dim;
  const sched = m.schedule ? await ctScheduleValues(m.schedule) : null;
  return integrate({
    variant: m.variant,
    sampler: o.sampler,
    steps: o.steps,
    z0,
    gammaAt: sched ? (t) => ctGammaAt(sched, t) : undefined,
    predict: async (z, t) => {
      const out = tf.tidy(() => {
        const logits = continuousForward(
          m.net,
          m.spec,
          x,
          tf.tensor2d(z, [n, d]),
          tf.fill([n], t) as tf.Tensor1D,
          evalContext(),
        );
        return m.variant === "ct"
          ? denoised(logits, m.embedding.W)
          : velocity(logits, m.embedding.W);
      });
      const data = (await out.data()) as Float32Array;
      out.dispose();
      return data;
    },
  });
}

/**
 * Class predictions from z_1 [n·d]: CT argmax classifier(z_1), FM nearest embedding.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createContinuousModel } from "../../model/continuous_model.ts";
 * import { predictFromZ } from "./evaluate.ts";
 * await initBackend("cpu");
 * const model = createContinuousModel({
 *   variant: "fm", image: { height: 8, width: 8, channels: 1 }, classes: 2, embedding: "onehot",
 *   embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0, gamma0: -5, gamma1: 5, gammaHidden: 4,
 * });
 * // FM: the class whose embedding (one-hot here) is nearest to z_1.
 * const z1 = Float32Array.of(0.9, 0.1, 0.2, 1.1);
 * assert.deepEqual(await predictFromZ(model, z1, 2), Int32Array.of(0, 1));
 * ```
 */
export async function predictFromZ(
  m: ContinuousModel,
  z1: Float32Array,
  n: number,
): Promise<Int32Array> {
  const scores = tf.tidy(() => {
    const z = tf.tensor2d(z1, [n, m.embedding.dim]);
    const s = m.variant === "ct"
      ? dense(m.classifier, "cls", z)
      : tf.neg(squaredDistances(z, m.embedding.W));
    return tf.argMax(s, 1);
  });
  const p = (await scores.data()) as Int32Array;
  scores.dispose();
  return p;
}

/**
 * Accuracy of the sampler over batches of normalised NHWC images, and its confusion counts
 * (rows: true class).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createContinuousModel } from "../../model/continuous_model.ts";
 * import { evaluateContinuous } from "./evaluate.ts";
 * await initBackend("cpu");
 * const model = createContinuousModel({
 *   variant: "fm", image: { height: 8, width: 8, channels: 1 }, classes: 2, embedding: "onehot",
 *   embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0, gamma0: -5, gamma1: 5, gammaHidden: 4,
 * });
 * // One batch of two normalised NHWC images, given directly.
 * const batch = { x: new Float32Array(2 * 64), y: Int32Array.of(0, 1), size: 2 };
 * const r = await evaluateContinuous(model, [batch], { seed: 0, sampler: "euler", steps: 2 });
 * assert.equal(r.count, 2);
 * assert.ok(r.seconds > 0);
 * ```
 */
export async function evaluateContinuous(
  m: ContinuousModel,
  batches: Iterable<{ x: Float32Array; y: Int32Array | Uint8Array; size: number }>,
  o: ContinuousEvalOptions,
): Promise<{ acc: number; count: number; seconds: number; confusion: Confusion }> {
  const rng = new Rng(o.seed);
  const d = m.embedding.dim;
  let ok = 0, count = 0;
  const confusion = emptyConfusion(m.spec.classes);
  const t0 = performance.now();
  for (const b of batches) {
    const n = b.size;
    const x = batchImages(b, m.spec);
    const z0 = rng.fillNormal(new Float32Array(n * d));
    const p = await predictFromZ(m, await sampleContinuous(m, x, z0, o), n);
    x.dispose();
    for (let i = 0; i < n; i++) if (p[i] === b.y[i]) ok++;
    countPredictions(confusion, b.y, p, n);
    count += n;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { acc: ok / Math.max(1, count), count, seconds, confusion };
}
