// The gradient registrations of src/backend/gradients.ts, checked against central finite
// differences on the cpu backend (float64 bookkeeping, float32 tensors).
import { tf } from "../src/deps.ts";
import { GRADIENT_KERNELS, initBackend, registerAllGradients } from "../src/backend/mod.ts";
import { Rng } from "../src/rng.ts";
import { assert, assertStrictEquals } from "./assert.ts";

await initBackend("cpu");

type T = tf.Tensor;
interface Case {
  name: string;
  /** Input shapes and the uniform range each input is drawn from. */
  inputs: [number[], number, number][];
  f: (...xs: T[]) => T;
  /** Finite-difference step (default 1e-2). */
  eps?: number;
}

const t4 = (x: T) => x as tf.Tensor4D;
const t2 = (x: T) => x as tf.Tensor2D;
const R = (shape: number[], lo = -2, hi = 2): [number[], number, number] => [shape, lo, hi];

const CASES: Case[] = [
  { name: "abs", inputs: [R([7], 0.2, 2)], f: (x) => tf.abs(tf.neg(x)) },
  { name: "acos", inputs: [R([6], -0.8, 0.8)], f: tf.acos },
  { name: "acosh", inputs: [R([6], 1.2, 3)], f: tf.acosh },
  { name: "asin", inputs: [R([6], -0.8, 0.8)], f: tf.asin },
  { name: "asinh", inputs: [R([6])], f: tf.asinh },
  { name: "atan", inputs: [R([6])], f: tf.atan },
  { name: "atanh", inputs: [R([6], -0.8, 0.8)], f: tf.atanh },
  { name: "cos", inputs: [R([6])], f: tf.cos },
  { name: "cosh", inputs: [R([6])], f: tf.cosh },
  { name: "sin", inputs: [R([6])], f: tf.sin },
  { name: "sinh", inputs: [R([6])], f: tf.sinh },
  { name: "tan", inputs: [R([6], -1, 1)], f: tf.tan },
  { name: "erf", inputs: [R([6])], f: tf.erf },
  { name: "exp", inputs: [R([6])], f: tf.exp },
  { name: "expm1", inputs: [R([6])], f: tf.expm1 },
  { name: "log", inputs: [R([6], 0.5, 3)], f: tf.log },
  { name: "log1p", inputs: [R([6], -0.5, 3)], f: tf.log1p },
  { name: "reciprocal", inputs: [R([6], 0.5, 3)], f: tf.reciprocal },
  { name: "relu", inputs: [R([8])], f: tf.relu },
  { name: "relu6", inputs: [R([8], -3, 9)], f: tf.relu6 },
  { name: "rsqrt", inputs: [R([6], 0.5, 3)], f: tf.rsqrt },
  { name: "softplus", inputs: [R([6])], f: tf.softplus },
  { name: "sqrt", inputs: [R([6], 0.5, 3)], f: tf.sqrt },
  { name: "square", inputs: [R([6])], f: tf.square },
  { name: "selu", inputs: [R([8])], f: tf.selu },
  { name: "elu", inputs: [R([8])], f: tf.elu },
  { name: "sigmoid", inputs: [R([6])], f: tf.sigmoid },
  { name: "tanh", inputs: [R([6])], f: tf.tanh },
  { name: "leakyRelu", inputs: [R([8])], f: (x) => tf.leakyRelu(x, 0.3) },
  { name: "prelu", inputs: [R([4, 3]), R([3])], f: tf.prelu },
  {
    name: "neg/identity/cast",
    inputs: [R([5])],
    f: (x) => tf.neg(tf.cast(tf.clone(x), "float32")),
  },
  { name: "add broadcast", inputs: [R([3, 4]), R([4])], f: tf.add },
  { name: "sub broadcast", inputs: [R([3, 1]), R([1, 4])], f: tf.sub },
  { name: "mul broadcast", inputs: [R([2, 3, 4]), R([3, 1])], f: tf.mul },
  { name: "div broadcast", inputs: [R([3, 4]), R([4], 0.5, 2)], f: tf.div },
  { name: "pow", inputs: [R([5], 0.5, 2), R([5])], f: tf.pow },
  { name: "maximum", inputs: [R([8]), R([8])], f: tf.maximum },
  { name: "minimum", inputs: [R([8]), R([8])], f: tf.minimum },
  { name: "squaredDifference", inputs: [R([6]), R([6])], f: tf.squaredDifference },
  { name: "atan2", inputs: [R([6], 0.5, 2), R([6], 0.5, 2)], f: tf.atan2 },
  { name: "mod", inputs: [R([6], 0.1, 5), R([6], 1.5, 2)], f: tf.mod },
  { name: "clipByValue", inputs: [R([8])], f: (x) => tf.clipByValue(x, -1, 1) },
  { name: "where", inputs: [R([6]), R([6])], f: (a, b) => tf.where(tf.greater(a, b), a, b) },
  { name: "sum axis", inputs: [R([3, 4])], f: (x) => tf.square(tf.sum(x, 0)) },
  { name: "sum all", inputs: [R([3, 4])], f: (x) => tf.square(tf.sum(x)) },
  { name: "mean", inputs: [R([3, 4])], f: (x) => tf.square(tf.mean(x, 1, true)) },
  { name: "max", inputs: [R([3, 4])], f: (x) => tf.max(x, 1) },
  { name: "min", inputs: [R([3, 4])], f: (x) => tf.min(x, 0) },
  { name: "prod", inputs: [R([3, 4], 0.5, 2)], f: (x) => tf.prod(x, 1) },
  { name: "prod all", inputs: [R([2, 3], 0.5, 2)], f: (x) => tf.prod(x) },
  { name: "cumsum", inputs: [R([3, 4])], f: (x) => tf.cumsum(x, 1) },
  { name: "cumsum reverse exclusive", inputs: [R([5])], f: (x) => tf.cumsum(x, 0, true, true) },
  { name: "softmax", inputs: [R([3, 4])], f: (x) => tf.softmax(x) },
  { name: "logSoftmax", inputs: [R([3, 4])], f: (x) => tf.logSoftmax(x) },
  { name: "matMul", inputs: [R([3, 4]), R([4, 2])], f: (a, b) => tf.matMul(a, b) },
  { name: "matMul tA", inputs: [R([4, 3]), R([4, 2])], f: (a, b) => tf.matMul(a, b, true) },
  { name: "matMul tB", inputs: [R([3, 4]), R([2, 4])], f: (a, b) => tf.matMul(a, b, false, true) },
  {
    name: "matMul tA tB",
    inputs: [R([4, 3]), R([2, 4])],
    f: (a, b) => tf.matMul(a, b, true, true),
  },
  { name: "batch matMul", inputs: [R([2, 3, 4]), R([2, 4, 2])], f: (a, b) => tf.matMul(a, b) },
  {
    name: "fused matMul",
    inputs: [R([3, 4]), R([4, 2]), R([2])],
    f: (a, b, c) => tf.fused.matMul({ a: t2(a), b: t2(b), bias: c, activation: "relu" }),
  },
  { name: "transpose", inputs: [R([2, 3, 4])], f: (x) => tf.mul(tf.transpose(x, [2, 0, 1]), 3) },
  { name: "slice", inputs: [R([4, 5])], f: (x) => tf.slice(x, [1, 2], [2, 3]) },
  { name: "stridedSlice-free pad", inputs: [R([3, 2])], f: (x) => tf.pad(x, [[1, 0], [2, 1]], 3) },
  {
    name: "mirrorPad symmetric",
    inputs: [R([3, 3])],
    f: (x) => tf.mirrorPad(x, [[1, 1], [0, 2]], "symmetric"),
  },
  {
    name: "mirrorPad reflect",
    inputs: [R([4, 3])],
    f: (x) => tf.mirrorPad(x, [[2, 1], [1, 2]], "reflect"),
  },
  { name: "reverse", inputs: [R([3, 4])], f: (x) => tf.reverse(x, 1) },
  { name: "tile", inputs: [R([2, 3])], f: (x) => tf.tile(x, [2, 3]) },
  { name: "broadcastTo", inputs: [R([1, 3])], f: (x) => tf.broadcastTo(x, [2, 3]) },
  // Copy before reversing: the tape keeps a reference to the array split() returns.
  {
    name: "split/concat",
    inputs: [R([4, 6])],
    f: (x) => tf.concat([...tf.split(x, [1, 2, 3], 1)].reverse(), 1),
  },
  {
    name: "concat 3 inputs",
    inputs: [R([2, 3]), R([2, 1]), R([2, 2])],
    f: (a, b, c) => tf.concat([a, b, c], 1),
  },
  { name: "stack/unstack", inputs: [R([3, 4])], f: (x) => tf.stack(tf.unstack(x, 1), 0) },
  { name: "addN", inputs: [R([3]), R([3]), R([3])], f: (a, b, c) => tf.addN([a, b, c]) },
  {
    name: "reshape/expandDims/squeeze",
    inputs: [R([2, 3])],
    f: (x) => tf.squeeze(tf.expandDims(tf.reshape(x, [3, 2]), 1)),
  },
  {
    name: "gather axis 0",
    inputs: [R([5, 3])],
    f: (x) => tf.gather(x, tf.tensor1d([4, 0, 4, 2], "int32")),
  },
  {
    name: "gather axis 1",
    inputs: [R([3, 5])],
    f: (x) => tf.gather(x, tf.tensor1d([1, 1, 3], "int32"), 1),
  },
  {
    name: "gather batchDims 1",
    inputs: [R([2, 4, 3])],
    f: (x) => tf.gather(x, tf.tensor2d([[0, 3], [2, 2]], [2, 2], "int32"), 1, 1),
  },
  {
    name: "unsortedSegmentSum",
    inputs: [R([5, 2])],
    f: (x) => tf.unsortedSegmentSum(x, tf.tensor1d([1, 0, 1, 2, 2], "int32"), 3),
  },
  {
    name: "batchNorm",
    inputs: [R([2, 2, 2, 3]), R([3]), R([3], 0.5, 2), R([3]), R([3])],
    f: (x, m, v, o, s) => tf.batchNorm(x, m, v, o, s, 1e-3),
  },
  {
    name: "moments normalisation",
    inputs: [R([5, 3])],
    f: (x) => {
      const { mean, variance } = tf.moments(x, 0);
      return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-3)));
    },
  },
  {
    name: "conv2d same",
    inputs: [R([2, 5, 5, 2]), R([3, 3, 2, 3])],
    f: (x, w) => tf.conv2d(t4(x), t4(w), 1, "same"),
  },
  {
    name: "conv2d stride 2 valid",
    inputs: [R([1, 6, 7, 2]), R([3, 2, 2, 2])],
    f: (x, w) => tf.conv2d(t4(x), t4(w), 2, "valid"),
  },
  {
    name: "conv2dTranspose",
    inputs: [R([1, 3, 3, 2]), R([3, 3, 4, 2])],
    f: (x, w) => tf.conv2dTranspose(t4(x), t4(w), [1, 6, 6, 4], 2, "same"),
  },
  {
    name: "fused conv2d",
    inputs: [R([1, 4, 4, 2]), R([3, 3, 2, 2]), R([2])],
    f: (x, w, b) =>
      tf.fused.conv2d({
        x: t4(x),
        filter: t4(w),
        strides: 1,
        pad: "same",
        bias: b,
        activation: "relu",
      }),
  },
  {
    name: "depthwiseConv2d",
    inputs: [R([1, 5, 5, 2]), R([3, 3, 2, 2])],
    f: (x, w) => tf.depthwiseConv2d(t4(x), t4(w), 1, "same"),
  },
  { name: "maxPool", inputs: [R([1, 4, 4, 2])], f: (x) => tf.maxPool(t4(x), 2, 2, "valid") },
  { name: "maxPool same s1", inputs: [R([1, 4, 5, 2])], f: (x) => tf.maxPool(t4(x), 3, 1, "same") },
  // 'valid' only: with 'same' the stock kernels disagree at the borders (forward averages
  // over in-bounds pixels, AvgPoolGrad divides by the full window) — an upstream bug.
  { name: "avgPool", inputs: [R([1, 5, 5, 2])], f: (x) => tf.avgPool(t4(x), 3, 2, "valid") },
  {
    name: "localResponseNormalization",
    inputs: [R([1, 2, 2, 5])],
    f: (x) => tf.localResponseNormalization(t4(x), 2, 1, 0.5, 0.75),
  },
  {
    name: "resizeBilinear",
    inputs: [R([1, 3, 3, 2])],
    f: (x) => tf.image.resizeBilinear(t4(x), [5, 4]),
  },
  {
    name: "resizeNearestNeighbor",
    inputs: [R([1, 3, 3, 1])],
    f: (x) => tf.image.resizeNearestNeighbor(t4(x), [6, 6]),
  },
  {
    name: "spaceToBatchND/batchToSpaceND",
    inputs: [R([1, 4, 4, 1])],
    f: (x) =>
      tf.mul(
        tf.spaceToBatchND(x, [2, 2], [[0, 0], [0, 0]]),
        tf.tensor1d([1, 2, 3, 4]).reshape([4, 1, 1, 1]),
      ),
  },
  {
    name: "oneHot * x",
    inputs: [R([3, 4])],
    f: (x) => tf.mul(tf.oneHot(tf.tensor1d([0, 3, 1], "int32"), 4), x),
  },
  {
    name: "floor/round/sign/step are flat",
    inputs: [R([6], 0.1, 0.4)],
    f: (x) => tf.add(tf.add(tf.floor(x), tf.round(x)), tf.mul(tf.sign(x), x)),
  },
];

