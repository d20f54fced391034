/** `deno task export`: files, digests, atomic writes, and one-line errors. */
import { assert, assertEquals } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { loadSafetensors, saveSafetensors } from "../../src/safetensors.ts";
import { loadModelFolder, sha256Hex } from "@noprop/infer";
import { Buffer } from "node:buffer";
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

Deno.test("export: --eval-limit must be a positive integer (checked before anything is exported)", async () => {
  const out = await Deno.makeTempDir();
  for (const bad of ["abc", "-5", "0", "1.5"]) {
    const r = await run(
      ...["--run", runDir, "--out", `${out}/x`, "--eval", `--eval-limit=${bad}`],
      ...["--data-dir", new URL("../../../shared/data", import.meta.url).pathname],
    );
    assertEquals(r.code, 2, `${bad}: ${r.stdout} ${r.stderr}`);
    assertEquals(
      r.stderr.split("\n")[0],
      `error: --eval-limit must be a positive integer, got "${bad}"`,
    );
  }
  const r = await run("--run", runDir, "--out", `${out}/x`, "--eval-limit", "5");
  assertEquals(r.code, 2);
  assertEquals(r.stderr.split("\n")[0], "error: --eval-limit needs --eval");
  assertEquals([...Deno.readDirSync(out)], []); // nothing exported
});

/** Every file of `dir` (recursively), name → bytes. */
async function snapshot(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) {
      for (const [k, v] of await snapshot(`${dir}/${e.name}`)) files.set(`${e.name}/${k}`, v);
    } else files.set(e.name, await Deno.readFile(`${dir}/${e.name}`));
  }
  return new Map([...files].sort(([a], [b]) => a < b ? -1 : 1));
}

/** A copy of the fixture run with block 1's weights scaled (and a block-2 tensor dropped). */
async function alteredRun(dropBlock2Tensor: boolean): Promise<{ dir: string; dropped?: string }> {
  const { tensors, metadata } = await loadSafetensors(`${runDir}/weights.safetensors`);
  const dir = await Deno.makeTempDir({ prefix: "noprop-altered-run-" });
  const out: typeof tensors = {};
  let dropped: string | undefined;
  for (const [k, t] of Object.entries(tensors)) {
    if (dropBlock2Tensor && !dropped && k.startsWith("block_02.")) {
      dropped = k;
      continue;
    }
    out[k] = k.startsWith("block_01.") && t.dtype === "F32"
      ? { ...t, data: (t.data as Float32Array).map((v) => v * 1.5) }
      : t;
  }
  await saveSafetensors(`${dir}/weights.safetensors`, out, metadata);
  return { dir, dropped };
}

/** Hidden entries that an export left beside `dir` (its staging or swap folders). */
async function leftovers(dir: string): Promise<string[]> {
  const parent = dir.replace(/\/[^/]+$/, ""), base = dir.slice(parent.length + 1);
  const names = [];
  for await (const e of Deno.readDir(parent)) {
    if (e.name.startsWith(`.${base}.`)) names.push(e.name);
  }
  return names;
}

Deno.test("export: a re-export that fails half-way leaves the previous export in the folder intact", async () => {
  const out = `${await Deno.makeTempDir()}/model`;
  assertEquals((await run("--run", runDir, "--out", out)).code, 0);
  const before = await snapshot(out);
  // This run's block 1 differs and a block-2 tensor is missing: the export dies after block 1.
  const broken = await alteredRun(true);
  const r = await run("--run", broken.dir, "--out", out);
  assertEquals(r.code, 1, r.stdout);
  assert(r.stderr.includes(`tensor "${broken.dropped}" is missing`), r.stderr);
  assertEquals(await snapshot(out), before); // byte for byte
  await loadModelFolder(out); // and it loads: every graph matches the manifest
  assertEquals(await leftovers(out), []);
  // A re-export that succeeds replaces the whole export.
  const changed = await alteredRun(false);
  assertEquals((await run("--run", changed.dir, "--out", out, "--no-verify")).code, 0);
  const after = await snapshot(out);
  assertEquals([...after.keys()], [...before.keys()]);
  assert(!Buffer.from(after.get("block_01.onnx")!).equals(before.get("block_01.onnx")!));
  assertEquals(after.get("block_02.onnx"), before.get("block_02.onnx"));
  await loadModelFolder(out);
  assertEquals(await leftovers(out), []);
});

Deno.test("export: a re-export killed (SIGKILL) half-way leaves the previous export intact", async () => {
  const root = await Deno.makeTempDir();
  const out = `${root}/model`;
  assertEquals((await run("--run", runDir, "--out", out)).code, 0);
  const before = await snapshot(out);
  const changed = await alteredRun(false);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", tool, "--run", changed.dir, "--out", out, "--no-verify"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  let exited = false;
  child.status.then(() => exited = true);
  // Kill it as soon as its first new graph is on disk (beside the old export, or over it).
  let staged: string | undefined, overwritten = false;
  const old01 = before.get("block_01.onnx")!;
  while (!staged && !overwritten && !exited) {
    for (const name of await leftovers(out)) {
      const files = [...Deno.readDirSync(`${root}/${name}`)].map((e) => e.name);
      if (files.includes("block_01.onnx")) staged = name;
    }
    const now01 = await Deno.readFile(`${out}/block_01.onnx`).catch(() => old01);
    overwritten = !Buffer.from(now01).equals(old01);
    if (!staged && !overwritten) await new Promise((r) => setTimeout(r, 5));
  }
  if (!exited) child.kill("SIGKILL");
  await child.status;
  assertEquals(await snapshot(out), before);
  await loadModelFolder(out);
  assert(staged, "the export never wrote block_01.onnx beside the old export");
  await Deno.remove(`${root}/${staged}`, { recursive: true }); // what a killed export leaves
});

