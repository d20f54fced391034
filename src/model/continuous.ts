/**
 * The NoProp-CT / NoProp-FM network: ONE network for every t ∈ [0, 1] (paper v1 §2.2.2–2.2.3,
 * Fig. 6, no BatchNorm). t = 0 is noise, t = 1 is clean (the DT index direction).
 *
 * - Image branch: conv(w0) → ReLU → maxpool2 → dropout → conv(w1) → ReLU → dropout →
 *   conv(w2) → ReLU → maxpool2 → dropout → flatten (NHWC order) → FC(hidden) → ReLU. With a
 *   ResNet backbone (`spec.backbone`) the conv stack is the ResNet of `src/model/resnet.ts`
 *   WITHOUT BatchNorm (the paper's CT/FM network has none; the BN layers are left out, not
 *   replaced by anything), globally average-pooled, then the same FC(hidden) → ReLU.
 * - z branch: FC(hidden) → ReLU.
 * - Time branch: 64-d sinusoidal embedding of t → FC(hidden) → ReLU.
 * - Head: concat(3·hidden) → FC(hidden) → ReLU → FC(hidden/2) → ReLU → FC(classes).
 *
 * CT reads the logits as û = softmax(logits)·W_Embed (`denoised`), FM as the velocity
 * v̂ = logits·W_Embed (no softmax; {@linkcode velocity}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "../backend/mod.ts";
 * import { continuousForward, continuousSpec, createContinuousNet } from "./continuous.ts";
 * import { evalContext } from "./layers.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * const spec = continuousSpec({
 *   height: 8, width: 8, channels: 1, classes: 10, embedDim: 10, widths: [2, 2, 2], hidden: 8,
 * });
 * const p = createContinuousNet(spec, new Rng(0));
 * const x = tf.zeros([2, 8, 8, 1]) as tf.Tensor4D, z = tf.zeros([2, 10]) as tf.Tensor2D;
 * const logits = continuousForward(p, x, z, tf.tensor1d([0, 0.5]), evalContext(), spec);
 * assert.deepEqual(logits.shape, [2, 10]);
 * ```
 * @module
 */
import { tf } from "../deps_tf.ts";
import type { Rng } from "../rng.ts";
import { backbonePlan, type BlockSpec, blockSpec, imageFeatureSize } from "./block.ts";
import { conv, dense, dropout, type ForwardContext, maxPool2 } from "./layers.ts";
import { addResNet, resnetForward } from "./resnet.ts";
import { ParamSet } from "./params.ts";
import { TIME_EMBED_DIM, TIME_SCALE, timeFrequencies } from "./time_frequencies.ts";

/** Shapes of the continuous network: a DT {@linkcode BlockSpec} with zAsImage = false. */
export type ContinuousSpec = BlockSpec;

/**
 * A {@linkcode ContinuousSpec} with the paper's widths filled in.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { continuousSpec } from "./continuous.ts";
 * const spec = continuousSpec({ height: 28, width: 28, channels: 1, classes: 10, embedDim: 10 });
 * assert.equal(spec.hidden, 256);
 * ```
 */
export function continuousSpec(
  s: Pick<BlockSpec, "height" | "width" | "channels" | "classes" | "embedDim"> & Partial<BlockSpec>,
): ContinuousSpec {
  return blockSpec({ ...s, zAsImage: false });
}

/**
 * Creates the network's parameters (PyTorch default init from `rng`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { continuousSpec, createContinuousNet } from "./continuous.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * const spec = continuousSpec({
 *   height: 8, width: 8, channels: 1, classes: 3, embedDim: 3, widths: [2, 2, 2], hidden: 8,
 * });
 * assert.deepEqual(createContinuousNet(spec, new Rng(0)).get("time.fc.w").shape, [64, 8]);
 * ```
 */
export function createContinuousNet(spec: ContinuousSpec, rng: Rng): ParamSet {
  const p = new ParamSet();
  const H = spec.hidden;
  const [w0, w1, w2] = spec.widths;
  const plan = backbonePlan(spec, false);
  if (plan) addResNet(p, plan, rng);
  else {
    p.conv("img.conv1", 3, spec.channels, w0, rng);
    p.conv("img.conv2", 3, w0, w1, rng);
    p.conv("img.conv3", 3, w1, w2, rng);
  }
  p.dense("img.fc", imageFeatureSize(spec), H, rng);
  p.dense("z.fc", spec.embedDim, H, rng);
  p.dense("time.fc", TIME_EMBED_DIM, H, rng);
  p.dense("head.fc1", 3 * H, H, rng);
  p.dense("head.fc2", H, H / 2, rng);
  p.dense("head.fc3", H / 2, spec.classes, rng);
  return p;
}

