import { assert, assertThrows } from "../../assert.ts";
import {
  alphaSigma,
  checkContinuousSampler,
  ctHeunStep,
  ddimStep,
  eulerStep,
  fmHeunStep,
  integrate,
} from "../../../src/infer/sampler/continuous.ts";

const close = (a: number, b: number, tol = 1e-5) => assert(Math.abs(a - b) <= tol, `${a} ≠ ${b}`);

Deno.test("with û = u constant, a DDIM step maps a point of the marginal at t exactly onto the marginal at s", () => {
  const u = new Float32Array([1, -0.5, 0.25]), eps = [0.3, -1.2, 2];
  for (const [gt, gs] of [[9, 2], [2, -3], [0.5, -9.21], [-1, -1]]) {
    const t = alphaSigma(gt), s = alphaSigma(gs);
    const z = Float32Array.from(u, (v, i) => t.alpha * v + t.sigma * eps[i]);
    const out = ddimStep(z, u, gt, gs);
    out.forEach((v, i) => close(v, s.alpha * u[i] + s.sigma * eps[i]));
  }
});

Deno.test("with û constant, CT Euler and Heun from any z_0 land on the marginal mean's trajectory: z_1 = √ᾱ(1)u + σ_1/σ_0·(z_0 − √ᾱ(0)u)", async () => {
  const u = new Float32Array([1, 0]), z0 = new Float32Array([0.7, -0.4]);
  const gammaAt = (t: number) => 6 - 12 * t * t; // any decreasing γ
  for (const sampler of ["euler", "heun"] as const) {
    for (const steps of [1, 3, 10]) {
      const z1 = await integrate({
        variant: "ct",
        sampler,
        steps,
        z0,
        gammaAt,
        predict: () => Promise.resolve(u),
      });
      const a0 = alphaSigma(6), a1 = alphaSigma(-6);
      z1.forEach((v, i) =>
        close(v, a1.alpha * u[i] + a1.sigma / a0.sigma * (z0[i] - a0.alpha * u[i]), 1e-5)
      );
    }
  }
});

Deno.test("CT Heun with û_t = û_s is exactly the DDIM step", () => {
  const z = new Float32Array([0.1, 0.2]), u = new Float32Array([1, 0]);
  const a = ddimStep(z, u, 3, -1), b = ctHeunStep(z, u, u, 3, -1);
  a.forEach((v, i) => close(v, b[i], 0));
});

Deno.test("FM Euler and Heun with constant velocity reach z_0 + v exactly at t = 1", async () => {
  const v = new Float32Array([1, -2]), z0 = new Float32Array([0.5, 0.5]);
  for (const sampler of ["euler", "heun"] as const) {
    const z1 = await integrate({
      variant: "fm",
      sampler,
      steps: 7,
      z0,
      predict: () => Promise.resolve(v),
    });
    z1.forEach((x, i) => close(x, z0[i] + v[i]));
  }
  close(eulerStep(new Float32Array([1]), new Float32Array([3]), 0.25)[0], 1.75);
  close(fmHeunStep(new Float32Array([1]), new Float32Array([1]), new Float32Array([3]), 0.5)[0], 2);
});

Deno.test("on dz/dt = c − z, Heun is second order and far more accurate than Euler at 10 steps", async () => {
  const c = 2, z0 = new Float32Array([0]);
  const exact = c + (0 - c) * Math.exp(-1);
  const run = (sampler: "euler" | "heun", steps: number) =>
    integrate({
      variant: "fm",
      sampler,
      steps,
      z0,
      predict: (z) => Promise.resolve(Float32Array.from(z, (v) => c - v)),
    }).then((z) => Math.abs(z[0] - exact));
  const e10 = await run("euler", 10), h10 = await run("heun", 10), h20 = await run("heun", 20);
  assert(h10 < e10 / 10, `Heun ${h10} vs Euler ${e10}`);
  assert(h10 / h20 > 3.5, `Heun error ratio ${h10 / h20} (second order: ≈ 4)`);
});

Deno.test("bad sampler arguments (0 steps, fractional steps, unknown sampler) are rejected clearly", async () => {
  assertThrows(() => checkContinuousSampler("euler", 0), /steps must be an integer ≥ 1, got 0/);
  assertThrows(() => checkContinuousSampler("heun", 2.5), /steps must be an integer ≥ 1/);
  assertThrows(() => checkContinuousSampler("rk4", 10), /unknown sampler "rk4"/);
  let msg = "";
  await integrate({
    variant: "ct",
    sampler: "euler",
    steps: 2,
    z0: new Float32Array(1),
    predict: () => Promise.resolve(new Float32Array(1)),
  }).catch((e) => msg = e.message);
  assert(msg.includes("needs the schedule"), msg);
});
