/**
 * DLinear (Zeng, Chen, Zhang, Xu, "Are Transformers Effective for Time Series Forecasting?",
 * AAAI 2023), the shared-weight variant the paper reports on ETTh1: the window x [L] is split
 * into a trend, its moving average over `kernel` steps with the window's first and last value
 * repeated (k − 1)/2 times at each end, and the seasonal remainder x − trend; one linear layer
 * maps each from L to H and the two forecasts are added:
 *
 *   ŷ = (x − A x)·W_s + b_s + (A x)·W_t + b_t,
 *
 * with A the fixed [L, L] averaging matrix (`trendMatrix`). Weights are shared by every channel
 * (channel independence); no normalisation beyond the data's z-scoring, as in the paper.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { tf } from "../../deps_tf.ts";
 * import { createDLinear, dlinearForward } from "./dlinear.ts";
 * await initBackend("cpu");
 * const m = createDLinear({ kind: "dlinear", lookback: 8, horizon: 3, kernel: 3 }, 0);
 * const y = dlinearForward(m, tf.ones([2, 8]) as tf.Tensor2D);
 * assert.deepEqual(y.shape, [2, 3]);
 * assert.equal(m.params.size(), 2 * (8 * 3 + 3));
 * ```
 * @module
 */
import { tf } from "../../deps_tf.ts";
import { dense } from "../layers.ts";
import { ParamSet } from "../params.ts";
import { Rng } from "../../rng.ts";
import type { DLinearSpec } from "./spec.ts";

/** A DLinear model: its spec, its weights and the fixed trend matrix. */
export interface DLinear {
  /** The spec. */
  spec: DLinearSpec;
  /** `seasonal.{w,b}` and `trend.{w,b}` ([L, H] and [H]). */
  params: ParamSet;
  /** A [L, L]: trend = x·A (a constant, not trained). */
  trend: tf.Tensor2D;
}

/**
 * The moving-average matrix A [L, L] with edge replication: (x·A)_i is the mean of x_j over
 * j = i − (k − 1)/2 … i + (k − 1)/2, with indices clamped to [0, L − 1] (the paper's padding by
 * repeating the first and last value). `kernel` must be odd.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trendMatrix } from "./dlinear.ts";
 * const A = trendMatrix(3, 3); // column i averages x_{i−1}, x_i, x_{i+1} (clamped)
 * assert.deepEqual(Array.from(A).map((v) => +v.toFixed(4)), [
 *   0.6667, 0.3333, 0, // row j = 0: x_0 counts twice in column 0 (its clamped left neighbour)
 *   0.3333, 0.3333, 0.3333,
 *   0, 0.3333, 0.6667,
 * ]);
 * ```
 */
export function trendMatrix(L: number, kernel: number): Float32Array {
  if (kernel % 2 !== 1) throw new Error(`DLinear: kernel ${kernel} must be odd`);
  const half = (kernel - 1) / 2, A = new Float32Array(L * L);
  for (let i = 0; i < L; i++) {
    for (let o = -half; o <= half; o++) {
      const j = Math.min(L - 1, Math.max(0, i + o));
      A[j * L + i] += 1 / kernel;
    }
  }
  return A;
}

/**
 * A freshly initialised DLinear (PyTorch Linear initialisation, seeded).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { createDLinear } from "./dlinear.ts";
 * await initBackend("cpu");
 * const m = createDLinear({ kind: "dlinear", lookback: 4, horizon: 2, kernel: 3 }, 1);
 * assert.deepEqual(m.params.get("trend.w").shape, [4, 2]);
 * ```
 */
export function createDLinear(spec: DLinearSpec, seed: number): DLinear {
  const rng = new Rng(seed);
  const params = new ParamSet();
  params.dense("seasonal", spec.lookback, spec.horizon, rng);
  params.dense("trend", spec.lookback, spec.horizon, rng);
  const trend = tf.tensor2d(trendMatrix(spec.lookback, spec.kernel), [
    spec.lookback,
    spec.lookback,
  ]);
  return { spec, params, trend };
}

/**
 * The forecast ŷ [n, H] of windows x [n, L] (module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../backend/mod.ts";
 * import { tf } from "../../deps_tf.ts";
 * import { createDLinear, dlinearForward } from "./dlinear.ts";
 * await initBackend("cpu");
 * const m = createDLinear({ kind: "dlinear", lookback: 4, horizon: 2, kernel: 3 }, 0);
 * // Zero weights and biases b_s = 1, b_t = 2 forecast 3 everywhere.
 * for (const n of ["seasonal.w", "trend.w"]) m.params.get(n).assign(tf.zeros([4, 2]));
 * m.params.get("seasonal.b").assign(tf.ones([2]));
 * m.params.get("trend.b").assign(tf.fill([2], 2));
 * const y = await dlinearForward(m, tf.randomNormal([1, 4]) as tf.Tensor2D).data();
 * assert.deepEqual(Array.from(y), [3, 3]);
 * ```
 */
export function dlinearForward(m: DLinear, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const trend = tf.matMul(x, m.trend);
    const seasonal = tf.sub(x, trend);
    return tf.add(dense(m.params, "seasonal", seasonal), dense(m.params, "trend", trend));
  });
}

/**
 * Frees the model's tensors.
 *
 * @example
 * ```ts
 * import { initBackend } from "../../backend/mod.ts";
 * import { createDLinear, disposeDLinear } from "./dlinear.ts";
 * await initBackend("cpu");
 * disposeDLinear(createDLinear({ kind: "dlinear", lookback: 4, horizon: 2, kernel: 3 }, 0));
 * ```
 */
export function disposeDLinear(m: DLinear): void {
  m.params.dispose();
  m.trend.dispose();
}
