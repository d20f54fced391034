/**
 * Gradient registrations for tfjs 4.22 kernels: a safety net and a few fixes.
 *
 * `@tensorflow/tfjs-core`'s Node entry point (`dist/tf-core.node.js`, what Deno loads for
 * `npm:@tensorflow/tfjs-core`) registers NO kernel gradients: upstream they come from
 * `@tensorflow/tfjs-core/dist/register_all_gradients`, an ESM file with extension-less
 * relative imports that Deno refuses to load, and which only the union package
 * `@tensorflow/tfjs` pulls in. With `src/deps.ts` re-exporting `@tensorflow/tfjs` they
 * are present; with plain `tfjs-core`, `tf.grad` fails ("gradient function not found
 * for Sum"). This module is a TypeScript port of upstream's `src/gradients/*.ts`
 * (Apache-2.0, Copyright Google LLC) against the public `tf` namespace; kernels with no
 * public op (e.g. `Conv2DBackpropFilter`, `MaxPoolGrad`) run via
 * `tf.engine().runKernel`.
 *
 * {@linkcode registerAllGradients} registers each gradient only where none is registered
 * yet (so it is idempotent and defers to upstream), except {@linkcode GRADIENT_FIXES},
 * which replace upstream ones that are wrong. It also adds zero gradients for
 * comparison/logical kernels (bool outputs), which upstream lacks, so that e.g.
 * `tf.where(tf.greater(x, 0), x, y)` can be differentiated. `initBackend` calls it.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { registerAllGradients } from "./gradients.ts";
 * registerAllGradients();
 * const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, 2]));
 * console.log(await g.data()); // Float32Array [2, 4]
 * ```
 * @module
 */
import { tf } from "../deps.ts";

type T = tf.Tensor;
// deno-lint-ignore no-explicit-any
type Attrs = any;
type GradFn = (dy: T, saved: T[], attrs: Attrs) => Record<string, () => T>;

const bu = tf.backend_util;

function runKernel(name: string, inputs: Record<string, T>, attrs: Attrs = {}): T {
  return tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs) as T;
}

/** Sums `res` over the axes that broadcasting added to `shape`, and reshapes to it. */
function unbroadcast(res: T, shape: number[], outShape: number[]): T {
  const axes = bu.getReductionAxes(shape, outShape);
  if (axes.length > 0) res = tf.sum(res, axes);
  return tf.reshape(res, shape);
}

function f32(x: T): T {
  return tf.cast(x, "float32");
}

function minMaxGrad(dy: T, y: T, x: T, axes: number[]): T {
  if (y.rank < x.rank) y = tf.reshape(y, bu.expandShapeToKeepDim(y.shape, axes));
  if (dy.rank < x.rank) dy = tf.reshape(dy, bu.expandShapeToKeepDim(dy.shape, axes));
  return tf.mul(dy, tf.cast(tf.equal(x, y), dy.dtype));
}

function zeroGrad(name: string): [string, string[], boolean[], GradFn] {
  return [name, [], [], (dy) => ({ x: () => tf.zerosLike(dy) })];
}

function unary(name: string, f: (dy: T, x: T) => T): [string, string[], boolean[], GradFn] {
  return [name, ["x"], [], (dy, [x]) => ({ x: () => f(dy, x) })];
}

function unaryOut(name: string, f: (dy: T, y: T) => T): [string, string[], boolean[], GradFn] {
  return [name, [], [true], (dy, [y]) => ({ x: () => f(dy, y) })];
}

function gatherGrad(x: T, indices: T, dy: T, axis: number): T {
  const paramsShape = x.shape;
  const indicesSize = indices.size;
  const outerShape = paramsShape.slice(0, axis);
  const outerDims = outerShape.length;
  const innerShape = paramsShape.slice(axis + 1);
  const innerDims = innerShape.length;
  const outerAxes = Array.from({ length: outerDims }, (_, i) => i);
  const innerAxes = Array.from({ length: innerDims }, (_, i) => outerDims + 1 + i);
  const values = tf.reshape(dy, [...outerShape, indicesSize, ...innerShape]);
  const flatIndices = tf.reshape(indices, [indicesSize]) as tf.Tensor1D;
  const perm = [outerDims, ...outerAxes, ...innerAxes];
  const grad = tf.unsortedSegmentSum(tf.transpose(values, perm), flatIndices, x.shape[axis]);
  return tf.transpose(grad, bu.getUndoAxesPermutation(perm));
}

