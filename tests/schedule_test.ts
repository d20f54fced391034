import { assert, assertThrows } from "./assert.ts";
import { alphaBars, makeSchedule, scheduleFromAlphaBar } from "../src/schedule.ts";

const close = (a: number, b: number, tol = 1e-9) =>
  assert(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} ≠ ${b}`);

Deno.test("cosine ᾱ_t increases with t, has T+1 values, and is clipped to [1e-4, 0.9999]", () => {
  const ab = alphaBars("cosine", 10);
  assert(ab.length === 11);
  for (let t = 1; t <= 10; t++) assert(ab[t] > ab[t - 1]);
  close(ab[0], 1e-4);
  close(ab[10], 0.9999);
});

Deno.test("cosine ᾱ_t equals the improved-DDPM cosine with reversed time, computed by hand", () => {
  const ab = alphaBars("cosine", 10);
  const s = 0.008, f0 = Math.cos((s / 1.008) * Math.PI / 2) ** 2;
  close(ab[5], Math.cos((0.5 + s) / 1.008 * Math.PI / 2) ** 2 / f0);
  close(ab[2], Math.cos((0.8 + s) / 1.008 * Math.PI / 2) ** 2 / f0);
  // the values quoted in the module doc and README, to 4 decimals
  const quoted = [
    1e-4,
    0.0241,
    0.0940,
    0.2031,
    0.3408,
    0.4938,
    0.6475,
    0.7869,
    0.8987,
    0.9721,
    0.9999,
  ];
  quoted.forEach((q, t) => close(Number(ab[t].toFixed(4)), q, 1e-12));
});

Deno.test("linear ᾱ_t is linear between the end points", () => {
  const ab = alphaBars("linear", 4);
  close(ab[2], (1e-4 + 0.9999) / 2);
});

Deno.test("α_{t−1} = ᾱ_{t−1}/ᾱ_t lies in (0, 1) and ᾱ_t = ∏_{s=t..T} α_s", () => {
  const s = makeSchedule("cosine", 10);
  for (let t = 0; t <= 10; t++) {
    assert(s.alpha[t] > 0 && s.alpha[t] < 1);
    let prod = 1;
    for (let u = t; u <= 10; u++) prod *= s.alpha[u];
    close(prod, s.alphaBar[t], 1e-12);
  }
});

Deno.test("a_t, b_t, c_t and the SNR weights match a hand computation on a 2-step schedule", () => {
  const s = scheduleFromAlphaBar("cosine", new Float64Array([0.2, 0.5, 0.8]));
  // α_0 = 0.2/0.5 = 0.4; a_1 = √0.5·0.6/0.8; b_1 = √0.4·0.5/0.8; c_1 = 0.5·0.6/0.8
  close(s.alpha[0], 0.4);
  close(s.a[1], Math.sqrt(0.5) * 0.6 / 0.8);
  close(s.b[1], Math.sqrt(0.4) * 0.5 / 0.8);
  close(s.c[1], 0.375);
  close(s.snrWeight[1], 1 - 0.25); // SNR(1) = 1, SNR(0) = 0.25
  close(s.snrWeight[2], 4 - 1);
});

Deno.test("a_t, b_t, c_t and SNR(t) − SNR(t−1) are all positive for both schedules", () => {
  for (const name of ["cosine", "linear"] as const) {
    for (const T of [1, 2, 10, 50]) {
      const s = makeSchedule(name, T);
      for (let t = 1; t <= T; t++) {
        assert(
          s.a[t] > 0 && s.b[t] > 0 && s.c[t] > 0 && s.snrWeight[t] > 0,
          `${name} T=${T} t=${t}`,
        );
      }
    }
  }
});

Deno.test("the a/b/c transition maps the marginal q(z_{t−1}|y) onto q(z_t|y)", () => {
  // z_{t−1} ~ N(√ᾱ_{t−1} u, (1−ᾱ_{t−1})) and z_t = a_t u + b_t z_{t−1} + √c_t ε
  // ⇒ mean a_t + b_t √ᾱ_{t−1} = √ᾱ_t, variance b_t² (1−ᾱ_{t−1}) + c_t = 1 − ᾱ_t.
  for (const name of ["cosine", "linear"] as const) {
    const s = makeSchedule(name, 10);
    for (let t = 1; t <= 10; t++) {
      close(s.a[t] + s.b[t] * Math.sqrt(s.alphaBar[t - 1]), Math.sqrt(s.alphaBar[t]), 1e-12);
      close(s.b[t] ** 2 * (1 - s.alphaBar[t - 1]) + s.c[t], 1 - s.alphaBar[t], 1e-12);
    }
  }
});

Deno.test("bad schedules are rejected with a clear message", () => {
  assertThrows(() => alphaBars("cosine", 0), /T must be an integer ≥ 1/);
  assertThrows(() => scheduleFromAlphaBar("cosine", new Float64Array([0.5, 0.4])), /must increase/);
  assertThrows(
    () => scheduleFromAlphaBar("cosine", new Float64Array([0, 0.4])),
    /outside \(0, 1\)/,
  );
  // deno-lint-ignore no-explicit-any
  assertThrows(() => alphaBars("sigmoid" as any, 3), /unknown schedule/);
});
