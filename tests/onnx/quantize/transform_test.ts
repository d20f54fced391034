/**
 * The QDQ transform on real exported graphs of every kind (DT blocks with the one-hot, learned
 * and prototype embeddings, a CT network): the reference ONNX checker accepts the result,
 * onnxruntime fuses it into integer kernels, and the quantized chain stays close to the float
 * one. Plus the transform's rules on hand-made graphs.
 */
import { assert, assertEquals, assertThrows } from "../../assert.ts";
import { createClassifier, SeededNormal } from "@noprop/infer";
import { initBackend } from "../../../src/backend/mod.ts";
import { continuousArrays, createContinuousModel } from "../../../src/model/continuous_model.ts";
import { exportRun } from "../../../src/onnx/export.ts";
import { GraphBuilder } from "../../../src/onnx/graph.ts";
import { calibrateFolder, quantizeBlocks, writeInt8 } from "../../../src/onnx/quantize/export.ts";
import { planQuantization } from "../../../src/onnx/quantize/plan.ts";
import { decodeModel, toNumber } from "../../../src/onnx/quantize/proto.ts";
import { MIN_REDUCTION, quantizeModel } from "../../../src/onnx/quantize/transform.ts";
import { loadOrtNode } from "../../../src/infer/runtime/ort_node.ts";
import { dataMetadata, encodeMetadata } from "../../../src/run/metadata.ts";
import { saveSafetensors } from "../../../src/safetensors.ts";
import { f32Tensors } from "../../../src/train/named_tensors.ts";
import { checkOnnx, onnxChecker, writeFixtureRun } from "../../_helpers/onnx.ts";

await initBackend("wasm");
const python = await onnxChecker();

async function ctRun(): Promise<string> {
  const model = createContinuousModel({
    variant: "ct",
    image: { height: 28, width: 28, channels: 1 },
    classes: 10,
    embedding: "onehot",
    embedDim: 10,
    widths: [4, 8, 8],
    hidden: 32,
    seed: 0,
    gamma0: -5,
    gamma1: 5,
    gammaHidden: 4,
  });
  const run = await Deno.makeTempDir({ prefix: "noprop-q-ct-" });
  const md = encodeMetadata({
    format: "noprop-ct",
    variant: "ct",
    embedding: "onehot",
    spec: model.spec,
    ...dataMetadata({
      name: "mnist",
      classNames: [..."0123456789"],
      mean: [0.1307],
      std: [0.3081],
    }),
  });
  await saveSafetensors(
    `${run}/weights.safetensors`,
    f32Tensors(await continuousArrays(model)),
    md,
  );
  return run;
}

const fixtures = [
  { name: "dt one-hot 28×28×1", o: { image: { height: 28, width: 28, channels: 1 } } },
  {
    name: "dt learned 32×32×3",
    o: { image: { height: 32, width: 32, channels: 3 }, embedding: "learned", T: 2 },
  },
  {
    name: "dt prototype 28×28×1",
    o: { image: { height: 28, width: 28, channels: 1 }, embedding: "prototype", T: 2 },
  },
] as const;
const folders: { name: string; dir: string }[] = [];
for (const f of fixtures) {
  const { runDir } = await writeFixtureRun(f.o);
  folders.push({ name: f.name, dir: (await exportRun(runDir)).outDir });
}
folders.push({ name: "ct one-hot network", dir: (await exportRun(await ctRun())).outDir });

function inputs(dir: string, n: number) {
  const m = JSON.parse(Deno.readTextFileSync(`${dir}/manifest.json`));
  const size = m.input.channels * m.input.height * m.input.width;
  return new SeededNormal(4).fill(new Float32Array(n * size)).map((v) => 0.8 * v);
}