function prodGrad(x: T, dy: T, axes: number[]): T {
  const rank = x.rank;
  const perm = bu.getAxesPermutation(axes, rank);
  const px = perm != null ? tf.transpose(x, perm) : x;
  const newShape = px.shape.slice();
  const removed = newShape.splice(rank - axes.length, axes.length);
  newShape.push(removed.reduce((p, c) => p * c, 1));
  const rx = tf.reshape(px, newShape);
  const axis = rank - axes.length;
  const expanded = rx.shape.slice();
  expanded[axis] = 1;
  const g = tf.mul(
    tf.reshape(dy, expanded),
    tf.mul(tf.cumprod(rx, axis, true, false), tf.cumprod(rx, axis, true, true)),
  );
  const back = tf.reshape(g, px.shape);
  return perm != null ? tf.transpose(back, bu.getUndoAxesPermutation(perm)) : back;
}

function tileGrad(dy: T, x: T, reps: number[]): T {
  // Sum of all tiles: reshape dy to [r0, s0, r1, s1, ...] and sum over the r axes.
  const split: number[] = [];
  const axes: number[] = [];
  x.shape.forEach((s, i) => {
    split.push(reps[i], s);
    axes.push(2 * i);
  });
  return tf.reshape(tf.sum(tf.reshape(dy, split), axes), x.shape);
}

/**
 * Folds the mirrored borders back onto the input (upstream only slices the middle,
 * dropping the borders' contribution). `o` is 1 for 'reflect', 0 for 'symmetric'.
 */
function mirrorPadGrad(dy: T, shape: number[], paddings: number[][], o: number): T {
  let g = dy;
  for (let d = 0; d < shape.length; d++) {
    const [p0, p1] = paddings[d];
    const n = shape[d];
    if (p0 === 0 && p1 === 0) continue;
    const part = (begin: number, size: number) => {
      const b = g.shape.map((_, i) => (i === d ? begin : 0));
      const sz = g.shape.map((v, i) => (i === d ? size : v));
      return tf.slice(g, b, sz);
    };
    const at = (t: T, before: number, after: number) =>
      tf.pad(t, g.shape.map((_, i) => (i === d ? [before, after] : [0, 0]) as [number, number]));
    let acc = part(p0, n);
    if (p0 > 0) acc = tf.add(acc, at(tf.reverse(part(0, p0), d), o, n - o - p0));
    if (p1 > 0) acc = tf.add(acc, at(tf.reverse(part(p0 + n, p1), d), n - p1 - o, o));
    g = acc;
  }
  return g;
}

