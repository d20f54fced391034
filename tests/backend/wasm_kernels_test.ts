// The project's wasm kernels (src/backend/wasm_kernels.ts) against the stock cpu backend.
import { tf } from "../../src/deps_tf.ts";
import { initBackend, WASM_KERNELS } from "../../src/backend/mod.ts";
import { filterGradAlgo } from "../../src/backend/wasm_kernels.ts";
import { Rng } from "../../src/rng.ts";
import { assert, assertEquals, assertThrows } from "../assert.ts";

await initBackend("cpu");
await initBackend("wasm");

type Backend = "cpu" | "wasm";

function zeros4(shape: number[]): tf.Tensor4D {
  const z: tf.Tensor = tf.zeros(shape);
  return z as tf.Tensor4D;
}

function randn(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/** Runs `f` on `backend` and returns the values of its output tensor(s). */
async function on(
  backend: Backend,
  f: () => tf.Tensor | tf.Tensor[],
): Promise<{ shape: number[]; values: Float32Array }[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const res = [];
  for (const t of list) {
    res.push({ shape: t.shape, values: new Float32Array(await t.data()) });
  }
  tf.dispose(list);
  return res;
}

/** Elementwise |a−b| ≤ tol·max(1, max|b|) (relative to the reference's scale). */
function assertClose(
  got: { shape: number[]; values: Float32Array }[],
  want: { shape: number[]; values: Float32Array }[],
  what: string,
  tol = 1e-4,
) {
  assertEquals(got.length, want.length, `${what}: output count`);
  for (let k = 0; k < got.length; k++) {
    assertEquals(got[k].shape, want[k].shape, `${what}: shape of output ${k}`);
    const g = got[k].values, w = want[k].values;
    let scale = 1;
    for (const v of w) scale = Math.max(scale, Math.abs(v));
    let worst = 0, at = -1;
    for (let i = 0; i < w.length; i++) {
      const d = Math.abs(g[i] - w[i]);
      if (!(d <= worst)) {
        worst = d;
        at = i;
      }
    }
    assert(
      worst <= tol * scale,
      `${what}: output ${k} differs by ${worst} at ${at} (got ${g[at]}, want ${w[at]}, ` +
        `scale ${scale})`,
    );
  }
}

async function compare(what: string, f: () => tf.Tensor | tf.Tensor[], tol = 1e-4) {
  const want = await on("cpu", f);
  const got = await on("wasm", f);
  assertClose(got, want, what, tol);
}

type Pad = "same" | "valid" | [[0, 0], [number, number], [number, number], [0, 0]];
interface ConvCase {
  x: [number, number, number, number];
  f: [number, number, number, number];
  s: number | [number, number];
  pad: Pad;
}

const CONV_CASES: ConvCase[] = [
  { x: [2, 7, 7, 3], f: [3, 3, 3, 4], s: 1, pad: "same" },
  { x: [3, 9, 8, 2], f: [3, 3, 2, 5], s: 2, pad: "same" },
  { x: [2, 10, 11, 3], f: [3, 3, 3, 2], s: 2, pad: "valid" },
  { x: [1, 6, 6, 1], f: [5, 5, 1, 3], s: 1, pad: "valid" },
  { x: [4, 8, 8, 5], f: [2, 2, 5, 3], s: 2, pad: "valid" },
  { x: [2, 9, 9, 4], f: [3, 3, 4, 6], s: 3, pad: "same" },
  { x: [2, 7, 9, 3], f: [3, 2, 3, 2], s: [2, 1], pad: "same" },
  { x: [2, 8, 7, 2], f: [3, 3, 2, 3], s: 1, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { x: [2, 9, 8, 2], f: [3, 3, 2, 3], s: 2, pad: [[0, 0], [2, 0], [1, 1], [0, 0]] },
  { x: [5, 28, 28, 1], f: [3, 3, 1, 8], s: 1, pad: "same" },
  { x: [3, 14, 14, 16], f: [3, 3, 16, 24], s: 1, pad: "same" },
  { x: [1, 5, 5, 1], f: [1, 1, 1, 1], s: 1, pad: "valid" },
  { x: [2, 6, 6, 3], f: [4, 4, 3, 2], s: 2, pad: "same" },
];

function caseName(c: ConvCase) {
  return `x${JSON.stringify(c.x)} f${JSON.stringify(c.f)} s${JSON.stringify(c.s)} ` +
    `pad ${JSON.stringify(c.pad)}`;
}

Deno.test("registers the project's wasm kernels", () => {
  for (const name of WASM_KERNELS) assert(tf.getKernel(name, "wasm"), name);
  assert(tf.getKernel("Conv2DBackpropFilter", "wasm"));
});

for (const mode of ["im2col", "conv", "im2col-chunked"] as const) {
  Deno.test(`Conv2DBackpropFilter (${mode}) matches cpu`, async () => {
    filterGradAlgo.mode = mode === "conv" ? "conv" : "im2col";
    // A tiny cap forces batch chunks of 1-2 images.
    if (mode === "im2col-chunked") filterGradAlgo.maxIm2colBytes = 4000;
    try {
      const rng = new Rng(1);
      for (const c of CONV_CASES) {
        const xv = randn(rng, c.x.reduce((a, b) => a * b));
        const outShape = (await on("cpu", () =>
          tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.f) as tf.Tensor4D, c.s, c.pad)))[0]
          .shape;
        const dyv = randn(
          rng,
          outShape.reduce((a, b) =>
            a * b
          ),
        );
        await compare(`filter grad ${caseName(c)}`, () =>
          tf.engine().runKernel("Conv2DBackpropFilter", {
            x: tf.tensor(xv, c.x),
            dy: tf.tensor(dyv, outShape),
          }, {
            strides: c.s,
            pad: c.pad,
            dataFormat: "NHWC",
            filterShape: c.f,
          }) as tf.Tensor);
      }
    } finally {
      filterGradAlgo.mode = "auto";
      filterGradAlgo.maxIm2colBytes = 64 * 1024 * 1024;
    }
  });
}

