/**
 * A small seedable pseudo-random generator (mulberry32 for uniforms, Box–Muller for
 * normals), used for data shuffling and label-noise sampling so that runs are
 * reproducible and resumable: the whole state is one 32-bit integer plus a cached normal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "./rng.ts";
 * const rng = new Rng(42);
 * const u = rng.uniform();
 * assert.ok(u >= 0 && u < 1);
 * const saved = rng.state(); // e.g. into a checkpoint
 * const z = rng.normal(); // standard normal
 * assert.equal(Rng.fromState(saved).normal(), z); // the restored stream continues identically
 * ```
 * @module
 */
import { SeededNormal, type SeededNormalState } from "./infer/sampler/random.ts";

/**
 * Serializable state of an {@linkcode Rng} (the runtime's `SeededNormalState`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng, type RngState } from "./rng.ts";
 * const saved: RngState = new Rng(1).state();
 * assert.deepEqual(JSON.parse(JSON.stringify(saved)), saved); // plain JSON
 * ```
 */
export type RngState = SeededNormalState;

/**
 * Seedable generator of uniform and normal deviates: the runtime's {@linkcode SeededNormal}
 * (one implementation of mulberry32 and Box–Muller, so trainer and runtime draw the same
 * streams) plus the trainer's extras. `Rng.fromState(state)` rebuilds an `Rng`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "./rng.ts";
 * const rng = new Rng(42);
 * const order = rng.shuffle(Uint32Array.of(0, 1, 2, 3));
 * assert.deepEqual([...order].sort(), [0, 1, 2, 3]);
 * const again = Rng.fromState(rng.state()); // an Rng that continues the same stream
 * assert.equal(again.int(1000), rng.int(1000));
 * ```
 */
export class Rng extends SeededNormal {
  /** Fills `out` with standard normal deviates and returns it. */
  fillNormal(out: Float32Array): Float32Array {
    return this.fill(out);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Shuffles `a` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    return a;
  }
}

/**
 * Fills `out` with an inverted-dropout mask: each entry is 1/(1 − rate) with probability
 * 1 − rate and 0 otherwise, from a mulberry32 stream seeded with `seed`. Deterministic on every
 * backend, and faster than drawing through tfjs's `randomUniform`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fillDropoutMask } from "./rng.ts";
 * const m = fillDropoutMask(new Float32Array(1000), 0.5, 7);
 * assert.ok(m.every((v) => v === 0 || v === 2)); // dropped, or kept and scaled by 1/(1 − 0.5)
 * assert.deepEqual(fillDropoutMask(new Float32Array(1000), 0.5, 7), m); // same seed, same mask
 * ```
 */
export function fillDropoutMask(out: Float32Array, rate: number, seed: number): Float32Array {
  const keep = 1 / (1 - rate);
  const threshold = Math.floor(rate * 4294967296);
  let s = ((seed >>> 0) ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < out.length; i++) {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) >= threshold ? keep : 0;
  }
  return out;
}