/** Central-difference check of d/dx_k Σ w·f(x) for every input k. */
function check(c: Case, rng: Rng) {
  const vals = c.inputs.map(([shape, lo, hi]) =>
    Float32Array.from(
      { length: shape.reduce((a, b) => a * b, 1) },
      () => lo + (hi - lo) * rng.uniform(),
    )
  );
  const wShape = tf.tidy(() => c.f(...c.inputs.map(([s], k) => tf.tensor(vals[k], s))).shape);
  const w = Float32Array.from({ length: wShape.reduce((a, b) => a * b, 1) }, () => rng.normal());
  const loss = (...xs: T[]) => tf.sum(tf.mul(c.f(...xs), tf.tensor(w, wShape)));
  const analytic = tf.tidy(() =>
    tf.grads(loss)(c.inputs.map(([s], k) => tf.tensor(vals[k], s))).map((g) => g.dataSync())
  );
  const eps = c.eps ?? 1e-2;
  for (let k = 0; k < c.inputs.length; k++) {
    const a = analytic[k];
    let scale = 1;
    for (const v of a) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < vals[k].length; i++) {
      const at = (xi: number) =>
        tf.tidy(() => {
          const xs = c.inputs.map(([s], j) => {
            const v = Float32Array.from(vals[j]);
            if (j === k) v[i] = xi;
            return tf.tensor(v, s);
          });
          return loss(...xs).dataSync()[0];
        });
      const hi = Math.fround(vals[k][i] + eps), lo = Math.fround(vals[k][i] - eps);
      const num = (at(hi) - at(lo)) / (hi - lo);
      assert(
        Math.abs(num - a[i]) <= 2e-2 * scale,
        `${c.name}: d/dinput${k}[${i}] analytic ${a[i]} vs numeric ${num}`,
      );
    }
  }
}

