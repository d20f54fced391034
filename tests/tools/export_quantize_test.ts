/**
 * `deno task export --quantize int8`: the int8 graphs are written beside the float ones and
 * listed in the manifest with their sha256, the float export is unchanged, an exported folder
 * can be quantized in place, and bad flags are one-line errors.
 */
import { assert, assertEquals } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { loadModelFolder, sha256Hex } from "@noprop/infer";
import { writeFixtureRun } from "../_helpers/onnx.ts";
import { writeSyntheticMnist } from "../_helpers/train.ts";
import { runTool } from "../_helpers/cli.ts";

await initBackend("wasm");
const { runDir } = await writeFixtureRun({ image: { height: 28, width: 28, channels: 1 } });
const data = await Deno.makeTempDir();
await writeSyntheticMnist(data, 64, 16);

/** `deno task export …` from the repository root, its output trimmed. */
async function run(...args: string[]) {
  const r = await runTool("tools/export.ts", args);
  return { code: r.code, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

Deno.test("export --quantize int8 writes *.int8.onnx beside the float graphs, listed with their sha256", async () => {
  const plain = await Deno.makeTempDir(), out = await Deno.makeTempDir();
  assertEquals((await run("--run", runDir, "--out", plain)).code, 0);
  const r = await run(
    "--run",
    runDir,
    "--out",
    out,
    "--quantize",
    "int8",
    "--calibration",
    "32",
    "--data-dir",
    data,
    "--eval",
  );
  assertEquals(r.code, 0, r.stderr);
  assert(
    /quantized .*: 3 int8 graphs .* calibrated on 32 mnist training images.* every graph loads/
      .test(r.stdout),
    r.stdout,
  );
  assert(/test accuracy through onnxruntime \(fp32\): [\d.]+% of 16 /.test(r.stdout), r.stdout);
  assert(/test accuracy through onnxruntime \(int8\): [\d.]+% of 16 /.test(r.stdout), r.stdout);
  assert(/int8 − fp32: -?[\d.]+ points/.test(r.stdout), r.stdout);
  const m = JSON.parse(await Deno.readTextFile(`${out}/manifest.json`));
  assertEquals(
    m.int8.map((q: { replaces: string; file: string }) => [q.replaces, q.file]),
    [1, 2, 3].map((t) => [`block_0${t}.onnx`, `block_0${t}.int8.onnx`]),
  );
  for (const q of m.int8) {
    assertEquals(await sha256Hex(await Deno.readFile(`${out}/${q.file}`)), q.sha256, q.file);
  }
  // The float graphs are the plain export's, byte for byte; only the manifest gained a list.
  const p = JSON.parse(await Deno.readTextFile(`${plain}/manifest.json`));
  assertEquals({ ...m, int8: undefined }, { ...p, int8: undefined });
  const fmt = await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--check", `${out}/manifest.json`],
    stderr: "null",
    stdout: "null",
  }).output();
  assertEquals(fmt.code, 0, "manifest.json is not in deno fmt's layout");
  // The runtime picks them with int8 precision.
  const f = await loadModelFolder(out, { precision: "int8" });
  assertEquals(f.manifest.blocks.map((b) => b.file), m.int8.map((q: { file: string }) => q.file));
});

Deno.test("export --fused --quantize int8 also writes chain.int8.onnx, the int8 replacement of chain.onnx, and --eval runs both int8 paths", async () => {
  const out = await Deno.makeTempDir();
  const r = await run(
    "--run",
    runDir,
    "--out",
    out,
    "--fused",
    "--quantize",
    "int8",
    "--calibration",
    "16",
    "--data-dir",
    data,
    "--eval",
  );
  assertEquals(r.code, 0, r.stderr);
  assert(
    /quantized .*: 4 int8 graphs \(blocks: .* each; chain\.int8\.onnx: \d+ nodes: Conv, Gemm; /
      .test(r.stdout),
    r.stdout,
  );
  for (
    const via of [
      "fp32, chain.onnx",
      "fp32, block graphs",
      "int8, chain.int8.onnx",
      "int8, block graphs",
    ]
  ) {
    assert(
      r.stdout.includes(`test accuracy through onnxruntime (${via}): `),
      `${via}: ${r.stdout}`,
    );
  }
  const m = JSON.parse(await Deno.readTextFile(`${out}/manifest.json`));
  assertEquals(m.int8.at(-1).replaces, "chain.onnx");
  assertEquals(m.int8.at(-1).file, "chain.int8.onnx");
  assertEquals(
    await sha256Hex(await Deno.readFile(`${out}/chain.int8.onnx`)),
    m.int8.at(-1).sha256,
  );
  const f = await loadModelFolder(out, { precision: "int8" });
  assertEquals(f.manifest.chain?.file, "chain.int8.onnx");
});

Deno.test("export --quantize int8 on an exported folder quantizes it in place", async () => {
  const dir = await Deno.makeTempDir();
  assertEquals((await run("--run", runDir, "--out", dir)).code, 0);
  const before = await Deno.readFile(`${dir}/block_01.onnx`);
  const r = await run("--run", dir, "--quantize", "int8", "--calibration", "8", "--data-dir", data);
  assertEquals(r.code, 0, r.stderr);
  assert(!r.stdout.includes("exported"), "an export folder is not exported again");
  assertEquals(await Deno.readFile(`${dir}/block_01.onnx`), before);
  assertEquals((await loadModelFolder(dir)).manifest.int8?.length, 3);
  const elsewhere = await Deno.makeTempDir();
  const bad = await run("--run", dir, "--out", elsewhere, "--quantize", "int8");
  assertEquals(bad.code, 1);
  assertEquals(
    bad.stderr,
    `error: ${dir} is an exported folder: it is changed in place, leave out --out`,
  );
});

Deno.test("export: bad --quantize, --activations and --calibration values are one-line errors", async () => {
  let r = await run("--run", runDir, "--quantize", "fp16");
  assertEquals([r.code, r.stderr.split("\n")[0]], [2, 'error: --quantize takes int8, got "fp16"']);
  r = await run("--run", runDir, "--quantize", "int8", "--activations", "u4");
  assertEquals(
    [r.code, r.stderr.split("\n")[0]],
    [2, 'error: --activations takes u8 or s8, got "u4"'],
  );
  for (const v of ["0", "-3", "1.5", "abc"]) {
    r = await run("--run", runDir, "--quantize", "int8", `--calibration=${v}`);
    assertEquals(
      [r.code, r.stderr],
      [1, `error: --calibration must be a positive integer, got "${v}"`],
      v,
    );
  }
});
