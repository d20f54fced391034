import { assert } from "./assert.ts";
import { tf } from "../src/deps_tf.ts";
import { initBackend } from "../src/backend/mod.ts";
import {
  ctDenoiseLoss,
  fmAnchorLoss,
  fmLoss,
  klPrior,
  klPriorGamma,
  squaredDistances,
} from "../src/losses.ts";

await initBackend("cpu");
const close = (a: number, b: number, tol = 1e-5) => assert(Math.abs(a - b) <= tol, `${a} ≠ ${b}`);
const val = async (t: tf.Tensor) => (await t.data())[0];

Deno.test("CT denoising term = mean over examples of (η/2)·SNR′(t_i)·‖û_i − u_i‖², by hand", async () => {
  const uHat = [[0.2, 0.8], [0.6, 0.4]], u = [[0, 1], [1, 0]], sp = [3, 10], eta = 0.7;
  let want = 0;
  for (let i = 0; i < 2; i++) {
    const sq = (uHat[i][0] - u[i][0]) ** 2 + (uHat[i][1] - u[i][1]) ** 2;
    want += (eta / 2) * sp[i] * sq / 2;
  }
  const got = ctDenoiseLoss(tf.tensor2d(uHat), tf.tensor2d(u), tf.tensor1d(sp), eta);
  close(await val(got), want);
});

Deno.test("CT's KL from γ(0) equals the DT closed form with ᾱ_0 = sigmoid(−γ(0))", async () => {
  const u = tf.tensor2d([[1, 0, 0], [0, 0.5, 0.5]]);
  for (const g of [-2, 0, 3, 9.21]) {
    const ab = 1 / (1 + Math.exp(g));
    close(await val(klPriorGamma(u, tf.tensor1d([g]))), await val(klPrior(u, ab)), 1e-4);
  }
});

Deno.test("FM loss = mean ‖v̂ − (u − z_0)‖², by hand", async () => {
  const v = [[1, 2], [0, -1]], u = [[1, 0], [0, 1]], z0 = [[0.5, 0.5], [-1, 2]];
  let want = 0;
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) want += (v[i][j] - (u[i][j] - z0[i][j])) ** 2 / 2;
  }
  close(await val(fmLoss(tf.tensor2d(v), tf.tensor2d(u), tf.tensor2d(z0))), want);
});

Deno.test("FM anchor term = −log softmax(−‖ẑ − u_k‖²)[y], by hand", async () => {
  const z = [0.3, 0.9], W = [[1, 0], [0, 1], [1, 1]], y = 1;
  const d = W.map((w) => (z[0] - w[0]) ** 2 + (z[1] - w[1]) ** 2);
  const lse = Math.log(d.reduce((s, v) => s + Math.exp(-v), 0));
  const want = d[y] + lse;
  const got = fmAnchorLoss(tf.tensor2d([z]), tf.tensor2d(W), tf.tensor1d([y], "int32"));
  close(await val(got), want);
  const dist = await squaredDistances(tf.tensor2d([z]), tf.tensor2d(W)).data();
  d.forEach((v, k) => close(dist[k], v));
});