Deno.test("Conv2DBackpropInput matches cpu", async () => {
  const rng = new Rng(2);
  const cases: ConvCase[] = [
    ...CONV_CASES,
    // Pads wider than the kernel: falls back to the stock wasm kernel.
    { x: [2, 5, 5, 2], f: [3, 3, 2, 3], s: 1, pad: [[0, 0], [3, 3], [3, 3], [0, 0]] },
  ];
  for (const c of cases) {
    const fv = randn(rng, c.f.reduce((a, b) => a * b));
    const outShape = (await on("cpu", () =>
      tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.f) as tf.Tensor4D, c.s, c.pad)))[0].shape;
    const dyv = randn(
      rng,
      outShape.reduce((a, b) =>
        a * b
      ),
    );
    await compare(`input grad ${caseName(c)}`, () =>
      tf.engine().runKernel("Conv2DBackpropInput", {
        dy: tf.tensor(dyv, outShape),
        filter: tf.tensor(fv, c.f),
      }, {
        strides: c.s,
        pad: c.pad,
        dataFormat: "NHWC",
        inputShape: c.x,
      }) as tf.Tensor);
  }
});

Deno.test("conv2d gradients via tf.grads match cpu (4D and 3D input)", async () => {
  const rng = new Rng(3);
  for (const c of CONV_CASES.slice(0, 6)) {
    const xv = randn(rng, c.x.reduce((a, b) => a * b));
    const fv = randn(rng, c.f.reduce((a, b) => a * b));
    await compare(
      `grads ${caseName(c)}`,
      () =>
        tf.grads((x: tf.Tensor, f: tf.Tensor) =>
          tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad)))
        )([tf.tensor(xv, c.x), tf.tensor(fv, c.f)]),
    );
  }
  const x3 = randn(rng, 6 * 6 * 2), f3 = randn(rng, 3 * 3 * 2 * 3);
  await compare(
    "grads rank-3 input",
    () =>
      tf.grads((x: tf.Tensor, f: tf.Tensor) =>
        tf.sum(tf.conv2d(x as tf.Tensor3D, f as tf.Tensor4D, 1, "same"))
      )([tf.tensor(x3, [6, 6, 2]), tf.tensor(f3, [3, 3, 2, 3])]),
  );
});

