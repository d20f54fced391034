/**
 * Float16 weight storage (`src/onnx/fp16_weights.ts`) on the exporter's own graphs: the stored
 * graph computes bit for bit what the float32 graph of the rounded weights computes (so only
 * the weights changed, and only the right ones), stays within the weight-rounding bound of the
 * original graph, keeps biases, scalars and small tensors in float32, passes the reference
 * checker, and onnxruntime folds its casts away when it creates the session.
 */
import { assert, assertEquals } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { nodeEngine, SeededNormal } from "@noprop/infer";
import { loadOrtNode } from "../../src/infer/runtime/ort_node.ts";
import { onnx, type OnnxProto } from "../../src/deps_onnx.ts";
import { continuousSpec, createContinuousNet } from "../../src/model/continuous.ts";
import { continuousGraph, nearestEmbeddingGraph } from "../../src/onnx/continuous_graph.ts";
import { exportRun } from "../../src/onnx/export.ts";
import {
  expandFp16Weights,
  FP16_MIN_ELEMENTS,
  fp16GraphBytes,
  storeWeightsFp16,
} from "../../src/onnx/fp16_weights.ts";
import { GraphBuilder } from "../../src/onnx/graph.ts";
import {
  decodeModel,
  encodeModel,
  floatTensor,
  initializerFloats,
  toNumber,
} from "../../src/onnx/quantize/proto.ts";
import { WeightMap } from "../../src/onnx/weights.ts";
import { Rng } from "../../src/rng.ts";
import { checkOnnx, onnxChecker, writeFixtureRun } from "../_helpers/onnx.ts";

const DT = onnx.TensorProto.DataType;
await initBackend("wasm");

// A DT export with every kind of tensor: convolutions, dense layers of several sizes (10×32 is
// below the threshold, 32×32 = 1024 exactly at it), a learned embedding of 10×128 (a MatMul
// weight), and the fused chain with its sampler scalars.
const { runDir } = await writeFixtureRun({
  image: { height: 28, width: 28, channels: 1 },
  embedding: "learned",
  embedDim: 128,
  T: 2,
});
const exported = await exportRun(runDir, { fused: true });
const graphFiles = exported.files.filter((f) => f.endsWith(".onnx"));
const read = (f: string) => Deno.readFile(`${exported.outDir}/${f}`);

/**
 * The test's own statement of which tensors are weights to round (independent of the
 * transform): float32 initializers of ≥ 1024 values that only Conv, Gemm and MatMul read, and
 * only as their input 1 (the exporter puts its weights there).
 */
function weightsToRound(m: OnnxProto.IModelProto): Set<string> {
  const readers = new Map<string, [string, number][]>();
  for (const n of m.graph!.node!) {
    n.input!.forEach((name, i) =>
      readers.set(name, [...(readers.get(name) ?? []), [n.opType!, i]])
    );
  }
  const out = new Set<string>();
  for (const t of m.graph!.initializer!) {
    const size = (t.dims ?? []).reduce((a: number, d) => a * toNumber(d), 1);
    const r = readers.get(t.name!) ?? [];
    if (
      t.dataType === DT.FLOAT && size >= 1024 && r.length > 0 &&
      r.every(([op, i]) => ["Conv", "Gemm", "MatMul"].includes(op) && i === 1)
    ) out.add(t.name!);
  }
  return out;
}

/** `m` with the tensors `names` rounded to float16 values, still stored as float32. */
function roundedInPlace(m: OnnxProto.IModelProto, names: Set<string>): Uint8Array {
  const initializer = m.graph!.initializer!.map((t) =>
    names.has(t.name!)
      ? floatTensor(
        t.name!,
        initializerFloats(t).map((v) => Math.f16round(v)),
        t.dims!.map(toNumber),
      )
      : t
  );
  return encodeModel({ ...m, graph: { ...m.graph!, initializer } });
}

