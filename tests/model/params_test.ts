/**
 * Models free every tensor they made: creating then disposing a ParamSet, an embedding or a
 * whole model leaves tfjs' tensor count where it was (the initial value a variable is made
 * from used to stay allocated, one tensor per parameter).
 */
import { assertEquals } from "../assert.ts";
import { tf } from "../../src/deps_tf.ts";
import { initBackend } from "../../src/backend/mod.ts";
import {
  learnedEmbedding,
  oneHotEmbedding,
  prototypeEmbedding,
} from "../../src/model/embedding.ts";
import { createNoPropDT, disposeModel } from "../../src/model/noprop.ts";
import { createContinuousModel, disposeContinuousModel } from "../../src/model/continuous_model.ts";
import { ParamSet } from "../../src/model/params.ts";
import { Rng } from "../../src/rng.ts";

await initBackend("cpu");

/** Tensors still allocated after `fn` ran (the caller disposes what it made). */
function leftBehind(fn: () => void): number {
  const before = tf.memory().numTensors;
  fn();
  return tf.memory().numTensors - before;
}

Deno.test("a ParamSet's dispose frees every variable and buffer it created", () => {
  assertEquals(
    leftBehind(() => {
      const p = new ParamSet();
      p.dense("fc", 3, 2, new Rng(0));
      p.conv("conv", 3, 1, 2, new Rng(0));
      p.batchNorm("bn", 2);
      p.dispose();
    }),
    0,
  );
});

Deno.test("one-hot, learned and prototype embeddings free W_Embed on dispose", () => {
  const features = new Float32Array([0, 1, 2, 3]);
  for (
    const make of [
      () => oneHotEmbedding(3),
      () => learnedEmbedding(3, 4, new Rng(0)),
      () => prototypeEmbedding(features, 2, Uint8Array.of(0, 1), 2, new Rng(0)),
    ]
  ) {
    assertEquals(leftBehind(() => make().W.dispose()), 0);
  }
});

Deno.test("creating and disposing a NoProp-DT or CT/FM model leaves no tensor behind", () => {
  const image = { height: 8, width: 8, channels: 1 };
  assertEquals(
    leftBehind(() =>
      disposeModel(createNoPropDT({
        image,
        classes: 3,
        T: 2,
        schedule: "cosine",
        embedding: "learned",
        embedDim: 4,
        widths: [2, 2, 2],
        hidden: 8,
        seed: 1,
      }))
    ),
    0,
  );
  for (const variant of ["ct", "fm"] as const) {
    assertEquals(
      leftBehind(() =>
        disposeContinuousModel(createContinuousModel({
          variant,
          image,
          classes: 3,
          embedding: "learned",
          embedDim: 4,
          widths: [2, 2, 2],
          hidden: 8,
          seed: 1,
          gamma0: -5,
          gamma1: 5,
          gammaHidden: 4,
        }))
      ),
      0,
    );
  }
});
