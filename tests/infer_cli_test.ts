/**
 * `infer.ts` run the way the README shows, with least privilege (read access to the model
 * folder and the images only, FFI for onnxruntime-node): results on stdout; every kind of bad
 * input is exactly one line on stderr and a non-zero exit status.
 */
import { assert, assertEquals } from "./assert.ts";
import { initBackend } from "../src/backend/mod.ts";
import { encode as encodePng } from "fast-png";
import jpeg from "jpeg-js";
import { exportedFixture } from "./_helpers/onnx.ts";
import { DEFAULT_MODEL, main } from "../infer.ts"; // also type-checks infer.ts

await initBackend("wasm");
// Mesa's lavapipe prints warnings during auto's WebGPU check without this (a 0700 folder).
if (!Deno.env.get("XDG_RUNTIME_DIR")) {
  const xdg = await Deno.makeTempDir({ prefix: "xdg-" });
  await Deno.chmod(xdg, 0o700);
  Deno.env.set("XDG_RUNTIME_DIR", xdg);
}
const root = new URL("..", import.meta.url).pathname;
const model = await exportedFixture({ image: { height: 28, width: 28, channels: 1 }, T: 2 });
const dir = await Deno.makeTempDir({ prefix: "noprop-cli-" });
const px = Uint8Array.from({ length: 40 * 30 * 3 }, (_, i) => (i * 37) % 256);
const png = encodePng({ width: 40, height: 30, channels: 3, depth: 8, data: px });
const jpg = new Uint8Array(
  jpeg.encode({ width: 20, height: 20, data: new Uint8Array(1600).fill(200) }).data,
);
await Deno.writeFile(`${dir}/a.png`, png);
await Deno.writeFile(`${dir}/b.jpg`, jpg);
await Deno.writeFile(`${dir}/cut.png`, png.subarray(0, png.length - 40));
await Deno.writeFile(`${dir}/cut.jpg`, jpg.subarray(0, jpg.length >> 1));
await Deno.writeTextFile(`${dir}/notes.png`, "not an image at all");

