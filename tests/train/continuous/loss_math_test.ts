/**
 * The NoProp-CT loss (eq. 9) and the NoProp-FM loss (eq. 10–13) evaluated by hand in float64
 * for a tiny model with fixed noise and a stub network, against the step's own loss functions
 * (`ctLoss`, `fmLossOf`); and `continuousStep` tied to them (its loss value, with its η / σ).
 *
 * CT by hand: γ(t) from the schedule's raw parameters (eq. 65–67, γ_1 = γ_0 + softplus(δ)),
 * SNR(t) = exp(−γ(t)) and SNR′(t) by a central finite difference (h = 1e-5; the code uses the
 * analytic derivative), z_t = √ᾱ(t) u + √(1 − ᾱ(t)) ε_1, z_1 at ᾱ(1) = sigmoid(−γ_0) with ε_2,
 * KL at ᾱ(0) = sigmoid(−γ_1):
 *   L = CE(classifier(z_1), y) + KL(q(z_0|y) ‖ N(0, I)) + (η/2)·mean_i SNR′(t_i)·‖û_i − u_i‖².
 * The stub network is logits = z_t·M + t·k, so û depends on z_t and t.
 */
import { assert } from "../../assert.ts";
import { tf } from "../../../src/deps_tf.ts";
import { initBackend } from "../../../src/backend/mod.ts";
import {
  type ContinuousModel,
  continuousVariables,
  createContinuousModel,
} from "../../../src/model/continuous_model.ts";
import { continuousForward } from "../../../src/model/continuous.ts";
import type { ForwardContext } from "../../../src/model/layers.ts";
import { AdamW } from "../../../src/train/adamw.ts";
import {
  continuousStep,
  ctLoss,
  fmLossOf,
  type StepNoise,
} from "../../../src/train/continuous/step.ts";

await initBackend("cpu");

const N = 3, K = 3, D = 2;
const Y = [1, 0, 2];
const TS = [0.15, 0.5, 0.85];
const E1 = [[0.3, -1.1], [1.4, 0.2], [-0.6, 0.9]];
const E2 = [[-0.8, 0.5], [0.1, -1.7], [1.2, 0.4]];
const M = [[1.5, -0.5, 0.3], [-1, 2, 0.7]]; // stub: logits = z·M + t·k
const KV = [0.4, -0.9, 0.2];

function model(variant: "ct" | "fm"): ContinuousModel {
  return createContinuousModel({
    variant,
    image: { height: 4, width: 4, channels: 1 },
    classes: K,
    embedding: "learned",
    embedDim: D,
    widths: [1, 1, 1],
    hidden: 2,
    seed: 5,
    gamma0: -2,
    gamma1: 1.5,
    gammaHidden: 3,
  });
}

