/**
 * `exportRun(…, { fused: true })` writes `chain.onnx` beside the block graphs and lists it in the
 * manifest; for every block kind (one-hot, learned and prototype embeddings, ResNet backbones)
 * the chain run by the runtime equals the block graphs to 1e-4 for the same noise (noise-free
 * and stochastic); every chain passes the reference ONNX checker; adding a chain to an export
 * (`addChainToExport`) gives the same file as exporting it from the run folder, and refuses a
 * block graph it cannot rebuild exactly.
 */
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { exportRun } from "../../src/onnx/export.ts";
import { addChainToExport } from "../../src/onnx/export_chain.ts";
import { SeededNormal, sha256Hex } from "@noprop/infer";
import {
  chainVsBlocks,
  checkOnnx,
  type FixtureOptions,
  onnxChecker,
  writeFixtureRun,
} from "../_helpers/onnx.ts";

const TOL = 1e-4;
await initBackend("wasm");
const python = await onnxChecker();

const fixtures: [string, FixtureOptions][] = [
  ["MNIST-shaped, one-hot", { image: { height: 28, width: 28, channels: 1 } }],
  ["CIFAR-shaped, learned embedding", {
    image: { height: 32, width: 32, channels: 3 },
    embedding: "learned",
    embedDim: 20,
  }],
  ["CIFAR-shaped, prototype embedding (z as an image)", {
    image: { height: 32, width: 32, channels: 3 },
    embedding: "prototype",
    T: 2,
  }],
  ["ResNet-18 backbone (BatchNorm folded into grouped convs)", {
    image: { height: 16, width: 16, channels: 3 },
    embedding: "learned",
    T: 2,
    backbone: "resnet18",
    backboneWidth: 1 / 16,
  }],
  ["ResNet-50 backbone", {
    image: { height: 16, width: 16, channels: 3 },
    T: 2,
    backbone: "resnet50",
    backboneWidth: 1 / 16,
  }],
];

/** `bytes` with every occurrence of the ASCII text `from` replaced by `to` (same length). */
function renamed(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const [f, t] = [new TextEncoder().encode(from), new TextEncoder().encode(to)];
  const out = bytes.slice();
  let hits = 0;
  for (let i = 0; i + f.length <= out.length; i++) {
    if (f.every((v, j) => out[i + j] === v)) {
      out.set(t, i);
      hits++;
    }
  }
  assert(hits > 0, `"${from}" not found`);
  return out;
}

for (const [name, o] of fixtures) {
  Deno.test(`${name}: chain.onnx = the block graphs to 1e-4, noise-free and stochastic`, async () => {
    const { runDir } = await writeFixtureRun(o);
    const r = await exportRun(runDir, { fused: true });
    const T = r.manifest.T;
    assertEquals(r.files.slice(-2), ["chain.onnx", "manifest.json"]);
    assertEquals(r.manifest.chain?.modes, ["noise-free", "stochastic"]);
    assertEquals(
      await sha256Hex(await Deno.readFile(`${runDir}/chain.onnx`)),
      r.manifest.chain?.sha256,
    );
    const { channels, height, width } = r.manifest.input, d = r.manifest.embedDim, n = 4;
    const x = new SeededNormal(5).fill(new Float32Array(n * channels * height * width));
    const diffs = await chainVsBlocks(runDir, x, n, T, d);
    for (const [k, diff] of diffs.entries()) {
      assert(diff <= TOL, `noise ${k === 1}: max |chain − blocks| = ${diff}`);
    }
    await Deno.remove(runDir, { recursive: true });
  });
}

Deno.test({
  name: python
    ? "the reference ONNX checker (full_check) accepts every chain.onnx"
    : "SKIPPED: reference ONNX checker (/usr/bin/python3 has no onnx module; apt-get install python3-onnx)",
  ignore: !python,
  fn: async () => {
    const { runDir } = await writeFixtureRun({ image: { height: 28, width: 28, channels: 1 } });
    const proto = await writeFixtureRun({
      image: { height: 16, width: 16, channels: 3 },
      embedding: "prototype",
      T: 2,
    });
    const res = await writeFixtureRun({
      image: { height: 16, width: 16, channels: 3 },
      T: 2,
      backbone: "resnet18",
      backboneWidth: 1 / 16,
    });
    const files = [];
    for (const dir of [runDir, proto.runDir, res.runDir]) {
      await exportRun(dir, { fused: true });
      files.push(`${dir}/chain.onnx`);
    }
    assertEquals(await checkOnnx(python!, files), []);
    for (const dir of [runDir, proto.runDir, res.runDir]) {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("a chain added to an export from its block graphs is the one exported from the run", async () => {
  const { runDir } = await writeFixtureRun({
    image: { height: 28, width: 28, channels: 1 },
    embedding: "learned",
    T: 2,
  });
  const withChain = await exportRun(runDir, { outDir: `${runDir}/fused`, fused: true });
  const plain = await exportRun(runDir, { outDir: `${runDir}/plain` });
  assertEquals(plain.manifest.chain, undefined);
  const added = await addChainToExport(`${runDir}/plain`);
  assertEquals(added.manifest.chain, withChain.manifest.chain); // same file, byte for byte
  assertEquals(
    await Deno.readTextFile(`${runDir}/plain/manifest.json`),
    await Deno.readTextFile(`${runDir}/fused/manifest.json`),
  );
  // A block graph the exporter would not write from its own tensors is refused.
  const bad = `${runDir}/plain/block_02.onnx`;
  const bytes = await Deno.readFile(bad);
  const m = JSON.parse(await Deno.readTextFile(`${runDir}/plain/manifest.json`));
  const edited = renamed(bytes, "lab.out", "lab.xyz"); // a value renamed: same math, other bytes
  await Deno.writeFile(bad, edited);
  m.blocks[1].sha256 = await sha256Hex(edited);
  await Deno.writeTextFile(`${runDir}/plain/manifest.json`, JSON.stringify(m));
  await assertRejects(
    () => addChainToExport(`${runDir}/plain`),
    Error,
    "block_02.onnx is not a block graph this exporter rebuilds exactly from its own tensors",
  );
  await Deno.remove(runDir, { recursive: true });
});

Deno.test("a ResNet export cannot get a chain from its graphs (export it from the run instead)", async () => {
  const { runDir } = await writeFixtureRun({
    image: { height: 16, width: 16, channels: 3 },
    T: 2,
    backbone: "resnet18",
    backboneWidth: 1 / 16,
  });
  await exportRun(runDir);
  await assertRejects(
    () => addChainToExport(runDir),
    Error,
    'has no initializer "img.conv1.w": adding a chain to an export supports the paper conv stack',
  );
  await Deno.remove(runDir, { recursive: true });
});
