/**
 * Training-side evaluation of NoProp-CT / -FM on tfjs: z_0 ~ N(0, I), integrate to t = 1 with
 * the runtime's own Euler/Heun driver (`src/infer/sampler/continuous.ts`, the same code the ONNX
 * runtime would use), network evaluated by tfjs; prediction = argmax classifier(z_1) for CT
 * and the class whose embedding is nearest (Euclidean) to z_1 for FM.
 *
 * @example
 * ```ts
 * import { evaluateContinuous } from "./evaluate.ts";
 * // const { acc } = await evaluateContinuous(model, batches, { seed: 1, sampler: "heun", steps: 10 });
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
 * import { sampleContinuous } from "./evaluate.ts";
 * // const z1 = await sampleContinuous(model, x, z0, { seed: 0, sampler: "euler", steps: 10 });
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
 * import { predictFromZ } from "./evaluate.ts";
 * // const labels = await predictFromZ(model, z1, n);
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
 * import { evaluateContinuous } from "./evaluate.ts";
 * // await evaluateContinuous(model, [{ x, y, size }], { seed: 0, sampler: "euler", steps: 10 });
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
