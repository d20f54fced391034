/**
 * The NoProp-DT forecaster's math: block t's loss is eq. 8's denoising term with the schedule's
 * SNR weight at z_{t−1} ~ N(√ᾱ_{t−1} u, (1 − ᾱ_{t−1}) I) of u = the window-normalised future;
 * the autoencoder's loss is the decoder term on z_T plus the KL and the reconstruction; and the
 * sampler is eq. 3 from z_0 with the schedule's a_t, b_t, c_t, mapped back through RevIN.
 */
import { assert, assertEquals } from "../../assert.ts";
import { initBackend } from "../../../src/backend/mod.ts";
import { tf } from "../../../src/deps_tf.ts";
import {
  blockDenoise,
  createNoPropForecaster,
  decode,
  encode,
} from "../../../src/model/forecast/noprop.ts";
import type { NoPropForecastSpec } from "../../../src/model/forecast/spec.ts";
import { Rng } from "../../../src/rng.ts";
import { AdamW } from "../../../src/train/adamw.ts";
import { sampleForecasts } from "../../../src/train/forecast/noprop/sample.ts";
import { trainForecastBatch } from "../../../src/train/forecast/noprop/step.ts";
import { normalizeRows } from "../../../src/infer/forecast/revin.ts";
import { FixedNoise } from "../../../src/infer/sampler/random.ts";
import { near } from "../../_helpers/series.ts";

await initBackend("cpu");

const spec = (mode: "direct" | "autoencoder"): NoPropForecastSpec => ({
  kind: "noprop-dt",
  lookback: 6,
  horizon: 4,
  T: 3,
  schedule: "cosine",
  alphaBar: [],
  hidden: 5,
  mode,
  latentDim: 2,
});

const arr = async (t: tf.Tensor) => Array.from(await t.data());

Deno.test("forecaster: block t's loss is (T/2)·η·(SNR(t) − SNR(t−1))·mean‖û_t(x̃, z_{t−1}) − u‖²", async () => {
  const m = createNoPropForecaster(spec("direct"), 0);
  const n = 3, d = 4, T = 3, eta = 0.1;
  const x = tf.randomNormal([n, 6], 0, 1, "float32", 1) as tf.Tensor2D;
  const y = tf.randomNormal([n, 4], 0, 1, "float32", 2) as tf.Tensor2D;
  // Expected losses from the weights before the step, with block t's noise stream replayed.
  const expected: number[] = [];
  for (let t = 1; t <= T; t++) {
    const eps = new Rng(10 + t).fillNormal(new Float32Array(n * d));
    const ab = m.schedule.alphaBar[t - 1];
    const z = tf.tidy(() =>
      tf.add(tf.mul(y, Math.sqrt(ab)), tf.mul(tf.tensor2d(eps, [n, d]), Math.sqrt(1 - ab)))
    ) as tf.Tensor2D;
    const u = await arr(blockDenoise(m.blocks[t - 1], x, z)), yy = await arr(y);
    let sq = 0;
    for (let i = 0; i < u.length; i++) sq += (u[i] - yy[i]) ** 2;
    expected.push((T / 2) * eta * m.schedule.snrWeight[t] * sq / n);
  }
  const opts = { lr: 1e-3, weightDecay: 0 };
  const losses = await trainForecastBatch(
    {
      model: m,
      eta,
      bnMomentum: 0.1,
      blockOpt: m.blocks.map((b) => new AdamW(b.variables(), opts)),
      aeOpt: null,
      blockRng: [1, 2, 3].map((t) => new Rng(10 + t)),
      aeRng: new Rng(0),
    },
    x,
    y,
  );
  assertEquals(losses.map(([p]) => p), [0, 1, 2]);
  losses.forEach(([p, v]) => near(v, expected[p], 1e-4 * expected[p], `block ${p + 1}`));
  // The weights grow with t: SNR(t) − SNR(t−1) increases along the cosine schedule.
  assert(
    m.schedule.snrWeight[3] > m.schedule.snrWeight[2] &&
      m.schedule.snrWeight[2] > m.schedule.snrWeight[1],
  );
});

Deno.test("forecaster: the autoencoder's loss is ‖D(z_T) − ỹ‖² + KL(q(z_0|ỹ) ‖ N(0, I)) + ‖D(u) − ỹ‖²", async () => {
  const m = createNoPropForecaster(spec("autoencoder"), 0);
  const ae = m.ae!, n = 5, d = 2, T = 3;
  const x = tf.randomNormal([n, 6], 0, 1, "float32", 3) as tf.Tensor2D;
  const y = tf.randomNormal([n, 4], 0, 1, "float32", 4) as tf.Tensor2D;
  // u with the batch statistics (training mode), as the step computes it.
  const ctx = {
    training: true,
    dropout: 0,
    bnMomentum: 0.1,
    updates: [] as { name: string; value: tf.Tensor }[],
  };
  const u = encode(ae, y, ctx);
  tf.dispose(ctx.updates.map((v) => v.value));
  const epsT = new Rng(7).fillNormal(new Float32Array(n * d));
  const abT = m.schedule.alphaBar[T], ab0 = m.schedule.alphaBar[0];
  const zT = tf.add(
    tf.mul(u, Math.sqrt(abT)),
    tf.mul(tf.tensor2d(epsT, [n, d]), Math.sqrt(1 - abT)),
  ) as tf.Tensor2D;
  const yy = await arr(y),
    dz = await arr(decode(ae, zT)),
    du = await arr(decode(ae, u)),
    uu = await arr(u);
  let dec = 0, rec = 0, norm = 0;
  for (let i = 0; i < yy.length; i++) {
    dec += (dz[i] - yy[i]) ** 2;
    rec += (du[i] - yy[i]) ** 2;
  }
  for (const v of uu) norm += v * v;
  const kl = 0.5 * (ab0 * norm / n - d * ab0 - d * Math.log(1 - ab0));
  const expected = dec / n + kl + rec / n;
  const opts = { lr: 1e-3, weightDecay: 0 };
  const losses = await trainForecastBatch(
    {
      model: m,
      eta: 0.1,
      bnMomentum: 0.1,
      blockOpt: m.blocks.map((b) => new AdamW(b.variables(), opts)),
      aeOpt: new AdamW(ae.variables(), opts),
      blockRng: [1, 2, 3].map((t) => new Rng(t)),
      aeRng: new Rng(7),
    },
    x,
    y,
  );
  assertEquals(losses[0][0], T); // the autoencoder first, as part T
  near(losses[0][1], expected, 1e-4 * expected, "autoencoder loss");
  // The encoder's latent is standardised: mean 0, variance 1 per dimension over the batch.
  for (let j = 0; j < d; j++) {
    let s = 0, q = 0;
    for (let i = 0; i < n; i++) s += uu[i * d + j];
    for (let i = 0; i < n; i++) q += (uu[i * d + j] - s / n) ** 2;
    near(s / n, 0, 1e-5, "latent mean");
    near(q / n, 1, 1e-3, "latent variance");
  }
});

