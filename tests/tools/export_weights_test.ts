/**
 * `deno task export --weights fp16`: from a run folder (with the chain) and in place on an
 * exported folder, `"weights": "fp16"` in the manifest, the runtime opens it and `--eval`
 * measures it; `--eval` alone only measures an exported folder; wrong combinations are one-line
 * errors that change nothing.
 */
import { assert, assertEquals } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { loadModelFolder } from "@noprop/infer";
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

/** Every file of `dir`, name → bytes. */
async function snapshot(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(dir)) {
    files.set(e.name, await Deno.readFile(`${dir}/${e.name}`));
  }
  return files;
}

Deno.test("export --fused --weights fp16 from a run writes fp16 graphs the runtime opens, and --eval measures them", async () => {
  const out = await Deno.makeTempDir();
  const r = await run(
    ...["--run", runDir, "--out", out, "--fused", "--weights", "fp16"],
    ...["--eval", "--data-dir", data],
  );
  assertEquals(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert(lines[0].startsWith(`exported ${runDir} → ${out}: 3 block graphs`), lines[0]);
  assert(
    new RegExp(
      `^stored ${out}'s weights as float16: \\d+ tensors in 5 graphs .* MB → .* MB of graphs, .*; every graph loads in onnxruntime-node$`,
    ).test(lines[1]),
    lines[1],
  );
  assert(/^test accuracy through onnxruntime \(fp32, chain\.onnx\): .* of 16 mnist/.test(lines[2]));
  assert(/^test accuracy through onnxruntime \(fp32, block graphs\): /.test(lines[3]), lines[3]);
  const f = await loadModelFolder(out);
  assertEquals(f.manifest.weights, "fp16");
  assert(f.chain !== undefined);
});

Deno.test("export --run <exported folder>: --weights fp16 converts it in place, --eval alone only measures", async () => {
  const dir = await Deno.makeTempDir();
  assertEquals((await run("--run", runDir, "--out", dir)).code, 0);
  const fp32 = await snapshot(dir);
  let r = await run("--run", dir, "--eval", "--data-dir", data);
  assertEquals(r.code, 0, r.stderr);
  assert(/^test accuracy through onnxruntime \(fp32\): .* of 16 mnist/.test(r.stdout), r.stdout);
  assertEquals(await snapshot(dir), fp32); // nothing written
  r = await run("--run", dir, "--weights", "fp16");
  assertEquals(r.code, 0, r.stderr);
  assert(!r.stdout.includes("exported"), "an export folder is not exported again");
  assert(r.stdout.startsWith(`stored ${dir}'s weights as float16: `), r.stdout);
  const fp16 = await snapshot(dir);
  assertEquals((await loadModelFolder(dir)).manifest.weights, "fp16");
  assert(fp16.get("block_01.onnx")!.length < 0.6 * fp32.get("block_01.onnx")!.length);
  // Again: nothing to do. Back to fp32, or elsewhere: refused, nothing changed.
  r = await run("--run", dir, "--weights", "fp16");
  assertEquals([r.code, r.stdout], [0, `${dir} stores fp16 weights already: nothing converted`]);
  r = await run("--run", dir, "--weights", "fp32");
  assertEquals(r.code, 1);
  assertEquals(
    r.stderr,
    `error: ${dir} stores fp16 weights (${dir}/manifest.json "weights"): the float32 values they were rounded from are gone; export again from the run folder for fp32`,
  );
  const elsewhere = await Deno.makeTempDir();
  r = await run("--run", dir, "--out", elsewhere, "--weights", "fp16");
  assertEquals(r.code, 1);
  assertEquals(
    r.stderr,
    `error: ${dir} is an exported folder: it is changed in place, leave out --out`,
  );
  assertEquals(await snapshot(dir), fp16);
});

Deno.test("export: a bad --weights value is a usage error before anything is written", async () => {
  const out = await Deno.makeTempDir();
  const r = await run("--run", runDir, "--out", `${out}/x`, "--weights", "bf16");
  assertEquals([r.code, r.stderr.split("\n")[0]], [
    2,
    'error: --weights takes fp32 or fp16, got "bf16"',
  ]);
  assertEquals([...Deno.readDirSync(out)], []);
});
