/**
 * An optimizer stand-in that records updates instead of applying them: a distributed block
 * unit of a run with a learnable W_Embed gives it to the block trainer as the shared
 * parameters' optimizer, so each step's gradient of the classifier and W_Embed is kept (and
 * shipped to the submitter, which applies all blocks' gradients in a one-process run's order with
 * the one shared AdamW, `method.ts`) while the shared parameters stay as the range started.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "../backend/mod.ts";
 * import { UpdateRecorder } from "./recorder.ts";
 * await initBackend("cpu");
 * const w = tf.variable(tf.tensor1d([1, 2]));
 * const rec = new UpdateRecorder([w]);
 * rec.apply([tf.tensor1d([0.5, -1])]);
 * assert.deepEqual(await w.data(), Float32Array.of(1, 2)); // not applied
 * assert.deepEqual(await rec.take(), [[Float32Array.of(0.5, -1)]]);
 * assert.deepEqual(await rec.take(), []); // taken
 * rec.dispose();
 * ```
 * @module
 */
import { tf } from "../deps_tf.ts";
import { AdamW } from "../train/adamw.ts";

/** Records the gradients it is asked to apply (see the module doc). */
export class UpdateRecorder extends AdamW {
  #kept: tf.Tensor[][] = [];

  /** A recorder for updates of `vars` (in the optimizer's variable order). */
  constructor(vars: tf.Variable[]) {
    super(vars, { lr: 0, weightDecay: 0 });
  }

  /** Keeps a copy of `grads` (the variables are left as they are). */
  override apply(grads: tf.Tensor[]): void {
    this.#kept.push(grads.map((g) => g.clone()));
  }

  /** The gradients recorded since the last call, one list per `apply`, as arrays. */
  async take(): Promise<Float32Array[][]> {
    const kept = this.#kept;
    this.#kept = [];
    const out: Float32Array[][] = [];
    for (const list of kept) {
      out.push(await Promise.all(list.map((g) => g.data() as Promise<Float32Array>)));
      tf.dispose(list);
    }
    return out;
  }

  /** Frees what was recorded and the (unused) moment buffers. */
  override dispose(): void {
    for (const list of this.#kept) tf.dispose(list);
    this.#kept = [];
    super.dispose();
  }
}