/** Seeded inputs for a graph's declared inputs (symbolic dimensions = 3). */
function feedsFor(m: OnnxProto.IModelProto, seed: number) {
  const rng = new SeededNormal(seed);
  return Object.fromEntries(m.graph!.input!.map((v) => {
    const dims = v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam ? 3 : toNumber(d.dimValue));
    const data = rng.fill(new Float32Array(dims.reduce((a, b) => a * b, 1)));
    return [v.name!, { data, dims }];
  }));
}

const engine = await nodeEngine("cpu", { threads: 1 });
async function runGraph(bytes: Uint8Array, feeds: ReturnType<typeof feedsFor>, label: string) {
  const s = await engine.open(bytes, label);
  try {
    return Object.values(await s.run(feeds))[0];
  } finally {
    await s.release();
  }
}

Deno.test("each fp16-stored graph computes bit for bit the float32 graph of its rounded weights, and not the original", async () => {
  let roundedSome = 0;
  for (const f of graphFiles) {
    const bytes = await read(f);
    const m = decodeModel(bytes, f);
    const names = weightsToRound(m);
    const feeds = feedsFor(m, 11);
    const stored = await runGraph(fp16GraphBytes(bytes, f).bytes, feeds, `${f} (fp16)`);
    const reference = await runGraph(roundedInPlace(m, names), feeds, `${f} (rounded)`);
    // A bias converted too, or a weight left out, changes the result; a missing Cast does not load.
    assertEquals(stored, reference, f);
    if (names.size > 0) {
      const original = await runGraph(bytes, feeds, f);
      assert(stored.some((v, i) => v !== original[i]), `${f}: the weights were not rounded`);
      roundedSome++;
    }
  }
  assertEquals(roundedSome, graphFiles.length); // blocks, chain, and the 128 × 10 classifier
});

Deno.test("the stored graphs hold every weight of ≥ 1024 values as float16 behind one Cast, and nothing else", async () => {
  for (const f of graphFiles) {
    const bytes = await read(f);
    const before = decodeModel(bytes, f);
    const want = weightsToRound(before);
    const { model: m, report } = storeWeightsFp16(decodeModel(bytes, f));
    assertEquals(new Set(report.converted), want, f);
    assertEquals([m.irVersion, m.opsetImport], [before.irVersion, before.opsetImport], f);
    const inits = m.graph!.initializer!;
    const half = inits.filter((t) => t.dataType === DT.FLOAT16);
    assertEquals(half.length, want.size, f);
    const casts = m.graph!.node!.filter((n) => n.opType === "Cast");
    assertEquals(casts.length, want.size, f);
    for (const c of casts) {
      const src = inits.find((t) => t.name === c.input![0])!;
      assertEquals(src.dataType, DT.FLOAT16, f);
      assert(want.has(c.output![0]), `${f}: ${c.output![0]} is not a weight`);
      assertEquals(toNumber(c.attribute!.find((a) => a.name === "to")!.i), DT.FLOAT);
      // The float16 bits are the nearest float16 of each original value.
      const orig = initializerFloats(
        before.graph!.initializer!.find((t) => t.name === c.output![0])!,
      );
      const raw = new Uint8Array(src.rawData!);
      const h = new Float16Array(raw.buffer, 0, raw.length / 2);
      assert(orig.every((v, i) => h[i] === Math.f16round(v)), `${f}: ${c.output![0]}`);
    }
    // Nothing of ≥ 1024 values is left in float32 in these graphs: the large ones are all weights.
    const big = inits.filter((t) =>
      t.dataType === DT.FLOAT && (t.dims ?? []).reduce((a: number, d) => a * toNumber(d), 1) >=
        FP16_MIN_ELEMENTS
    );
    assertEquals(big.map((t) => t.name), [], f);
  }
  // The sampler's scalars and every bias of the chain stay float32, with the reason.
  const chain = storeWeightsFp16(decodeModel(await read("chain.onnx"), "chain.onnx")).report;
  const why = Object.fromEntries(chain.kept.map((k) => [k.name, k.why]));
  assertEquals(why["step01.a"], "input 1 of Mul (not a multiplied weight)");
  assertEquals(why["b01.img.fc+bn.b"], "input 2 of Gemm (not a multiplied weight)");
  assert(chain.converted.includes("embed.W")); // the learned embedding, 10 × 128, a MatMul weight
});

