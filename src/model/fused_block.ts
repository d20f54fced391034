/**
 * The forward pass of all T DT blocks at once (paper Fig. 6, each block exactly as in
 * `block.ts`), for the fused training step. Parameters come stacked [T, ...]
 * (`stacked.ts`); activations are kept block-major, [T·N, H, W, C] for images and [T, N, D]
 * for features, so block t owns rows (t − 1)·N … t·N − 1 throughout.
 *
 * - The first convolution of the image branch reads the same image in every block: it is ONE
 *   convolution with T× the output channels (the T kernels side by side), followed by ReLU and
 *   max-pool (per channel, so they commute with the split) and one transpose to block-major.
 * - Later convolutions are grouped per block: the block-major activations are split along the
 *   batch axis (contiguous slices) and convolved with each block's own kernel (measured fastest
 *   on wasm; README 'Fused block steps'). With the prototype embedding the label branch's first
 *   convolution reads z_{t−1}, which differs per block, so it is grouped too.
 * - Dense layers are batched matmuls [T, N, in] × [T, in, out] on webgpu (one matmul per block
 *   elsewhere, measured faster on wasm); BatchNorm normalises over the
 *   batch axis of each block (its own statistics) and records stacked running-statistics
 *   updates [T, D]; dropout draws block t's masks from block t's own seed sequence, so every
 *   mask equals the one block t draws in a separate step.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "../backend/mod.ts";
 * import { blockForward, blockSpec, createBlock } from "./block.ts";
 * import { fusedBlockForward, type FusedContext } from "./fused_block.ts";
 * import { evalContext } from "./layers.ts";
 * import { StackedBlocks } from "./stacked.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * const spec = blockSpec({
 *   height: 8, width: 8, channels: 1, classes: 3, embedDim: 3, widths: [2, 2, 2], hidden: 8,
 * });
 * const blocks = [1, 2].map((s) => createBlock(spec, new Rng(s)));
 * const x = tf.randomNormal([4, 8, 8, 1]) as tf.Tensor4D;
 * const z = tf.randomNormal([2, 4, 3]) as tf.Tensor3D; // z_{t−1} of each block
 * const ctx: FusedContext = { training: false, dropout: 0, bnMomentum: 0, seeds: [], updates: [] };
 * const fused = fusedBlockForward(new StackedBlocks(blocks), spec, x, z, ctx); // [T, N, classes]
 * // Block 2's slab is block 2's own forward.
 * const alone = blockForward(blocks[1], spec, x, tf.unstack(z)[1] as tf.Tensor2D, evalContext());
 * const diff = tf.max(tf.abs(tf.sub(tf.unstack(fused)[1], alone))).arraySync() as number;
 * assert.ok(diff < 1e-5);
 * ```
 * @module
 */
import { tf } from "../deps_tf.ts";
import { fillDropoutMask } from "../rng.ts";
import type { BlockSpec } from "./block.ts";
import { BN_EPS } from "./layers.ts";

/** Stacked block parameters: `get(name)` is the [T, ...] stack of block parameter `name`. */
export interface StackedParams {
  /** The stack of `name`. */
  get(name: string): tf.Tensor;
}

/** Mode and side outputs of a fused forward pass (the per-block form of `ForwardContext`). */
export interface FusedContext {
  /** Training mode: dropout on, BatchNorm with each block's batch statistics. */
  training: boolean;
  /** Dropout rate. */
  dropout: number;
  /** BatchNorm momentum for running statistics. */
  bnMomentum: number;
  /** Block t's seed for its next dropout mask at index t − 1 (each incremented per mask). */
  seeds: number[];
  /** New stacked running statistics [T, D] computed in training mode (kept; caller assigns). */
  updates: Array<{ name: string; value: tf.Tensor }>;
}

