/**
 * Converting an exported folder to float16 weight storage (`src/onnx/fp16_folder.ts`): the
 * runtime opens the result (every SHA-256 verified) and its chain still equals its block
 * graphs; the other files of the folder are kept; a failure half-way leaves the old folder
 * byte for byte; a folder already in fp16 is not rewritten; int8 graphs come along, and an fp16
 * folder can still be quantized and given a chain from its block graphs (the same bytes).
 */
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { createClassifier, loadModelFolder, SeededNormal, sha256Hex } from "@noprop/infer";
import { onnx } from "../../src/deps_onnx.ts";
import { exportRun } from "../../src/onnx/export.ts";
import { addChainToExport } from "../../src/onnx/export_chain.ts";
import { ExportError } from "../../src/onnx/export_types.ts";
import { storeExportFp16 } from "../../src/onnx/fp16_folder.ts";
import { calibrateFolder, quantizeBlocks, writeInt8 } from "../../src/onnx/quantize/export.ts";
import { decodeModel } from "../../src/onnx/quantize/proto.ts";
import { writeFileAtomic } from "../../src/atomic.ts";
import { chainVsBlocks, writeFixtureRun } from "../_helpers/onnx.ts";

await initBackend("wasm");

/** A fresh fp32 export of a fixture (blocks of widths 8/16/16, hidden 64, fused chain). */
async function fp32Export(): Promise<string> {
  const { runDir } = await writeFixtureRun({
    image: { height: 28, width: 28, channels: 1 },
    widths: [8, 16, 16],
    hidden: 64,
    T: 3,
  });
  const out = `${runDir}/onnx`;
  await exportRun(runDir, { outDir: out, fused: true });
  await Deno.writeTextFile(`${out}/README.md`, "kept\n");
  return out;
}

/** Every file of `dir` (name → bytes). */
async function snapshot(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(dir)) {
    files.set(e.name, await Deno.readFile(`${dir}/${e.name}`));
  }
  return files;
}

Deno.test("an fp32 export converted to fp16: the runtime opens it, its chain = its block graphs, half the bytes", async () => {
  const dir = await fp32Export();
  const before = await snapshot(dir);
  const r = await storeExportFp16(dir);
  assert(r.changed);
  assertEquals(r.files, [
    "block_01.onnx",
    "block_02.onnx",
    "block_03.onnx",
    "classifier.onnx",
    "chain.onnx",
    "manifest.json",
  ]);
  const f = await loadModelFolder(dir); // every graph checked against its new sha256
  assertEquals(f.manifest.weights, "fp16");
  assertEquals(await sha256Hex(f.chain!), f.manifest.chain!.sha256);
  const after = await snapshot(dir);
  assertEquals(after.get("README.md"), before.get("README.md")); // carried over
  assertEquals([...after.keys()].sort(), [...before.keys()].sort()); // nothing else left
  for (const b of ["block_01.onnx", "chain.onnx"]) {
    const ratio = after.get(b)!.length / before.get(b)!.length;
    assert(ratio > 0.5 && ratio < 0.55, `${b}: ${ratio}`);
    const m = decodeModel(after.get(b)!, b);
    assert(m.graph!.initializer!.some((t) => t.dataType === onnx.TensorProto.DataType.FLOAT16));
  }
  assertEquals(after.get("classifier.onnx"), before.get("classifier.onnx")); // 10 × 10: as it was
  const { T } = f.manifest, n = 4, d = f.manifest.embedDim;
  const x = new SeededNormal(5).fill(new Float32Array(n * 784));
  for (const [k, diff] of (await chainVsBlocks(dir, x, n, T, d)).entries()) {
    assert(diff <= 1e-4, `noise ${k === 1}: ${diff}`);
  }
  const fmt = await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--check", `${dir}/manifest.json`],
    stdout: "null",
    stderr: "null",
  }).output();
  assertEquals(fmt.code, 0, "manifest.json is not in deno fmt's layout");
});

Deno.test("a conversion that fails half-way leaves the old folder byte for byte, and nothing beside it", async () => {
  const dir = await fp32Export();
  const parent = dir.slice(0, dir.lastIndexOf("/"));
  const before = await snapshot(dir);
  const siblings = [...Deno.readDirSync(parent)].map((e) => e.name).sort();
  let writes = 0;
  const diskFullAtThird = (path: string, data: Uint8Array | string) =>
    ++writes === 3
      ? Promise.reject(new Error("No space left on device"))
      : writeFileAtomic(path, data);
  await assertRejects(
    () => storeExportFp16(dir, diskFullAtThird),
    (e: Error) =>
      e instanceof ExportError &&
      /^cannot write .*block_03\.onnx: No space left on device$/.test(e.message),
  );
  assertEquals(await snapshot(dir), before);
  assertEquals([...Deno.readDirSync(parent)].map((e) => e.name).sort(), siblings);
  assertEquals((await loadModelFolder(dir)).manifest.weights, undefined);
});

Deno.test("a folder stored in fp16 already is left untouched", async () => {
  const dir = await fp32Export();
  await storeExportFp16(dir);
  const before = await snapshot(dir);
  const never = () => Promise.reject(new Error("nothing should be written"));
  const r = await storeExportFp16(dir, never);
  assertEquals([r.changed, r.files], [false, []]);
  assertEquals(r.bytesAfter, r.bytesBefore);
  assertEquals(await snapshot(dir), before);
});

Deno.test("int8 graphs are converted along; an fp16 folder is quantized from its fp16 weights", async () => {
  const dir = await fp32Export();
  const x = new SeededNormal(3).fill(new Float32Array(8 * 784));
  // Quantized first, then converted: the int8 graphs are listed with new digests and load.
  let cal = await calibrateFolder(dir, x, { threads: 1 });
  await writeInt8(cal.folder, quantizeBlocks(cal.folder, cal.table).graphs);
  await storeExportFp16(dir);
  const int8 = await createClassifier({ modelDir: dir, provider: "cpu", precision: "int8" });
  assertEquals(int8.precision, "int8");
  await int8.close();
  // Converted first, then quantized: the plan sees the widened weights (every Conv and Gemm it
  // finds in the float graph), and the int8 graphs' float leftovers are stored as float16.
  cal = await calibrateFolder(dir, x, { threads: 1 });
  const q = quantizeBlocks(cal.folder, cal.table);
  assert(q.reports[0].quantized.some((n) => n.startsWith("Gemm:")), q.reports[0].quantized.join());
  assert(q.reports[0].quantized.some((n) => n.startsWith("Conv:")), q.reports[0].quantized.join());
  const m = decodeModel(q.graphs[0], "block_01.int8.onnx");
  const float32 = m.graph!.initializer!.filter((t) =>
    t.dataType === onnx.TensorProto.DataType.FLOAT &&
    (t.dims ?? []).reduce((a: number, d) => a * Number(d), 1) >= 1024
  );
  assertEquals(float32.map((t) => t.name), []);
});

Deno.test("a chain added to an fp16 folder from its block graphs is the converted chain, byte for byte", async () => {
  const dir = await fp32Export();
  await storeExportFp16(dir);
  const chain = await Deno.readFile(`${dir}/chain.onnx`);
  const manifest = await Deno.readTextFile(`${dir}/manifest.json`);
  const r = await addChainToExport(dir);
  assertEquals(await Deno.readFile(`${dir}/chain.onnx`), chain);
  assertEquals(await Deno.readTextFile(`${dir}/manifest.json`), manifest);
  assertEquals(r.manifest.weights, "fp16");
});