Deno.test({
  name: python
    ? "the reference ONNX checker (full_check) accepts every int8 graph, default and everything quantized"
    : "SKIPPED: reference ONNX checker (/usr/bin/python3 has no onnx module; apt-get install python3-onnx)",
  ignore: !python,
  fn: async () => {
    const files: string[] = [];
    const tmp = await Deno.makeTempDir();
    for (const { name, dir } of folders) {
      const { folder, table } = await calibrateFolder(dir, inputs(dir, 6), { threads: 1 });
      for (const minReduction of [MIN_REDUCTION, 0]) {
        const { graphs, reports } = quantizeBlocks(folder, table, { minReduction });
        assert(reports[0].quantized.length > 0, `${name}: nothing quantized`);
        for (const [i, g] of graphs.entries()) {
          const f = `${tmp}/${name.replaceAll(/\W/g, "_")}_${minReduction}_${i}.onnx`;
          await Deno.writeFile(f, g);
          files.push(f);
        }
      }
    }
    assertEquals(await checkOnnx(python!, files), []);
  },
});

Deno.test("onnxruntime fuses the Q/DQ groups into integer kernels (QLinearConv, QGemm, MatMul…)", async () => {
  const ort = await loadOrtNode();
  const { dir } = folders[1]; // learned embedding: convs, Gemms and the W_Embed MatMul
  const { folder, table } = await calibrateFolder(dir, inputs(dir, 6), { threads: 1 });
  const { graphs, reports } = quantizeBlocks(folder, table, { minReduction: 0 });
  assert(reports[0].quantized.some((n) => n.startsWith("MatMul")), reports[0].quantized.join());
  const path = `${await Deno.makeTempDir()}/optimized.onnx`;
  const s = await ort.InferenceSession.create(graphs[0], {
    graphOptimizationLevel: "all",
    optimizedModelFilePath: path,
  });
  await s.release();
  const ops = decodeModel(await Deno.readFile(path), path).graph!.node!.map((n) => n.opType);
  assertEquals(ops.filter((o) => o === "QLinearConv").length, 3, ops.join(" "));
  assert(!ops.includes("Conv"), `a float Conv is left: ${ops.join(" ")}`);
  assert(ops.filter((o) => o === "QGemm").length >= 5, ops.join(" "));
  assert(ops.some((o) => o === "QLinearMatMul" || o === "MatMulIntegerToFloat"), ops.join(" "));
});

