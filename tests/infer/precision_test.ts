/**
 * The runtime's int8 precision: the manifest's `int8` list is validated, `precision: "int8"`
 * reads (and verifies) the int8 graphs instead of the float ones it replaces, fp32 stays the
 * default and never touches them, and `infer.ts --precision int8` uses them; the browser entry
 * (`@noprop/infer/web`) fetches and verifies the same int8 graphs by URL.
 */
import { assert, assertEquals, assertRejects, assertThrows } from "../assert.ts";
import { encode } from "fast-png";
import {
  createClassifier,
  InferError,
  loadModelFolder,
  type Manifest,
  parseManifest,
  sha256Hex,
} from "@noprop/infer";
import { createWebClassifier, fetchModelFolder } from "../../src/infer/web.ts";
import { manifestJson } from "../../src/onnx/manifest_file.ts";
import { main as infer } from "../../infer.ts";
import { calibrateFolder, quantizeBlocks, writeInt8 } from "../../src/onnx/quantize/export.ts";

const shipped = new URL("../../models/mnist", import.meta.url).pathname;
const manifest = parseManifest(await Deno.readTextFile(`${shipped}/manifest.json`), "m.json");

/** A copy of the shipped model with int8 blocks quantized on a few synthetic images. */
async function quantizedCopy(): Promise<string> {
  const dir = await Deno.makeTempDir();
  for (const e of Deno.readDirSync(shipped)) {
    await Deno.copyFile(`${shipped}/${e.name}`, `${dir}/${e.name}`);
  }
  const x = Float32Array.from({ length: 8 * 784 }, (_, i) => ((i * 7919) % 251) / 90 - 0.42);
  const { folder, table } = await calibrateFolder(dir, x, { threads: 1 });
  await writeInt8(folder, quantizeBlocks(folder, table).graphs);
  return dir;
}
const dir = await quantizedCopy();

Deno.test("manifest: a bad int8 list is one error line naming the field", () => {
  const bad = (int8: unknown, msg: RegExp) =>
    assertThrows(() => parseManifest(JSON.stringify({ ...manifest, int8 }), "m.json"), msg);
  const ok = { replaces: "block_01.onnx", file: "block_01.int8.onnx", sha256: "a".repeat(64) };
  assertEquals(
    parseManifest(JSON.stringify({ ...manifest, int8: [ok] }), "m.json").int8,
    [ok],
  );
  bad([], /^InferError: m\.json: "int8" must be a non-empty array$/);
  bad(
    [{ ...ok, replaces: "block_99.onnx" }],
    /"int8\[0\]\.replaces" = "block_99\.onnx" is not a graph of the manifest/,
  );
  bad([{ ...ok, file: "../x.onnx" }], /"int8\[0\]\.file" = "\.\.\/x\.onnx" is not a plain file/);
  bad([{ ...ok, sha256: "xyz" }], /"int8\[0\]\.sha256" must be 64 lower-case hex digits/);
  bad([ok, { ...ok, file: "other.onnx" }], /"int8" replaces one graph twice/);
  bad([{ ...ok, file: "block_02.onnx" }], /"int8" reuses a graph file name/);
});

