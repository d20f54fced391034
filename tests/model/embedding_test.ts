import { assert } from "../assert.ts";
import { tf } from "../../src/deps_tf.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { denoised, learnedInit } from "../../src/model/embedding.ts";
import { Rng } from "../../src/rng.ts";

await initBackend("wasm");

Deno.test("û = softmax(logits)·W is a convex combination of the class embeddings", async () => {
  const W = tf.tensor2d(learnedInit(4, 6, new Rng(3)), [4, 6]);
  const logits = tf.tensor2d([[5, 0, 0, 0], [0, 0, 0, 0]]);
  const u = await denoised(logits, W).array();
  const w = await W.array();
  const p0 = Math.exp(5) / (Math.exp(5) + 3);
  for (let j = 0; j < 6; j++) {
    const want = p0 * w[0][j] + (1 - p0) / 3 * (w[1][j] + w[2][j] + w[3][j]);
    assert(Math.abs(u[0][j] - want) < 1e-5);
  }
});

Deno.test("learned embedding rows are orthonormal when d ≥ classes, unit-norm otherwise", () => {
  const dot = (W: Float32Array, d: number, i: number, j: number) => {
    let s = 0;
    for (let q = 0; q < d; q++) s += W[i * d + q] * W[j * d + q];
    return s;
  };
  const W = learnedInit(10, 20, new Rng(1));
  for (let i = 0; i < 10; i++) {
    for (let j = 0; j < 10; j++) assert(Math.abs(dot(W, 20, i, j) - (i === j ? 1 : 0)) < 1e-5);
  }
  const V = learnedInit(10, 4, new Rng(1));
  for (let i = 0; i < 10; i++) assert(Math.abs(dot(V, 4, i, i) - 1) < 1e-5);
});
