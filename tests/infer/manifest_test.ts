/** Model-folder validation: the manifest's fields, file names, sha256 digests, symlinks. */
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { InferError, loadModelFolder, parseManifest } from "@noprop/infer";
import { exportedFixture } from "../_helpers/onnx.ts";

await initBackend("wasm");
const model = await exportedFixture({ image: { height: 28, width: 28, channels: 1 }, T: 2 });
const good = JSON.parse(await Deno.readTextFile(`${model}/manifest.json`));

async function copyModel(edit?: (m: typeof good) => void): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "noprop-model-" });
  for await (const e of Deno.readDir(model)) {
    await Deno.copyFile(`${model}/${e.name}`, `${dir}/${e.name}`);
  }
  if (edit) {
    const m = structuredClone(good);
    edit(m);
    await Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify(m));
  }
  return dir;
}

async function loadError(dir: string): Promise<InferError> {
  try {
    await loadModelFolder(dir);
  } catch (e) {
    assert(e instanceof InferError, String(e));
    assert(!e.message.includes("\n"));
    return e;
  }
  throw new Error(`${dir} loaded`);
}

Deno.test("a good folder loads; every graph's sha256 is checked", async () => {
  const f = await loadModelFolder(model);
  assertEquals(f.blocks.length, 2);
  assertEquals(f.manifest.classNames.length, 10);
});

Deno.test("a corrupt graph (sha256 mismatch) is refused with the file named", async () => {
  const dir = await copyModel();
  const b = await Deno.readFile(`${dir}/block_02.onnx`);
  b[b.length - 5] ^= 0xff;
  await Deno.writeFile(`${dir}/block_02.onnx`, b);
  const e = await loadError(dir);
  assertEquals(e.code, "bad-model");
  assert(
    /block_02\.onnx is corrupt \(sha256 [0-9a-f]{12}… does not match/.test(e.message),
    e.message,
  );
});

Deno.test("a missing graph, a missing manifest and a missing folder are one-line errors", async () => {
  const dir = await copyModel();
  await Deno.remove(`${dir}/classifier.onnx`);
  assertEquals(
    (await loadError(dir)).message,
    `model folder ${dir}: graph classifier.onnx is missing`,
  );
  await Deno.remove(`${dir}/manifest.json`);
  assert(
    (await loadError(dir)).message.startsWith(
      `${dir} is not an exported model folder: manifest.json is missing`,
    ),
  );
  assertEquals((await loadError(`${dir}/nope`)).message, `model folder ${dir}/nope does not exist`);
});

Deno.test("a manifest naming files outside its folder is refused", async () => {
  for (const file of ["../block_01.onnx", "/etc/passwd", "sub/x.onnx", "..\\x.onnx", ".."]) {
    const dir = await copyModel((m) => m.blocks[0].file = file);
    const e = await loadError(dir);
    assertEquals(e.code, "bad-model");
    assert(e.message.includes("is not a plain file name inside the model folder"), e.message);
  }
  // A symbolic link that leads out of the folder.
  const outside = await Deno.makeTempDir();
  const dir = await copyModel();
  await Deno.rename(`${dir}/block_01.onnx`, `${outside}/block_01.onnx`);
  await Deno.symlink(`${outside}/block_01.onnx`, `${dir}/block_01.onnx`);
  assertEquals(
    (await loadError(dir)).message,
    `model folder ${dir}: block_01.onnx resolves outside the folder`,
  );
});

Deno.test("manifest fields are validated one by one", () => {
  const bad = (edit: (m: typeof good) => void, re: RegExp) => {
    const m = structuredClone(good);
    edit(m);
    assertThrows(() => parseManifest(JSON.stringify(m), "m.json"), (e: Error) => {
      assert(e instanceof InferError && re.test(e.message), e.message);
      return true;
    });
  };
  assertThrows(() => parseManifest("{", "m.json"), /m\.json: not valid JSON/);
  bad((m) => m.format = "x", /"format" must be "noprop-onnx"/);
  bad((m) => m.version = 9, /"version" 9 is not supported/);
  bad((m) => m.T = 3, /"schedule\.a" must be an array of 3 finite numbers/);
  bad((m) => m.blocks.pop(), /"blocks" must list T = 2 graphs/);
  bad((m) => m.input.layout = "NHWC", /"input" must have layout "NCHW"/);
  bad((m) => m.normalization.std = [0], /"normalization\.std" must be positive/);
  bad((m) => m.classifier.sha256 = "abc", /"classifier\.sha256" must be 64 lower-case hex digits/);
  bad((m) => m.blocks[1].file = m.blocks[0].file, /two graphs share one file name/);
  bad((m) => delete m.sampler, /"sampler" must be an object/);
  bad((m) => m.weights = "bf16", /^m\.json: "weights" must be one of fp32, fp16, got "bf16"$/);
  for (const weights of ["fp32", "fp16"]) {
    assertEquals(parseManifest(JSON.stringify({ ...good, weights }), "m.json").weights, weights);
  }
  assertEquals(parseManifest(JSON.stringify(good), "m.json").weights, undefined); // fp32
});
