/**
 * Functional layers over a {@linkcode ParamSet}: dense, 3×3 'same' conv, strided padded conv,
 * max-pool, dropout, BatchNorm1d and BatchNorm2d. BatchNorm in training mode normalises with the
 * batch statistics (biased variance) and records PyTorch-style running-statistics updates
 * (momentum m: r ← (1 − m)·r + m·batch, unbiased variance) into the {@linkcode ForwardContext},
 * which the caller applies after the gradient step; in eval mode it uses the running
 * statistics. ε = 1e-5 as in PyTorch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "../backend/mod.ts";
 * import { batchNorm, dense, evalContext } from "./layers.ts";
 * import { ParamSet } from "./params.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * const p = new ParamSet();
 * p.dense("fc", 2, 3, new Rng(1));
 * p.batchNorm("bn", 3);
 * const y = batchNorm(p, "bn", dense(p, "fc", tf.ones([4, 2])), evalContext());
 * assert.deepEqual(y.shape, [4, 3]);
 * ```
 * @module
 */
import { tf } from "../deps_tf.ts";
import type { ParamSet } from "./params.ts";
import { fillDropoutMask } from "../rng.ts";

/** BatchNorm ε (PyTorch's default). */
export const BN_EPS = 1e-5;

/** Mode and side outputs of one forward pass. */
export interface ForwardContext {
  /** Training mode: dropout on, BatchNorm with batch statistics. */
  training: boolean;
  /** Dropout rate. */
  dropout: number;
  /** BatchNorm momentum for running statistics. */
  bnMomentum: number;
  /** Seed for the next dropout mask (incremented per mask); undefined = unseeded. */
  seed?: number;
  /** New running statistics computed in training mode (kept tensors; caller assigns them). */
  updates: Array<{ name: string; value: tf.Tensor }>;
}

/**
 * A context for inference: no dropout, running BatchNorm statistics.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evalContext } from "./layers.ts";
 * const ctx = evalContext();
 * assert.equal(ctx.training, false);
 * assert.equal(ctx.dropout, 0);
 * ```
 */
export function evalContext(): ForwardContext {
  return { training: false, dropout: 0, bnMomentum: 0, updates: [] };
}

/** x·W + b with `name.w` [in, out], `name.b` [out]. */
export function dense(p: ParamSet, name: string, x: tf.Tensor): tf.Tensor2D {
  return tf.add(tf.matMul(x as tf.Tensor2D, p.get(`${name}.w`) as tf.Tensor2D), p.get(`${name}.b`));
}

/** 3×3 (any k) stride-1 'same' convolution, NHWC, plus bias. */
export function conv(p: ParamSet, name: string, x: tf.Tensor4D): tf.Tensor4D {
  return tf.add(tf.conv2d(x, p.get(`${name}.w`) as tf.Tensor4D, 1, "same"), p.get(`${name}.b`));
}

/**
 * k×k convolution with `stride` and PyTorch's symmetric zero padding (k − 1)/2 on every side,
 * NHWC, plus bias (the ResNet backbone; with stride 2 tfjs' 'same' would pad only after).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "../backend/mod.ts";
 * import { paddedConv } from "./layers.ts";
 * import { ParamSet } from "./params.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * const p = new ParamSet();
 * p.conv("c", 3, 1, 2, new Rng(0));
 * assert.deepEqual(paddedConv(p, "c", tf.zeros([1, 8, 8, 1]), 2).shape, [1, 4, 4, 2]);
 * ```
 */
export function paddedConv(p: ParamSet, name: string, x: tf.Tensor4D, stride: number): tf.Tensor4D {
  const w = p.get(`${name}.w`) as tf.Tensor4D;
  const pad = (w.shape[0] - 1) / 2;
  return tf.add(tf.conv2d(x, w, stride, pad), p.get(`${name}.b`));
}

/** 2×2 max-pool, stride 2. */
export function maxPool2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 2, 2, "valid");
}

/** Inverted dropout in training mode (mask from `fillDropoutMask`, seeded by `ctx.seed`), identity otherwise. */
export function dropout<T extends tf.Tensor>(ctx: ForwardContext, x: T): T {
  if (!ctx.training || ctx.dropout <= 0) return x;
  const seed = ctx.seed === undefined ? Math.floor(Math.random() * 2 ** 32) : ctx.seed++;
  const mask = tf.tensor(fillDropoutMask(new Float32Array(x.size), ctx.dropout, seed), x.shape);
  return tf.mul(x, mask) as T;
}

