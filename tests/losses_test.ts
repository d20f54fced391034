import { assert } from "./assert.ts";
import { tf } from "../src/deps_tf.ts";
import { initBackend } from "../src/backend/mod.ts";
import { crossEntropy, denoiseLoss, klPrior } from "../src/losses.ts";

await initBackend("cpu");
const close = (a: number, b: number, tol = 1e-5) => assert(Math.abs(a - b) <= tol, `${a} ≠ ${b}`);
const val = async (t: tf.Tensor) => (await t.data())[0];

Deno.test("cross-entropy equals −mean log softmax[y] computed by hand", async () => {
  const logits = [[1, 2, 0.5], [0, -1, 3]];
  const y = [1, 0];
  let want = 0;
  logits.forEach((row, i) => {
    const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
    want += -(row[y[i]] - lse) / 2;
  });
  close(await val(crossEntropy(tf.tensor2d(logits), tf.tensor1d(y, "int32"))), want);
});

Deno.test("KL(q(z_0|y) ‖ N(0, I)) matches the Gaussian KL formula by hand", async () => {
  const u = [[1, 0, 0], [0.6, 0.8, 0]]; // ‖u‖² = 1 for both
  const ab0 = 0.3, d = 3;
  // KL(N(μ, σ²I) ‖ N(0, I)) = ½[‖μ‖² + dσ² − d − d log σ²], μ = √ᾱ_0 u, σ² = 1 − ᾱ_0
  const want = 0.5 * (ab0 * 1 + d * (1 - ab0) - d - d * Math.log(1 - ab0));
  close(await val(klPrior(tf.tensor2d(u), ab0)), want);
  // the paper's closed form ½[ᾱ_0‖u‖² − dᾱ_0 − d log(1 − ᾱ_0)] is the same number
  close(want, 0.5 * (ab0 - d * ab0 - d * Math.log(1 - ab0)), 1e-12);
});

Deno.test("denoising term is (T/2)·η·(SNR(t) − SNR(t−1))·mean‖û − u‖²", async () => {
  const uHat = [[0.5, 0.5], [0.1, 0.9]], u = [[1, 0], [0, 1]];
  const sq = ((0.25 + 0.25) + (0.01 + 0.01)) / 2;
  close(await val(denoiseLoss(tf.tensor2d(uHat), tf.tensor2d(u), 10, 0.1, 3)), 5 * 0.1 * 3 * sq);
});
