/**
 * The backbone's layers (`src/model/layers.ts`): BatchNorm2d against a float64 reference of
 * PyTorch's definition, and the strided conv's padding against PyTorch's (symmetric), not
 * TensorFlow's 'same' (which pads only after for stride 2).
 */
import { assert, assertEquals } from "../assert.ts";
import { tf } from "../../src/deps_tf.ts";
import { initBackend, readTensor } from "../../src/backend/mod.ts";
import {
  applyBatchNormUpdates,
  batchNorm2d,
  BN_EPS,
  evalContext,
  type ForwardContext,
  paddedConv,
} from "../../src/model/layers.ts";
import { ParamSet } from "../../src/model/params.ts";
import { Rng } from "../../src/rng.ts";

await initBackend("wasm");

Deno.test("BatchNorm2d normalises per channel over N·H·W and updates running stats like PyTorch", async () => {
  const [N, H, W, C] = [3, 4, 5, 2];
  const rng = new Rng(1);
  const x = rng.fillNormal(new Float32Array(N * H * W * C)).map((v, i) => 2 * v + (i % C) * 3);
  const p = new ParamSet();
  p.batchNorm("bn", C);
  p.get("bn.gamma").assign(tf.tensor1d([1.5, -0.5]));
  p.get("bn.beta").assign(tf.tensor1d([0.2, 1]));
  const ctx: ForwardContext = { training: true, dropout: 0, bnMomentum: 0.1, updates: [] };
  const y = await readTensor(batchNorm2d(p, "bn", tf.tensor4d(x, [N, H, W, C]), ctx));
  applyBatchNormUpdates(p, ctx);
  const rm = await readTensor(p.get("bn.mean")), rv = await readTensor(p.get("bn.var"));
  const n = N * H * W;
  for (let c = 0; c < C; c++) {
    let mu = 0, v = 0;
    for (let i = c; i < x.length; i += C) mu += x[i] / n;
    for (let i = c; i < x.length; i += C) v += (x[i] - mu) ** 2 / n; // biased
    const [g, b] = [[1.5, -0.5][c], [0.2, 1][c]];
    for (let i = c; i < x.length; i += C) {
      const want = g * (x[i] - mu) / Math.sqrt(v + BN_EPS) + b;
      assert(Math.abs(y[i] - want) < 1e-4, `channel ${c}: ${y[i]} vs ${want}`);
    }
    assert(Math.abs(rm[c] - 0.1 * mu) < 1e-5, `running mean ${rm[c]} vs ${0.1 * mu}`);
    const wantVar = 0.9 + 0.1 * v * n / (n - 1); // unbiased
    assert(Math.abs(rv[c] - wantVar) < 1e-4, `running var ${rv[c]} vs ${wantVar}`);
  }
  // Eval mode uses the running statistics.
  const e = await readTensor(batchNorm2d(p, "bn", tf.ones([1, 1, 1, C]), evalContext()));
  for (let c = 0; c < C; c++) {
    const want = [1.5, -0.5][c] * (1 - rm[c]) / Math.sqrt(rv[c] + BN_EPS) + [0.2, 1][c];
    assert(Math.abs(e[c] - want) < 1e-5, `eval channel ${c}: ${e[c]} vs ${want}`);
  }
  p.dispose();
});

Deno.test("a stride-2 3×3 conv pads one pixel on every side, as PyTorch's padding=1", async () => {
  const p = new ParamSet();
  p.add("c.w", [3, 3, 1, 1], new Float32Array(9).fill(1));
  p.add("c.b", [1], new Float32Array(1));
  const x = tf.tensor4d(Float32Array.from({ length: 16 }, (_, i) => i), [1, 4, 4, 1]);
  const y = paddedConv(p, "c", x, 2);
  assertEquals(y.shape, [1, 2, 2, 1]);
  // Windows centred on (0,0), (0,2), (2,0), (2,2): 0+1+4+5, 1+2+3+5+6+7, 4+5+8+9+12+13, 5+…+15.
  assertEquals(Array.from(await readTensor(y)), [10, 24, 51, 90]);
  // A 1×1 stride-2 conv (the projection shortcut) samples rows and columns 0, 2.
  p.add("s.w", [1, 1, 1, 1], Float32Array.of(1));
  p.add("s.b", [1], new Float32Array(1));
  assertEquals(Array.from(await readTensor(paddedConv(p, "s", x, 2))), [0, 2, 8, 10]);
  p.dispose();
});