Deno.test("registerAllGradients is idempotent and covers the listed kernels", () => {
  assertStrictEquals(registerAllGradients(), 0);
  for (const k of GRADIENT_KERNELS) assert(tf.getGradient(k), k);
  assert(GRADIENT_KERNELS.length >= 90, `only ${GRADIENT_KERNELS.length} gradients`);
});

Deno.test("registered gradients match central finite differences (cpu)", () => {
  const rng = new Rng(11);
  for (const c of CASES) check(c, rng);
});

Deno.test("this module's port of every gradient matches finite differences (cpu)", () => {
  // Swap in the port for all kernels (upstream's may be registered by @tensorflow/tfjs).
  const saved = GRADIENT_KERNELS.map((k) => tf.getGradient(k));
  registerAllGradients({ replace: true });
  try {
    const rng = new Rng(12);
    for (const c of CASES) check(c, rng);
  } finally {
    GRADIENT_KERNELS.forEach((k, i) => {
      tf.unregisterGradient(k);
      if (saved[i]) tf.registerGradient(saved[i]);
    });
    registerAllGradients();
  }
});

Deno.test("variableGrads through a small dense net with dropout", () => {
  const w = tf.variable(tf.randomNormal([4, 3], 0, 1, "float32", 1), true, "gtest_w");
  try {
    const { value, grads } = tf.variableGrads(() =>
      tf.mean(tf.square(tf.dropout(tf.matMul(tf.ones([2, 4]), w), 0.5, undefined, 3)))
    );
    assert(Number.isFinite(value.dataSync()[0]));
    assertStrictEquals(grads["gtest_w"].shape.join(), "4,3");
    tf.dispose([value, grads]);
  } finally {
    w.dispose();
  }
});
