import { assert, assertEquals, assertThrows } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { tf } from "../../src/deps_tf.ts";
import { batchNorm, evalContext } from "../../src/model/layers.ts";
import { ParamSet } from "../../src/model/params.ts";
import { Rng } from "../../src/rng.ts";
import { blockGraph, isIdentity } from "../../src/onnx/block_graph.ts";
import { trainedLayers } from "../../src/onnx/layer_source.ts";
import { GraphBuilder } from "../../src/onnx/graph.ts";
import { convKernelToOihw, foldBatchNorm, nhwcRowsToNchw } from "../../src/onnx/layout.ts";
import { WeightMap } from "../../src/onnx/weights.ts";
import { PROBE_GRAPH_BASE64 } from "@noprop/infer";
import { fixtureModel, maxAbsDiff } from "../_helpers/onnx.ts";

await initBackend("wasm");

Deno.test("conv kernels go from tfjs [kh,kw,in,out] to ONNX [out,in,kh,kw]", () => {
  const shape = [3, 3, 2, 4];
  const w = Float32Array.from({ length: 72 }, (_, i) => i);
  const o = convKernelToOihw(w, shape);
  for (let y = 0; y < 3; y++) {
    for (let x = 0; x < 3; x++) {
      for (let i = 0; i < 2; i++) {
        for (let c = 0; c < 4; c++) {
          assertEquals(o[((c * 2 + i) * 3 + y) * 3 + x], w[((y * 3 + x) * 2 + i) * 4 + c]);
        }
      }
    }
  }
});

Deno.test("permuting the dense rows makes an NCHW flatten equal tfjs' NHWC flatten", () => {
  const [h, w, c, out] = [3, 2, 4, 5];
  const rng = new Rng(1);
  const fmap = rng.fillNormal(new Float32Array(h * w * c)); // one NHWC feature map
  const W = rng.fillNormal(new Float32Array(h * w * c * out));
  const ref = tf.matMul(tf.tensor2d(fmap, [1, h * w * c]), tf.tensor2d(W, [h * w * c, out]));
  const nchw = tf.transpose(tf.tensor4d(fmap, [1, h, w, c]), [0, 3, 1, 2]).reshape([1, -1]);
  const got = tf.matMul(
    nchw as tf.Tensor2D,
    tf.tensor2d(nhwcRowsToNchw(W, h, w, c, out), [h * w * c, out]),
  );
  assert(maxAbsDiff(ref.dataSync(), got.dataSync()) < 1e-5);
});

Deno.test("folding BatchNorm into the dense layer matches dense → BN (eval) in tfjs", () => {
  const rng = new Rng(2);
  const [n, i, o] = [4, 6, 3];
  const p = new ParamSet();
  p.dense("fc", i, o, rng);
  p.batchNorm("bn", o);
  const bn = {
    gamma: Float32Array.from({ length: o }, () => 0.5 + rng.uniform()),
    beta: rng.fillNormal(new Float32Array(o)),
    mean: rng.fillNormal(new Float32Array(o)),
    variance: Float32Array.from({ length: o }, () => 0.1 + rng.uniform()),
  };
  p.get("bn.gamma").assign(tf.tensor1d(bn.gamma));
  p.get("bn.beta").assign(tf.tensor1d(bn.beta));
  p.get("bn.mean").assign(tf.tensor1d(bn.mean));
  p.get("bn.var").assign(tf.tensor1d(bn.variance));
  const x = tf.tensor2d(rng.fillNormal(new Float32Array(n * i)), [n, i]);
  const ref = batchNorm(p, "bn", tf.add(tf.matMul(x, p.get("fc.w")), p.get("fc.b")), evalContext());
  const f = foldBatchNorm(
    p.get("fc.w").dataSync() as Float32Array,
    p.get("fc.b").dataSync() as Float32Array,
    bn,
  );
  const got = tf.add(tf.matMul(x, tf.tensor2d(f.w, [i, o])), tf.tensor1d(f.b));
  assert(maxAbsDiff(ref.dataSync(), got.dataSync()) < 1e-5);
});

Deno.test("block graphs: BatchNorm folded, no Transpose, softmax·W_Embed inside", () => {
  for (
    const [embedding, channels] of [["onehot", 1], ["learned", 1], ["prototype", 1], [
      "prototype",
      3,
    ]] as const
  ) {
    const m = fixtureModel({ image: { height: 8, width: 8, channels }, embedding, T: 1 });
    const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [k, v] of [...m.blocks[0].trainable, ...m.blocks[0].buffers]) {
      tensors[k] = { shape: v.shape as number[], data: v.dataSync() as Float32Array };
    }
    const embed = {
      shape: m.embedding.W.shape as number[],
      data: m.embedding.W.dataSync() as Float32Array,
    };
    const g = blockGraph({
      spec: m.spec,
      layers: trainedLayers(new WeightMap("block_01", tensors)),
      embed,
      name: "b",
    });
    const ops = g.opTypes();
    assert(!ops.includes("BatchNormalization"), `${embedding}: ${ops}`);
    assertEquals(
      ops.filter((o) => o === "Transpose").length,
      embedding === "prototype" && channels === 3 ? 1 : 0,
    );
    assertEquals(ops.filter((o) => o === "Gemm").length, 7);
    assertEquals(ops.at(-1), isIdentity(embed) ? "Softmax" : "MatMul");
    assertEquals(ops.includes("Softmax"), true);
  }
});

Deno.test("a weight with the wrong shape is a one-line error naming the tensor", () => {
  const m = fixtureModel({ image: { height: 8, width: 8, channels: 1 }, T: 1 });
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [k, v] of [...m.blocks[0].trainable, ...m.blocks[0].buffers]) {
    tensors[k] = { shape: v.shape as number[], data: v.dataSync() as Float32Array };
  }
  tensors["img.fc.w"] = { shape: [3, 3], data: new Float32Array(9) };
  const embed = { shape: [10, 10], data: m.embedding.W.dataSync() as Float32Array };
  assertThrows(
    () =>
      blockGraph({
        spec: m.spec,
        layers: trainedLayers(new WeightMap("block_01", tensors)),
        embed,
        name: "b",
      }),
    /"block_01\.img\.fc\.w" has shape \[3,3\], expected \[32,32\]/,
  );
  delete tensors["lab.bn2.var"];
  tensors["img.fc.w"] = { shape: [32, 32], data: new Float32Array(32 * 32) };
  assertThrows(
    () =>
      blockGraph({
        spec: m.spec,
        layers: trainedLayers(new WeightMap("block_01", tensors)),
        embed,
        name: "b",
      }),
    /"block_01\.lab\.bn2\.var" is missing/,
  );
});

Deno.test("the runtime's provider-probe model is exactly what the graph builder writes", () => {
  const g = new GraphBuilder("probe");
  g.input("x", [1]);
  g.node("Relu", ["x"], { outputs: ["y"] });
  g.output("y", [1]);
  const b = g.encode({ docString: "noprop provider probe" });
  assertEquals(btoa(String.fromCharCode(...b)), PROBE_GRAPH_BASE64);
});

Deno.test("graph names must be unique", () => {
  const g = new GraphBuilder("g");
  g.input("x", ["N", 2]);
  assertThrows(() => g.floats("x", new Float32Array(2), [2]), /used twice/);
  assertThrows(() => g.floats("w", new Float32Array(3), [2]), /need 2 values/);
});
