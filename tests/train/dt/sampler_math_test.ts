/**
 * Both DT samplers (eq. 3: z_0 ~ N(0, I), z_t = a_t û_t + b_t z_{t−1} + √c_t ε_t, t = 1..T)
 * against the chain computed by hand in float64 with fixed noise and stub denoisers:
 * the runtime's `dtSampler` (src/infer/sampler/dt.ts; û_t from a stub callback that depends on
 * t and z) and the tfjs `sampleDT` of training-time evaluation (src/train/dt/evaluate.ts; every
 * block made to output fixed logits L_t by zeroing its last layer, so û_t = softmax(L_t)·W).
 * The coefficients a_t, b_t, c_t themselves are pinned in schedule_math_test.ts.
 */
import { assert } from "../../assert.ts";
import { tf } from "../../../src/deps_tf.ts";
import { initBackend } from "../../../src/backend/mod.ts";
import { dtSampler } from "../../../src/infer/sampler/dt.ts";
import { FixedNoise } from "../../../src/infer/sampler/random.ts";
import type { Manifest } from "../../../src/infer/manifest.ts";
import { createNoPropDT } from "../../../src/model/noprop.ts";
import { makeSchedule } from "../../../src/schedule.ts";
import { sampleDT } from "../../../src/train/dt/evaluate.ts";

await initBackend("cpu");

const T = 4, N = 2, D = 3;
const Z0 = [0.5, -1.2, 0.3, 2.0, 0.1, -0.4];
const EPS = [
  [1.1, -0.3, 0.8, -1.5, 0.2, 0.6],
  [-0.7, 0.9, -0.2, 0.4, -1.3, 1.0],
  [0.05, 1.6, -0.9, 0.3, 0.7, -0.1],
  [-1.2, -0.6, 0.4, 1.1, -0.8, 0.9],
];
const f32 = (a: number[]) => Float32Array.from(a);
const close = (got: ArrayLike<number>, want: number[], what: string, tol = 1e-5) => {
  for (let i = 0; i < want.length; i++) {
    assert(
      Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i])),
      `${what}[${i}]: ${got[i]} vs ${want[i]}`,
    );
  }
};

/** Coefficients of eq. 3 at index t = 1..T. */
type Coefficients = { a: ArrayLike<number>; b: ArrayLike<number>; c: ArrayLike<number> };

/** Eq. 3 by hand: `uHat(t, z)` per step, ε_t = EPS[t−1] when `stochastic`. */
function handChain(
  uHat: (t: number, z: number[]) => number[],
  stochastic: boolean,
  s: Coefficients = makeSchedule("cosine", T),
): number[] {
  let z = Z0.slice();
  for (let t = 1; t <= T; t++) {
    const u = uHat(t, z);
    z = z.map((zi, i) =>
      s.a[t] * u[i] + s.b[t] * zi + (stochastic ? Math.sqrt(s.c[t]) * EPS[t - 1][i] : 0)
    );
  }
  return z;
}

Deno.test("runtime dtSampler = eq. 3 by hand (stochastic and noise-free) with a stub û_t(z)", async () => {
  const s = makeSchedule("cosine", T);
  const manifest = {
    T,
    embedDim: D,
    schedule: {
      name: "cosine",
      a: Array.from(s.a.slice(1)),
      b: Array.from(s.b.slice(1)),
      c: Array.from(s.c.slice(1)),
    },
  } as unknown as Manifest;
  const uHat = (t: number, z: ArrayLike<number>) =>
    Array.from(z, (zi, i) => 0.5 * zi + 0.1 * t - 0.05 * i);
  for (const stochastic of [true, false]) {
    const z = await dtSampler.run({
      manifest,
      batch: N,
      steps: T,
      stochastic,
      noise: new FixedNoise([f32(Z0), ...EPS.map(f32)]),
      denoise: (t, zt) => Promise.resolve(f32(uHat(t, zt))),
    });
    close(z, handChain(uHat, stochastic), `stochastic=${stochastic}`);
  }
});

async function tfjsChainByHand(coefficients?: Coefficients) {
  const m = createNoPropDT({
    image: { height: 4, width: 4, channels: 1 },
    classes: 3,
    T,
    schedule: "cosine",
    embedding: "learned",
    embedDim: D,
    widths: [1, 1, 1],
    hidden: 2,
    seed: 2,
  });
  if (coefficients) Object.assign(m.schedule, coefficients);
  const L = [[1, -1, 0.5], [0.2, 0.9, -0.4], [-1.5, 0.3, 1.1], [0.6, 0.6, -2]];
  m.blocks.forEach((b, i) => {
    b.get("head.fc3.w").assign(tf.zerosLike(b.get("head.fc3.w")));
    b.get("head.fc3.b").assign(tf.tensor1d(L[i]));
  });
  const W = Array.from(await m.embedding.W.data());
  const clsW = Array.from(await m.classifier.get("cls.w").data());
  const clsB = Array.from(await m.classifier.get("cls.b").data());
  const softmax = (l: number[]) => {
    const e = l.map(Math.exp), s = e.reduce((a, b) => a + b);
    return e.map((v) => v / s);
  };
  const uHat = (t: number) => { // û_t = softmax(L_t)·W for every example, [N·D]
    const p = softmax(L[t - 1]);
    const row = Array.from(
      { length: D },
      (_, j) => p.reduce((s, pk, k) => s + pk * W[k * D + j], 0),
    );
    return Array.from({ length: N * D }, (_, i) => row[i % D]);
  };
  const logits = (z: number[]) =>
    Array.from({ length: N * 3 }, (_, q) => {
      const i = Math.floor(q / 3), k = q % 3;
      let v = clsB[k];
      for (let j = 0; j < D; j++) v += z[i * D + j] * clsW[j * 3 + k];
      return v;
    });
  const x = tf.randomNormal([N, 4, 4, 1], 0, 1, "float32", 1) as tf.Tensor4D;
  const queue = [Z0, ...EPS]; // the noise in the order the sampler draws it: z_0, ε_1 … ε_T
  const noise = { fill: (o: Float32Array) => (o.set(queue.shift()!), o) }; // z_0 and ε are [N·D]
  const out = await sampleDT(m, x, noise);
  close(out.noisy, logits(handChain(uHat, true, coefficients)), "noisy logits");
  close(out.clean, logits(handChain(uHat, false, coefficients)), "clean logits");
}

Deno.test("tfjs sampleDT = eq. 3 by hand for both trajectories, blocks with fixed outputs", async () => {
  await tfjsChainByHand();
});

Deno.test("tfjs sampleDT: both trajectories start from the same z_0 (coefficients that keep z: b_t = 0.9)", async () => {
  // With the cosine schedule Π b_t is ~1e-4, so z_0 hardly reaches the logits; here it must.
  const k = (v: number) => Float64Array.from({ length: T + 1 }, (_, t) => t === 0 ? 0 : v);
  await tfjsChainByHand({ a: k(0.2), b: k(0.9), c: k(0.04) });
});
