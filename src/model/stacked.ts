/**
 * The parameters of T blocks stacked along a new leading axis: one variable [T, ...shape] per
 * block parameter name (`img.conv1.w` → [T, 3, 3, C, w0]), slab t − 1 holding block t's own
 * values. The fused training step (`src/train/dt/fused_step.ts`) trains these stacks, so one
 * AdamW update and one BatchNorm statistics update cover every block at once; the blocks'
 * {@linkcode ParamSet}s (what checkpoints, evaluation and export read) are written from the
 * stacks with {@linkcode StackedBlocks.push} and read into them with
 * {@linkcode StackedBlocks.pull}, on the device (no read-back).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend, readTensor } from "../backend/mod.ts";
 * import { ParamSet } from "./params.ts";
 * import { StackedBlocks } from "./stacked.ts";
 * import { Rng } from "../rng.ts";
 * await initBackend("cpu");
 * const blocks = [0, 1, 2].map((s) => {
 *   const p = new ParamSet();
 *   p.dense("fc", 2, 3, new Rng(s));
 *   p.batchNorm("bn", 3);
 *   return p;
 * });
 * const stacked = new StackedBlocks(blocks);
 * assert.deepEqual(stacked.get("fc.w").shape, [3, 2, 3]); // [T, in, out]
 * assert.deepEqual(stacked.get("bn.mean").shape, [3, 3]); // buffers are stacked too
 * // Train the stacks (here: zero them), then write them back into the blocks.
 * for (const v of stacked.variables()) v.assign(tf.zerosLike(v));
 * stacked.push();
 * assert.deepEqual(await readTensor(blocks[2].get("fc.b")), new Float32Array(3));
 * stacked.dispose();
 * ```
 * @module
 */
import { tf } from "../deps_tf.ts";
import type { ParamSet } from "./params.ts";

/** T blocks' parameters stacked along axis 0 (see the module doc). */
export class StackedBlocks {
  /** Stacked trainable variables by block parameter name, in the blocks' variable order. */
  readonly trainable: Map<string, tf.Variable> = new Map();
  /** Stacked non-trainable buffers (BatchNorm running statistics) by name. */
  readonly buffers: Map<string, tf.Variable> = new Map();

  /** Stacks `blocks` (all with the same names and shapes; block t at index t − 1). */
  constructor(readonly blocks: readonly ParamSet[]) {
    const first = blocks[0];
    for (
      const [from, to, trainable] of [
        [first.trainable, this.trainable, true],
        [first.buffers, this.buffers, false],
      ] as const
    ) {
      for (const name of from.keys()) {
        const v = tf.tidy(() =>
          tf.variable(
            tf.stack(blocks.map((b) => b.get(name))),
            trainable,
            `stacked.${name}_${id++}`,
          )
        );
        to.set(name, v);
      }
    }
  }

  /** Number of stacked blocks T. */
  get T(): number {
    return this.blocks.length;
  }

  /** The stack [T, ...] of parameter or buffer `name`; throws if absent. */
  get(name: string): tf.Variable {
    const v = this.trainable.get(name) ?? this.buffers.get(name);
    if (!v) throw new Error(`stacked parameter "${name}" does not exist`);
    return v;
  }

  /** The stacked trainable variables, in the blocks' variable order. */
  variables(): tf.Variable[] {
    return [...this.trainable.values()];
  }

  /** Writes slab t − 1 of every stack into block t's variables and buffers. */
  push(): void {
    tf.tidy(() => {
      for (const [name, v] of [...this.trainable, ...this.buffers]) {
        tf.unstack(v).forEach((slab, i) => this.blocks[i].get(name).assign(slab));
      }
    });
  }

  /** Reads every block's variables and buffers into the stacks (e.g. after a checkpoint load). */
  pull(): void {
    tf.tidy(() => {
      for (const [name, v] of [...this.trainable, ...this.buffers]) {
        v.assign(tf.stack(this.blocks.map((b) => b.get(name))));
      }
    });
  }

  /** Frees the stacks (not the blocks). */
  dispose(): void {
    for (const v of [...this.trainable.values(), ...this.buffers.values()]) v.dispose();
    this.trainable.clear();
    this.buffers.clear();
  }
}

let id = 0;