Deno.test("against the original float32 weights, a Gemm stays within the fp16 rounding bound; a rounded bias would not", async () => {
  // y_j = Σ_i x_i·W_ij + b_j. Rounding to nearest float16 (11 significant bits; spacing 2⁻²⁴
  // below 2⁻¹⁴) moves each weight by |W̃ − W| ≤ max(2⁻¹¹·|W|, 2⁻²⁵), so
  //   |ỹ_j − y_j| ≤ B_j = Σ_i |x_i|·max(2⁻¹¹·|W_ij|, 2⁻²⁵)
  // exactly, plus the float32 rounding of the two evaluations: each sum of K products is off by
  // at most K·2⁻²⁴·Σ_i |x_i||W_ij| (to first order), and the final add by 2⁻²⁴·|y_j|.
  // J = 1024 outputs: the bias is as large as the threshold, so only the transform's rule
  // (never a bias) keeps it float32.
  const K = 256, J = 1024, N = 4;
  const rng = new Rng(3);
  const w = Float32Array.from({ length: K * J }, () => 0.05 * (rng.uniform() - 0.5) * 2);
  w[0] = 1e-6; // below float16's normal range: the absolute term of the bound
  const b = Float32Array.from({ length: J }, (_, j) => 1000.2 + 0.37 * j); // not float16s
  const x = rng.fillNormal(new Float32Array(N * K));
  const g = new GraphBuilder("dense");
  g.input("x", ["N", K]);
  g.node("Gemm", ["x", g.floats("w", w, [K, J]), g.floats("b", b, [J])], { outputs: ["y"] });
  g.output("y", ["N", J]);
  const bytes = g.encode();
  const feeds = { x: { data: x, dims: [N, K] } };
  const y = await runGraph(bytes, feeds, "dense");
  const { bytes: stored, report } = fp16GraphBytes(bytes, "dense");
  assertEquals(report.converted, ["w"]);
  const y16 = await runGraph(stored, feeds, "dense (fp16)");
  let worst = 0, biasRounding = 0;
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < J; j++) {
      let B = 0, S = 0;
      for (let i = 0; i < K; i++) {
        const ax = Math.abs(x[n * K + i]), aw = Math.abs(w[i * J + j]);
        B += ax * Math.max(2 ** -11 * aw, 2 ** -25);
        S += ax * aw;
      }
      const slack = 2 * (K * 2 ** -24 * S * (1 + 2 ** -11) + 2 ** -24 * Math.abs(y[n * J + j]));
      const d = Math.abs(y16[n * J + j] - y[n * J + j]);
      assert(d <= B + slack, `y[${n}, ${j}]: |Δ| = ${d} > ${B} + ${slack}`);
      worst = Math.max(worst, d / (B + slack));
      // What storing b_j in float16 as well would add, against the same bound:
      biasRounding = Math.max(biasRounding, Math.abs(Math.f16round(b[j]) - b[j]) / (B + slack));
    }
  }
  assert(worst > 0, "no rounding effect at all");
  assert(biasRounding > 10, `a rounded bias would stay within the bound (${biasRounding})`);
});

const python = await onnxChecker();
Deno.test({
  name: python
    ? "the reference checker (full_check) accepts the stored graphs of every exporter graph kind"
    : "SKIPPED: reference ONNX checker (/usr/bin/python3 has no onnx module; apt-get install python3-onnx)",
  ignore: !python,
  fn: fp16GraphsPassTheChecker,
});