/** [kernelName, inputsToSave, outputsToSave, gradFunc]; a config with saveAllInputs is below. */
const GRADS: [string, string[], boolean[], GradFn][] = [
  unary("Abs", (dy, x) => tf.mul(dy, tf.step(f32(x), -1))),
  unary("Acos", (dy, x) => tf.neg(tf.div(dy, tf.sqrt(tf.sub(1, tf.square(f32(x))))))),
  unary("Acosh", (dy, x) => tf.div(dy, tf.sqrt(tf.sub(tf.square(f32(x)), 1)))),
  unary("Asin", (dy, x) => tf.div(dy, tf.sqrt(tf.sub(1, tf.square(f32(x)))))),
  unary("Asinh", (dy, x) => tf.div(dy, tf.sqrt(tf.add(1, tf.square(f32(x)))))),
  unary("Atan", (dy, x) => tf.div(dy, tf.add(tf.square(f32(x)), 1))),
  unary("Atanh", (dy, x) => tf.div(dy, tf.sub(1, tf.square(f32(x))))),
  unary("Cos", (dy, x) => tf.mul(tf.neg(tf.sin(f32(x))), dy)),
  unary("Cosh", (dy, x) => tf.mul(tf.sinh(f32(x)), dy)),
  unary("Sin", (dy, x) => tf.mul(tf.cos(f32(x)), dy)),
  unary("Sinh", (dy, x) => tf.mul(tf.cosh(f32(x)), dy)),
  unary("Tan", (dy, x) => tf.div(dy, tf.square(tf.cos(x)))),
  unary("Erf", (dy, x) => tf.mul(dy, tf.mul(tf.exp(tf.neg(tf.square(x))), 2 / Math.sqrt(Math.PI)))),
  unary("Expm1", (dy, x) => tf.mul(dy, tf.exp(x))),
  unary("Log", (dy, x) => tf.div(dy, f32(x))),
  unary("Log1p", (dy, x) => tf.div(dy, tf.add(x, 1))),
  unary("Reciprocal", (dy, x) => tf.div(dy, tf.neg(tf.square(x)))),
  unary("Relu", (dy, x) => tf.mul(dy, f32(tf.step(x)))),
  unary("Relu6", (dy, x) => tf.mul(dy, f32(tf.mul(tf.lessEqual(x, 6), tf.step(x))))),
  unary("Rsqrt", (dy, x) => tf.neg(tf.div(dy, tf.mul(tf.pow(x, 1.5), 2)))),
  unary("Softplus", (dy, x) => tf.mul(dy, tf.sigmoid(x))),
  unary("Sqrt", (dy, x) => tf.div(dy, tf.mul(tf.sqrt(f32(x)), 2))),
  unary("Square", (dy, x) => tf.mul(dy, tf.mul(f32(x), 2))),
  unary("Selu", (dy, x) =>
    tf.where(
      tf.greater(x, 0),
      tf.mul(dy, bu.SELU_SCALE),
      tf.mul(tf.mul(dy, bu.SELU_SCALEALPHA), tf.exp(f32(x))),
    )),
  unaryOut("Exp", (dy, y) => tf.mul(dy, y)),
  unaryOut("Sigmoid", (dy, y) => tf.mul(dy, tf.mul(y, tf.sub(1, y)))),
  unaryOut("Tanh", (dy, y) => tf.mul(tf.sub(1, tf.square(y)), dy)),
  unaryOut("Elu", (dy, y) => runKernel("EluGrad", { dy, y })),
  zeroGrad("Ceil"),
  zeroGrad("Floor"),
  zeroGrad("Round"),
  zeroGrad("Sign"),
  zeroGrad("Step"),
  zeroGrad("IsFinite"),
  zeroGrad("IsInf"),
  zeroGrad("IsNan"),
  zeroGrad("OnesLike"),
  zeroGrad("ZerosLike"),
  ["ArgMax", ["x"], [], (_dy, [x]) => ({ x: () => tf.zerosLike(x) })],
  ["ArgMin", ["x"], [], (_dy, [x]) => ({ x: () => tf.zerosLike(x) })],
  ["Cast", [], [], (dy) => ({ x: () => dy.clone() })],
  ["Identity", [], [], (dy) => ({ x: () => f32(dy) })],
  ["Neg", [], [], (dy) => ({ x: () => tf.neg(dy) })],
  ["Reshape", ["x"], [], (dy, [x]) => ({ x: () => tf.reshape(dy, x.shape) })],
  ["ExpandDims", ["input"], [], (dy, [x]) => ({ input: () => tf.reshape(dy, x.shape) })],
  ["OneHot", ["indices"], [], (_dy, [i]) => ({ indices: () => tf.zeros(i.shape, "float32") })],
  ["GreaterEqual", ["a", "b"], [], (_dy, [a, b]) => ({
    a: () => tf.zerosLike(a),
    b: () => tf.zerosLike(b),
  })],
  // Not in upstream: comparisons/logic have bool outputs, so no gradient flows through
  // them; registering zeros lets e.g. `tf.where(tf.greater(x, 0), x, y)` differentiate.
  ...["Greater", "Less", "LessEqual", "Equal", "NotEqual", "LogicalAnd", "LogicalOr"].map(
    (name): [string, string[], boolean[], GradFn] => [name, ["a", "b"], [], (_dy, [a, b]) => ({
      a: () => tf.zeros(a.shape, "float32"),
      b: () => tf.zeros(b.shape, "float32"),
    })],
  ),
  ["LogicalNot", ["x"], [], (_dy, [x]) => ({ x: () => tf.zeros(x.shape, "float32") })],
  ["Add", ["a", "b"], [], (dy, [a, b]) => {
    const out = bu.assertAndGetBroadcastShape(a.shape, b.shape);
    return { a: () => unbroadcast(dy, a.shape, out), b: () => unbroadcast(dy, b.shape, out) };
  }],
  ["Sub", ["a", "b"], [], (dy, [a, b]) => {
    const out = bu.assertAndGetBroadcastShape(a.shape, b.shape);
    return {
      a: () => unbroadcast(dy, a.shape, out),
      b: () => tf.neg(unbroadcast(dy, b.shape, out)),
    };
  }],
  ["Multiply", ["a", "b"], [], (dy, [a, b]) => {
    const out = bu.assertAndGetBroadcastShape(a.shape, b.shape);
    return {
      a: () => unbroadcast(tf.mul(dy, f32(b)), a.shape, out),
      b: () => unbroadcast(tf.mul(dy, f32(a)), b.shape, out),
    };
  }],
  ["RealDiv", ["a", "b"], [], (dy, [a, b]) => {
    const out = bu.assertAndGetBroadcastShape(a.shape, b.shape);
    return {
      a: () => unbroadcast(tf.div(dy, f32(b)), a.shape, out),
      b: () => tf.neg(tf.div(unbroadcast(tf.mul(dy, f32(a)), b.shape, out), f32(tf.square(b)))),
    };
  }],
  ["FloorDiv", ["a", "b"], [], (dy, [a, b]) => {
    const out = bu.assertAndGetBroadcastShape(a.shape, b.shape);
    return {
      a: () => unbroadcast(tf.div(dy, f32(b)), a.shape, out),
      b: () => tf.neg(tf.div(unbroadcast(tf.mul(dy, f32(a)), b.shape, out), f32(tf.square(b)))),
    };
  }],
  ["Mod", ["a", "b"], [], (dy, [a, b]) => {
    const out = bu.assertAndGetBroadcastShape(a.shape, b.shape);
    return {
      a: () => unbroadcast(dy, a.shape, out),
      b: () => unbroadcast(tf.mul(dy, tf.neg(tf.floor(tf.div(a, b)))), b.shape, out),
    };
  }],
  ["Atan2", ["a", "b"], [], (dy, [a, b]) => {
    const out = bu.assertAndGetBroadcastShape(a.shape, b.shape);
    const d = () => tf.add(tf.square(a), tf.square(b));
    return {
      a: () => unbroadcast(tf.mul(dy, tf.div(b, d())), a.shape, out),
      b: () => unbroadcast(tf.neg(tf.mul(dy, tf.div(a, d()))), b.shape, out),
    };
  }],
  ["Pow", ["a", "b"], [true], (dy, [a, b, y]) => {
    const out = bu.assertAndGetBroadcastShape(a.shape, b.shape);
    return {
      a: () => {
        const e = f32(b);
        return unbroadcast(tf.mul(dy, tf.mul(e, tf.pow(a, tf.sub(e, 1)))), a.shape, out);
      },
      b: () => {
        const logBase = tf.where(tf.greater(a, 0), tf.log(a), tf.zerosLike(a));
        return unbroadcast(tf.mul(dy, tf.mul(y, logBase)), b.shape, out);
      },
    };
  }],
  ["Maximum", ["a", "b"], [], (dy, [a, b]) => ({
    a: () => tf.mul(dy, f32(tf.greaterEqual(a, b))),
    b: () => tf.mul(dy, f32(tf.less(a, b))),
  })],
  ["Minimum", ["a", "b"], [], (dy, [a, b]) => ({
    a: () => tf.mul(dy, f32(tf.lessEqual(a, b))),
    b: () => tf.mul(dy, f32(tf.greater(a, b))),
  })],
  ["SquaredDifference", ["a", "b"], [], (dy, [a, b]) => ({
    a: () => tf.mul(dy, tf.mul(2, tf.sub(a, b))),
    b: () => tf.mul(dy, tf.mul(2, tf.sub(b, a))),
  })],
  ["Prelu", ["x", "alpha"], [], (dy, [x, alpha]) => {
    const mask = tf.greater(x, 0);
    return {
      x: () => tf.where(mask, dy, tf.mul(dy, alpha)),
      alpha: () =>
        unbroadcast(tf.where(mask, tf.zerosLike(dy), tf.mul(dy, x)), alpha.shape, dy.shape),
    };
  }],
  ["LeakyRelu", ["x"], [], (dy, [x], { alpha }) => ({
    x: () => tf.where(tf.greater(x, 0), dy, tf.mul(dy, alpha)),
  })],
  ["ClipByValue", ["x"], [], (dy, [x], { clipValueMin, clipValueMax }) => ({
    x: () =>
      tf.where(
        tf.logicalAnd(tf.greaterEqual(x, clipValueMin), tf.lessEqual(x, clipValueMax)),
        dy,
        tf.zerosLike(dy),
      ),
  })],
  ["Select", ["condition"], [], (dy, [c]) => ({
    condition: () => f32(tf.zerosLike(c)),
    t: () => tf.mul(dy, tf.cast(c, dy.dtype)),
    e: () => tf.mul(dy, tf.cast(tf.logicalNot(c), dy.dtype)),
  })],
  ["Sum", ["x"], [], (dy, [x], { axis }) => {
    const shape = x.shape.slice();
    tf.util.parseAxisParam(axis, x.shape).forEach((a) => (shape[a] = 1));
    const derX = tf.mul(tf.reshape(dy, shape), tf.ones(x.shape, "float32"));
    return { x: () => derX };
  }],
  ["Mean", ["x"], [], (dy, [x], { axis }) => {
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const reduceSize = tf.util.sizeFromShape(bu.computeOutAndReduceShapes(x.shape, axes)[1]);
    const shape = x.shape.slice();
    axes.forEach((a) => (shape[a] = 1));
    return {
      x: () => tf.div(tf.mul(tf.reshape(dy, shape), tf.ones(x.shape, "float32")), reduceSize),
    };
  }],
  ["Max", ["x"], [true], (dy, [x, y], { reductionIndices }) => ({
    x: () => minMaxGrad(dy, y, x, tf.util.parseAxisParam(reductionIndices, x.shape)),
  })],
  ["Min", ["x"], [true], (dy, [x, y], { axis }) => ({
    x: () => minMaxGrad(dy, y, x, tf.util.parseAxisParam(axis, x.shape)),
  })],
  ["Prod", ["x"], [], (dy, [x], { axis }) => {
    const axes: number[] = axis == null
      ? x.shape.map((_, i) => i)
      : typeof axis === "number"
      ? [axis]
      : axis;
    return { x: () => prodGrad(x, dy, axes) };
  }],
  ["Cumsum", ["x"], [], (dy, [x], { axis, exclusive, reverse }) => ({
    x: () => {
      const perm = bu.getAxesPermutation([axis], x.rank);
      const out = tf.cumsum(dy, axis, exclusive, !reverse);
      return perm != null ? tf.transpose(out, perm) : out;
    },
  })],
  ["Softmax", [], [true], (dy, [y], { dim }) => {
    const dyTimesY = tf.mul(dy, y);
    return { logits: () => tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y)) };
  }],
  ["LogSoftmax", [], [true], (dy, [value], { axis }) => ({
    logits: () => tf.sub(dy, tf.mul(tf.sum(dy, axis, true), tf.exp(value))),
  })],
  ["BatchMatMul", ["a", "b"], [], (dy, [a, b], { transposeA, transposeB }) => {
    const mm = (x: T, y: T, ta: boolean, tb: boolean) => tf.matMul(x, y, ta, tb);
    if (!transposeA && !transposeB) {
      return { a: () => mm(dy, b, false, true), b: () => mm(a, dy, true, false) };
    } else if (!transposeA && transposeB) {
      return { a: () => mm(dy, b, false, false), b: () => mm(dy, a, true, false) };
    } else if (transposeA && !transposeB) {
      return { a: () => mm(b, dy, false, true), b: () => mm(a, dy, false, false) };
    }
    return { a: () => mm(b, dy, true, true), b: () => mm(dy, a, true, true) };
  }],
  ["BroadcastTo", [], [], (dy, _s, { inputShape, shape }) => {
    const axes: number[] = [];
    for (let i = 0; i < shape.length; i++) {
      if (inputShape[i] !== shape[i]) {
        if (inputShape[i] !== 1) {
          throw new Error(`broadcastTo(): [${inputShape}] cannot be broadcast to [${shape}].`);
        }
        axes.push(i);
      }
    }
    return { x: () => tf.sum(dy, axes, true) };
  }],
  ["Transpose", [], [], (dy, _s, { perm }) => ({
    x: () => tf.transpose(dy, bu.getUndoAxesPermutation(perm)),
  })],
  ["Slice", ["x"], [], (dy, [x], { begin, size }) => {
    const [b, s] = tf.slice_util.parseSliceParams(x, begin, size);
    const paddings = x.shape.map((d, i) => [b[i], d - b[i] - s[i]] as [number, number]);
    return { x: () => tf.pad(dy, paddings) };
  }],
  ["PadV2", ["x"], [], (dy, [x], { paddings }) => ({
    x: () => tf.slice(dy, (paddings as number[][]).map((p) => p[0]), x.shape),
  })],
  ["MirrorPad", ["x"], [], (dy, [x], { paddings, mode }) => ({
    x: () => mirrorPadGrad(dy, x.shape, paddings, mode === "reflect" ? 1 : 0),
  })],
  ["Reverse", [], [], (dy, _s, { dims }) => ({
    x: () => tf.reverse(dy, tf.util.parseAxisParam(dims, dy.shape)),
  })],
  ["Tile", ["x"], [], (dy, [x], { reps }) => ({ x: () => tileGrad(dy, x, reps) })],
  ["SplitV", [], [], (dy, _s, { axis }) => ({
    x: () => tf.concat(dy as unknown as T[], axis),
  })],
  ["Unpack", [], [], (dy, _s, { axis }) => ({
    value: () => tf.stack(dy as unknown as T[], axis),
  })],
  ["SpaceToBatchND", [], [], (dy, _s, { blockShape, paddings }) => ({
    x: () => tf.batchToSpaceND(dy, blockShape, paddings),
  })],
  ["BatchToSpaceND", [], [], (dy, _s, { blockShape, crops }) => ({
    x: () => tf.spaceToBatchND(dy, blockShape, crops),
  })],
  ["GatherV2", ["x", "indices"], [], (dy, [x, indices], { axis, batchDims }) => {
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    if (batchDims === 1) {
      const n = x.shape[0];
      return {
        x: () => {
          const parts = tf.split(x, n, 0).map((xi, i) =>
            gatherGrad(xi, tf.slice(indices, i, 1), tf.slice(dy, i, 1), ax)
          );
          return tf.reshape(tf.stack(parts), x.shape);
        },
        indices: () => indices,
      };
    }
    return { x: () => gatherGrad(x, indices, dy, ax), indices: () => indices };
  }],
  ["UnsortedSegmentSum", ["segmentIds"], [], (dy, [ids]) => ({
    x: () => {
      const gathered = tf.gather(dy, tf.maximum(ids, tf.zerosLike(ids)));
      let pos = tf.greaterEqual(ids, tf.scalar(0, "int32"));
      for (let i = 0; i < gathered.rank - ids.rank; ++i) pos = tf.expandDims(pos, i + 1);
      pos = tf.logicalAnd(pos, tf.ones(gathered.shape, "bool"));
      return tf.where(pos, gathered, tf.zerosLike(gathered));
    },
  })],
  ["FusedBatchNorm", ["x", "mean", "variance", "scale"], [], (dy, saved, { varianceEpsilon }) => {
    const [x, mean, variance, scale] = saved;
    const scaleValue = scale == null ? tf.scalar(1) : scale;
    const axes = bu.getReductionAxes(mean.shape, x.shape);
    const tileShape: number[] = [];
    if (mean.rank === 1) {
      for (let i = 0; i < x.shape.length - 1; ++i) tileShape.push(x.shape[i]);
      tileShape.push(1);
    }
    const xMinusMean = tf.sub(x, mean);
    const dyTimesScale = tf.mul(dy, scaleValue);
    const rstd = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
    const minusHalfRCube = tf.mul(tf.mul(tf.mul(rstd, rstd), rstd), -0.5);
    const red = (t: T) => tf.reshape(mean.rank === 1 ? tf.sum(t, axes) : t, mean.shape);
    return {
      x: () =>
        mean.rank === 1
          ? tf.reshape(
            tf.mul(
              tf.mul(dy, tf.tile(tf.reshape(rstd, [1, 1, 1, mean.shape[0]]), tileShape)),
              scaleValue,
            ),
            x.shape,
          )
          : tf.reshape(tf.mul(tf.mul(dy, rstd), scaleValue), x.shape),
      mean: () => red(tf.mul(tf.mul(rstd, -1), dyTimesScale)),
      variance: () => red(tf.mul(tf.mul(minusHalfRCube, xMinusMean), dyTimesScale)),
      scale: () => red(tf.mul(dy, tf.mul(xMinusMean, rstd))),
      offset: () => red(dy),
    };
  }],
  ["Conv2D", ["x", "filter"], [], (dy, [x, filter], attrs) => {
    const { dilations, strides, pad, dataFormat, dimRoundingMode } = attrs;
    if (!bu.tupleValuesAreOne(dilations)) {
      throw new Error(
        `Error in gradient of conv2D: dilation rates greater than 1 are not yet supported ` +
          `in gradients. Got dilations '${dilations}'`,
      );
    }
    return {
      x: () =>
        runKernel("Conv2DBackpropInput", { dy, filter }, {
          strides,
          pad,
          dataFormat,
          dimRoundingMode,
          inputShape: x.shape,
        }),
      filter: () =>
        runKernel("Conv2DBackpropFilter", { x, dy }, {
          strides,
          pad,
          dataFormat,
          dimRoundingMode,
          filterShape: filter.shape,
        }),
    };
  }],
  ["Conv2DBackpropInput", ["dy", "filter"], [], (ddx, [dy, filter], attrs) => {
    const { strides, pad, dataFormat, dimRoundingMode } = attrs;
    return {
      dy: () => tf.conv2d(ddx as tf.Tensor4D, filter as tf.Tensor4D, strides, pad, dataFormat, 1),
      filter: () =>
        runKernel("Conv2DBackpropFilter", { x: ddx, dy }, {
          strides,
          pad,
          dataFormat,
          dimRoundingMode,
          filterShape: filter.shape,
        }),
    };
  }],
  ["DepthwiseConv2dNative", ["x", "filter"], [], (dy, [x, filter], attrs) => {
    const { dilations, strides, pad, dimRoundingMode } = attrs;
    const d = dilations == null ? [1, 1] : dilations;
    if (!bu.tupleValuesAreOne(d)) {
      throw new Error(`Error in gradient of depthwiseConv2dNative: dilations must be 1, got ${d}`);
    }
    const common = { strides, pad, dilations: d, dimRoundingMode };
    return {
      x: () =>
        runKernel("DepthwiseConv2dNativeBackpropInput", { dy, filter }, {
          ...common,
          inputShape: x.shape,
        }),
      filter: () =>
        runKernel("DepthwiseConv2dNativeBackpropFilter", { x, dy }, {
          ...common,
          filterShape: filter.shape,
        }),
    };
  }],
  ["Conv3D", ["x", "filter"], [], (dy, [x, filter], { dilations, strides, pad }) => {
    if (!bu.tupleValuesAreOne(dilations)) {
      throw new Error(`Error in gradient of conv3D: dilations must be 1, got ${dilations}`);
    }
    return {
      x: () =>
        runKernel("Conv3DBackpropInputV2", { dy, filter }, {
          strides,
          pad,
          inputShape: x.shape,
        }),
      filter: () =>
        runKernel("Conv3DBackpropFilterV2", { x, dy }, {
          strides,
          pad,
          filterShape: filter.shape,
        }),
    };
  }],
  ["MaxPool", ["x"], [true], (dy, [x, y], { filterSize, strides, pad, dimRoundingMode }) => ({
    x: () =>
      runKernel("MaxPoolGrad", { dy, input: x, output: y }, {
        filterSize,
        strides,
        pad,
        dimRoundingMode,
      }),
  })],
  ["AvgPool", ["x"], [], (dy, [x], { filterSize, strides, pad }) => ({
    x: () => runKernel("AvgPoolGrad", { dy, input: x }, { filterSize, strides, pad }),
  })],
  ["MaxPool3D", ["x"], [true], (dy, [x, y], attrs) => ({
    x: () => runKernel("MaxPool3DGrad", { dy, input: x, output: y }, attrs),
  })],
  ["AvgPool3D", ["x"], [], (dy, [x], attrs) => ({
    x: () => runKernel("AvgPool3DGrad", { dy, input: x }, attrs),
  })],
  ["LRN", ["x"], [true], (dy, [x, y], attrs) => ({
    x: () => runKernel("LRNGrad", { x, y, dy }, attrs),
  })],
  ["ResizeBilinear", ["images"], [], (dy, [images], attrs) => ({
    images: () => runKernel("ResizeBilinearGrad", { dy, images }, attrs),
  })],
  ["ResizeNearestNeighbor", ["images"], [], (dy, [images], attrs) => ({
    images: () => runKernel("ResizeNearestNeighborGrad", { dy, images }, attrs),
  })],
  ["Dilation2D", ["x", "filter"], [], (dy, [x, filter], attrs) => ({
    x: () => runKernel("Dilation2DBackpropInput", { x, filter, dy }, attrs),
    filter: () => runKernel("Dilation2DBackpropFilter", { x, filter, dy }, attrs),
  })],
];