Deno.test("int8 chains stay near the float chains (logits within 10% of their range, most argmax equal)", async () => {
  for (const { name, dir } of folders) {
    const copy = await Deno.makeTempDir();
    for (const e of Deno.readDirSync(dir)) {
      if (e.name.endsWith(".onnx") || e.name === "manifest.json") {
        await Deno.copyFile(`${dir}/${e.name}`, `${copy}/${e.name}`);
      }
    }
    const n = 32, x = inputs(copy, n);
    const { folder, table } = await calibrateFolder(copy, x, { threads: 1 });
    await writeInt8(folder, quantizeBlocks(folder, table).graphs);
    const fp = await createClassifier({ modelDir: copy, provider: "cpu", threads: 1 });
    const q = await createClassifier({
      modelDir: copy,
      provider: "cpu",
      threads: 1,
      precision: "int8",
    });
    const a = await fp.logits(x, n, { noise: false }), b = await q.logits(x, n, { noise: false });
    await fp.close();
    await q.close();
    let lo = Infinity, hi = -Infinity, worst = 0, same = 0;
    for (let i = 0; i < a.length; i++) {
      [lo, hi] = [Math.min(lo, a[i]), Math.max(hi, a[i])];
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
    const K = a.length / n;
    const argmax = (v: Float32Array, r: number) => {
      let k = 0;
      for (let j = 1; j < K; j++) if (v[r * K + j] > v[r * K + k]) k = j;
      return k;
    };
    for (let r = 0; r < n; r++) if (argmax(a, r) === argmax(b, r)) same++;
    assert(worst <= 0.1 * (hi - lo), `${name}: max |Δlogit| ${worst}, range ${hi - lo}`);
    assert(worst > 0, `${name}: int8 logits equal the float ones: nothing was quantized?`);
    assert(same >= 0.8 * n, `${name}: argmax agrees on ${same}/${n}`);
  }
});

function graph(build: (g: GraphBuilder) => void, opset?: number) {
  const g = new GraphBuilder("g");
  build(g);
  return decodeModel(g.encode({ opset }), "g");
}
const w = (k: number, n: number) => new SeededNormal(1).fill(new Float32Array(k * n));

Deno.test("plan: which nodes are quantized, and why the others are not", () => {
  const m = graph((g) => {
    g.input("x", ["N", 32]);
    g.node("Gemm", ["x", g.floats("w1", w(32, 32), [32, 32])], { outputs: ["a"] });
    g.node("Gemm", ["a", g.floats("w2", w(32, 32), [32, 32])], {
      outputs: ["b"],
      attrs: { transA: 1 },
    });
    g.node("Gemm", ["b", g.floats("w3", w(8, 32), [8, 32])], { outputs: ["c"] }); // K = 8
    g.node("MatMul", [g.floats("k", w(2, 32), [2, 32]), "c"], { outputs: ["d"] });
    g.output("d", [2, 32]);
  });
  const p = planQuantization(m, undefined, 16);
  assertEquals(p.targets.map((n) => n.output![0]), ["a"]);
  assertEquals(p.skipped, [
    { node: "Gemm:b", reason: "transA = 1" },
    { node: "Gemm:c", reason: "its reduction length 8 is below 16" },
    { node: "MatMul:d", reason: "its data input is a constant" },
  ]);
});

Deno.test("transform: a ReLU whose input has other readers is kept; graph outputs stay float", () => {
  const m = graph((g) => {
    g.input("x", ["N", 16]);
    g.node("Gemm", ["x", g.floats("w1", w(16, 16), [16, 16])], { outputs: ["a"] });
    g.node("Relu", ["a"], { outputs: ["r"] });
    g.node("Add", ["a", "r"], { outputs: ["s"] }); // a read twice: the ReLU cannot be folded
    g.node("Gemm", ["r", g.floats("w2", w(16, 16), [16, 16])], { outputs: ["y"] });
    g.output("y", ["N", 16]);
    g.output("s", ["N", 16]);
  });
  const ranges = new Map(["x", "a", "r"].map((t) => [t, { min: -1, max: 1 }]));
  const { model, report } = quantizeModel(m, ranges, { minReduction: 0 });
  assertEquals(report.foldedRelus, 0);
  const nodes = model.graph!.node!;
  assert(nodes.some((n) => n.opType === "Relu"));
  // y (a graph output, read by no target) has no Q/DQ pair; x and r have one each.
  assertEquals(
    nodes.filter((n) => n.opType === "QuantizeLinear").map((n) => n.input![0]),
    ["x", "r"],
  );
  assertEquals(model.graph!.output!.map((o) => o.name), ["y", "s"]);
});

Deno.test("transform: a weight shared by two nodes is stored once; MatMul weights per column", () => {
  const m = graph((g) => {
    g.input("x", ["N", 16]);
    const shared = g.floats("w", w(16, 16), [16, 16]);
    g.node("MatMul", ["x", shared], { outputs: ["a"] });
    g.node("MatMul", ["a", shared], { outputs: ["y"] });
    g.output("y", ["N", 16]);
  });
  const ranges = new Map(["x", "a"].map((t) => [t, { min: -2, max: 2 }]));
  const { model } = quantizeModel(m, ranges, { minReduction: 0 });
  const inits = model.graph!.initializer!.map((t) => t.name);
  assertEquals(inits.filter((n) => n!.startsWith("w_quantized")), ["w_quantized"]);
  assert(!inits.includes("w"), "the float weight is gone");
  const dq = model.graph!.node!.find((n) => n.input![0] === "w_quantized")!;
  assertEquals(toNumber(dq.attribute![0].i), 1); // the output column of [K, N]
});

Deno.test("transform: opset below 13 is refused (no per-channel Q/DQ there)", () => {
  const m = graph((g) => {
    g.input("x", ["N", 16]);
    g.node("MatMul", ["x", g.floats("w", w(16, 16), [16, 16])], { outputs: ["y"] });
    g.output("y", ["N", 16]);
  }, 12);
  assertThrows(
    () => quantizeModel(m, new Map([["x", { min: 0, max: 1 }]])),
    /^Error: graph g: opset 12; per-channel Q\/DQ needs ≥ 13$/,
  );
});
