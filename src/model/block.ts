/**
 * The NoProp-DT denoising block (paper Fig. 6; 3×3 convs with 'same' padding).
 *
 * Block t maps (x, z_{t−1}) to class logits; û_t = softmax(logits)·W_Embed is formed by the
 * caller (see `src/model/embedding.ts`).
 *
 * - Image branch: conv(w0) → ReLU → maxpool2 → dropout → conv(w1) → ReLU → dropout →
 *   conv(w2) → ReLU → maxpool2 → dropout → flatten (NHWC order) → FC(hidden) → BN. With a ResNet
 *   backbone (`spec.backbone`, `src/model/backbone.ts`) the conv stack is replaced by the ResNet
 *   with BatchNorm2d and global average pooling (`img.res.*`), then the same FC(hidden) → BN.
 * - Label branch: FC(hidden) → BN → ReLU = h; h → FC(hidden) → BN → ReLU → FC(hidden) → BN; + h.
 *   With the `prototype` embedding (d = image size) z is first reshaped to the image shape and
 *   passed through its own convolution stack like the image branch, whose flattened output
 *   takes the place of z in the first FC.
 * - Head: concat → FC(hidden) → BN → ReLU → FC(hidden/2) → BN → ReLU → FC(classes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "../backend/mod.ts";
 * import { blockForward, blockSpec, createBlock } from "./block.ts";
 * import { evalContext } from "./layers.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * // A narrow block for 8×8 grey images (the paper's MNIST block: 28×28, widths 32, 64, 128).
 * const spec = blockSpec({
 *   height: 8, width: 8, channels: 1, classes: 10, embedDim: 10, widths: [2, 2, 2], hidden: 8,
 * });
 * const p = createBlock(spec, new Rng(0));
 * const logits = blockForward(p, spec, tf.zeros([2, 8, 8, 1]), tf.zeros([2, 10]), evalContext());
 * assert.deepEqual(logits.shape, [2, 10]);
 * ```
 * @module
 */
import { tf } from "../deps_tf.ts";
import type { Rng } from "../rng.ts";
import { ParamSet } from "./params.ts";
import { batchNorm, conv, dense, dropout, type ForwardContext, maxPool2 } from "./layers.ts";
import { type BackboneName, backboneOf, type ResNetPlan, resnetPlan } from "./backbone.ts";
import { addResNet, resnetForward } from "./resnet.ts";

/** Shapes and widths of one block. */
export interface BlockSpec {
  /** Image height (pixels). */
  height: number;
  /** Image width (pixels). */
  width: number;
  /** Image channels. */
  channels: number;
  /** Number of classes. */
  classes: number;
  /** Label-embedding dimension d. */
  embedDim: number;
  /** Conv channel widths of the image branch (paper: 32, 64, 128). */
  widths: [number, number, number];
  /** Width of the fully connected layers (paper: 256). */
  hidden: number;
  /** Process z with its own conv branch (prototype embedding, d = H·W·C). */
  zAsImage: boolean;
  /** Image-branch backbone (absent in files written before backbones existed: `paper`). */
  backbone?: BackboneName;
  /** Width multiplier of a ResNet backbone (absent: 1). */
  backboneWidth?: number;
}

/**
 * A {@linkcode BlockSpec} with the paper's defaults filled in.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blockSpec } from "./block.ts";
 * const spec = blockSpec({ height: 32, width: 32, channels: 3, classes: 10, embedDim: 10 });
 * assert.deepEqual(spec.widths, [32, 64, 128]);
 * ```
 */
export function blockSpec(
  s: Pick<BlockSpec, "height" | "width" | "channels" | "classes" | "embedDim"> & Partial<BlockSpec>,
): BlockSpec {
  return {
    widths: [32, 64, 128],
    hidden: 256,
    zAsImage: false,
    backbone: "paper",
    backboneWidth: 1,
    ...s,
  };
}