/** [N, H, W, T·C] (block t in channels (t − 1)·C … t·C − 1) → block-major [T·N, H, W, C]. */
function toBlockMajor(h: tf.Tensor4D, T: number): tf.Tensor4D {
  const [n, hh, ww, tc] = h.shape;
  const c = tc / T;
  // As a 3-D transpose [N·H·W, T, C] → [T, N·H·W, C]: wasm's 5-D transpose is 50× slower.
  const t = tf.transpose(tf.reshape(h, [n * hh * ww, T, c]), [1, 0, 2]);
  return tf.reshape(t, [T * n, hh, ww, c]);
}

/** Adds the stacked bias [T, C] to block-major activations [T·N, ..., C]. */
function addBias(y: tf.Tensor, b: tf.Tensor, T: number): tf.Tensor {
  const c = b.shape[1]!;
  const inner = y.shape.slice(1, -1);
  const yb = tf.reshape(y, [T, -1, ...inner, c]);
  const bb = tf.reshape(b, [T, 1, ...inner.map(() => 1), c]);
  return tf.reshape(tf.add(yb, bb), y.shape);
}

/** Every block's first conv on the same input x [N, H, W, C]: one conv with T× the channels. */
function sharedConv(p: StackedParams, name: string, x: tf.Tensor4D, T: number): tf.Tensor4D {
  const w = p.get(`${name}.w`); // [T, k, k, C, c] → [k, k, C, T·c], block t's kernel at t·c
  const [, kh, kw, ci, co] = w.shape;
  const wide = tf.reshape(
    tf.transpose(tf.reshape(w, [T, kh * kw * ci, co]), [1, 0, 2]),
    [kh, kw, ci, T * co],
  );
  const y = tf.conv2d(x, wide as tf.Tensor4D, 1, "same");
  return tf.add(y, tf.reshape(p.get(`${name}.b`), [T * co])); // bias [T, c] → [T·c]
}

/** Block t's conv on block t's rows: x [T·N, H, W, C] → [T·N, H, W, C']. */
function groupedConv(p: StackedParams, name: string, x: tf.Tensor4D, T: number): tf.Tensor4D {
  const xs = tf.split(x, T, 0) as tf.Tensor4D[];
  const ws = tf.unstack(p.get(`${name}.w`)) as tf.Tensor4D[];
  const y = tf.concat(xs.map((xt, t) => tf.conv2d(xt, ws[t], 1, "same")), 0);
  return addBias(y, p.get(`${name}.b`), T) as tf.Tensor4D;
}

function maxPool2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 2, 2, "valid");
}

/** Inverted dropout on block-major x [T·N, ...] (or [T, N, ...]): block t's mask from its seed. */
function fusedDropout<X extends tf.Tensor>(ctx: FusedContext, x: X, T: number): X {
  if (!ctx.training || ctx.dropout <= 0) return x;
  const per = x.size / T;
  const mask = new Float32Array(x.size);
  for (let t = 0; t < T; t++) {
    fillDropoutMask(mask.subarray(t * per, (t + 1) * per), ctx.dropout, ctx.seeds[t]++);
  }
  return tf.mul(x, tf.tensor(mask, x.shape)) as X;
}

/**
 * Block t's dense layer on its rows: x [T, N, in] → [T, N, out]. On webgpu one batched matmul
 * (one kernel for all blocks); elsewhere one matmul per block: wasm's batched matmul measured 3–4×
 * slower than T plain ones (README 'Fused block steps').
 */
function fusedDense(p: StackedParams, name: string, x: tf.Tensor3D): tf.Tensor3D {
  const w = p.get(`${name}.w`) as tf.Tensor3D, b = p.get(`${name}.b`);
  let y: tf.Tensor;
  if (tf.getBackend() === "webgpu") y = tf.matMul(x, w);
  else {
    const ws = tf.unstack(w) as tf.Tensor2D[];
    y = tf.stack(tf.unstack(x).map((xt, t) => tf.matMul(xt as tf.Tensor2D, ws[t])));
  }
  return tf.add(y, tf.expandDims(b, 1));
}