const vec = async (t: tf.Tensor) => Array.from(await t.data());
const rows = async (t: tf.Tensor, cols: number) => {
  const d = await vec(t);
  return Array.from({ length: d.length / cols }, (_, i) => d.slice(i * cols, (i + 1) * cols));
};
const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
const softmax = (l: number[]) => {
  const m = Math.max(...l), e = l.map((v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b);
  return e.map((v) => v / s);
};
const matVec = (z: number[], A: number[][]) => A[0].map((_, k) => dot(z, A.map((r) => r[k])));
const sp = (x: number) => Math.log1p(Math.exp(x));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const stubLogits = (z: number[], t: number) => matVec(z, M).map((l, k) => l + t * KV[k]);
const stub = (_x: tf.Tensor4D, z: tf.Tensor2D, t: tf.Tensor1D) =>
  tf.add(tf.matMul(z, tf.tensor2d(M)), tf.mul(tf.expandDims(t, 1), tf.tensor1d(KV))) as tf.Tensor2D;

/** Which pieces of the hand CT loss to get wrong (to check the test can see them). */
interface Variant {
  weight?: (snrPrime: number) => number;
  swapEnds?: boolean;
  klAtClean?: boolean;
  eta?: number;
}

/** Eq. 9 in float64 from the model's raw numbers. */
async function handCt(m: ContinuousModel, eta: number, v: Variant = {}): Promise<number> {
  const p = m.schedule!;
  const a = (await vec(p.get("sched.a"))).map(sp), b = await vec(p.get("sched.b"));
  const c = (await vec(p.get("sched.c"))).map(sp);
  const g0 = (await vec(p.get("sched.gamma0")))[0];
  const g1 = g0 + sp((await vec(p.get("sched.delta")))[0]); // γ_1 = γ_0 + softplus(δ)
  const tilde = (t: number) => a.reduce((s, aj, j) => s + c[j] * sigmoid(aj * t + b[j]), 0);
  const gamma = (t: number) => g0 + (g1 - g0) * (1 - (tilde(t) - tilde(0)) / (tilde(1) - tilde(0))); // eq. 67
  const snr = (t: number) => Math.exp(-gamma(t)); // eq. 65
  const h = 1e-5;
  const W = await rows(m.embedding.W, D);
  const clsW = await rows(m.classifier.get("cls.w"), K),
    clsB = await vec(m.classifier.get("cls.b"));
  const [gz, gc] = v.swapEnds ? [gamma(1), gamma(0)] : [gamma(0), gamma(1)]; // γ(0), γ(1)
  const abNoise = sigmoid(-(v.klAtClean ? gc : gz)), abClean = sigmoid(-gc);
  let ce = 0, kl = 0, den = 0;
  for (let i = 0; i < N; i++) {
    const u = W[Y[i]], t = TS[i];
    const ab = sigmoid(-gamma(t));
    const zt = u.map((uj, j) => Math.sqrt(ab) * uj + Math.sqrt(1 - ab) * E1[i][j]);
    const pr = softmax(stubLogits(zt, t));
    const uHat = u.map((_, j) => pr.reduce((s, pk, k) => s + pk * W[k][j], 0));
    const snrPrime = (snr(t + h) - snr(t - h)) / (2 * h);
    const w = v.weight ? v.weight(snrPrime) : snrPrime;
    den += w * uHat.reduce((s, x, j) => s + (x - u[j]) ** 2, 0) / N;
    const z1 = u.map((uj, j) => Math.sqrt(abClean) * uj + Math.sqrt(1 - abClean) * E2[i][j]);
    ce += -Math.log(softmax(matVec(z1, clsW).map((l, k) => l + clsB[k]))[Y[i]]) / N;
    kl += 0.5 * (abNoise * dot(u, u) - D * abNoise - D * Math.log(1 - abNoise)) / N;
  }
  return ce + kl + ((v.eta ?? eta) / 2) * den;
}

/** Eq. 10–13 in float64: ‖v̂ − (u − z_0)‖² + −log p̂(y | z_t + (1 − t)·v̂) (learned W). */
async function handFm(m: ContinuousModel, sigma: number): Promise<number> {
  const W = await rows(m.embedding.W, D);
  let loss = 0;
  for (let i = 0; i < N; i++) {
    const u = W[Y[i]], t = TS[i];
    const zt = u.map((uj, j) => t * uj + (1 - t) * E1[i][j] + sigma * E2[i][j]); // eq. 10
    const l = stubLogits(zt, t);
    const vHat = u.map((_, j) => l.reduce((s, lk, k) => s + lk * W[k][j], 0)); // logits·W
    loss += vHat.reduce((s, x, j) => s + (x - (u[j] - E1[i][j])) ** 2, 0) / N; // eq. 11–12
    const z1 = zt.map((zj, j) => zj + (1 - t) * vHat[j]); // eq. 13
    const negDist = W.map((w) => -w.reduce((s, wj, j) => s + (z1[j] - wj) ** 2, 0));
    loss += -Math.log(softmax(negDist)[Y[i]]) / N;
  }
  return loss;
}

function noise(): StepNoise {
  return { t: tf.tensor1d(TS), e1: tf.tensor2d(E1), e2: tf.tensor2d(E2) };
}
const evalCtx = (): ForwardContext => ({ training: true, dropout: 0, bnMomentum: 0, updates: [] });
const x0 = () => tf.zeros([N, 4, 4, 1]) as tf.Tensor4D;
const y = () => tf.tensor1d(Y, "int32");

Deno.test("ctLoss equals eq. 9 by hand (float64, finite-difference SNR′), and each term's ᾱ end and weight is observable", async () => {
  const m = model("ct"), eta = 0.7;
  const want = await handCt(m, eta);
  const got = (await ctLoss(m, x0(), y(), noise(), evalCtx(), eta, stub).data())[0];
  const tol = 1e-4 * Math.max(1, Math.abs(want));
  assert(Math.abs(got - want) <= tol, `ctLoss ${got} vs hand ${want}`);
  const wrong: [string, Variant][] = [
    ["SNR′ replaced by 1", { weight: () => 1 }],
    ["SNR′ with its sign flipped", { weight: (s) => -s }],
    ["γ(0) and γ(1) swapped for CE and KL", { swapEnds: true }],
    ["KL at ᾱ(1)", { klAtClean: true }],
    ["η = 1", { eta: 1 }],
  ];
  for (const [what, v] of wrong) {
    const alt = await handCt(m, eta, v);
    assert(Math.abs(alt - want) > 100 * tol, `"${what}" is not observable (${alt} vs ${want})`);
  }
});

Deno.test("fmLossOf equals eq. 10–13 by hand (float64), with σ-noise and the anchor term", async () => {
  const m = model("fm");
  for (const sigma of [0, 0.3]) {
    const want = await handFm(m, sigma);
    const got = (await fmLossOf(m, x0(), y(), noise(), evalCtx(), sigma, stub).data())[0];
    assert(Math.abs(got - want) <= 1e-4 * Math.max(1, want), `σ=${sigma}: ${got} vs ${want}`);
  }
});

Deno.test("continuousStep returns ctLoss / fmLossOf of the real network (same dropout masks), with its η and σ", async () => {
  for (const variant of ["ct", "fm"] as const) {
    const m = model(variant);
    const s = {
      model: m,
      opt: new AdamW(continuousVariables(m), { lr: 1e-3, weightDecay: 0 }),
      eta: 0.7,
      fmSigma: 0.3,
      dropout: 0.2,
    };
    const x = tf.randomNormal([N, 4, 4, 1], 0, 1, "float32", 9) as tf.Tensor4D;
    const loss = (knob: number) => {
      const ctx: ForwardContext = {
        training: true,
        dropout: 0.2,
        bnMomentum: 0,
        seed: 77,
        updates: [],
      };
      const net = (xb: tf.Tensor4D, z: tf.Tensor2D, t: tf.Tensor1D) =>
        continuousForward(m.net, m.spec, xb, z, t, ctx);
      return variant === "ct"
        ? ctLoss(m, x, y(), noise(), ctx, knob, net)
        : fmLossOf(m, x, y(), noise(), ctx, knob, net);
    };
    const knob = variant === "ct" ? s.eta : s.fmSigma;
    const want = (await loss(knob).data())[0];
    const other = (await loss(variant === "ct" ? 1 : 0).data())[0];
    assert(Math.abs(other - want) > 1e-4 * Math.abs(want), `${variant}: η/σ not observable`);
    const got = (await continuousStep(s, x, y(), noise(), 77).data())[0];
    assert(
      Math.abs(got - want) <= 1e-6 * Math.max(1, Math.abs(want)),
      `${variant}: ${got} vs ${want}`,
    );
  }
});