/** Length of the flattened output of a conv stack. */
export function flatSize(spec: BlockSpec): number {
  return Math.floor(spec.height / 4) * Math.floor(spec.width / 4) * spec.widths[2];
}

/**
 * The ResNet plan of the image branch, or null for the paper's conv stack; `norm` = with
 * BatchNorm2d (DT) or without (CT/FM).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backbonePlan, blockSpec } from "./block.ts";
 * const base = { height: 8, width: 8, channels: 1, classes: 2, embedDim: 2 };
 * assert.equal(backbonePlan(blockSpec(base), true), null);
 * const spec = blockSpec({ ...base, backbone: "resnet18", backboneWidth: 0.25 });
 * assert.equal(backbonePlan(spec, true)?.outCh, 128);
 * ```
 */
export function backbonePlan(spec: BlockSpec, norm: boolean): ResNetPlan | null {
  const choice = backboneOf(spec);
  return choice.backbone === "paper" ? null : resnetPlan(choice, spec.channels, norm);
}

/**
 * Length of the image features fed to `img.fc`: the flattened conv stack (paper) or the pooled
 * ResNet channels.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blockSpec, imageFeatureSize } from "./block.ts";
 * const base = { height: 8, width: 8, channels: 1, classes: 2, embedDim: 2 };
 * assert.equal(imageFeatureSize(blockSpec(base)), 2 * 2 * 128);
 * assert.equal(imageFeatureSize(blockSpec({ ...base, backbone: "resnet50" })), 2048);
 * ```
 */
export function imageFeatureSize(spec: BlockSpec): number {
  return backbonePlan(spec, false)?.outCh ?? flatSize(spec);
}

/**
 * Adds the parameters of one conv stack (`<prefix>.conv1..3`, 3×3, widths `spec.widths`, input
 * channels `spec.channels`) to `p`: the paper's image branch, and z's branch when z is an image
 * (z's branch is always this stack with `spec.widths`, whatever `spec.backbone` is).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { addConvStack, blockSpec } from "./block.ts";
 * import { ParamSet } from "./params.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * const spec = blockSpec({ height: 8, width: 8, channels: 3, classes: 2, embedDim: 2 });
 * const p = new ParamSet();
 * addConvStack(p, "z", spec, new Rng(0));
 * assert.deepEqual(p.get("z.conv1.w").shape, [3, 3, 3, 32]);
 * ```
 */
export function addConvStack(p: ParamSet, prefix: string, spec: BlockSpec, rng: Rng): void {
  const [w0, w1, w2] = spec.widths;
  p.conv(`${prefix}.conv1`, 3, spec.channels, w0, rng);
  p.conv(`${prefix}.conv2`, 3, w0, w1, rng);
  p.conv(`${prefix}.conv3`, 3, w1, w2, rng);
}

/**
 * Creates one block's parameters (PyTorch default init from `rng`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { blockSpec, createBlock } from "./block.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * const spec = blockSpec({ height: 8, width: 8, channels: 1, classes: 3, embedDim: 3 });
 * const p = createBlock(spec, new Rng(0));
 * assert.ok(p.size() > 0);
 * assert.deepEqual(p.get("img.conv1.w").shape, [3, 3, 1, 32]);
 * ```
 */
export function createBlock(spec: BlockSpec, rng: Rng): ParamSet {
  const p = new ParamSet();
  const H = spec.hidden;
  const plan = backbonePlan(spec, true);
  if (plan) addResNet(p, plan, rng);
  else addConvStack(p, "img", spec, rng);
  p.dense("img.fc", imageFeatureSize(spec), H, rng);
  p.batchNorm("img.bn", H);
  if (spec.zAsImage) addConvStack(p, "lab", spec, rng);
  p.dense("lab.fc1", spec.zAsImage ? flatSize(spec) : spec.embedDim, H, rng);
  p.batchNorm("lab.bn1", H);
  p.dense("lab.fc2", H, H, rng);
  p.batchNorm("lab.bn2", H);
  p.dense("lab.fc3", H, H, rng);
  p.batchNorm("lab.bn3", H);
  p.dense("head.fc1", 2 * H, H, rng);
  p.batchNorm("head.bn1", H);
  p.dense("head.fc2", H, H / 2, rng);
  p.batchNorm("head.bn2", H / 2);
  p.dense("head.fc3", H / 2, spec.classes, rng);
  return p;
}