Deno.test("loadModelFolder: int8 reads the replacements (verified), fp32 never opens them", async () => {
  const q = await loadModelFolder(dir, { precision: "int8" });
  assertEquals(q.precision, "int8");
  assertEquals(q.manifest.blocks[0].file, "block_01.int8.onnx");
  assertEquals(q.manifest.classifier.file, "classifier.onnx"); // not replaced: stays float
  assertEquals(await sha256Hex(q.blocks[0]), q.manifest.int8![0].sha256);
  const f = await loadModelFolder(dir);
  assertEquals([f.precision, f.manifest.blocks[0].file], ["fp32", "block_01.onnx"]);

  const good = await Deno.readFile(`${dir}/block_04.int8.onnx`);
  await Deno.writeFile(`${dir}/block_04.int8.onnx`, new Uint8Array([1]));
  try {
    await loadModelFolder(dir); // fp32 does not read it
    await assertRejects(
      loadModelFolder(dir, { precision: "int8" }),
      /: block_04\.int8\.onnx is corrupt \(sha256/,
    );
    await Deno.remove(`${dir}/block_04.int8.onnx`);
    await loadModelFolder(dir);
    await assertRejects(
      loadModelFolder(dir, { precision: "int8" }),
      /: graph block_04\.int8\.onnx is missing$/,
    );
  } finally {
    await Deno.writeFile(`${dir}/block_04.int8.onnx`, good);
  }
});

Deno.test("int8 with a chain: the float chain.onnx is neither read nor run unless int8 replaces it", async () => {
  assert(manifest.chain, "the shipped model lists chain.onnx");
  const read: string[] = [];
  const q = await loadModelFolder(dir, { precision: "int8" });
  assertEquals([q.chain, q.manifest.chain], [undefined, undefined]);
  const fp = await loadModelFolder(dir);
  assertEquals(fp.manifest.chain?.file, "chain.onnx");
  const url = new URL(`file://${dir}/`);
  const recording: typeof fetch = (input, init) => {
    read.push(String(input).slice(url.href.length));
    return fetch(input, init);
  };
  await fetchModelFolder(url, { fetch: recording, precision: "int8" });
  assert(!read.includes("chain.onnx"), `int8 fetched the float chain: ${read}`);
  const clf = await createClassifier({
    modelDir: dir,
    provider: "cpu",
    threads: 1,
    precision: "int8",
  });
  assertEquals([clf.precision, clf.fused], ["int8", false]);
  await clf.close();

  // An int8 entry for the chain (here the float bytes under another name) is swapped in and run.
  const withChain = await Deno.makeTempDir();
  try {
    for (const e of Deno.readDirSync(dir)) {
      await Deno.copyFile(`${dir}/${e.name}`, `${withChain}/${e.name}`);
    }
    await Deno.copyFile(`${dir}/chain.onnx`, `${withChain}/chain.int8.onnx`);
    const m = parseManifest(await Deno.readTextFile(`${dir}/manifest.json`), "m.json");
    const entry = { replaces: "chain.onnx", file: "chain.int8.onnx", sha256: m.chain!.sha256 };
    const m2: Manifest = { ...m, int8: [...m.int8!, entry] };
    await Deno.writeTextFile(`${withChain}/manifest.json`, manifestJson(m2));
    const f = await loadModelFolder(withChain, { precision: "int8" });
    assertEquals(f.manifest.chain?.file, "chain.int8.onnx");
    assertEquals(f.manifest.chain?.modes, m.chain!.modes);
    const c = await createClassifier({
      modelDir: withChain,
      provider: "cpu",
      threads: 1,
      precision: "int8",
    });
    assertEquals(c.fused, true);
    await c.close();
  } finally {
    await Deno.remove(withChain, { recursive: true });
  }
});

Deno.test("createClassifier: int8 runs the int8 graphs; fp32 stays the default; no int8 graphs is an error", async () => {
  const x = new Float32Array(4 * 784).map((_, i) => ((i * 31) % 97) / 30 - 0.4);
  const fp = await createClassifier({ modelDir: dir, provider: "cpu", threads: 1 });
  const q = await createClassifier({
    modelDir: dir,
    provider: "cpu",
    threads: 1,
    precision: "int8",
  });
  assertEquals([fp.precision, q.precision], ["fp32", "int8"]);
  const a = await fp.logits(x, 4), b = await q.logits(x, 4);
  assert(a.some((v, i) => v !== b[i]), "int8 logits equal the float ones");
  assert(a.every((v, i) => Math.abs(v - b[i]) < 1), "int8 logits are far from the float ones");
  await fp.close();
  await q.close();
  const err = await createClassifier({ modelDir: shipped, precision: "int8" }).catch((e) => e);
  assert(err instanceof InferError && err.code === "bad-option", String(err));
  assertEquals(
    err.message,
    `model folder ${shipped} has no int8 graphs (write them with \`deno task export --run ${shipped} --quantize int8\`)`,
  );
  await assertRejects(
    createClassifier({ modelDir: dir, precision: "fp16" as "int8" }),
    /precision must be fp32 or int8, got "fp16"/,
  );
});

Deno.test("web entry: int8 fetches and verifies the int8 graphs by URL; fp32 never fetches them", async () => {
  const url = new URL(`file://${dir}/`);
  const fetched: string[] = [];
  const recording: typeof fetch = (input, init) => {
    fetched.push(String(input).slice(url.href.length));
    return fetch(input, init);
  };
  const f = await fetchModelFolder(url, { fetch: recording });
  assertEquals(f.precision, "fp32");
  assert(!fetched.some((n) => n.includes(".int8.")), `fp32 fetched ${fetched}`);
  fetched.length = 0;
  const q = await fetchModelFolder(url, { fetch: recording, precision: "int8" });
  assertEquals(q.precision, "int8");
  const int8Files = q.manifest.int8!.map((r) => r.file);
  assertEquals(fetched.filter((n) => n.includes(".int8.")).sort(), [...int8Files].sort());
  assert(!fetched.includes("block_01.onnx"), "int8 fetched the float graph it replaces");
  assertEquals(q.manifest.blocks[0].file, "block_01.int8.onnx");
  assertEquals(await sha256Hex(q.blocks[0]), q.manifest.int8![0].sha256);
  const damaging: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (!String(input).endsWith("block_02.int8.onnx")) return res;
    const bytes = new Uint8Array(await res.arrayBuffer());
    bytes[bytes.length - 1] ^= 1;
    return new Response(bytes);
  };
  await fetchModelFolder(url, { fetch: damaging }); // fp32 never fetches it
  await assertRejects(
    fetchModelFolder(url, { fetch: damaging, precision: "int8" }),
    /: block_02\.int8\.onnx is corrupt \(sha256/,
  );

  // The same int8 graphs on onnxruntime-web (wasm) as the browser runs them: int8 logits
  // differ from the float ones but stay close, like on onnxruntime-node.
  const x = new Float32Array(4 * 784).map((_, i) => ((i * 31) % 97) / 30 - 0.4);
  const fp = await createWebClassifier({ modelUrl: url, provider: "wasm", threads: 1 });
  const wq = await createWebClassifier({
    modelUrl: url,
    provider: "wasm",
    threads: 1,
    precision: "int8",
  });
  assertEquals([fp.precision, wq.precision], ["fp32", "int8"]);
  const a = await fp.logits(x, 4), b = await wq.logits(x, 4);
  assert(a.some((v, i) => v !== b[i]), "int8 logits equal the float ones");
  assert(a.every((v, i) => Math.abs(v - b[i]) < 1), "int8 logits are far from the float ones");
  await fp.close();
  await wq.close();
  await assertRejects(
    createWebClassifier({ modelUrl: new URL(`file://${shipped}/`), precision: "int8" }),
    /^InferError: model folder file:\/\/.*\/models\/mnist\/ has no int8 graphs/,
  );
});

Deno.test("infer.ts --precision int8 classifies with the int8 graphs; a bad value is a usage error", async () => {
  const pixels = new Uint8Array(784);
  for (let i = 0; i < 784; i++) {
    const r = Math.hypot(i % 28 - 13.5, (Math.floor(i / 28) - 13.5) * 0.8);
    if (r > 6 && r < 9) pixels[i] = 255; // a hand-drawn "0"
  }
  const png = `${dir}/zero.png`;
  await Deno.writeFile(png, encode({ width: 28, height: 28, channels: 1, data: pixels }));
  const out: string[] = [];
  const log = console.log, error = console.error;
  console.log = (s: string) => out.push(s);
  console.error = (s: string) => out.push(s);
  try {
    const args = [png, "--model", dir, "--provider", "cpu", "--json"];
    assertEquals(await infer([...args, "--precision", "int8"]), 0);
    const r = JSON.parse(out.pop()!);
    assertEquals([r.precision, r.results[0].label], ["int8", "0"]);
    assertEquals(await infer([...args, "--precision", "fp16"]), 2);
    assertEquals(out.pop(), 'error: --precision must be fp32 or int8, got "fp16" (see --help)');
  } finally {
    console.log = log;
    console.error = error;
  }
});

Deno.test("manifest with int8 round-trips through the exporter's JSON layout", () => {
  const m: Manifest = {
    ...manifest,
    int8: [{ replaces: "block_01.onnx", file: "block_01.int8.onnx", sha256: "b".repeat(64) }],
  };
  assertEquals(parseManifest(manifestJson(m), "m.json"), m);
});