/** Gradients of kernels with a variable number of inputs (`saveAllInputs`). */
const ALL_INPUT_GRADS: [string, (dy: T, saved: T[], attrs: Attrs) => Record<string, () => T>][] = [
  ["AddN", (dy, saved) => Object.fromEntries(saved.map((_, i) => [i, () => dy.clone()]))],
  ["Concat", (dy, saved, { axis }) => {
    const ax = tf.util.parseAxisParam(axis, saved[0].shape)[0];
    const parts = tf.split(dy, saved.map((t) => t.shape[ax]), ax);
    return Object.fromEntries(parts.map((t, i) => [i, () => t]));
  }],
  ["Pack", (dy, _saved, { axis }) => {
    const parts = tf.unstack(dy, axis);
    return Object.fromEntries(parts.map((t, i) => [i, () => t]));
  }],
];

/**
 * Kernels whose upstream gradient is wrong and is replaced even when registered:
 * `MirrorPad` (upstream drops the mirrored borders' contribution).
 */
export const GRADIENT_FIXES: readonly string[] = ["MirrorPad"];
const fixed = new Set<tf.GradConfig>();

/** Kernel names whose gradient this module can register. */
export const GRADIENT_KERNELS: readonly string[] = [
  ...GRADS.map((g) => g[0]),
  ...ALL_INPUT_GRADS.map((g) => g[0]),
];

