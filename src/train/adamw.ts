/**
 * AdamW (Loshchilov & Hutter), as PyTorch implements it: decoupled weight decay
 * p ← p·(1 − lr·wd), then the bias-corrected Adam step. Written with tfjs ops so it runs on
 * every backend; the state (step count, first and second moments) is exported for checkpoints.
 * Paper Table 3: lr 1e-3, weight decay 1e-3.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend, readTensor } from "../backend/mod.ts";
 * import { AdamW } from "./adamw.ts";
 * await initBackend("cpu");
 * const w = tf.variable(tf.ones([2]));
 * const opt = new AdamW([w], { lr: 1e-3, weightDecay: 1e-3 });
 * opt.apply([tf.tensor1d([1, -1])]);
 * // Step 1: decay w·(1 − lr·wd), then bias-corrected Adam moves each weight by lr·sign(g).
 * const [a, b] = await readTensor(w);
 * assert.ok(Math.abs(a - (1 - 1e-6 - 1e-3)) < 1e-6 && Math.abs(b - (1 - 1e-6 + 1e-3)) < 1e-6);
 * assert.equal((await opt.state()).step, 1);
 * ```
 * @module
 */
import { tf } from "../deps_tf.ts";

/** Hyper-parameters of {@linkcode AdamW}. */
export interface AdamWOptions {
  /** Learning rate. */
  lr: number;
  /** Decoupled weight decay. */
  weightDecay: number;
  /** β1 (default 0.9). */
  beta1?: number;
  /** β2 (default 0.999). */
  beta2?: number;
  /** ε (default 1e-8). */
  eps?: number;
}

/**
 * The whole state of an {@linkcode AdamW} as plain arrays: the step count and the first and
 * second moments, one array per variable (in the optimizer's variable order).
 *
 * @example
 * ```ts
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "../backend/mod.ts";
 * import { AdamW, type AdamWState } from "./adamw.ts";
 * await initBackend("cpu");
 * const fresh: AdamWState = { step: 0, m: [new Float32Array(2)], v: [new Float32Array(2)] };
 * const opt = new AdamW([tf.variable(tf.ones([2]))], { lr: 1e-3, weightDecay: 0 });
 * opt.load(fresh); // e.g. the state saved in a checkpoint
 * ```
 */
export interface AdamWState {
  /** Steps taken. */
  step: number;
  /** First moments. */
  m: Float32Array[];
  /** Second moments. */
  v: Float32Array[];
}

/** AdamW over a fixed list of variables. */
export class AdamW {
  /** Number of steps taken. */
  step = 0;
  readonly #vars: tf.Variable[];
  readonly #m: tf.Variable[];
  readonly #v: tf.Variable[];
  readonly #o: Required<AdamWOptions>;

  /** Creates moment buffers (zeros) for `vars`. */
  constructor(vars: tf.Variable[], opts: AdamWOptions) {
    this.#vars = vars;
    this.#o = { beta1: 0.9, beta2: 0.999, eps: 1e-8, ...opts };
    // tidy frees the zero tensors the moment variables are made from.
    this.#m = vars.map((v) => tf.tidy(() => tf.variable(tf.zerosLike(v), false)));
    this.#v = vars.map((v) => tf.tidy(() => tf.variable(tf.zerosLike(v), false)));
  }

  /** Applies one update with `grads` (same order as the variables). */
  apply(grads: tf.Tensor[]): void {
    this.step++;
    const { lr, weightDecay, beta1, beta2, eps } = this.#o;
    const bc1 = 1 - beta1 ** this.step, bc2 = 1 - beta2 ** this.step;
    const stepSize = lr / bc1;
    tf.tidy(() => {
      for (let i = 0; i < this.#vars.length; i++) {
        const p = this.#vars[i], g = grads[i], m = this.#m[i], v = this.#v[i];
        const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        m.assign(m1);
        v.assign(v1);
        const denom = tf.add(tf.sqrt(tf.div(v1, bc2)), eps);
        const decayed = weightDecay > 0 ? tf.mul(p, 1 - lr * weightDecay) : p;
        p.assign(tf.sub(decayed, tf.mul(tf.div(m1, denom), stepSize)));
      }
    });
  }

  /** The learning rate of the next steps (a schedule sets it between steps). */
  set lr(value: number) {
    this.#o.lr = value;
  }

  /** The current learning rate. */
  get lr(): number {
    return this.#o.lr;
  }

  /** Moments and step count as plain arrays (async: safe on webgpu). */
  async state(): Promise<AdamWState> {
    const m = await Promise.all(this.#m.map((t) => t.data() as Promise<Float32Array>));
    const v = await Promise.all(this.#v.map((t) => t.data() as Promise<Float32Array>));
    return { step: this.step, m, v };
  }

  /** Restores {@linkcode AdamW.state}'s output. */
  load(s: AdamWState): void {
    if (s.m.length !== this.#m.length) throw new Error("AdamW state: wrong number of tensors");
    this.step = s.step;
    tf.tidy(() => {
      for (let i = 0; i < this.#m.length; i++) {
        this.#m[i].assign(tf.tensor(s.m[i], this.#m[i].shape));
        this.#v[i].assign(tf.tensor(s.v[i], this.#v[i].shape));
      }
    });
  }

  /** Frees the moment buffers. */
  dispose(): void {
    for (const t of [...this.#m, ...this.#v]) t.dispose();
  }
}
