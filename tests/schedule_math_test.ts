/**
 * Identities that pin the DT sampler coefficients of eq. 3 (src/schedule.ts), and the cosine
 * schedule for every T.
 *
 * Index convention of src/schedule.ts (paper v1 §2.2.1): ᾱ_t increases with t (z_0 noise,
 * z_T clean), α_{t−1} = ᾱ_{t−1}/ᾱ_t, SNR(t) = ᾱ_t/(1 − ᾱ_t), and eq. 3 is
 * z_t = a_t û_t + b_t z_{t−1} + √c_t ε with
 *   a_t = √ᾱ_t (1 − α_{t−1})/(1 − ᾱ_{t−1}),  b_t = √α_{t−1} (1 − ᾱ_t)/(1 − ᾱ_{t−1}),
 *   c_t = (1 − ᾱ_t)(1 − α_{t−1})/(1 − ᾱ_{t−1}).
 *
 * Identity 1, a_t²/c_t = SNR(t) − SNR(t−1):
 *   a_t²/c_t = ᾱ_t (1 − α_{t−1})² /(1 − ᾱ_{t−1})² · (1 − ᾱ_{t−1}) / ((1 − ᾱ_t)(1 − α_{t−1}))
 *            = ᾱ_t (1 − α_{t−1}) / ((1 − ᾱ_{t−1})(1 − ᾱ_t))
 *            = (ᾱ_t − ᾱ_{t−1}) / ((1 − ᾱ_{t−1})(1 − ᾱ_t))            (ᾱ_t α_{t−1} = ᾱ_{t−1})
 *   SNR(t) − SNR(t−1) = [ᾱ_t (1 − ᾱ_{t−1}) − ᾱ_{t−1} (1 − ᾱ_t)] / ((1 − ᾱ_t)(1 − ᾱ_{t−1}))
 *            = (ᾱ_t − ᾱ_{t−1}) / ((1 − ᾱ_t)(1 − ᾱ_{t−1})).  ∎
 * Identity 2, b_t (1 − ᾱ_{t−1}) = √α_{t−1} (1 − ᾱ_t): b_t's definition times (1 − ᾱ_{t−1}).
 *
 * Both fail for DDIM's deterministic coefficients (c_t = 0, b_t = √((1 − ᾱ_t)/(1 − ᾱ_{t−1}))),
 * which still map the marginal q(z_{t−1}|y) onto q(z_t|y) (schedule_test.ts), so the marginal
 * test alone cannot tell them from eq. 3.
 *
 * Identity 3 (the meaning of eq. 3): (a_t, b_t, c_t) is the Gaussian posterior
 * q(z_t | z_{t−1}, u) of the forward process q(z_{t−1} | z_t) = N(√α_{t−1} z_t, (1 − α_{t−1}) I)
 * and the prior q(z_t | u) = N(√ᾱ_t u, (1 − ᾱ_t) I). Its precision is the sum of precisions and
 * its mean the precision-weighted sum:
 *   1/c_t = α_{t−1}/(1 − α_{t−1}) + 1/(1 − ᾱ_t),
 *   b_t/c_t = √α_{t−1}/(1 − α_{t−1}),   a_t/c_t = √ᾱ_t/(1 − ᾱ_t).
 */
import { assert } from "./assert.ts";
import {
  ALPHA_BAR_MAX,
  ALPHA_BAR_MIN,
  alphaBars,
  makeSchedule,
  scheduleFromAlphaBar,
  type ScheduleName,
} from "../src/schedule.ts";

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-300, Math.abs(b));
const close = (a: number, b: number, what: string, tol = 1e-9) =>
  assert(rel(a, b) <= tol, `${what}: ${a} ≠ ${b}`);

const CASES: [ScheduleName, number][] = [
  ["cosine", 1],
  ["cosine", 2],
  ["cosine", 10],
  ["cosine", 155],
  ["cosine", 156],
  ["cosine", 1000],
  ["linear", 1],
  ["linear", 10],
  ["linear", 1000],
];

Deno.test("eq. 3: a_t²/c_t = SNR(t) − SNR(t−1) for every t (the SNR weight of eq. 8)", () => {
  for (const [name, T] of CASES) {
    const s = makeSchedule(name, T);
    for (let t = 1; t <= T; t++) {
      const ab = s.alphaBar[t], abPrev = s.alphaBar[t - 1];
      const dSnr = ab / (1 - ab) - abPrev / (1 - abPrev);
      close(s.a[t] ** 2 / s.c[t], dSnr, `${name} T=${T} t=${t}`, 1e-7);
      close(s.snrWeight[t], dSnr, `${name} T=${T} snrWeight[${t}]`, 1e-7);
    }
  }
});