/**
 * Registers the gradients of every kernel in {@linkcode GRADIENT_KERNELS} that has no
 * gradient registered yet, plus {@linkcode GRADIENT_FIXES}. Idempotent; returns how many
 * were (re)registered. `replace: true` replaces every registered gradient with this
 * module's port (used by the tests to check the port itself).
 *
 * @example
 * ```ts
 * import { registerAllGradients } from "./gradients.ts";
 * registerAllGradients(); // e.g. 101
 * registerAllGradients(); // 0: already registered
 * ```
 */
export function registerAllGradients(opts: { replace?: boolean } = {}): number {
  let n = 0;
  for (const [kernelName, inputsToSave, outputsToSave, fn] of GRADS) {
    const existing = tf.getGradient(kernelName);
    if (existing != null) {
      const fix = GRADIENT_FIXES.includes(kernelName) && !fixed.has(existing);
      if (!opts.replace && !fix) continue;
      tf.unregisterGradient(kernelName);
    }
    const config: tf.GradConfig = {
      kernelName,
      inputsToSave,
      outputsToSave,
      gradFunc: fn as unknown as tf.GradConfig["gradFunc"],
    };
    tf.registerGradient(config);
    if (GRADIENT_FIXES.includes(kernelName)) fixed.add(tf.getGradient(kernelName));
    n++;
  }
  for (const [kernelName, fn] of ALL_INPUT_GRADS) {
    if (tf.getGradient(kernelName) != null) {
      if (!opts.replace) continue;
      tf.unregisterGradient(kernelName);
    }
    tf.registerGradient({
      kernelName,
      saveAllInputs: true,
      gradFunc: fn as unknown as tf.GradConfig["gradFunc"],
    });
    n++;
  }
  return n;
}