Deno.test("export: into the run folder itself, a failed re-export changes nothing and the run's files are kept", async () => {
  const dir = await Deno.makeTempDir({ prefix: "noprop-run-" });
  await Deno.copyFile(`${runDir}/weights.safetensors`, `${dir}/weights.safetensors`);
  await Deno.writeTextFile(`${dir}/config.yaml`, "name: kept\n");
  await Deno.mkdir(`${dir}/samples`);
  await Deno.writeTextFile(`${dir}/samples/a.txt`, "kept too");
  assertEquals((await run("--run", dir, "--no-verify")).code, 0); // written into the run folder
  const before = await snapshot(dir);
  assert(before.has("manifest.json") && before.has("config.yaml") && before.has("samples/a.txt"));
  // The run's weights are replaced by other, broken ones; exporting again fails half-way.
  const broken = await alteredRun(true);
  await Deno.copyFile(`${broken.dir}/weights.safetensors`, `${dir}/weights.safetensors`);
  const expected = await snapshot(dir);
  const r = await run("--run", dir, "--no-verify");
  assertEquals(r.code, 1, r.stdout);
  assertEquals(await snapshot(dir), expected);
  await loadModelFolder(dir);
  assertEquals(await leftovers(dir), []);
});

const canMount = Deno.uid() === 0 && await new Deno.Command("mount", { args: ["--version"] })
  .output().then((o) => o.success, () => false);
Deno.test({
  name: canMount
    ? "export: a full disk is one line naming the file that could not be written; the old export stays"
    : "SKIPPED: export on a full disk (needs root to mount a small tmpfs)",
  ignore: !canMount,
  fn: async () => {
    const first = await Deno.makeTempDir();
    assertEquals((await run("--run", runDir, "--out", `${first}/model`, "--no-verify")).code, 0);
    let bytes = 0;
    for (const v of (await snapshot(`${first}/model`)).values()) {
      bytes += Math.ceil(v.length / 4096) * 4096;
    }
    // Room for one export and a half: the second export, written beside the first, cannot fit.
    const mnt = await Deno.makeTempDir({ prefix: "noprop-full-" });
    const size = `size=${Math.ceil((bytes * 1.5) / 4096) * 4}k`;
    const m = await new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", size, "tmpfs", mnt] })
      .output();
    if (!m.success) {
      console.log(`SKIPPED: mount failed (${new TextDecoder().decode(m.stderr).trim()})`);
      return;
    }
    try {
      const out = `${mnt}/model`;
      assertEquals((await run("--run", runDir, "--out", out, "--no-verify")).code, 0);
      const before = await snapshot(out);
      // A second model does not fit in what is left.
      const other = await run("--run", runDir, "--out", `${mnt}/other`, "--no-verify");
      assertEquals(other.code, 1, other.stdout);
      assertEquals(other.stderr.split("\n").length, 1, other.stderr);
      assert(
        new RegExp(
          `^error: cannot write ${mnt}/\\.other\\.export-[^/]+/\\S+: No space left on device`,
        )
          .test(other.stderr),
        other.stderr,
      );
      assertEquals(await leftovers(`${mnt}/other`), []);
      // Neither does a re-export of the first, written beside it: the first stays as it was.
      const changed = await alteredRun(false);
      const r = await run("--run", changed.dir, "--out", out, "--no-verify");
      assertEquals(r.code, 1, r.stdout);
      assert(/^error: cannot write .*: No space left on device/.test(r.stderr), r.stderr);
      assertEquals(await snapshot(out), before);
      assertEquals(await leftovers(out), []);
      assertEquals([...Deno.readDirSync(mnt)].map((e) => e.name), ["model"]);
    } finally {
      await new Deno.Command("umount", { args: [mnt] }).output();
    }
  },
});

Deno.test("export --fused writes chain.onnx; --from-export adds the same file to a plain export", async () => {
  const fused = await Deno.makeTempDir(), plain = await Deno.makeTempDir();
  let r = await run("--run", runDir, "--out", fused, "--fused");
  assertEquals(r.code, 0, r.stderr);
  assert(/classifier\.onnx, chain\.onnx \(\d+ nodes\), manifest\.json/.test(r.stdout), r.stdout);
  r = await run("--run", runDir, "--out", plain);
  assertEquals(r.code, 0, r.stderr);
  r = await run("--from-export", plain);
  assertEquals(r.code, 0, r.stderr);
  assert(/chain\.onnx \(\d+ nodes\) added from its block graphs/.test(r.stdout), r.stdout);
  const chainOf = async (dir: string) =>
    JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`)).chain;
  assertEquals(await chainOf(plain), await chainOf(fused));
  assertEquals((await chainOf(plain)).modes, ["noise-free", "stochastic"]);

  r = await run("--from-export", plain, "--run", runDir);
  assertEquals(r.code, 2);
  assert(r.stderr.startsWith("error: --from-export takes no --run"), r.stderr);
  r = await run("--from-export", runDir); // a run folder, not an export
  assertEquals(r.code, 1);
  assert(/^error: .*manifest\.json is missing/.test(r.stderr), r.stderr);
  for (const d of [fused, plain]) await Deno.remove(d, { recursive: true });
});