/** BatchNorm1d over the batch axis of a [N, D] tensor (see the module doc). */
export function batchNorm(
  p: ParamSet,
  name: string,
  x: tf.Tensor2D,
  ctx: ForwardContext,
): tf.Tensor2D {
  const gamma = p.get(`${name}.gamma`), beta = p.get(`${name}.beta`);
  const { mean, variance } = normStatistics(p, name, x, [0], ctx);
  const xhat = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, BN_EPS)));
  return tf.add(tf.mul(xhat, gamma), beta);
}

/**
 * BatchNorm2d over the batch and spatial axes of an NHWC tensor (one statistic per channel),
 * otherwise as {@linkcode batchNorm}: training mode normalises with the batch statistics (biased
 * variance over N·H·W values) and records the running-statistics updates (unbiased variance),
 * eval mode uses the running statistics. Computed as x·s + (β − μ·s) with s = γ/√(σ² + ε), which
 * is the same function with fewer full-size intermediate tensors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend, readTensor } from "../backend/mod.ts";
 * import { batchNorm2d, type ForwardContext } from "./layers.ts";
 * import { ParamSet } from "./params.ts";
 * await initBackend("cpu");
 * const p = new ParamSet();
 * p.batchNorm("bn", 1);
 * const ctx: ForwardContext = { training: true, dropout: 0, bnMomentum: 0.1, updates: [] };
 * const y = batchNorm2d(p, "bn", tf.tensor4d([1, 3, 1, 3], [1, 2, 2, 1]), ctx);
 * const v = await readTensor(y); // mean 2, biased variance 1
 * assert.ok(Math.abs(v[0] + 1) < 1e-4 && Math.abs(v[1] - 1) < 1e-4);
 * assert.equal(ctx.updates.length, 2); // running mean and variance, applied after the step
 * ```
 */
export function batchNorm2d(
  p: ParamSet,
  name: string,
  x: tf.Tensor4D,
  ctx: ForwardContext,
): tf.Tensor4D {
  const { mean, variance } = normStatistics(p, name, x, [0, 1, 2], ctx);
  const scale = tf.div(p.get(`${name}.gamma`), tf.sqrt(tf.add(variance, BN_EPS)));
  const shift = tf.sub(p.get(`${name}.beta`), tf.mul(mean, scale));
  return tf.add(tf.mul(x, scale), shift);
}

/**
 * Writes the running-statistics updates recorded in a training forward pass into the
 * BatchNorm buffers, and frees them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend, readTensor } from "../backend/mod.ts";
 * import { applyBatchNormUpdates, batchNorm, type ForwardContext } from "./layers.ts";
 * import { ParamSet } from "./params.ts";
 * await initBackend("cpu");
 * const p = new ParamSet();
 * p.batchNorm("bn", 1);
 * const ctx: ForwardContext = { training: true, dropout: 0, bnMomentum: 0.1, updates: [] };
 * batchNorm(p, "bn", tf.tensor2d([[1], [3]]), ctx); // batch mean 2, unbiased variance 2
 * applyBatchNormUpdates(p, ctx); // after the gradient step
 * assert.deepEqual(await readTensor(p.get("bn.mean")), Float32Array.of(0.2)); // 0.9·0 + 0.1·2
 * assert.deepEqual(await readTensor(p.get("bn.var")), Float32Array.of(1.1)); // 0.9·1 + 0.1·2
 * assert.equal(ctx.updates.length, 0);
 * ```
 */
export function applyBatchNormUpdates(p: ParamSet, ctx: ForwardContext): void {
  for (const u of ctx.updates) {
    p.get(u.name).assign(u.value);
    u.value.dispose();
  }
  ctx.updates.length = 0;
}

/**
 * The statistics a batch norm normalises with: in training mode the batch mean and biased
 * variance over `axes` (and the running-statistics updates, with the unbiased variance, recorded
 * in `ctx.updates`); in eval mode the running statistics.
 */
function normStatistics(
  p: ParamSet,
  name: string,
  x: tf.Tensor,
  axes: number[],
  ctx: ForwardContext,
): { mean: tf.Tensor; variance: tf.Tensor } {
  if (!ctx.training) return { mean: p.get(`${name}.mean`), variance: p.get(`${name}.var`) };
  const { mean, variance } = tf.moments(x, axes);
  const n = axes.reduce((acc, a) => acc * x.shape[a], 1);
  const k = ctx.bnMomentum;
  const rm = p.get(`${name}.mean`), rv = p.get(`${name}.var`);
  ctx.updates.push(
    { name: `${name}.mean`, value: tf.keep(tf.add(tf.mul(rm, 1 - k), tf.mul(mean, k))) },
    {
      name: `${name}.var`,
      value: tf.keep(tf.add(tf.mul(rv, 1 - k), tf.mul(variance, (k * n) / Math.max(1, n - 1)))),
    },
  );
  return { mean, variance };
}
