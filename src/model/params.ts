/**
 * Named parameter sets: a block, the classifier or the embedding is a flat map from a
 * dotted name (`img.conv1.w`) to a tfjs variable. Trainable weights and non-trainable
 * buffers (BatchNorm running statistics) are kept apart. Initialisation is PyTorch's
 * default (U(−1/√fan_in, 1/√fan_in) for weights and biases of Linear and Conv2d, BN γ = 1,
 * β = 0) so that the network matches the PyTorch anchor, drawn from a seeded {@linkcode Rng}.
 *
 * Layouts (tfjs): conv kernels [kh, kw, in, out], dense weights [in, out].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend/mod.ts";
 * import { ParamSet } from "./params.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * const p = new ParamSet();
 * p.dense("fc", 4, 3, new Rng(0));
 * assert.deepEqual(p.get("fc.w").shape, [4, 3]);
 * assert.equal(p.size(), 4 * 3 + 3);
 * const arrays = await p.toArrays(); // e.g. for a checkpoint
 * p.assignFrom(arrays);
 * p.dispose();
 * ```
 * @module
 */
import { tf } from "../deps_tf.ts";
import type { Rng } from "../rng.ts";

/** Plain-array copy of a parameter set, for checkpoints and for sending to workers. */
export type ParamArrays = Record<string, { shape: number[]; data: Float32Array }>;

function uniform(n: number, bound: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (2 * rng.uniform() - 1) * bound;
  return a;
}

/** A named set of trainable variables and non-trainable buffers. */
export class ParamSet {
  /** Trainable variables by name. */
  readonly trainable: Map<string, tf.Variable> = new Map();
  /** Non-trainable buffers (BatchNorm running mean/var) by name. */
  readonly buffers: Map<string, tf.Variable> = new Map();

  /** The variable or buffer called `name`; throws if absent. */
  get(name: string): tf.Variable {
    const v = this.trainable.get(name) ?? this.buffers.get(name);
    if (!v) throw new Error(`parameter "${name}" does not exist`);
    return v;
  }

  /** Adds a variable from data. */
  add(name: string, shape: number[], data: Float32Array, trainable = true): tf.Variable {
    // tidy frees the initial tensor (the variable keeps its own reference to the data).
    const id = `${name}_${nextId++}`;
    const v = tf.tidy(() => tf.variable(tf.tensor(data, shape, "float32"), trainable, id));
    (trainable ? this.trainable : this.buffers).set(name, v);
    return v;
  }

  /** Adds a dense layer `name.w` [in, out] and `name.b` [out] (PyTorch Linear init). */
  dense(name: string, inDim: number, outDim: number, rng: Rng): void {
    const bound = 1 / Math.sqrt(inDim);
    this.add(`${name}.w`, [inDim, outDim], uniform(inDim * outDim, bound, rng));
    this.add(`${name}.b`, [outDim], uniform(outDim, bound, rng));
  }

  /** Adds a k×k conv `name.w` [k, k, in, out] and `name.b` [out] (PyTorch Conv2d init). */
  conv(name: string, k: number, inCh: number, outCh: number, rng: Rng): void {
    const bound = 1 / Math.sqrt(inCh * k * k);
    this.add(`${name}.w`, [k, k, inCh, outCh], uniform(k * k * inCh * outCh, bound, rng));
    this.add(`${name}.b`, [outCh], uniform(outCh, bound, rng));
  }

  /** Adds BatchNorm `name.gamma`, `name.beta` and buffers `name.mean`, `name.var`. */
  batchNorm(name: string, dim: number): void {
    this.add(`${name}.gamma`, [dim], new Float32Array(dim).fill(1));
    this.add(`${name}.beta`, [dim], new Float32Array(dim));
    this.add(`${name}.mean`, [dim], new Float32Array(dim), false);
    this.add(`${name}.var`, [dim], new Float32Array(dim).fill(1), false);
  }

  /** Trainable variables as a list (the order is insertion order). */
  variables(): tf.Variable[] {
    return [...this.trainable.values()];
  }

  /** Number of trainable scalars. */
  size(): number {
    let n = 0;
    for (const v of this.trainable.values()) n += v.size;
    return n;
  }

  /** Reads every variable and buffer into plain arrays (async: safe on webgpu). */
  async toArrays(): Promise<ParamArrays> {
    const out: ParamArrays = {};
    for (const [name, v] of [...this.trainable, ...this.buffers]) {
      out[name] = { shape: v.shape.slice(), data: (await v.data()) as Float32Array };
    }
    return out;
  }

  /** Overwrites every variable and buffer from plain arrays; names and shapes must match. */
  assignFrom(arrays: ParamArrays): void {
    for (const [name, v] of [...this.trainable, ...this.buffers]) {
      const a = arrays[name];
      if (!a) throw new Error(`parameter "${name}" missing from the loaded weights`);
      if (a.shape.join(",") !== v.shape.join(",")) {
        throw new Error(`parameter "${name}": shape [${a.shape}] does not match [${v.shape}]`);
      }
      tf.tidy(() => v.assign(tf.tensor(a.data, v.shape, "float32")));
    }
  }

  /** Frees every variable. */
  dispose(): void {
    for (const v of [...this.trainable.values(), ...this.buffers.values()]) v.dispose();
    this.trainable.clear();
    this.buffers.clear();
  }
}

let nextId = 0;