/** BatchNorm1d of each block over its own batch rows: x [T, N, D] (see `layers.ts`). */
function fusedBatchNorm(
  p: StackedParams,
  name: string,
  x: tf.Tensor3D,
  ctx: FusedContext,
): tf.Tensor3D {
  const gamma = tf.expandDims(p.get(`${name}.gamma`), 1);
  const beta = tf.expandDims(p.get(`${name}.beta`), 1);
  let mean: tf.Tensor, variance: tf.Tensor;
  if (ctx.training) {
    const m = tf.moments(x, 1, true); // [T, 1, D]
    mean = m.mean;
    variance = m.variance;
    const n = x.shape[1];
    const k = ctx.bnMomentum;
    const rm = p.get(`${name}.mean`), rv = p.get(`${name}.var`);
    const [T, , D] = x.shape;
    ctx.updates.push(
      {
        name: `${name}.mean`,
        value: tf.keep(tf.add(tf.mul(rm, 1 - k), tf.mul(tf.reshape(mean, [T, D]), k))),
      },
      {
        name: `${name}.var`,
        value: tf.keep(
          tf.add(
            tf.mul(rv, 1 - k),
            tf.mul(tf.reshape(variance, [T, D]), (k * n) / Math.max(1, n - 1)),
          ),
        ),
      },
    );
  } else {
    mean = tf.expandDims(p.get(`${name}.mean`), 1);
    variance = tf.expandDims(p.get(`${name}.var`), 1);
  }
  const xhat = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, BN_EPS)));
  return tf.add(tf.mul(xhat, gamma), beta);
}

/**
 * Conv stack of every block → flattened [T, N, F] (NHWC order per block, as `block.ts`).
 * `x` is the shared image [N, H, W, C] when `shared`, else block-major [T·N, H, W, C].
 */
function fusedConvStack(
  p: StackedParams,
  prefix: string,
  x: tf.Tensor4D,
  shared: boolean,
  T: number,
  ctx: FusedContext,
): tf.Tensor3D {
  const first = shared
    ? toBlockMajor(maxPool2(tf.relu(sharedConv(p, `${prefix}.conv1`, x, T))), T)
    : maxPool2(tf.relu(groupedConv(p, `${prefix}.conv1`, x, T)));
  let h = fusedDropout(ctx, first, T);
  h = fusedDropout(ctx, tf.relu(groupedConv(p, `${prefix}.conv2`, h, T)), T);
  h = fusedDropout(ctx, maxPool2(tf.relu(groupedConv(p, `${prefix}.conv3`, h, T))), T);
  return tf.reshape(h, [T, h.shape[0] / T, -1]);
}

/**
 * Logits [T, N, classes] of all T blocks: block t maps (x, z[t − 1]) with its own parameters
 * (slab t − 1 of every stack). x [N, H, W, C] is shared; z [T, N, d] holds each block's z_{t−1}.
 */
export function fusedBlockForward(
  p: StackedParams,
  spec: BlockSpec,
  x: tf.Tensor4D,
  z: tf.Tensor3D,
  ctx: FusedContext,
): tf.Tensor3D {
  const [T, n] = z.shape;
  const img = fusedBatchNorm(
    p,
    "img.bn",
    fusedDense(p, "img.fc", fusedConvStack(p, "img", x, true, T, ctx)),
    ctx,
  );
  const zIn = spec.zAsImage
    ? fusedConvStack(
      p,
      "lab",
      tf.reshape(z, [T * n, spec.height, spec.width, spec.channels]),
      false,
      T,
      ctx,
    )
    : z;
  const h = tf.relu(fusedBatchNorm(p, "lab.bn1", fusedDense(p, "lab.fc1", zIn), ctx));
  let g = tf.relu(fusedBatchNorm(p, "lab.bn2", fusedDense(p, "lab.fc2", h), ctx));
  g = tf.add(fusedBatchNorm(p, "lab.bn3", fusedDense(p, "lab.fc3", g), ctx), h);
  const cat = tf.concat([img, g], 2);
  let o = tf.relu(fusedBatchNorm(p, "head.bn1", fusedDense(p, "head.fc1", cat), ctx));
  o = tf.relu(fusedBatchNorm(p, "head.bn2", fusedDense(p, "head.fc2", o), ctx));
  return fusedDense(p, "head.fc3", o);
}