async function infer(args: string[], read: string[], opts: { ffi?: boolean; cwd?: string } = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--config=${root}deno.json`,
      `--allow-read=${read.join(",")}`,
      ...(opts.ffi === false ? [] : ["--allow-ffi"]),
      `${root}infer.ts`,
      ...args,
    ],
    cwd: opts.cwd ?? dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = (b: Uint8Array) => new TextDecoder().decode(b).trim();
  return { code: out.code, stdout: dec(out.stdout), stderr: dec(out.stderr) };
}

async function fails(args: string[], read: string[], code: number, re: RegExp) {
  const r = await infer(args, read);
  assertEquals(r.code, code, `${args.join(" ")}: exit ${r.code}, ${r.stderr}`);
  assertEquals(r.stderr.split("\n").length, 1, `not one line: ${r.stderr}`);
  assert(re.test(r.stderr), r.stderr);
}

Deno.test("classifies a PNG and a JPEG with read access to the model and images only", async () => {
  const r = await infer(["a.png", "b.jpg", "--model", model, "--provider", "cpu", "--top", "2"], [
    model,
    "a.png",
    "b.jpg",
  ]);
  assertEquals(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assertEquals(lines.length, 3);
  assert(
    /^a\.png\s+class \d\s+p=0\.\d{4}\s+top-2: class \d 0\.\d{4}, class \d 0\.\d{4}$/.test(lines[0]),
    lines[0],
  );
  assert(
    /^provider: cpu \(onnxruntime-node, \d+ threads\) · 2 image\(s\), [\d.]+ ms per image/.test(
      lines[2],
    ),
    lines[2],
  );
  const j = await infer(["a.png", "--model", model, "--provider", "cpu", "--json"], [
    model,
    "a.png",
  ]);
  const out = JSON.parse(j.stdout);
  assertEquals(out.provider, "cpu");
  assertEquals(out.results[0].file, "a.png");
  assertEquals(out.results[0].top.length, 3);
  assert(out.msPerImage > 0);
});

Deno.test("bad images: missing, not an image, truncated PNG/JPEG, above the pixel limit", async () => {
  const read = [model, dir];
  await fails(["nope.png", "--model", model], read, 1, /^error: nope\.png: no such file$/);
  await fails(
    ["notes.png", "--model", model],
    read,
    1,
    /^error: notes\.png: not a PNG or JPEG image$/,
  );
  await fails(["cut.png", "--model", model], read, 1, /^error: cut\.png: cannot decode PNG/);
  await fails(["cut.jpg", "--model", model], read, 1, /^error: cut\.jpg: truncated JPEG/);
  await fails(
    ["a.png", "--model", model, "--max-pixels", "1000"],
    read,
    1,
    /^error: a\.png: image is 40×30 = 1200 pixels, above the limit of 1000 pixels$/,
  );
  await fails(["a.png", "--model", model], [model], 1, /^error: a\.png: no read permission/);
});

Deno.test("bad models and options: corrupt/missing graph, escaping manifest, unknown provider", async () => {
  const bad = await Deno.makeTempDir({ prefix: "noprop-badmodel-" });
  for await (const e of Deno.readDir(model)) {
    await Deno.copyFile(`${model}/${e.name}`, `${bad}/${e.name}`);
  }
  const b = await Deno.readFile(`${bad}/block_01.onnx`);
  b[100] ^= 1;
  await Deno.writeFile(`${bad}/block_01.onnx`, b);
  const read = [bad, dir];
  await fails(
    ["a.png", "--model", bad],
    read,
    1,
    /^error: model folder .*: block_01\.onnx is corrupt \(sha256/,
  );
  await Deno.remove(`${bad}/block_01.onnx`);
  await fails(
    ["a.png", "--model", bad],
    read,
    1,
    /^error: model folder .*: graph block_01\.onnx is missing$/,
  );
  const m = JSON.parse(await Deno.readTextFile(`${model}/manifest.json`));
  m.blocks[0].file = "../../etc/passwd";
  await Deno.writeTextFile(`${bad}/manifest.json`, JSON.stringify(m));
  await fails(
    ["a.png", "--model", bad],
    read,
    1,
    /is not a plain file name inside the model folder$/,
  );
  await fails(
    ["a.png", "--model", model, "--provider", "tpu"],
    [model, dir],
    2,
    /^error: unknown provider "tpu" .*\(see --help\)$/,
  );
  await fails(
    ["a.png", "--model", model, "--sampler", "heun"],
    [model, dir],
    1,
    /^error: sampler "heun" is for continuous-time models/,
  );
  await fails(["--model", model], [model], 2, /^error: no image given \(see --help\)$/);
  await fails(["a.png", "--top", "0"], [dir], 2, /^error: --top must be a positive integer/);
  await fails(["a.png", "--bogus"], [dir], 2, /^error: Unknown option '--bogus'/);
});

Deno.test("without --model and without the shipped model folder: a clear error", async () => {
  const r = await infer(["a.png"], [dir], { cwd: dir });
  assertEquals(r.code, 1);
  assertEquals(
    r.stderr,
    "error: the default model folder models/mnist is absent; pass --model DIR (a folder written by `deno task export`)",
  );
});

Deno.test("without --allow-ffi, cpu says so in one line (wasm needs no FFI)", async () => {
  const r = await infer(["a.png", "--model", model, "--provider", "cpu"], [model, dir], {
    ffi: false,
  });
  assertEquals(r.code, 1);
  assert(
    /^error: onnxruntime-node .* needs --allow-ffi; without it use --provider wasm$/.test(r.stderr),
    r.stderr,
  );
});

Deno.test("--help prints the usage and exits 0; the default model is models/mnist", async () => {
  const log = console.log;
  let text = "";
  console.log = (m: string) => text += m;
  try {
    assertEquals(await main(["--help"]), 0);
  } finally {
    console.log = log;
  }
  assert(text.startsWith("usage: deno run --allow-read=<model folder>,<images>"), text);
  assertEquals(DEFAULT_MODEL, "models/mnist");
});