/**
 * One conv stack forward: conv → ReLU → maxpool2 → dropout → conv → ReLU → dropout → conv →
 * ReLU → maxpool2 → dropout → flatten (NHWC order); shape [N, {@linkcode flatSize}].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "../backend/mod.ts";
 * import { addConvStack, blockSpec, convStack, flatSize } from "./block.ts";
 * import { evalContext } from "./layers.ts";
 * import { ParamSet } from "./params.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * const spec = blockSpec({
 *   height: 8, width: 8, channels: 1, classes: 2, embedDim: 2, widths: [2, 3, 4],
 * });
 * const p = new ParamSet();
 * addConvStack(p, "img", spec, new Rng(0));
 * const h = convStack(p, "img", tf.zeros([5, 8, 8, 1]), evalContext());
 * assert.deepEqual(h.shape, [5, flatSize(spec)]); // 2·2·4
 * ```
 */
export function convStack(
  p: ParamSet,
  prefix: string,
  x: tf.Tensor4D,
  ctx: ForwardContext,
): tf.Tensor2D {
  let h = dropout(ctx, maxPool2(tf.relu(conv(p, `${prefix}.conv1`, x))));
  h = dropout(ctx, tf.relu(conv(p, `${prefix}.conv2`, h)));
  h = dropout(ctx, maxPool2(tf.relu(conv(p, `${prefix}.conv3`, h))));
  return tf.reshape(h, [h.shape[0], -1]); // NHWC flatten order (the ONNX export permutes)
}

/** Image branch: conv stack (or ResNet backbone) → FC → BN; shape [N, hidden]. */
export function imageFeatures(
  p: ParamSet,
  spec: BlockSpec,
  x: tf.Tensor4D,
  ctx: ForwardContext,
): tf.Tensor2D {
  const plan = backbonePlan(spec, true);
  const feat = plan ? resnetForward(p, plan, x, ctx) : convStack(p, "img", x, ctx);
  return batchNorm(p, "img.bn", dense(p, "img.fc", feat), ctx);
}

/** Label branch + head given precomputed image features; returns logits [N, classes]. */
export function blockHead(
  p: ParamSet,
  spec: BlockSpec,
  imgFeat: tf.Tensor2D,
  z: tf.Tensor2D,
  ctx: ForwardContext,
): tf.Tensor2D {
  const zIn = spec.zAsImage
    ? convStack(p, "lab", tf.reshape(z, [-1, spec.height, spec.width, spec.channels]), ctx)
    : z;
  const h = tf.relu(batchNorm(p, "lab.bn1", dense(p, "lab.fc1", zIn), ctx));
  let g = tf.relu(batchNorm(p, "lab.bn2", dense(p, "lab.fc2", h), ctx));
  g = tf.add(batchNorm(p, "lab.bn3", dense(p, "lab.fc3", g), ctx), h);
  let o = tf.relu(batchNorm(p, "head.bn1", dense(p, "head.fc1", tf.concat([imgFeat, g], 1)), ctx));
  o = tf.relu(batchNorm(p, "head.bn2", dense(p, "head.fc2", o), ctx));
  return dense(p, "head.fc3", o);
}

/** Full block forward: logits [N, classes] from x [N, H, W, C] and z [N, d]. */
export function blockForward(
  p: ParamSet,
  spec: BlockSpec,
  x: tf.Tensor4D,
  z: tf.Tensor2D,
  ctx: ForwardContext,
): tf.Tensor2D {
  return blockHead(p, spec, imageFeatures(p, spec, x, ctx), z, ctx);
}