Deno.test("eq. 3: b_t (1 − ᾱ_{t−1}) = √α_{t−1} (1 − ᾱ_t), α_{t−1} = ᾱ_{t−1}/ᾱ_t", () => {
  for (const [name, T] of CASES) {
    const s = makeSchedule(name, T);
    for (let t = 1; t <= T; t++) {
      const ab = s.alphaBar[t], abPrev = s.alphaBar[t - 1], alphaPrev = abPrev / ab;
      close(s.b[t] * (1 - abPrev), Math.sqrt(alphaPrev) * (1 - ab), `${name} T=${T} t=${t}`);
    }
  }
});

Deno.test("eq. 3 is the Gaussian posterior q(z_t | z_{t−1}, u): precisions add, means precision-weighted", () => {
  for (const [name, T] of CASES) {
    const s = makeSchedule(name, T);
    for (let t = 1; t <= T; t++) {
      const ab = s.alphaBar[t], alphaPrev = s.alphaBar[t - 1] / ab;
      const what = `${name} T=${T} t=${t}`;
      close(1 / s.c[t], alphaPrev / (1 - alphaPrev) + 1 / (1 - ab), `${what} 1/c`, 1e-7);
      close(s.b[t] / s.c[t], Math.sqrt(alphaPrev) / (1 - alphaPrev), `${what} b/c`, 1e-7);
      close(s.a[t] / s.c[t], Math.sqrt(ab) / (1 - ab), `${what} a/c`, 1e-7);
    }
  }
});

Deno.test("the identities by hand on ᾱ = [0.2, 0.5, 0.8]: a_1²/c_1 = 1 − 0.25, b_1·0.8 = √0.4·0.5", () => {
  const s = scheduleFromAlphaBar("cosine", new Float64Array([0.2, 0.5, 0.8]));
  close(s.a[1] ** 2 / s.c[1], 0.75, "a_1²/c_1");
  close(s.a[2] ** 2 / s.c[2], 3, "a_2²/c_2 = 4 − 1");
  close(s.b[1] * 0.8, Math.sqrt(0.4) * 0.5, "b_1(1 − ᾱ_0)");
  close(s.b[2] * 0.5, Math.sqrt(0.625) * 0.2, "b_2(1 − ᾱ_1)");
});

/** The plain clipped cosine formula (the schedule before any T ≥ 156 handling). */
function clippedCosine(T: number, t: number): number {
  const s = 0.008, f0 = Math.cos((s / (1 + s)) * Math.PI / 2) ** 2;
  const v = Math.cos((((1 - t / T) + s) / (1 + s)) * Math.PI / 2) ** 2 / f0;
  return Math.min(ALPHA_BAR_MAX, Math.max(ALPHA_BAR_MIN, v));
}

Deno.test("cosine schedule for T ≤ 155 is bit-identical to the plain clipped formula", () => {
  for (let T = 1; T <= 155; T++) {
    const ab = alphaBars("cosine", T);
    for (let t = 0; t <= T; t++) {
      assert(Object.is(ab[t], clippedCosine(T, t)), `T=${T} t=${t}: ${ab[t]}`);
    }
  }
});

Deno.test("cosine schedule works for every T: ᾱ strictly increases from 1e-4 to 0.9999, all of a, b, c, SNR weights > 0", () => {
  // T = 156 is the first T where the clip alone gives ᾱ_1 = ᾱ_0 = 1e-4; from 444 on also
  // ᾱ_{T−1} = ᾱ_T = 0.9999.
  assert(clippedCosine(156, 1) === clippedCosine(156, 0), "premise: the clip flattens ᾱ_1");
  assert(clippedCosine(444, 443) === clippedCosine(444, 444), "premise: the clip flattens ᾱ_443");
  for (const T of [156, 157, 200, 443, 444, 445, 1000, 10000, 100000]) {
    const s = makeSchedule("cosine", T);
    assert(s.alphaBar[0] === ALPHA_BAR_MIN && s.alphaBar[T] === ALPHA_BAR_MAX, `T=${T} ends`);
    for (let t = 1; t <= T; t++) {
      assert(s.alphaBar[t] > s.alphaBar[t - 1], `T=${T}: ᾱ_${t} ≤ ᾱ_${t - 1}`);
      const ok = [s.a[t], s.b[t], s.c[t], s.snrWeight[t]].every((v) => v > 0 && isFinite(v));
      assert(ok, `T=${T} t=${t}: a, b, c, snrWeight = ${[s.a[t], s.b[t], s.c[t], s.snrWeight[t]]}`);
    }
    // Interior values clear of the clip bounds are still the cosine formula.
    const mid = Math.round(T / 2);
    assert(Object.is(s.alphaBar[mid], clippedCosine(T, mid)), `T=${T}: ᾱ_${mid} changed`);
  }
});