async function fp16GraphsPassTheChecker() {
  const dir = await Deno.makeTempDir({ prefix: "noprop-fp16-check-" });
  const graphs: [string, Uint8Array][] = [];
  for (const f of graphFiles) graphs.push([f, await read(f)]);
  // CT/FM network graphs (time embedding: Sin, Cos, elementwise constants) and the FM
  // nearest-embedding classifier, from random networks large enough to have fp16 weights.
  const spec = continuousSpec({
    height: 28,
    width: 28,
    channels: 1,
    classes: 10,
    embedDim: 64,
    widths: [4, 8, 8],
    hidden: 64,
  });
  const embed = { shape: [10, 64], data: new Rng(1).fillNormal(new Float32Array(640)) };
  for (const variant of ["ct", "fm"] as const) {
    const weights = new WeightMap("net", await createContinuousNet(spec, new Rng(2)).toArrays());
    graphs.push([
      `${variant}.onnx`,
      continuousGraph({ variant, spec, weights, embed, name: "net" }).encode(),
    ]);
  }
  const big = { shape: [40, 64], data: new Rng(3).fillNormal(new Float32Array(2560)) };
  graphs.push(["nearest.onnx", nearestEmbeddingGraph(big).encode()]);
  const files: string[] = [];
  let converted = 0;
  for (const [name, bytes] of graphs) {
    const r = fp16GraphBytes(bytes, name);
    converted += r.report.converted.length;
    await Deno.writeFile(`${dir}/${name}`, r.bytes);
    files.push(`${dir}/${name}`);
    await runGraph(r.bytes, feedsFor(decodeModel(r.bytes, name), 1), name); // and it runs
  }
  assert(converted >= 20, `only ${converted} tensors converted`);
  assertEquals(await checkOnnx(python!, files), []);
  await Deno.remove(dir, { recursive: true });
}

Deno.test("onnxruntime folds the casts when it creates the session: the optimised graph has none", async () => {
  const ort = await loadOrtNode();
  const dir = await Deno.makeTempDir({ prefix: "noprop-fp16-ort-" });
  const { bytes, report } = fp16GraphBytes(await read("block_01.onnx"), "block_01.onnx");
  assert(report.converted.length >= 5);
  const path = `${dir}/optimised.onnx`;
  const s = await ort.InferenceSession.create(bytes, {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
    optimizedModelFilePath: path,
  });
  await s.release();
  const opt = decodeModel(await Deno.readFile(path), "optimised.onnx");
  assertEquals(opt.graph!.node!.filter((n) => n.opType === "Cast").map((n) => n.name), []);
  assertEquals(opt.graph!.initializer!.filter((t) => t.dataType === DT.FLOAT16).length, 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("expandFp16Weights undoes the storage exactly; storing twice changes nothing", async () => {
  for (const f of graphFiles) {
    const m = decodeModel(await read(f), f);
    // Weights already at float16 values: storing them loses nothing, so expanding gives back
    // the very same bytes.
    const exact = roundedInPlace(m, weightsToRound(m));
    const stored = fp16GraphBytes(exact, f).bytes;
    assertEquals(encodeModel(expandFp16Weights(decodeModel(stored, f))), exact, f);
    assertEquals(fp16GraphBytes(stored, f).bytes, stored, f);
  }
});

Deno.test("a weight beyond float16's range, a graph input and an unused tensor stay float32", () => {
  const g = new GraphBuilder("edge");
  g.input("x", ["N", 64]);
  const huge = new Float32Array(64 * 32).fill(0.5);
  huge[7] = 70000; // rounds to Infinity in float16
  const h = g.node("Gemm", ["x", g.floats("huge", huge, [64, 32])]);
  g.floats("unused", new Float32Array(2048), [2048]);
  g.node("MatMul", [h, g.floats("ok", new Float32Array(32 * 64).fill(0.25), [32, 64])], {
    outputs: ["y"],
  });
  g.output("y", ["N", 64]);
  const { report } = storeWeightsFp16(decodeModel(g.encode(), "edge"));
  assertEquals(report.converted, ["ok"]);
  assertEquals(report.kept, [
    { name: "huge", why: "values beyond float16's range (|w| > 65504)" },
    { name: "unused", why: "no consumer in the graph" },
  ]);
  // An initializer that is also declared as a graph input (overridable) keeps its type.
  const m = decodeModel(g.encode(), "edge");
  m.graph!.input!.push({
    name: "ok",
    type: {
      tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimValue: 32 }, { dimValue: 64 }] } },
    },
  });
  assertEquals(storeWeightsFp16(m).report.kept.at(-1), {
    name: "ok",
    why: "a graph input or output",
  });
});