/**
 * The 64-d sinusoidal embedding [sin(1000·t·f), cos(1000·t·f)] of t [N] → [N, 64].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend, readTensor } from "../backend/mod.ts";
 * import { timeEmbedding } from "./continuous.ts";
 * await initBackend("cpu");
 * const e = timeEmbedding(tf.zeros([1]));
 * assert.deepEqual(e.shape, [1, 64]);
 * const v = await readTensor(e); // t = 0: sin 0 = 0 for the first 32, cos 0 = 1 for the rest
 * assert.ok(v.subarray(0, 32).every((s) => s === 0) && v.subarray(32).every((c) => c === 1));
 * ```
 */
export function timeEmbedding(t: tf.Tensor1D): tf.Tensor2D {
  const arg = tf.mul(tf.expandDims(tf.mul(t, TIME_SCALE), 1), tf.tensor1d(timeFrequencies()));
  return tf.concat([tf.sin(arg), tf.cos(arg)], 1) as tf.Tensor2D;
}

/**
 * Logits [N, classes] of the network from x [N, H, W, C], z [N, d] and t [N] (`spec` says
 * which backbone the image branch is).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend, readTensor } from "../backend/mod.ts";
 * import { continuousForward, continuousSpec, createContinuousNet } from "./continuous.ts";
 * import { evalContext } from "./layers.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * const spec = continuousSpec({
 *   height: 8, width: 8, channels: 1, classes: 3, embedDim: 3, widths: [2, 2, 2], hidden: 8,
 * });
 * const p = createContinuousNet(spec, new Rng(0));
 * const x = tf.randomNormal([1, 8, 8, 1], 0, 1, "float32", 1) as tf.Tensor4D;
 * const z = tf.tensor2d([[1, 0, 0]]);
 * const at = (t: number) =>
 *   readTensor(continuousForward(p, x, z, tf.tensor1d([t]), evalContext(), spec));
 * assert.notDeepEqual(await at(0.1), await at(0.9)); // the network sees t
 * ```
 */
export function continuousForward(
  p: ParamSet,
  x: tf.Tensor4D,
  z: tf.Tensor2D,
  t: tf.Tensor1D,
  ctx: ForwardContext,
  spec: ContinuousSpec,
): tf.Tensor2D {
  const plan = backbonePlan(spec, false);
  let feat: tf.Tensor2D;
  if (plan) feat = resnetForward(p, plan, x, ctx);
  else {
    let h = dropout(ctx, maxPool2(tf.relu(conv(p, "img.conv1", x))));
    h = dropout(ctx, tf.relu(conv(p, "img.conv2", h)));
    h = dropout(ctx, maxPool2(tf.relu(conv(p, "img.conv3", h))));
    feat = tf.reshape(h, [h.shape[0], -1]);
  }
  const img = tf.relu(dense(p, "img.fc", feat));
  const zf = tf.relu(dense(p, "z.fc", z));
  const tf_ = tf.relu(dense(p, "time.fc", timeEmbedding(t)));
  let o = tf.relu(dense(p, "head.fc1", tf.concat([img, zf, tf_], 1)));
  o = tf.relu(dense(p, "head.fc2", o));
  return dense(p, "head.fc3", o);
}

/**
 * FM's velocity v̂ = logits·W_Embed (eq. 10–13; no softmax).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend, readTensor } from "../backend/mod.ts";
 * import { velocity } from "./continuous.ts";
 * await initBackend("cpu");
 * const v = velocity(tf.tensor2d([[1, -1]]), tf.eye(2)); // one-hot W: v̂ = logits
 * assert.deepEqual(await readTensor(v), Float32Array.of(1, -1));
 * ```
 */
export function velocity(logits: tf.Tensor2D, W: tf.Tensor): tf.Tensor2D {
  return tf.matMul(logits, W as tf.Tensor2D);
}
