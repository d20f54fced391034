/**
 * Every exported graph passes the reference ONNX checker with full shape inference (Debian's
 * python3-onnx; skipped, visibly, where it is not installed) and loads in onnxruntime-node.
 */
import { assert, assertEquals } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { exportRun } from "../../src/onnx/export.ts";
import { loadModelFolder, nodeEngine } from "@noprop/infer";
import { checkOnnx, onnxChecker, writeFixtureRun } from "../_helpers/onnx.ts";

await initBackend("wasm");
const python = await onnxChecker();
const models = [
  { image: { height: 28, width: 28, channels: 1 }, embedding: "onehot" },
  { image: { height: 28, width: 28, channels: 1 }, embedding: "prototype", T: 2 },
  { image: { height: 32, width: 32, channels: 3 }, embedding: "learned" },
  { image: { height: 32, width: 32, channels: 3 }, embedding: "prototype", T: 2 },
] as const;
const exported: string[] = [];
for (const m of models) {
  const { runDir } = await writeFixtureRun(m);
  const r = await exportRun(runDir);
  exported.push(...r.files.filter((f) => f.endsWith(".onnx")).map((f) => `${r.outDir}/${f}`));
}

Deno.test({
  name: python
    ? "the reference ONNX checker (full_check) accepts every exported graph"
    : "SKIPPED: reference ONNX checker (/usr/bin/python3 has no onnx module; apt-get install python3-onnx)",
  ignore: !python,
  fn: async () => {
    assertEquals(await checkOnnx(python!, exported), []);
  },
});

Deno.test("onnxruntime-node loads every exported graph", async () => {
  const engine = await nodeEngine("cpu", { threads: 1 });
  for (const f of exported) {
    const s = await engine.open(await Deno.readFile(f), f);
    assert(s.outputNames.length === 1, f);
    await s.release();
  }
});

Deno.test("the exported folder is a valid model folder for the runtime", async () => {
  const { runDir } = await writeFixtureRun({ image: { height: 28, width: 28, channels: 1 } });
  const r = await exportRun(runDir);
  const folder = await loadModelFolder(r.outDir);
  assertEquals(folder.manifest.T, 3);
  assertEquals(folder.manifest.input, {
    layout: "NCHW",
    dtype: "float32",
    channels: 1,
    height: 28,
    width: 28,
  });
  assertEquals(folder.manifest.normalization, { mean: [0.1307], std: [0.3081] });
  assertEquals(folder.manifest.blocks.map((b) => b.file), [
    "block_01.onnx",
    "block_02.onnx",
    "block_03.onnx",
  ]);
});
