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
  await fails(
    ["a.png", "--model", model],
    [model],
    1,
    /^error: a\.png: cannot be read: it does not exist, or it is not in --allow-read/,
  );
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

Deno.test("a missing --model folder outside --allow-read says it may not exist, and the flag to add", async () => {
  const missing = `${dir}-no-such-model`;
  const r = await infer(["a.png", "--model", missing, "--provider", "cpu"], [model, dir]);
  assertEquals(r.code, 1, r.stderr);
  assertEquals(
    r.stderr,
    `error: model folder ${missing} cannot be read: it does not exist, or it is not in --allow-read (add --allow-read=${missing})`,
  );
});

/** The flags of the README's permission table for `provider`, with the paths filled in. */
async function readmeFlags(provider: string, modelDir: string, images: string[]) {
  const readme = await Deno.readTextFile(`${root}README.md`);
  const row = readme.split("\n").find((l) => l.startsWith(`| \`${provider}\``));
  assert(row, `README: no permission row for ${provider}`);
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
  })
    .output();
  const npmCache = JSON.parse(new TextDecoder().decode(info.stdout)).npmCache as string;
  const filled = row.split("|")[2].replaceAll("<model folder>", modelDir)
    .replaceAll("<images>", images.join(",")).replaceAll("<npm cache>", npmCache);
  return [...filled.matchAll(/`([^`]+)`/g)].flatMap((m) => m[1].split(/\s+/))
    .filter((f) => f.startsWith("--"));
}

const script = await Deno.stat("/usr/bin/script").then(() => true, () => false);
Deno.test({
  name: script
    ? "--provider wasm with the README's flags runs to the end in a terminal (no permission prompt)"
    : "SKIPPED: --provider wasm in a terminal (util-linux `script` is not installed)",
  ignore: !script,
  fn: async () => {
    const flags = await readmeFlags("wasm", model, [`${dir}/a.png`]);
    const cmd = [Deno.execPath(), "run", `--config=${root}deno.json`, ...flags, `${root}infer.ts`]
      .concat([`${dir}/a.png`, "--model", model, "--provider", "wasm"]);
    const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
    // `script` gives the command a terminal, where Deno would prompt for a missing permission:
    // the run is stopped as soon as a prompt shows (or after two minutes).
    const child = new Deno.Command("/usr/bin/script", {
      args: ["-qec", cmd.map(quote).join(" "), "/dev/null"],
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    let text = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      if (/Allow\?|requests .* access/.test(text)) child.kill("SIGKILL");
    }
    const { code } = await child.status;
    clearTimeout(timer);
    assert(!/requests .* access/.test(text), text);
    assertEquals(code, 0, text);
    assert(/provider: wasm \(onnxruntime-web/.test(text), text);
  },
});

Deno.test("auto with the README's flags and no XDG_RUNTIME_DIR prints no driver noise on stderr", async () => {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const k of ["HOME", "PATH", "DENO_DIR"]) {
    const v = Deno.env.get(k);
    if (v !== undefined) env[k] = v;
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--config=${root}deno.json`,
      ...await readmeFlags("auto", model, ["a.png"]),
      `${root}infer.ts`,
      "a.png",
      "--model",
      model,
    ],
    cwd: dir,
    clearEnv: true,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  assertEquals(stderr, "");
  assert(/chosen by auto/.test(new TextDecoder().decode(out.stdout)));
});

/** Runs `main` in this process, counting the image files read before each printed line. */
async function mainCounting(argv: string[], images: Set<string>) {
  const readFile = Deno.readFile, log = console.log, error = console.error;
  let reads = 0;
  const lines: { text: string; reads: number; stderr: boolean }[] = [];
  Deno.readFile = ((path: string | URL, o?: Deno.ReadFileOptions) => {
    if (images.has(String(path))) reads++;
    return readFile(path, o);
  }) as typeof Deno.readFile;
  console.log = (s: string) => lines.push({ text: s, reads, stderr: false });
  console.error = (s: string) => lines.push({ text: s, reads, stderr: true });
  try {
    const code = await main(argv);
    return { code, lines, reads };
  } finally {
    Deno.readFile = readFile;
    console.log = log;
    console.error = error;
  }
}

Deno.test("many images are read, decoded and classified in bounded batches", async () => {
  const files = Array.from({ length: 10 }, (_, i) => `${dir}/many-${i}.png`);
  for (const f of files) await Deno.writeFile(f, png);
  const r = await mainCounting(
    [...files, "--model", model, "--provider", "cpu", "--batch", "4"],
    new Set(files),
  );
  assertEquals(r.code, 0, r.lines.map((l) => l.text).join("\n"));
  assertEquals(r.reads, 10);
  const results = r.lines.filter((l) => l.text.includes("top-3:"));
  assertEquals(results.length, 10);
  // Each result is printed once its batch is done: never more than 4 images read ahead.
  results.forEach((l, i) => assert(l.reads <= 4 * (Math.floor(i / 4) + 1), `${i}: ${l.reads}`));
  assert(
    /10 image\(s\), [\d.]+ ms per image \(read, decoded and classified\)/.test(
      r.lines.at(-1)!.text,
    ),
  );
});

Deno.test("one unreadable image among good ones: its error is reported, the others are classified, exit 1", async () => {
  const files = [`${dir}/a.png`, `${dir}/nope.png`, `${dir}/notes.png`, `${dir}/b.jpg`];
  const r = await mainCounting([...files, "--model", model, "--provider", "cpu"], new Set(files));
  assertEquals(r.code, 1);
  const err = r.lines.filter((l) => l.stderr).map((l) => l.text);
  assertEquals(err, [
    `error: ${dir}/nope.png: no such file`,
    `error: ${dir}/notes.png: not a PNG or JPEG image`,
  ]);
  const ok = r.lines.filter((l) => l.text.includes("top-3:")).map((l) => l.text.split(" ")[0]);
  assertEquals(ok, [`${dir}/a.png`, `${dir}/b.jpg`]);
  assert(/4 image\(s\), 2 failed/.test(r.lines.at(-1)!.text), r.lines.at(-1)!.text);
});
