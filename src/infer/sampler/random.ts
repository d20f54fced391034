/**
 * Seedable standard-normal noise for the samplers: mulberry32 uniforms and Box–Muller
 * normals (pairs cached). The trainer's generator (`Rng` in `src/rng.ts`) is built on this one,
 * so a seed means the same stream on both sides.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SeededNormal } from "./random.ts";
 * const noise = new SeededNormal(42);
 * const z0 = noise.fill(new Float32Array(10)); // 10 standard-normal deviates
 * assert.deepEqual(new SeededNormal(42).fill(new Float32Array(10)), z0); // same seed, same stream
 * ```
 * @module
 */

/**
 * Anything that fills arrays with standard-normal deviates. The samplers draw, in order,
 * z_0 and then (only when noise is on) ε_1, …, ε_T, each of length batch × d.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { NoiseSource } from "./random.ts";
 * const zeros: NoiseSource = { fill: (out) => out.fill(0) }; // e.g. a noise-free z_0
 * assert.deepEqual(zeros.fill(new Float32Array(2)), Float32Array.of(0, 0));
 * ```
 */
export interface NoiseSource {
  /** Fills `out` with N(0, 1) deviates and returns it. */
  fill(out: Float32Array): Float32Array;
}

/**
 * Serializable state of a {@linkcode SeededNormal}: the whole generator, as plain JSON data.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SeededNormal, type SeededNormalState } from "./random.ts";
 * const rng = new SeededNormal(7);
 * rng.normal();
 * const saved: SeededNormalState = rng.state();
 * const next = rng.normal();
 * assert.equal(SeededNormal.fromState(saved).normal(), next); // continues where it was saved
 * ```
 */
export interface SeededNormalState {
  /** The 32-bit mulberry32 counter. */
  s: number;
  /** A second normal deviate left over from the last Box–Muller pair, or null. */
  spare: number | null;
}

/**
 * A seeded {@linkcode NoiseSource}. The trainer's generator (`Rng` in `src/rng.ts`) extends it,
 * so the two share one implementation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SeededNormal } from "./random.ts";
 * assert.equal(new SeededNormal(1).normal(), new SeededNormal(1).normal()); // same every run
 * ```
 */
export class SeededNormal implements NoiseSource {
  #s: number;
  #spare: number | null = null;

  /** Starts the stream for integer `seed`. */
  constructor(seed: number) {
    this.#s = (seed >>> 0) ^ 0x9e3779b9;
  }

  /**
   * Rebuilds a generator (of the class it is called on) from {@linkcode SeededNormal.state}'s
   * output.
   */
  static fromState<G extends SeededNormal>(
    this: new (seed: number) => G,
    state: SeededNormalState,
  ): G {
    const g = new this(0);
    g.#s = state.s >>> 0;
    g.#spare = state.spare;
    return g;
  }

  /** The current state, as plain JSON-serializable data. */
  state(): SeededNormalState {
    return { s: this.#s, spare: this.#spare };
  }

  /** A uniform deviate in [0, 1). */
  uniform(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A standard normal deviate. */
  normal(): number {
    if (this.#spare !== null) {
      const v = this.#spare;
      this.#spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fills `out` with standard normal deviates. */
  fill(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }
}

/**
 * A {@linkcode NoiseSource} that hands out the given arrays in order (for reproducing a run
 * with known noise, e.g. in parity tests); throws when they run out or sizes differ.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FixedNoise } from "./random.ts";
 * const n = new FixedNoise([new Float32Array([0.5, -1])]);
 * assert.deepEqual(n.fill(new Float32Array(2)), Float32Array.of(0.5, -1));
 * assert.throws(() => n.fill(new Float32Array(2)), /FixedNoise: draw 2 needs 2 values/);
 * ```
 */
export class FixedNoise implements NoiseSource {
  #next = 0;
  /** Uses `arrays` in order. */
  constructor(readonly arrays: Float32Array[]) {}

  /** Copies the next array into `out`. */
  fill(out: Float32Array): Float32Array {
    const a = this.arrays[this.#next++];
    if (!a || a.length !== out.length) {
      throw new Error(`FixedNoise: draw ${this.#next} needs ${out.length} values`);
    }
    out.set(a);
    return out;
  }
}
