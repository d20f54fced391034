/** `deno task export`: files, digests, atomic writes, and one-line errors. */
import { assert, assertEquals } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { saveSafetensors } from "../../src/safetensors.ts";
import { sha256Hex } from "@noprop/infer";
import { writeFixtureRun } from "../_helpers/onnx.ts";

await initBackend("wasm");
const { runDir } = await writeFixtureRun({ image: { height: 28, width: 28, channels: 1 } });
const tool = new URL("../../tools/export.ts", import.meta.url).pathname;

async function run(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      "--allow-ffi",
      tool,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = (b: Uint8Array) => new TextDecoder().decode(b).trim();
  return { code: out.code, stdout: dec(out.stdout), stderr: dec(out.stderr) };
}

Deno.test("export writes T block graphs, the classifier and a manifest whose sha256s match", async () => {
  const out = await Deno.makeTempDir();
  const r = await run("--run", runDir, "--out", out);
  assertEquals(r.code, 0, r.stderr);
  assert(/3 block graphs .* every graph loads in onnxruntime-node/.test(r.stdout), r.stdout);
  const names = [];
  for await (const e of Deno.readDir(out)) names.push(e.name);
  assertEquals(names.sort(), [
    "block_01.onnx",
    "block_02.onnx",
    "block_03.onnx",
    "classifier.onnx",
    "manifest.json",
  ]); // and no temporary files left behind
  const m = JSON.parse(await Deno.readTextFile(`${out}/manifest.json`));
  for (const g of [...m.blocks, m.classifier]) {
    assertEquals(await sha256Hex(await Deno.readFile(`${out}/${g.file}`)), g.sha256, g.file);
  }
  assertEquals(m.schedule.a.length, 3);
  assertEquals(m.sampler, { name: "dt", steps: 3, noise: false });
  const fmt = await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--check", `${out}/manifest.json`],
    stderr: "null",
    stdout: "null",
  }).output();
  assertEquals(fmt.code, 0, "manifest.json is not in deno fmt's layout");
});

Deno.test("export: a folder without weights, bad metadata or a bad flag is a one-line error", async () => {
  const empty = await Deno.makeTempDir();
  let r = await run("--run", empty);
  assertEquals(r.code, 1);
  assertEquals(r.stderr, `error: ${empty} is not a run folder: weights.safetensors is missing`);

  await saveSafetensors(`${empty}/weights.safetensors`, {}, { format: "something-else" });
  r = await run("--run", empty);
  assertEquals(r.code, 1);
  assert(
    /^error: .*metadata format "something-else" is not noprop-dt, noprop-backprop, noprop-ct, noprop-fm, forecast-dt, forecast-dlinear or forecast-last$/
      .test(r.stderr),
    r.stderr,
  );

  r = await run("--frobnicate");
  assertEquals(r.code, 2);
  assert(r.stderr.startsWith("error: Unknown option '--frobnicate'"), r.stderr);
});
