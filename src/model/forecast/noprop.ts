/**
 * The NoProp-DT forecaster's networks (tfjs). Block t maps the RevIN-normalised lookback
 * window x̃ [n, L] and z_{t−1} [n, d] to û_t [n, d]:
 *
 *   b = x̃·W_x + c_x                                   (the window's linear forecast of u)
 *   û_t = b + z·W_z + c_z + W_2·ReLU(W_1·[b, z] + c_1) + c_2,
 *
 * a linear term in x̃ and z (the exact posterior mean E[u | x̃, z] when u | x̃ is Gaussian) plus
 * an MLP of width `hidden` for what is not linear. Every block has its own weights and no
 * gradient crosses blocks (paper §2). One channel at a time with weights shared by all channels
 * (channel independence); d = H (direct mode) or the autoencoder's latent size.
 *
 * Autoencoder mode adds the target embedding: an encoder u = BN(ỹ·W_e + c_e) of the normalised
 * future window ỹ [n, H] — a batch norm without affine parameters, so each latent dimension has
 * mean 0 and variance 1 like the N(0, I) noise it is mixed with — and a decoder ỹ̂ = z·W_d + c_d.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { tf } from "../../deps_tf.ts";
 * import { blockDenoise, createNoPropForecaster } from "./noprop.ts";
 * await initBackend("cpu");
 * const spec = {
 *   kind: "noprop-dt" as const, lookback: 8, horizon: 4, T: 3, schedule: "cosine" as const,
 *   alphaBar: [], hidden: 16, mode: "direct" as const, latentDim: 2,
 * };
 * const m = createNoPropForecaster(spec, 0);
 * assert.equal(m.blocks.length, 3);
 * const u = blockDenoise(m.blocks[0], tf.zeros([5, 8]) as tf.Tensor2D, tf.zeros([5, 4]) as tf.Tensor2D);
 * assert.deepEqual(u.shape, [5, 4]);
 * ```
 * @module
 */
import { tf } from "../../deps_tf.ts";
import { batchNorm, dense, type ForwardContext } from "../layers.ts";
import { ParamSet } from "../params.ts";
import { streamSeed } from "../noprop.ts";
import { Rng } from "../../rng.ts";
import { type DtSchedule, makeSchedule, scheduleFromAlphaBar } from "../../schedule.ts";
import { latentSize, type NoPropForecastSpec } from "./spec.ts";

/** The forecaster: its spec, schedule, T blocks and (autoencoder mode) the autoencoder. */
export interface NoPropForecaster {
  /** The spec (with ᾱ filled in). */
  spec: NoPropForecastSpec;
  /** The DT schedule (eq. 3 and eq. 8 coefficients). */
  schedule: DtSchedule;
  /** Block t at index t − 1: `x.{w,b}`, `z.{w,b}`, `fc1.{w,b}`, `fc2.{w,b}`. */
  blocks: ParamSet[];
  /** Autoencoder mode: `enc.{w,b}`, `enc.bn.*` (fixed γ = 1, β = 0; running mean/var), `dec.{w,b}`. */
  ae: ParamSet | null;
}

/**
 * A freshly initialised forecaster (PyTorch Linear initialisation; block t from the stream
 * (seed, t), the autoencoder from (seed, 1000)). An empty `spec.alphaBar` is filled from
 * `spec.schedule`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createNoPropForecaster } from "./noprop.ts";
 * await initBackend("cpu");
 * const m = createNoPropForecaster({
 *   kind: "noprop-dt", lookback: 8, horizon: 4, T: 2, schedule: "cosine", alphaBar: [],
 *   hidden: 16, mode: "autoencoder", latentDim: 3,
 * }, 0);
 * assert.deepEqual(m.ae!.get("enc.w").shape, [4, 3]);
 * assert.equal(m.spec.alphaBar.length, 3);
 * ```
 */
export function createNoPropForecaster(spec: NoPropForecastSpec, seed: number): NoPropForecaster {
  const schedule = spec.alphaBar.length
    ? scheduleFromAlphaBar(spec.schedule, Float64Array.from(spec.alphaBar))
    : makeSchedule(spec.schedule, spec.T);
  const full = { ...spec, alphaBar: Array.from(schedule.alphaBar) };
  const d = latentSize(spec), L = spec.lookback;
  const blocks: ParamSet[] = [];
  for (let t = 1; t <= spec.T; t++) {
    const rng = new Rng(streamSeed(seed, t)), p = new ParamSet();
    p.dense("x", L, d, rng);
    p.dense("z", d, d, rng);
    p.dense("fc1", 2 * d, spec.hidden, rng);
    p.dense("fc2", spec.hidden, d, rng);
    blocks.push(p);
  }
  let ae: ParamSet | null = null;
  if (spec.mode === "autoencoder") {
    const rng = new Rng(streamSeed(seed, 1000));
    ae = new ParamSet();
    ae.dense("enc", spec.horizon, d, rng);
    ae.add("enc.bn.gamma", [d], new Float32Array(d).fill(1), false);
    ae.add("enc.bn.beta", [d], new Float32Array(d), false);
    ae.add("enc.bn.mean", [d], new Float32Array(d), false);
    ae.add("enc.bn.var", [d], new Float32Array(d).fill(1), false);
    ae.dense("dec", d, spec.horizon, rng);
  }
  return { spec: full, schedule, blocks, ae };
}