Deno.test("Conv2DBackpropFilter rejects NCHW with a clear error", async () => {
  await tf.setBackend("wasm");
  tf.tidy(() => {
    assertThrows(
      () =>
        tf.engine().runKernel("Conv2DBackpropFilter", {
          x: tf.zeros([1, 2, 5, 5]),
          dy: tf.zeros([1, 3, 5, 5]),
        }, { strides: 1, pad: "same", dataFormat: "NCHW", filterShape: [3, 3, 2, 3] }),
      /only dataFormat 'NHWC'/,
    );
  });
});

Deno.test("BatchMatMul with transposes matches cpu", async () => {
  const rng = new Rng(4);
  const shapes: [number[], number[]][] = [
    [[5, 7], [7, 3]],
    [[1, 4, 6], [3, 6, 2]],
    [[2, 3, 4], [2, 4, 5]],
    [[33, 65], [65, 17]],
  ];
  for (const [sa, sb] of shapes) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const a = ta ? [...sa.slice(0, -2), sa.at(-1)!, sa.at(-2)!] : sa;
        const b = tb ? [...sb.slice(0, -2), sb.at(-1)!, sb.at(-2)!] : sb;
        const av = randn(rng, a.reduce((p, q) => p * q));
        const bv = randn(rng, b.reduce((p, q) => p * q));
        await compare(
          `matMul ${a} ${b} tA=${ta} tB=${tb}`,
          () => tf.matMul(tf.tensor(av, a), tf.tensor(bv, b), ta, tb),
        );
      }
    }
  }
});

Deno.test("MaxPoolGrad matches cpu", async () => {
  const rng = new Rng(5);
  const cases: [
    number[],
    number | [number, number],
    number | [number, number],
    "same" | "valid",
  ][] = [
    [[2, 8, 8, 3], 2, 2, "valid"],
    [[2, 9, 7, 4], 2, 2, "valid"],
    [[3, 9, 7, 2], 3, 2, "same"],
    [[1, 6, 6, 5], 3, 1, "same"],
    [[2, 7, 8, 3], [2, 3], [1, 2], "valid"],
    [[4, 28, 28, 8], 2, 2, "valid"],
  ];
  for (const [shape, size, stride, pad] of cases) {
    const xv = randn(rng, shape.reduce((p, q) => p * q));
    const y = (await on("cpu", () => tf.maxPool(zeros4(shape), size, stride, pad)))[0];
    const dyv = randn(rng, y.values.length);
    await compare(
      `maxPool grad ${shape} ${size} ${stride} ${pad}`,
      () =>
        tf.grad((x: tf.Tensor) =>
          tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, size, stride, pad), tf.tensor(dyv, y.shape)))
        )(tf.tensor(xv, shape)),
    );
  }
});

