/**
 * The NoProp-DT block loss (eq. 8, Algorithm 1) evaluated by hand in float64 for a tiny model
 * with fixed noise and a stub block, against the step's own loss function `dtBlockLoss`; and
 * `trainBlockStep` tied to that function (its loss value and its update).
 *
 * The stub block is logits = z_{t−1}·M (a fixed matrix), so û_t = softmax(z_{t−1} M)·W_Embed
 * depends on z_{t−1}, and with it on the ᾱ index z_{t−1} is drawn at. The classifier on z_T
 * and the KL at ᾱ_0 are the model's own; each ᾱ index the loss uses is therefore observable:
 * ᾱ_{t−1} (block input), ᾱ_T (classifier input), ᾱ_0 (KL), and SNR(t) − SNR(t−1) (weight).
 */
import { assert } from "../../assert.ts";
import { tf } from "../../../src/deps_tf.ts";
import { initBackend } from "../../../src/backend/mod.ts";
import { createNoPropDT, type NoPropDT } from "../../../src/model/noprop.ts";
import { blockForward } from "../../../src/model/block.ts";
import type { ForwardContext } from "../../../src/model/layers.ts";
import { AdamW } from "../../../src/train/adamw.ts";
import { dtBlockLoss, sharedVariables, trainBlockStep } from "../../../src/train/dt/step.ts";

await initBackend("cpu");

const N = 3, K = 3, T = 4;
const Y = [0, 2, 1];
const EPS_PREV = [[0.3, -1.1], [1.4, 0.2], [-0.6, 0.9]];
const EPS_T = [[-0.8, 0.5], [0.1, -1.7], [1.2, 0.4]];
const M = [[1.5, -0.5, 0.3], [-1, 2, 0.7]]; // stub block: logits = z·M, M [d = 2, K]

function model(): NoPropDT {
  return createNoPropDT({
    image: { height: 4, width: 4, channels: 1 },
    classes: K,
    T,
    schedule: "cosine",
    embedding: "learned",
    embedDim: 2,
    widths: [1, 1, 1],
    hidden: 2,
    seed: 3,
  });
}