/**
 * The block's linear forecast b = x̃·W_x + c_x [n, d] (the part of û_t that depends on the
 * window only; computed once per window and shared by every sample of the chain).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { tf } from "../../deps_tf.ts";
 * import { ParamSet } from "../params.ts";
 * import { blockBase } from "./noprop.ts";
 * await initBackend("cpu");
 * const p = new ParamSet();
 * p.add("x.w", [2, 1], Float32Array.of(1, 2));
 * p.add("x.b", [1], Float32Array.of(0.5));
 * assert.deepEqual(Array.from(await blockBase(p, tf.tensor2d([[1, 1]])).data()), [3.5]);
 * ```
 */
export function blockBase(block: ParamSet, x: tf.Tensor2D): tf.Tensor2D {
  return dense(block, "x", x);
}

/**
 * û_t from the block's linear forecast `base` [n, d] and z [n, d] (module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { tf } from "../../deps_tf.ts";
 * import { ParamSet } from "../params.ts";
 * import { blockHead } from "./noprop.ts";
 * await initBackend("cpu");
 * const p = new ParamSet();
 * for (const [n, i, o] of [["z", 1, 1], ["fc1", 2, 1], ["fc2", 1, 1]] as const) {
 *   p.add(`${n}.w`, [i, o], new Float32Array(i * o)); // all zero: û = base
 *   p.add(`${n}.b`, [o], new Float32Array(o));
 * }
 * const u = blockHead(p, tf.tensor2d([[2]]), tf.tensor2d([[7]]));
 * assert.deepEqual(Array.from(await u.data()), [2]);
 * ```
 */
export function blockHead(block: ParamSet, base: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const h = tf.relu(dense(block, "fc1", tf.concat([base, z], 1)));
    return tf.add(tf.add(base, dense(block, "z", z)), dense(block, "fc2", h));
  });
}

/**
 * û_t(x̃, z) of one block: {@linkcode blockHead} of {@linkcode blockBase}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { tf } from "../../deps_tf.ts";
 * import { blockDenoise, createNoPropForecaster } from "./noprop.ts";
 * await initBackend("cpu");
 * const m = createNoPropForecaster({
 *   kind: "noprop-dt", lookback: 4, horizon: 2, T: 1, schedule: "cosine", alphaBar: [],
 *   hidden: 4, mode: "direct", latentDim: 2,
 * }, 0);
 * const u = blockDenoise(m.blocks[0], tf.ones([3, 4]) as tf.Tensor2D, tf.ones([3, 2]) as tf.Tensor2D);
 * assert.deepEqual(u.shape, [3, 2]);
 * ```
 */
export function blockDenoise(block: ParamSet, x: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => blockHead(block, blockBase(block, x), z));
}

/**
 * The autoencoder's latent u = BN(ỹ·W_e + c_e) [n, d] of normalised future windows ỹ [n, H]
 * (batch statistics and running-statistics updates in training mode, running statistics in
 * eval mode: `ctx`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { tf } from "../../deps_tf.ts";
 * import { evalContext } from "../layers.ts";
 * import { createNoPropForecaster, encode } from "./noprop.ts";
 * await initBackend("cpu");
 * const m = createNoPropForecaster({
 *   kind: "noprop-dt", lookback: 4, horizon: 2, T: 1, schedule: "cosine", alphaBar: [],
 *   hidden: 4, mode: "autoencoder", latentDim: 3,
 * }, 0);
 * assert.deepEqual(encode(m.ae!, tf.ones([5, 2]) as tf.Tensor2D, evalContext()).shape, [5, 3]);
 * ```
 */
export function encode(ae: ParamSet, y: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
  return batchNorm(ae, "enc.bn", dense(ae, "enc", y), ctx);
}

/**
 * The autoencoder's decoder ỹ̂ = z·W_d + c_d [n, H].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { tf } from "../../deps_tf.ts";
 * import { createNoPropForecaster, decode } from "./noprop.ts";
 * await initBackend("cpu");
 * const m = createNoPropForecaster({
 *   kind: "noprop-dt", lookback: 4, horizon: 2, T: 1, schedule: "cosine", alphaBar: [],
 *   hidden: 4, mode: "autoencoder", latentDim: 3,
 * }, 0);
 * assert.deepEqual(decode(m.ae!, tf.ones([5, 3]) as tf.Tensor2D).shape, [5, 2]);
 * ```
 */
export function decode(ae: ParamSet, z: tf.Tensor2D): tf.Tensor2D {
  return dense(ae, "dec", z);
}

/**
 * Frees the forecaster's tensors.
 *
 * @example
 * ```ts
 * import { initBackend } from "../../backend/mod.ts";
 * import { createNoPropForecaster, disposeForecaster } from "./noprop.ts";
 * await initBackend("cpu");
 * disposeForecaster(createNoPropForecaster({
 *   kind: "noprop-dt", lookback: 4, horizon: 2, T: 1, schedule: "cosine", alphaBar: [],
 *   hidden: 4, mode: "direct", latentDim: 2,
 * }, 0));
 * ```
 */
export function disposeForecaster(m: NoPropForecaster): void {
  for (const b of m.blocks) b.dispose();
  m.ae?.dispose();
}
