/**
 * The CIFAR-style ResNet backbone in TensorFlow.js, built from a {@linkcode ResNetPlan}
 * (`src/model/backbone.ts`, which describes the architecture): parameters in a
 * {@linkcode ParamSet} under `img.res.*` (e.g. `img.res.s1.b0.conv1.w`), and the forward pass
 * x [N, H, W, C] → globally average-pooled features [N, plan.outCh]. Used by the DT block (with
 * BatchNorm2d) and by the CT/FM network (without). No dropout inside the backbone (a standard
 * ResNet has none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "../backend/mod.ts";
 * import { resnetPlan } from "./backbone.ts";
 * import { evalContext } from "./layers.ts";
 * import { ParamSet } from "./params.ts";
 * import { addResNet, resnetForward } from "./resnet.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * const plan = resnetPlan({ backbone: "resnet18", backboneWidth: 1 / 16 }, 3, true);
 * const p = new ParamSet();
 * addResNet(p, plan, new Rng(0));
 * assert.deepEqual(p.get("img.res.s1.b0.conv1.w").shape, [3, 3, 4, 4]);
 * const feat = resnetForward(p, plan, tf.zeros([2, 16, 16, 3]), evalContext());
 * assert.deepEqual(feat.shape, [2, 32]);
 * ```
 * @module
 */
import { tf } from "../deps_tf.ts";
import type { Rng } from "../rng.ts";
import type { ResConv, ResNetPlan } from "./backbone.ts";
import { batchNorm2d, type ForwardContext, paddedConv } from "./layers.ts";
import type { ParamSet } from "./params.ts";

/**
 * Adds the backbone's parameters to `p` (PyTorch's default Conv2d init, BN γ = 1, β = 0), in
 * the plan's order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { resnetPlan } from "./backbone.ts";
 * import { ParamSet } from "./params.ts";
 * import { addResNet } from "./resnet.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * const p = new ParamSet();
 * addResNet(p, resnetPlan({ backbone: "resnet50", backboneWidth: 1 / 16 }, 1, false), new Rng(0));
 * assert.deepEqual(p.get("img.res.s1.b0.short.conv.w").shape, [1, 1, 4, 16]);
 * assert.equal(p.buffers.size, 0); // no BatchNorm, so no running statistics
 * ```
 */
export function addResNet(p: ParamSet, plan: ResNetPlan, rng: Rng): void {
  for (const c of plan.convs) {
    p.conv(c.name, c.k, c.inCh, c.outCh, rng);
    if (c.bn) p.batchNorm(c.bn, c.outCh);
  }
}

function convBn(p: ParamSet, c: ResConv, x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
  const y = paddedConv(p, c.name, x, c.stride);
  return c.bn ? batchNorm2d(p, c.bn, y, ctx) : y;
}

/**
 * Backbone forward: stem → residual blocks → global average pool; returns [N, plan.outCh].
 * BatchNorm2d follows `ctx` (batch statistics and running-statistics updates in training mode).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "../backend/mod.ts";
 * import { resnetPlan } from "./backbone.ts";
 * import type { ForwardContext } from "./layers.ts";
 * import { ParamSet } from "./params.ts";
 * import { addResNet, resnetForward } from "./resnet.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * const plan = resnetPlan({ backbone: "resnet18", backboneWidth: 1 / 32 }, 1, true);
 * const p = new ParamSet();
 * addResNet(p, plan, new Rng(0));
 * const ctx: ForwardContext = { training: true, dropout: 0, bnMomentum: 0.1, updates: [] };
 * resnetForward(p, plan, tf.randomNormal([4, 8, 8, 1]), ctx);
 * // One running mean and one running variance per BatchNorm of the plan.
 * assert.equal(ctx.updates.length, 2 * plan.convs.length);
 * ```
 */
export function resnetForward(
  p: ParamSet,
  plan: ResNetPlan,
  x: tf.Tensor4D,
  ctx: ForwardContext,
): tf.Tensor2D {
  let h = tf.relu(convBn(p, plan.stem, x, ctx));
  for (const u of plan.units) {
    let m = h;
    u.main.forEach((c, i) => {
      m = convBn(p, c, m, ctx);
      if (i < u.main.length - 1) m = tf.relu(m);
    });
    const short = u.shortcut ? convBn(p, u.shortcut, h, ctx) : h;
    h = tf.relu(tf.add(m, short));
  }
  return tf.mean(h, [1, 2]) as tf.Tensor2D;
}