const rows = async (t: tf.Tensor, cols: number) => {
  const d = Array.from(await t.data());
  return Array.from({ length: d.length / cols }, (_, i) => d.slice(i * cols, (i + 1) * cols));
};
const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
const softmax = (l: number[]) => {
  const m = Math.max(...l), e = l.map((v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b);
  return e.map((v) => v / s);
};
const matVec = (z: number[], A: number[][]) => A[0].map((_, k) => dot(z, A.map((r) => r[k])));

/** Which ᾱ index each piece of the hand loss uses (the true eq. 8 is the default). */
interface Variant {
  prev?: (t: number) => number;
  zT?: number;
  kl?: number;
  weight?: (t: number) => number;
  eta?: number;
}

/** Eq. 8 in float64 from the model's numbers; `v` swaps an index to check sensitivity. */
async function handLoss(m: NoPropDT, t: number, eta: number, v: Variant = {}): Promise<number> {
  const ab = m.schedule.alphaBar, d = m.embedding.dim;
  const W = await rows(m.embedding.W, d);
  const clsW = await rows(m.classifier.get("cls.w"), K),
    clsB = Array.from(
      await m.classifier.get("cls.b").data(),
    );
  const snr = (i: number) => ab[i] / (1 - ab[i]);
  const prev = v.prev ? v.prev(t) : t - 1, zTi = v.zT ?? T, kli = v.kl ?? 0;
  const weight = v.weight ? v.weight(t) : snr(t) - snr(t - 1);
  let ce = 0, kl = 0, den = 0;
  for (let i = 0; i < N; i++) {
    const u = W[Y[i]];
    const zPrev = u.map((uj, j) =>
      Math.sqrt(ab[prev]) * uj + Math.sqrt(1 - ab[prev]) * EPS_PREV[i][j]
    );
    const zT = u.map((uj, j) => Math.sqrt(ab[zTi]) * uj + Math.sqrt(1 - ab[zTi]) * EPS_T[i][j]);
    const p = softmax(matVec(zPrev, M));
    const uHat = u.map((_, j) => p.reduce((s, pk, k) => s + pk * W[k][j], 0));
    den += uHat.reduce((s, h, j) => s + (h - u[j]) ** 2, 0) / N;
    const logits = matVec(zT, clsW).map((l, k) => l + clsB[k]);
    ce += -Math.log(softmax(logits)[Y[i]]) / N;
    const a0 = ab[kli];
    kl += 0.5 * (a0 * dot(u, u) - d * a0 - d * Math.log(1 - a0)) / N;
  }
  return ce + kl + (T / 2) * (v.eta ?? eta) * weight * den;
}

function batch() {
  return {
    x: tf.zeros([N, 4, 4, 1]) as tf.Tensor4D,
    y: tf.tensor1d(Y, "int32"),
    ePrev: tf.tensor2d(EPS_PREV),
    eT: tf.tensor2d(EPS_T),
  };
}
const stub = (_x: tf.Tensor4D, z: tf.Tensor2D) => tf.matMul(z, tf.tensor2d(M)) as tf.Tensor2D;

Deno.test("dtBlockLoss equals eq. 8 by hand (float64) for every block t, and each ᾱ index is observable", async () => {
  const m = model(), eta = 0.5, b = batch();
  // Wrong indices the test must be able to tell from the right ones (by ≫ its tolerance).
  const wrong: [string, Variant][] = [
    ["z_{t−1} at ᾱ_t", { prev: (s) => s }],
    ["z_T at ᾱ_1", { zT: 1 }],
    ["KL at ᾱ_1", { kl: 1 }],
    ["η = 1", { eta: 1 }],
    ["weight of block T+1−t", { weight: (s) => m.schedule.snrWeight[T + 1 - s] }],
  ];
  const gap = new Map<string, number>(); // largest |wrong − right| / tolerance over t
  for (let t = 1; t <= T; t++) {
    const want = await handLoss(m, t, eta);
    const got = (await dtBlockLoss(m, t, b.x, b.y, b.ePrev, b.eT, eta, stub).data())[0];
    const tol = 1e-5 * Math.max(1, Math.abs(want));
    assert(Math.abs(got - want) <= tol, `t=${t}: dtBlockLoss ${got} vs hand ${want}`);
    for (const [what, v] of wrong) {
      const r = Math.abs((await handLoss(m, t, eta, v)) - want) / tol;
      gap.set(what, Math.max(gap.get(what) ?? 0, r));
    }
  }
  for (const [what, r] of gap) assert(r > 100, `"${what}" is not observable (${r} × tolerance)`);
});

Deno.test("trainBlockStep returns dtBlockLoss of the real block (same dropout masks), with its η", async () => {
  const m = model(), b = batch();
  const o = { lr: 1e-2, weightDecay: 0 };
  const s = {
    model: m,
    blockOpt: m.blocks.map((p) => new AdamW(p.variables(), o)),
    sharedOpt: new AdamW(sharedVariables(m), o),
    eta: 0.1,
    dropout: 0.2,
    bnMomentum: 0.1,
  };
  const x = tf.randomNormal([N, 4, 4, 1], 0, 1, "float32", 5) as tf.Tensor4D;
  for (const t of [1, T]) {
    const ctx: ForwardContext = {
      training: true,
      dropout: 0.2,
      bnMomentum: 0.1,
      seed: 40 + t,
      updates: [],
    };
    const forward = (xb: tf.Tensor4D, z: tf.Tensor2D) =>
      blockForward(m.blocks[t - 1], m.spec, xb, z, ctx);
    const want = (await dtBlockLoss(m, t, x, b.y, b.ePrev, b.eT, s.eta, forward).data())[0];
    tf.dispose(ctx.updates.map((u) => u.value));
    const other = (await dtBlockLoss(m, t, x, b.y, b.ePrev, b.eT, 1, forward).data())[0];
    assert(Math.abs(other - want) > 1e-3 * Math.abs(want), `t=${t}: η not observable`);
    const got = (await trainBlockStep(s, t, x, b.y, b.ePrev, b.eT, 40 + t).data())[0];
    assert(Math.abs(got - want) <= 1e-6 * Math.max(1, Math.abs(want)), `t=${t}: ${got} vs ${want}`);
  }
});

Deno.test("trainBlockStep's classifier update is AdamW's first step on the hand gradient of CE(classifier(z_T at ᾱ_T))", async () => {
  // With weight decay 0, AdamW's first step is −lr·g/(|g| + ε) per element; only the CE term
  // of eq. 8 depends on cls.b, and ∂CE/∂b_k = mean_i (softmax(logits_i)_k − [y_i = k]).
  const m = model(), b = batch(), lr = 1e-2, t = 2;
  const o = { lr, weightDecay: 0 };
  const s = {
    model: m,
    blockOpt: m.blocks.map((p) => new AdamW(p.variables(), o)),
    sharedOpt: new AdamW(sharedVariables(m), o),
    eta: 0.1,
    dropout: 0,
    bnMomentum: 0.1,
  };
  const ab = m.schedule.alphaBar, d = m.embedding.dim;
  const W = await rows(m.embedding.W, d);
  const clsW = await rows(m.classifier.get("cls.w"), K);
  const before = Array.from(await m.classifier.get("cls.b").data());
  const g = new Array(K).fill(0);
  for (let i = 0; i < N; i++) {
    const zT = W[Y[i]].map((uj, j) => Math.sqrt(ab[T]) * uj + Math.sqrt(1 - ab[T]) * EPS_T[i][j]);
    const p = softmax(matVec(zT, clsW).map((l, k) => l + before[k]));
    p.forEach((pk, k) => g[k] += (pk - (Y[i] === k ? 1 : 0)) / N);
  }
  const x = tf.randomNormal([N, 4, 4, 1], 0, 1, "float32", 6) as tf.Tensor4D;
  trainBlockStep(s, t, x, b.y, b.ePrev, b.eT, 1).dispose();
  const after = Array.from(await m.classifier.get("cls.b").data());
  for (let k = 0; k < K; k++) {
    const want = before[k] - lr * g[k] / (Math.abs(g[k]) + 1e-8);
    assert(Math.abs(after[k] - want) < 1e-6, `cls.b[${k}]: ${after[k]} vs ${want} (g = ${g[k]})`);
  }
});
