/**
 * One training batch of the NoProp-DT forecaster (paper eq. 8, Algorithm 1, with the
 * classifier's cross-entropy replaced by the decoder's loss on z_T). For a batch of
 * RevIN-normalised windows x̃ and their futures ỹ in the same frame, u = ỹ (direct) or
 * u = E(ỹ) (autoencoder), each block t is updated by its own AdamW on
 *
 *   L_t = (T/2)·η·(SNR(t) − SNR(t−1))·mean‖û_t(x̃, z_{t−1}) − u‖²,  z_{t−1} ~ N(√ᾱ_{t−1} u, (1 − ᾱ_{t−1}) I),
 *
 * and, in autoencoder mode, the autoencoder first by its own AdamW on the remaining terms of
 * eq. 8 plus its reconstruction loss:
 *
 *   L_AE = mean‖D(z_T) − ỹ‖² + KL(q(z_0 | ỹ) ‖ N(0, I)) + mean‖D(u) − ỹ‖²,  z_T ~ N(√ᾱ_T u, (1 − ᾱ_T) I).
 *
 * In direct mode D is the identity: the z_T term and the KL term do not depend on any weight and
 * are left out. u is a constant for the blocks (no gradient from L_t reaches the encoder): a
 * deviation from the paper's learnable W_Embed, which every block's loss moves; here the
 * denoising weight reaches ≈ 5·10³ at t = T against 1 for the reconstruction, and would pull the
 * latent toward whatever is easiest to predict instead of what decodes to the future (README).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../../backend/mod.ts";
 * import { tf } from "../../../deps_tf.ts";
 * import { createNoPropForecaster } from "../../../model/forecast/noprop.ts";
 * import { Rng } from "../../../rng.ts";
 * import { AdamW } from "../../adamw.ts";
 * import { trainForecastBatch } from "./step.ts";
 * await initBackend("cpu");
 * const m = createNoPropForecaster({
 *   kind: "noprop-dt", lookback: 6, horizon: 3, T: 2, schedule: "cosine", alphaBar: [],
 *   hidden: 8, mode: "autoencoder", latentDim: 2,
 * }, 0);
 * const opts = { lr: 1e-3, weightDecay: 0 };
 * const s = {
 *   model: m, eta: 0.1, bnMomentum: 0.1,
 *   blockOpt: m.blocks.map((b) => new AdamW(b.variables(), opts)),
 *   aeOpt: new AdamW(m.ae!.variables(), opts),
 *   blockRng: [new Rng(1), new Rng(2)], aeRng: new Rng(3),
 * };
 * const x = tf.randomNormal([4, 6]) as tf.Tensor2D, y = tf.randomNormal([4, 3]) as tf.Tensor2D;
 * const losses = await trainForecastBatch(s, x, y);
 * assert.deepEqual(losses.map(([part]) => part), [2, 0, 1]); // the autoencoder, then blocks 1, 2
 * assert.ok(losses.every(([, v]) => v > 0));
 * ```
 * @module
 */
import { tf } from "../../../deps_tf.ts";
import { denoiseLoss, klPrior } from "../../../losses.ts";
import { applyBatchNormUpdates, type ForwardContext } from "../../../model/layers.ts";
import {
  blockDenoise,
  decode,
  encode,
  type NoPropForecaster,
} from "../../../model/forecast/noprop.ts";
import { latentSize } from "../../../model/forecast/spec.ts";
import type { Rng } from "../../../rng.ts";
import type { AdamW } from "../../adamw.ts";
import { sampleMarginal } from "../../dt/step.ts";
import type { StepLosses } from "../../batches.ts";

/** Everything a batch step needs besides the batch. */
export interface ForecastTrainState {
  /** The model. */
  model: NoPropForecaster;
  /** η of eq. 8. */
  eta: number;
  /** Momentum of the encoder's batch-norm running statistics. */
  bnMomentum: number;
  /** Block t's AdamW at index t − 1. */
  blockOpt: AdamW[];
  /** The autoencoder's AdamW (autoencoder mode). */
  aeOpt: AdamW | null;
  /** Block t's noise stream (z_{t−1}) at index t − 1. */
  blockRng: Rng[];
  /** The autoencoder's noise stream (z_T). */
  aeRng: Rng;
}

/** A [rows, d] tensor of N(0, 1) draws from `rng`. */
function normals(rng: Rng, rows: number, d: number): tf.Tensor2D {
  return tf.tensor2d(rng.fillNormal(new Float32Array(rows * d)), [rows, d]);
}

/**
 * Trains the autoencoder (autoencoder mode) and then every block on one batch (module doc);
 * returns the losses: the autoencoder's as part T, block t's as part t − 1.
 *
 * @example
 * ```ts
 * import type { ForecastTrainState } from "./step.ts";
 * const parts = (s: ForecastTrainState) => s.model.spec.T + (s.aeOpt ? 1 : 0);
 * ```
 */
export async function trainForecastBatch(
  s: ForecastTrainState,
  x: tf.Tensor2D,
  y: tf.Tensor2D,
): Promise<StepLosses> {
  const { model, eta } = s;
  const sch = model.schedule, T = sch.T, n = x.shape[0], d = latentSize(model.spec);
  const out: [number, number][] = [];
  let u: tf.Tensor2D;
  if (model.ae) {
    const ae = model.ae, opt = s.aeOpt!;
    const epsT = normals(s.aeRng, n, d);
    const ctx: ForwardContext = {
      training: true,
      dropout: 0,
      bnMomentum: s.bnMomentum,
      updates: [],
    };
    const vars = ae.variables();
    const { value, grads } = tf.variableGrads(() => {
      const uu = encode(ae, y, ctx);
      const zT = sampleMarginal(uu, sch.alphaBar[T], epsT); // z_T ~ q(z_T | ỹ)
      const dec = tf.mean(tf.sum(tf.square(tf.sub(decode(ae, zT), y)), 1));
      const rec = tf.mean(tf.sum(tf.square(tf.sub(decode(ae, uu), y)), 1));
      return tf.add(tf.add(dec, klPrior(uu, sch.alphaBar[0])), rec) as tf.Scalar;
    }, vars);
    opt.apply(vars.map((v) => grads[v.name]));
    applyBatchNormUpdates(ae, ctx);
    out.push([T, (await value.data())[0]]);
    tf.dispose([value, grads, epsT]);
    // The blocks' target: the updated encoder's latent of this batch (batch statistics).
    const c2: ForwardContext = { training: true, dropout: 0, bnMomentum: 0, updates: [] };
    u = tf.tidy(() => encode(ae, y, c2));
    tf.dispose(c2.updates.map((v) => v.value));
  } else {
    u = y;
  }
  try {
    for (let t = 1; t <= T; t++) {
      const block = model.blocks[t - 1], vars = block.variables();
      const eps = normals(s.blockRng[t - 1], n, d);
      const { value, grads } = tf.variableGrads(() => {
        const zPrev = sampleMarginal(u, sch.alphaBar[t - 1], eps); // z_{t−1} ~ q(z_{t−1} | u)
        return denoiseLoss(blockDenoise(block, x, zPrev), u, T, eta, sch.snrWeight[t]);
      }, vars);
      s.blockOpt[t - 1].apply(vars.map((v) => grads[v.name]));
      out.push([t - 1, (await value.data())[0]]);
      tf.dispose([value, grads, eps]);
    }
  } finally {
    if (u !== y) u.dispose();
  }
  return out;
}