Deno.test("Slice, SplitV and Unpack match cpu (contiguous, strided, int32)", async () => {
  const rng = new Rng(9);
  const xv = randn(rng, 6 * 4 * 3 * 2);
  const x = () => tf.tensor(xv, [6, 4, 3, 2]);
  await compare("slice along axis 0 (contiguous)", () => tf.slice(x(), [2, 0, 0, 0], [3, 4, 3, 2]));
  await compare("slice inside a row (contiguous)", () => tf.slice(x(), [1, 2, 1, 0], [1, 1, 2, 2]));
  await compare("slice along axis 3 (strided)", () => tf.slice(x(), [0, 1, 0, 1], [6, 2, 3, 1]));
  await compare("split along axis 0", () => tf.split(x(), 3, 0));
  await compare("split along axis 0, uneven", () => tf.split(x(), [1, 5], 0));
  await compare("split along axis 2 (strided)", () => tf.split(x(), 3, 2));
  await compare("unstack along axis 0", () => tf.unstack(x()));
  await compare("unstack along axis 1 (strided)", () => tf.unstack(x(), 1));
  await compare("int32 slice", () => tf.cast(tf.slice(tf.cast(x(), "int32"), [1], [2]), "float32"));
  await compare(
    "split and unstack gradients",
    () =>
      tf.grad((a: tf.Tensor) => {
        const parts = tf.split(a, 2, 0).map((p, i) => tf.mul(p, i + 1));
        return tf.sum(
          tf.mul(tf.stack(tf.unstack(tf.concat(parts, 0))), tf.tensor(xv, [6, 4, 3, 2])),
        );
      })(x()),
  );
});

Deno.test("Sum matches cpu (leading axes, keepDims, fallbacks)", async () => {
  const rng = new Rng(6);
  const xv = randn(rng, 4 * 5 * 6 * 7);
  const ints = Int32Array.from(xv, (v) => Math.round(v * 10));
  const x = () => tf.tensor(xv, [4, 5, 6, 7]);
  for (const axis of [[0], [0, 1], [0, 1, 2], [1, 0], [0, 1, 2, 3], [3], [1, 2], [0, 2]]) {
    for (const keepDims of [false, true]) {
      await compare(`sum axis ${axis} keepDims ${keepDims}`, () => tf.sum(x(), axis, keepDims));
    }
  }
  await compare("sum all", () => tf.sum(x()));
  await compare(
    "sum int32",
    () => tf.cast(tf.sum(tf.tensor(ints, [4, 5, 6, 7], "int32"), [0, 1]), "float32"),
  );
});

Deno.test("UnsortedSegmentSum and gather gradient match cpu", async () => {
  const rng = new Rng(7);
  const xv = randn(rng, 6 * 4);
  await compare(
    "unsortedSegmentSum",
    () =>
      tf.unsortedSegmentSum(tf.tensor(xv, [6, 4]), tf.tensor1d([0, 2, -1, 2, 5, 1], "int32"), 4),
  );
  await compare(
    "gather grad axis 0",
    () =>
      tf.grad((p: tf.Tensor) =>
        tf.sum(tf.square(tf.gather(p, tf.tensor1d([3, 0, 3, 5, 1], "int32"))))
      )(tf.tensor(xv, [6, 4])),
  );
  await compare(
    "gather grad axis 1",
    () =>
      tf.grad((p: tf.Tensor) =>
        tf.sum(tf.square(tf.gather(p, tf.tensor1d([3, 0, 3], "int32"), 1)))
      )(tf.tensor(xv, [6, 4])),
  );
});

