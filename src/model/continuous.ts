/**
 * The NoProp-CT / NoProp-FM network: ONE network for every t ∈ [0, 1] (paper v1 §2.2.2–2.2.3,
 * Fig. 6, no BatchNorm). t = 0 is noise, t = 1 is clean (the DT index direction).
 *
 * - Image branch: conv(w0) → ReLU → maxpool2 → dropout → conv(w1) → ReLU → dropout →
 *   conv(w2) → ReLU → maxpool2 → dropout → flatten (NHWC order) → FC(hidden) → ReLU. With a
 *   ResNet backbone (`spec.backbone`) the conv stack is the ResNet of `src/model/resnet.ts`
 *   WITHOUT BatchNorm (the paper's CT/FM network has none; the BN layers are left out, not
 *   replaced by anything), globally average-pooled, then the same FC(hidden) → ReLU.
 * - z branch: FC(hidden) → ReLU. With the `prototype` embedding (d = H·W·C, `zAsImage`) z is
 *   first reshaped to the image shape and passed through its own conv stack (`z.conv1..3`, the
 *   paper's conv stack with `spec.widths`, even when the image branch is a ResNet backbone),
 *   whose flattened output takes the place of z in the FC, as in the DT block (`block.ts`;
 *   paper Fig. 6).
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
 * const logits = continuousForward(p, spec, x, z, tf.tensor1d([0, 0.5]), evalContext());
 * assert.deepEqual(logits.shape, [2, 10]);
 * ```
 * @module
 */
import { tf } from "../deps_tf.ts";
import type { Rng } from "../rng.ts";
import {
  addConvStack,
  backbonePlan,
  type BlockSpec,
  blockSpec,
  convStack,
  flatSize,
  imageFeatureSize,
} from "./block.ts";
import { dense, type ForwardContext } from "./layers.ts";
import { addResNet, resnetForward } from "./resnet.ts";
import { ParamSet } from "./params.ts";
import { TIME_EMBED_DIM, TIME_SCALE, timeFrequencies } from "./time_frequencies.ts";

/** Shapes of the continuous network: a DT {@linkcode BlockSpec} (zAsImage: the prototype embedding). */
export type ContinuousSpec = BlockSpec;

/**
 * A {@linkcode ContinuousSpec} with the paper's widths filled in (zAsImage false unless given).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { continuousSpec } from "./continuous.ts";
 * const spec = continuousSpec({ height: 28, width: 28, channels: 1, classes: 10, embedDim: 10 });
 * assert.equal(spec.hidden, 256);
 * assert.equal(spec.zAsImage, false);
 * ```
 */
export function continuousSpec(
  s: Pick<BlockSpec, "height" | "width" | "channels" | "classes" | "embedDim"> & Partial<BlockSpec>,
): ContinuousSpec {
  const spec = blockSpec(s);
  if (spec.zAsImage && spec.embedDim !== spec.height * spec.width * spec.channels) {
    throw new Error(`continuous spec: zAsImage needs embedDim = H·W·C, got ${spec.embedDim}`);
  }
  return spec;
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
 * // z as an image (prototype embedding, d = 8·8·1): its own conv stack feeds z.fc.
 * const proto = continuousSpec({ ...spec, embedDim: 64, zAsImage: true });
 * const p = createContinuousNet(proto, new Rng(0));
 * assert.deepEqual(p.get("z.conv1.w").shape, [3, 3, 1, 2]);
 * assert.deepEqual(p.get("z.fc.w").shape, [2 * 2 * 2, 8]); // flattened z stack → hidden
 * ```
 */
export function createContinuousNet(spec: ContinuousSpec, rng: Rng): ParamSet {
  const p = new ParamSet();
  const H = spec.hidden;
  const plan = backbonePlan(spec, false);
  if (plan) addResNet(p, plan, rng);
  else addConvStack(p, "img", spec, rng);
  p.dense("img.fc", imageFeatureSize(spec), H, rng);
  if (spec.zAsImage) addConvStack(p, "z", spec, rng);
  p.dense("z.fc", spec.zAsImage ? flatSize(spec) : spec.embedDim, H, rng);
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
 * Logits [N, classes] of the network `p` of shapes `spec` from x [N, H, W, C], z [N, d] and
 * t [N] (`spec` also says which backbone the image branch is).
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
 *   readTensor(continuousForward(p, spec, x, z, tf.tensor1d([t]), evalContext()));
 * assert.notDeepEqual(await at(0.1), await at(0.9)); // the network sees t
 * ```
 */
export function continuousForward(
  p: ParamSet,
  spec: ContinuousSpec,
  x: tf.Tensor4D,
  z: tf.Tensor2D,
  t: tf.Tensor1D,
  ctx: ForwardContext,
): tf.Tensor2D {
  const plan = backbonePlan(spec, false);
  const feat = plan ? resnetForward(p, plan, x, ctx) : convStack(p, "img", x, ctx);
  const img = tf.relu(dense(p, "img.fc", feat));
  const zIn = spec.zAsImage
    ? convStack(p, "z", tf.reshape(z, [-1, spec.height, spec.width, spec.channels]), ctx)
    : z;
  const zf = tf.relu(dense(p, "z.fc", zIn));
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
