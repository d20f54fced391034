/**
 * The mutation table of `deno task mutants` (tools/mutants.ts): deliberate one-place mistakes in
 * the NoProp math, each of which the fast unit tests in {@linkcode MUTANT_TESTS} must catch.
 * Every `find` must occur exactly once in `file`; a mutation whose text has drifted away fails
 * the run with a message naming the file and the text, so this table is kept in step with the
 * code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MUTATIONS } from "./mutations.ts";
 * assert.ok(MUTATIONS.every((m) => m.find !== m.replace)); // each one changes something
 * assert.equal(new Set(MUTATIONS.map((m) => m.id)).size, MUTATIONS.length); // ids are unique
 * ```
 * @module
 */

/** One mutation: replace the single occurrence of `find` in `file` by `replace`. */
export interface Mutation {
  /** Short unique id. */
  id: string;
  /** Path relative to the repository root. */
  file: string;
  /** Exact text; must occur exactly once in the file. */
  find: string;
  /** Replacement text. */
  replace: string;
  /** What the mistake is, in words. */
  description: string;
}

/** The fast unit tests each mutant is run against (paths relative to the repository root). */
export const MUTANT_TESTS: readonly string[] = [
  "tests/schedule_test.ts",
  "tests/schedule_math_test.ts",
  "tests/losses_test.ts",
  "tests/train/dt/loss_math_test.ts",
  "tests/train/dt/sampler_math_test.ts",
  "tests/model/ct_schedule_test.ts",
  "tests/model/ct_schedule_gap_test.ts",
  "tests/losses_continuous_test.ts",
  "tests/train/continuous/loss_math_test.ts",
  "tests/infer/sampler/continuous_test.ts",
  "tests/train/continuous/sampler_math_test.ts",
  "tests/train/dt/step_test.ts",
  "tests/train/dt/fused_test.ts",
  "tests/train/forecast/noprop_math_test.ts",
  "tests/onnx/chain_math_test.ts",
  "tests/onnx/quantize/math_test.ts",
];

/** The fast unit tests as they were before the math tests were written (issue 10's baseline). */
export const OLD_TESTS: readonly string[] = [
  "tests/schedule_test.ts",
  "tests/losses_test.ts",
  "tests/model/ct_schedule_test.ts",
  "tests/losses_continuous_test.ts",
  "tests/infer/sampler/continuous_test.ts",
  "tests/train/dt/step_test.ts",
];

const DT_STEP = "src/train/dt/step.ts";
const CT_STEP = "src/train/continuous/step.ts";
const CT_SCHED = "src/model/ct_schedule.ts";
const CT_SCHED_VALUES = "src/model/ct_schedule_values.ts";
const DT_SAMPLER = "src/infer/sampler/dt.ts";
const DT_EVAL = "src/train/dt/evaluate.ts";
const CT_SAMPLER = "src/infer/sampler/continuous.ts";
const FUSED_BLOCK = "src/model/fused_block.ts";
const FUSED_STEP = "src/train/dt/fused_step.ts";
const FC_STEP = "src/train/forecast/noprop/step.ts";
const CHAIN_GRAPH = "src/onnx/chain_graph.ts";
const QUANT = "src/onnx/quantize/params.ts";
const QDQ = "src/onnx/quantize/transform.ts";