Deno.test("a tiny NoProp-like block: forward + backward on wasm equals cpu", async () => {
  const rng = new Rng(8);
  const B = 6;
  const init = {
    c1: randn(rng, 3 * 3 * 1 * 4).map((v) => v * 0.3),
    c2: randn(rng, 3 * 3 * 4 * 6).map((v) => v * 0.2),
    c3: randn(rng, 3 * 3 * 6 * 8).map((v) => v * 0.2),
    fx: randn(rng, 3 * 3 * 8 * 16).map((v) => v * 0.1),
    fz: randn(rng, 10 * 16).map((v) => v * 0.3),
    h: randn(rng, 32 * 10).map((v) => v * 0.2),
    emb: randn(rng, 10 * 10),
  };
  const xv = Float32Array.from({ length: B * 12 * 12 }, () => rng.uniform());
  const labels = Int32Array.from({ length: B }, () => Math.floor(rng.uniform() * 10));
  const run = () => {
    const vars = {
      c1: tf.variable(tf.tensor(init.c1, [3, 3, 1, 4]), true, "c1"),
      c2: tf.variable(tf.tensor(init.c2, [3, 3, 4, 6]), true, "c2"),
      c3: tf.variable(tf.tensor(init.c3, [3, 3, 6, 8]), true, "c3"),
      fx: tf.variable(tf.tensor(init.fx, [72, 16]), true, "fx"),
      fz: tf.variable(tf.tensor(init.fz, [10, 16]), true, "fz"),
      g: tf.variable(tf.ones([16]), true, "g"),
      beta: tf.variable(tf.zeros([16]), true, "beta"),
      h: tf.variable(tf.tensor(init.h, [32, 10]), true, "h"),
      hb: tf.variable(tf.zeros([10]), true, "hb"),
      emb: tf.variable(tf.tensor(init.emb, [10, 10]), true, "emb"),
    };
    const x = tf.tensor(xv, [B, 12, 12, 1]) as tf.Tensor4D;
    const y = tf.tensor1d(labels, "int32");
    const { value, grads } = tf.variableGrads(() => {
      const conv = (h: tf.Tensor4D, w: tf.Variable) =>
        tf.relu(tf.conv2d(h, w as tf.Tensor4D, 1, "same")) as tf.Tensor4D;
      let h = tf.maxPool(conv(x, vars.c1), 2, 2, "valid"); // 6x6
      h = tf.dropout(h, 0.2, undefined, 42) as tf.Tensor4D;
      h = conv(h, vars.c2);
      h = tf.maxPool(conv(h, vars.c3), 2, 2, "valid"); // 3x3x8
      const fx0 = tf.matMul(tf.reshape(h, [B, 72]) as tf.Tensor2D, vars.fx as tf.Tensor2D);
      const { mean, variance } = tf.moments(fx0, 0);
      const fx = tf.relu(
        tf.add(
          tf.mul(tf.div(tf.sub(fx0, mean), tf.sqrt(tf.add(variance, 1e-5))), vars.g),
          vars.beta,
        ),
      );
      const z = tf.gather(vars.emb, y); // label embedding
      const fz = tf.tanh(tf.matMul(z as tf.Tensor2D, vars.fz as tf.Tensor2D));
      const u = tf.concat([fx, tf.sigmoid(fz)], 1) as tf.Tensor2D;
      const logits = tf.add(tf.matMul(u, vars.h as tf.Tensor2D), vars.hb);
      const ce = tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(y, 10), tf.logSoftmax(logits)), 1)));
      const mse = tf.mean(tf.square(tf.sub(tf.softmax(logits), tf.exp(tf.log(tf.add(z, 5))))));
      return tf.add(ce, tf.mul(mse, 0.1)) as tf.Scalar;
    });
    const names = Object.keys(vars).sort();
    const out = [value, ...names.map((n) => grads[n])];
    tf.dispose(Object.values(vars));
    return out;
  };
  await compare("block loss and gradients", run, 2e-4);
});

Deno.test("Cast / Identity share buffers safely and cast to bool is x != 0", async () => {
  await compare("cast chain", () => {
    const x = tf.tensor1d([0, 0.5, -2, 3.7, -0.25]);
    const same = tf.cast(x, "float32");
    const c = tf.clone(same);
    return [
      tf.add(same, c),
      tf.cast(tf.cast(x, "bool"), "float32"),
      tf.cast(tf.cast(x, "int32"), "float32"),
      tf.cast(tf.cast(tf.tensor1d([0, 2, -1], "int32"), "bool"), "float32"),
    ];
  });
  await tf.setBackend("wasm");
  const before = tf.memory().numBytes;
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.cast(x, "float32");
  const z = tf.clone(y);
  x.dispose();
  y.dispose();
  assertEquals(Array.from(await z.data()), [1, 2, 3]);
  z.dispose();
  assertEquals(tf.memory().numBytes, before);
});