Deno.test("forecaster: the sampler runs eq. 3 from z_0 with the schedule's a_t, b_t, c_t and undoes RevIN", async () => {
  const m = createNoPropForecaster(spec("direct"), 0);
  const n = 2, L = 6, H = 4, T = 3;
  const x = Float32Array.from({ length: n * L }, (_, i) => Math.sin(i) * 3 + 5);
  // Reference: the same chain by hand with the tfjs blocks, noise given explicitly.
  const z0 = new Rng(5).fillNormal(new Float32Array(n * H));
  const eps = [1, 2, 3].map((t) => new Rng(50 + t).fillNormal(new Float32Array(n * H)));
  const xn = x.slice();
  const st = normalizeRows(xn, n, L);
  const xt = tf.tensor2d(xn, [n, L]);
  let z = z0.slice();
  for (let t = 1; t <= T; t++) {
    const u = await arr(blockDenoise(m.blocks[t - 1], xt, tf.tensor2d(z, [n, H])));
    const { a, b, c } = m.schedule;
    z = z.map((v, i) => a[t] * u[i] + b[t] * v + Math.sqrt(c[t]) * eps[t - 1][i]);
  }
  const want = z.map((v, i) => v * st.std[Math.floor(i / H)] + st.mean[Math.floor(i / H)]);
  const got = await sampleForecasts(
    m,
    x,
    n,
    { samples: 1, noiseFree: false },
    new FixedNoise([z0, ...eps]),
  );
  got.samples.forEach((v, i) => near(v, want[i], 1e-4, `value ${i}`));
});

Deno.test("forecaster: with a perfect denoiser the noise-free sample is √ᾱ_T·u plus the vanishing trace of z_0", async () => {
  const m = createNoPropForecaster(spec("direct"), 0);
  // Every block predicts û = 0 + base, base = c_x: set W_x, W_z and the MLP to zero, c_x = u*.
  const uStar = Float32Array.of(1, -2, 0.5, 3);
  for (const b of m.blocks) {
    for (const name of ["x.w", "z.w", "z.b", "fc1.w", "fc1.b", "fc2.w", "fc2.b"]) {
      const v = b.get(name);
      v.assign(tf.zerosLike(v));
    }
    b.get("x.b").assign(tf.tensor1d(uStar));
  }
  const x = Float32Array.from({ length: 6 }, (_, i) => i); // mean 2.5, std √(35/12 + 1e-5)
  const f = await sampleForecasts(
    m,
    x,
    1,
    { samples: 0, noiseFree: true },
    new FixedNoise([new Float32Array(4)]),
  );
  // z_0 = 0: z_T = Σ_t a_t·(Π_{s>t} b_s)·u*, which the schedule makes ≈ √ᾱ_T·u*.
  const { a, b } = m.schedule;
  let coef = 0;
  for (let t = 1; t <= 3; t++) {
    let prod = a[t];
    for (let s = t + 1; s <= 3; s++) prod *= b[s];
    coef += prod;
  }
  near(coef, Math.sqrt(m.schedule.alphaBar[3]), 1e-3, "Σ a_t Π b_s");
  const std = Math.sqrt(35 / 12 + 1e-5);
  f.noiseFree!.forEach((v, i) => near(v, coef * uStar[i] * std + 2.5, 1e-4, `value ${i}`));
});

Deno.test("forecaster: the noise-free copy starts from sample 0's z_0 and adds no ε", async () => {
  const m = createNoPropForecaster(spec("direct"), 1);
  const n = 2, H = 4, S = 3;
  const x = Float32Array.from({ length: n * 6 }, (_, i) => Math.cos(i));
  const z0 = new Rng(3).fillNormal(new Float32Array(S * n * H));
  const eps = [1, 2, 3].map((t) => new Rng(30 + t).fillNormal(new Float32Array(S * n * H)));
  const both = await sampleForecasts(
    m,
    x,
    n,
    { samples: S, noiseFree: true },
    new FixedNoise([z0, ...eps]),
  );
  const alone = await sampleForecasts(
    m,
    x,
    n,
    { samples: 0, noiseFree: true },
    new FixedNoise([z0.slice(0, n * H)]),
  );
  both.noiseFree!.forEach((v, i) => near(v, alone.noiseFree![i], 1e-5, `value ${i}`));
  // and the stochastic copies differ from it (they add √c_t·ε_t).
  assert(both.samples.subarray(0, n * H).some((v, i) => Math.abs(v - alone.noiseFree![i]) > 1e-3));
});