/** The mutations (see the module doc). */
export const MUTATIONS: readonly Mutation[] = [
  // --- NoProp-DT block loss (eq. 8) ---
  {
    id: "dt-snr-weight-reversed",
    file: DT_STEP,
    find: "sch.snrWeight[t])",
    replace: "sch.snrWeight[T + 1 - t])",
    description: "block t's denoising weight SNR(t) − SNR(t−1) taken from block T+1−t",
  },
  {
    id: "dt-zT-at-alphabar-1",
    file: DT_STEP,
    find: "sampleMarginal(u, sch.alphaBar[T], epsT)",
    replace: "sampleMarginal(u, sch.alphaBar[1], epsT)",
    description: "the classifier's z_T drawn at ᾱ_1 instead of ᾱ_T",
  },
  {
    id: "dt-zprev-at-alphabar-t",
    file: DT_STEP,
    find: "sampleMarginal(u, sch.alphaBar[t - 1], epsPrev)",
    replace: "sampleMarginal(u, sch.alphaBar[t], epsPrev)",
    description: "block t's input z_{t−1} drawn at ᾱ_t instead of ᾱ_{t−1}",
  },
  {
    id: "dt-kl-at-alphabar-1",
    file: DT_STEP,
    find: "klPrior(u, sch.alphaBar[0])",
    replace: "klPrior(u, sch.alphaBar[1])",
    description: "KL(q(z_0|y) ‖ N(0, I)) evaluated at ᾱ_1",
  },
  {
    id: "dt-eta-dropped",
    file: DT_STEP,
    find: "denoiseLoss(uHat, u, T, eta, ",
    replace: "denoiseLoss(uHat, u, T, 1, ",
    description: "η dropped from the DT denoising term",
  },
  {
    id: "dt-zT-reuses-noise",
    file: DT_STEP,
    find: "const ce = classifierTerm(model, u, y, epsT);",
    replace: "const ce = classifierTerm(model, u, y, epsPrev);",
    description: "z_T drawn with z_{t−1}'s noise",
  },
  {
    id: "dt-marginal-variance",
    file: DT_STEP,
    find: "tf.mul(eps, Math.sqrt(1 - alphaBar))",
    replace: "tf.mul(eps, 1 - alphaBar)",
    description: "q(z_t|y) sampled with standard deviation 1 − ᾱ instead of √(1 − ᾱ)",
  },
  {
    id: "dt-step-ignores-eta",
    file: DT_STEP,
    find: "epsPrev, epsT, s.eta, forward)",
    replace: "epsPrev, epsT, 1, forward)",
    description: "the training step passes η = 1 instead of the configured η",
  },
  // --- DT schedule coefficients (eq. 3) ---
  {
    id: "dt-ddim-coefficients",
    file: "src/schedule.ts",
    find: "    a[t] = Math.sqrt(ab) * (1 - aPrev) / (1 - abPrev);\n" +
      "    b[t] = Math.sqrt(aPrev) * (1 - ab) / (1 - abPrev);\n" +
      "    c[t] = (1 - ab) * (1 - aPrev) / (1 - abPrev);",
    replace: "    b[t] = Math.sqrt((1 - ab) / (1 - abPrev));\n" +
      "    a[t] = Math.sqrt(ab) - b[t] * Math.sqrt(abPrev);\n" +
      "    c[t] = 0;",
    description: "DDIM coefficients with c_t = 0 instead of eq. 3's posterior a_t, b_t, c_t",
  },
  {
    id: "cosine-large-T-unmended",
    file: "src/schedule.ts",
    find: 'if (name === "cosine") mendClippedInterior(out, raw);',
    replace: "",
    description: "cosine schedule for T ≥ 156 left with ᾱ_0 = ᾱ_1 (the clip alone)",
  },
  // --- DT samplers (eq. 3): runtime and tfjs ---
  {
    id: "dt-sampler-no-noise",
    file: DT_SAMPLER,
    find: "z[i] = a * u[i] + b * z[i] + s * eps[i];",
    replace: "z[i] = a * u[i] + b * z[i];",
    description: "runtime DT sampler: stochastic run without the √c_t·ε term",
  },
  {
    id: "dt-sampler-variance-not-sqrt",
    file: DT_SAMPLER,
    find: "(ct) => Math.sqrt(ct)",
    replace: "(ct) => ct",
    description: "runtime DT sampler: noise scaled by c_t instead of √c_t",
  },
  {
    id: "dt-sampler-reversed-coefficients",
    file: DT_SAMPLER,
    find: "const a = A[t - 1], b = B[t - 1]",
    replace: "const a = A[T - t], b = B[T - t]",
    description: "runtime DT sampler: step t uses a_{T+1−t}, b_{T+1−t}",
  },
  {
    id: "chain-b-is-a",
    file: CHAIN_GRAPH,
    find: "`${p}b`, f.b[t - 1]",
    replace: "`${p}b`, f.a[t - 1]",
    description: "fused chain graph: z_{t−1} scaled by a_t instead of b_t",
  },
  {
    id: "chain-noise-reversed",
    file: CHAIN_GRAPH,
    find: "Float32Array.from(s), [T, 1, 1]",
    replace: "Float32Array.from(s).reverse(), [T, 1, 1]",
    description: "fused chain graph: step t's noise scaled by √c_{T+1−t} instead of √c_t",
  },
  {
    id: "dt-eval-no-noise",
    file: DT_EVAL,
    find: "else out.fill(0, half);",
    replace: "else out.fill(0);",
    description: "tfjs DT evaluation: the stochastic trajectory gets ε = 0 too",
  },
  {
    id: "dt-eval-clean-gets-noise",
    file: DT_EVAL,
    find: "else out.fill(0, half);",
    replace: "else out.copyWithin(half, 0, half);",
    description: "tfjs DT evaluation: the noise-free trajectory gets the stochastic one's ε",
  },
  {
    id: "dt-eval-clean-uses-noisy-z",
    file: DT_EVAL,
    find: "if (this.#first) out.copyWithin(half, 0, half);",
    replace: "if (this.#first) out.fill(0, half);",
    description: "tfjs DT evaluation: the noise-free trajectory does not start from the same z_0",
  },
  // --- NoProp-CT loss (eq. 9) ---
  {
    id: "ct-snr-prime-one",
    file: CT_STEP,
    find: "ctDenoiseLoss(uHat, u, snrPrime(g), eta)",
    replace: "ctDenoiseLoss(uHat, u, tf.onesLike(g.gamma), eta)",
    description: "CT: SNR′(t) replaced by 1 in the denoising weight",
  },
  {
    id: "ct-snr-prime-sign",
    file: CT_STEP,
    find: "ctDenoiseLoss(uHat, u, snrPrime(g), eta)",
    replace: "ctDenoiseLoss(uHat, u, tf.neg(snrPrime(g)), eta)",
    description: "CT: SNR′(t) with the wrong sign",
  },
  {
    id: "ct-ends-swapped",
    file: CT_STEP,
    find: "const [g0, g1] = tf.split(ends, 2)",
    replace: "const [g1, g0] = tf.split(ends, 2)",
    description: "CT: the schedule's two ends swapped for the CE (z_1) and KL (z_0) terms",
  },
  {
    id: "ct-kl-at-clean-end",
    file: CT_STEP,
    find: "klPriorGamma(u, g0)",
    replace: "klPriorGamma(u, g1)",
    description: "CT: KL term evaluated at ᾱ(1) instead of ᾱ(0)",
  },
  {
    id: "ct-eta-dropped",
    file: CT_STEP,
    find: "ctDenoiseLoss(uHat, u, snrPrime(g), eta)",
    replace: "ctDenoiseLoss(uHat, u, snrPrime(g), 1)",
    description: "CT: η dropped from the denoising term",
  },
  {
    id: "ct-zt-noise-scale",
    file: CT_STEP,
    find: "tf.mul(tf.sqrt(om), n.e1)",
    replace: "tf.mul(tf.sqrt(ab), n.e1)",
    description: "CT: z_t's noise scaled by √ᾱ(t) instead of √(1 − ᾱ(t))",
  },
  {
    id: "ct-z1-reuses-noise",
    file: CT_STEP,
    find: "tf.mul(tf.sqrt(tf.sigmoid(g1)), n.e2)",
    replace: "tf.mul(tf.sqrt(tf.sigmoid(g1)), n.e1)",
    description: "CT: z_1 drawn with z_t's noise",
  },
  {
    id: "ct-step-ignores-eta",
    file: CT_STEP,
    find: "ctLoss(s.model, x, y, n, ctx, s.eta)",
    replace: "ctLoss(s.model, x, y, n, ctx, 1)",
    description: "CT: the training step passes η = 1 instead of the configured η",
  },
  // --- NoProp-FM loss (eq. 10–13) ---
  {
    id: "fm-target-sign",
    file: "src/losses.ts",
    find: "tf.sub(vHat, tf.sub(u, z0))",
    replace: "tf.sub(vHat, tf.sub(z0, u))",
    description: "FM: velocity target z_0 − u_y instead of u_y − z_0",
  },
  {
    id: "fm-interpolation-reversed",
    file: CT_STEP,
    find: "tf.add(tf.mul(t, u), tf.mul(tf.sub(1, t), n.e1))",
    replace: "tf.add(tf.mul(tf.sub(1, t), u), tf.mul(t, n.e1))",
    description: "FM: z_t = (1 − t)·u_y + t·z_0 (time reversed)",
  },
  {
    id: "fm-anchor-full-step",
    file: CT_STEP,
    find: "tf.add(zt, tf.mul(tf.sub(1, t), vHat))",
    replace: "tf.add(zt, vHat)",
    description: "FM anchor: ẑ_1 = z_t + v̂ instead of z_t + (1 − t)·v̂",
  },
  {
    id: "fm-sigma-reuses-noise",
    file: CT_STEP,
    find: "tf.mul(sigma, n.e2)",
    replace: "tf.mul(sigma, n.e1)",
    description: "FM: the σ-noise of z_t reuses z_0",
  },
  {
    id: "fm-step-ignores-sigma",
    file: CT_STEP,
    find: "fmLossOf(s.model, x, y, n, ctx, s.fmSigma)",
    replace: "fmLossOf(s.model, x, y, n, ctx, 0)",
    description: "FM: the training step ignores σ",
  },
  // --- CT learnable schedule (eq. 65–67) ---
  {
    id: "ct-gap-unconstrained",
    file: CT_SCHED,
    find: 'const range = tf.softplus(p.get("sched.delta"));',
    replace: 'const range = p.get("sched.delta");',
    description: "CT schedule: γ_1 − γ_0 = δ unconstrained (γ_1 > γ_0 no longer guaranteed)",
  },
  {
    id: "ct-gap-init-raw",
    file: CT_SCHED,
    find: "Float32Array.of(softplusInverse(o.gamma1 - o.gamma0))",
    replace: "Float32Array.of(o.gamma1 - o.gamma0)",
    description: "CT schedule: δ initialised to γ_1 − γ_0 instead of softplus⁻¹(γ_1 − γ_0)",
  },
  {
    id: "ct-gap-values-raw",
    file: CT_SCHED_VALUES,
    find: 'gamma0 + softplus(get("sched.delta", 1)[0])',
    replace: 'gamma0 + get("sched.delta", 1)[0]',
    description: "CT schedule: float64 values (samplers, export) read γ_1 = γ_0 + δ",
  },
  // --- CT/FM samplers ---
  {
    id: "ct-heun-no-average",
    file: CT_SAMPLER,
    find: "avg[i] = 0.5 * (uT[i] + uS[i]);",
    replace: "avg[i] = uS[i];",
    description: "CT Heun: corrector uses û_s instead of (û_t + û_s)/2",
  },
  {
    id: "fm-heun-no-average",
    file: CT_SAMPLER,
    find: "out[i] = z[i] + 0.5 * h * (vT[i] + vS[i]);",
    replace: "out[i] = z[i] + h * vS[i];",
    description: "FM Heun: corrector uses v̂_s instead of (v̂_t + v̂_s)/2",
  },
  {
    id: "ct-heun-corrects-last-step",
    file: CT_SAMPLER,
    find: 'z = o.sampler === "euler" || last ? pred : ctHeunStep(',
    replace: 'z = o.sampler === "euler" ? pred : ctHeunStep(',
    description: "CT Heun: also corrects the step ending at t = 1 (module doc: EDM's rule)",
  },
  {
    id: "ct-eval-schedule-reversed",
    file: "src/train/continuous/evaluate.ts",
    find: "(t) => ctGammaAt(sched, t)",
    replace: "(t) => ctGammaAt(sched, 1 - t)",
    description: "tfjs CT evaluation integrates with γ(1 − t) (schedule ends reversed)",
  },
  {
    id: "fm-predict-farthest",
    file: "src/train/continuous/evaluate.ts",
    find: "tf.neg(squaredDistances(z, m.embedding.W))",
    replace: "squaredDistances(z, m.embedding.W)",
    description: "tfjs FM evaluation predicts the farthest embedding",
  },
  // --- fused block steps (--fuse-blocks): a fused step must not mix blocks ---
  {
    id: "fused-conv-wrong-block-kernel",
    file: FUSED_BLOCK,
    find: 'tf.conv2d(xt, ws[t], 1, "same")',
    replace: 'tf.conv2d(xt, ws[(t + 1) % T], 1, "same")',
    description: "fused step: block t's rows convolved with block t+1's kernel",
  },
  {
    id: "fused-first-conv-channels-interleaved",
    file: FUSED_BLOCK,
    find: "tf.reshape(h, [n * hh * ww, T, c]), [1, 0, 2]",
    replace: "tf.reshape(h, [n * hh * ww, c, T]), [2, 0, 1]",
    description: "fused step: block t takes channels t, T + t, … of the first conv, not its own C",
  },
  {
    id: "fused-wide-kernel-interleaved",
    file: FUSED_BLOCK,
    find: "tf.reshape(w, [T, kh * kw * ci, co]), [1, 0, 2]",
    replace: "tf.reshape(w, [T, kh * kw * ci, co]), [1, 2, 0]",
    description: "fused step: the T first-conv kernels interleaved channel by channel",
  },
  {
    id: "fused-shared-dropout-mask",
    file: FUSED_BLOCK,
    find: "ctx.dropout, ctx.seeds[t]++)",
    replace: "ctx.dropout, ctx.seeds[0])",
    description: "fused step: every block (and layer) uses block 1's first dropout mask",
  },
  {
    id: "fused-bn-count-all-blocks",
    file: FUSED_BLOCK,
    find: "const n = x.shape[1];",
    replace: "const n = x.shape[0] * x.shape[1];",
    description: "fused step: running variance's n/(n−1) counts the T·N rows of all blocks",
  },
  {
    id: "fused-snr-weight-reversed",
    file: FUSED_STEP,
    find: "eta * sch.snrWeight[t]",
    replace: "eta * sch.snrWeight[T + 1 - t]",
    description: "fused step: block t's denoising weight SNR(t) − SNR(t−1) taken from block T+1−t",
  },
  {
    id: "fused-z-prev-wrong-alphabar",
    file: FUSED_STEP,
    find: "Math.sqrt(ab[t - 1])",
    replace: "Math.sqrt(ab[t])",
    description: "fused step: block t's input drawn from q(z_t|y) instead of q(z_{t−1}|y)",
  },
  // --- NoProp-DT forecaster (eq. 8 with the decoder term, eq. 3 sampling, RevIN) ---
  {
    id: "forecast-zprev-at-t",
    file: FC_STEP,
    find: "const zPrev = sampleMarginal(u, sch.alphaBar[t - 1], eps);",
    replace: "const zPrev = sampleMarginal(u, sch.alphaBar[t], eps);",
    description: "forecaster: block t trains on z_{t−1} drawn at ᾱ_t instead of ᾱ_{t−1}",
  },
  {
    id: "forecast-decoder-on-u",
    file: FC_STEP,
    find: "const dec = tf.mean(tf.sum(tf.square(tf.sub(decode(ae, zT), y)), 1));",
    replace: "const dec = tf.mean(tf.sum(tf.square(tf.sub(decode(ae, uu), y)), 1));",
    description: "forecaster: the decoder term of eq. 8 on u instead of z_T ~ q(z_T | ỹ)",
  },
  {
    id: "forecast-noise-free-gets-noise",
    file: "src/infer/forecast/chain.ts",
    find: "if (!this.#first) out.fill(0, stochastic);",
    replace: "if (!this.#first) this.source.fill(out.subarray(stochastic));",
    description: "forecaster sampler: the noise-free copy receives ε_t",
  },
  {
    id: "forecast-revin-no-shift",
    file: "src/infer/forecast/revin.ts",
    find: "for (let i = 0; i < H; i++) y[o + i] = y[o + i] * sd + m;",
    replace: "for (let i = 0; i < H; i++) y[o + i] = y[o + i] * sd;",
    description: "RevIN: forecasts mapped back without the window mean",
  },
  // --- int8 static quantization (src/onnx/quantize/) ---
  {
    id: "int8-activation-scale-doubled",
    file: QUANT,
    find: "Math.fround((hi - lo) / (qmax - qmin))",
    replace: "Math.fround((2 * (hi - lo)) / (qmax - qmin))",
    description: "int8: activation scale 2·(max − min)/255 (half the integer range used)",
  },
  {
    id: "int8-zero-point-sign",
    file: QUANT,
    find: "qmin - roundHalfEven(lo / scale)",
    replace: "qmin + roundHalfEven(lo / scale)",
    description: "int8: activation zero point qmin + min/scale (0 no longer exact)",
  },
  {
    id: "int8-weight-scale-halved",
    file: QUANT,
    find: "m > 0 ? m / qmax : 1",
    replace: "m > 0 ? m / (2 * qmax) : 1",
    description: "int8: weight scale max|w|/254 (the largest weights saturate)",
  },
  {
    id: "int8-bias-scale-without-weight",
    file: QUANT,
    find: "xScale * wScales[wScales.length === 1 ? 0 : c]",
    replace: "xScale",
    description: "int8: bias quantized at the activation scale, not activation · weight scale",
  },
  {
    id: "int8-relu-fold-unpinned",
    file: QDQ,
    find: "if (plan.reluGroups[i]) min = 0;",
    replace: "",
    description: "int8: a folded ReLU's zero point not at the bottom (negatives pass unclipped)",
  },
  {
    id: "int8-conv-weight-axis",
    file: QDQ,
    find: 'if (n.opType === "Conv") return 0;',
    replace: 'if (n.opType === "Conv") return 1;',
    description: "int8: Conv weights scaled per input channel instead of per output channel",
  },
];
