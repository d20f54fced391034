import { assert, assertEquals, assertRejects } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { loadSafetensors } from "../../src/safetensors.ts";
import { train } from "../../src/train/mod.ts";
import { tinyConfig, writeSyntheticMnist } from "../_helpers/train.ts";

await initBackend("wasm");
const data = await Deno.makeTempDir({ prefix: "noprop-e2e-" });
await writeSyntheticMnist(data, 640, 200);

async function weights(dir: string) {
  return (await loadSafetensors(`${dir}/weights.safetensors`)).tensors;
}
function sameBits(a: ArrayBufferView, b: ArrayBufferView) {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

Deno.test("a tiny NoProp-DT run on generated data learns far above chance and writes its run folder", async () => {
  const out = await Deno.makeTempDir();
  const r = await train(tinyConfig(data, out, { epochs: 3, lr: 1e-2 }), { quiet: true });
  assertEquals(r.steps, 60);
  assert(
    r.last!.testAccNoiseFree! > 0.6 && r.last!.testAcc! > 0.6,
    `accuracy ${JSON.stringify(r.last)} (chance 0.1)`,
  );
  const lines = (await Deno.readTextFile(`${r.runDir}/metrics.jsonl`)).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  assertEquals(lines.length, 3);
  for (
    const k of [
      "trainLoss",
      "testAcc",
      "testAccNoiseFree",
      "samplesPerSec",
      "wallSeconds",
      "peakRssMB",
    ]
  ) {
    assert(k in lines[2], `metrics.jsonl lacks ${k}`);
  }
  assertEquals(lines[2].trainLoss.length, 3);
  assert((await Deno.readTextFile(`${r.runDir}/config.yaml`)).includes("dataset: mnist"));
  assert(Object.keys(await weights(r.runDir)).includes("block_03.head.fc3.w"));
});

Deno.test("a run stopped mid-epoch and resumed reaches the same steps and bit-identical weights", async () => {
  const out = await Deno.makeTempDir();
  const full = await train(tinyConfig(data, out, { runName: "full" }), { quiet: true });
  const part = await train(tinyConfig(data, out, { runName: "part", maxSteps: 27 }), {
    quiet: true,
  });
  assertEquals(part.steps, 27); // 20 batches per epoch: stopped in the middle of epoch 2
  const resumed = await train(tinyConfig(data, out, { runName: "part" }), {
    quiet: true,
    resumeDir: part.runDir,
  });
  assertEquals(resumed.steps, full.steps);
  const a = await weights(full.runDir), b = await weights(resumed.runDir);
  for (const name of Object.keys(a)) {
    assert(sameBits(a[name].data, b[name].data), `${name} differs after resume`);
  }
});

Deno.test("with the one-hot embedding, 2 workers give the same block weights as sequential training", async () => {
  const out = await Deno.makeTempDir();
  const seq = await train(tinyConfig(data, out, { runName: "seq", epochs: 1 }), { quiet: true });
  const par = await train(tinyConfig(data, out, { runName: "par", epochs: 1, workers: 2 }), {
    quiet: true,
  });
  const a = await weights(seq.runDir), b = await weights(par.runDir);
  for (const name of Object.keys(a).filter((n) => n.startsWith("block_"))) {
    assert(sameBits(a[name].data, b[name].data), `${name} differs between 1 and 2 workers`);
  }
  assert(par.last!.testAccNoiseFree! > 0.1);
});

Deno.test("a non-finite loss stops training with a message naming the block and step", async () => {
  const out = await Deno.makeTempDir();
  await assertRejects(
    () => train(tinyConfig(data, out, { eta: 1e38 }), { quiet: true }),
    /loss of block \d+ is (Infinity|NaN) at step 0.*last good checkpoint/,
  );
});

Deno.test("maxSeconds ends the run after the range that passes it: evaluated, checkpointed, resumable", async () => {
  const out = await Deno.makeTempDir();
  // A limit already passed when training starts: exactly one range (one batch) runs.
  const cfg = tinyConfig(data, out, { epochs: 5, maxSeconds: 1e-9 });
  const r = await train(cfg, { quiet: true });
  assertEquals([r.steps, r.interrupted], [1, false]);
  assert(r.last!.testAcc !== null, "the run is evaluated like a finished one");
  const lines = (await Deno.readTextFile(`${r.runDir}/metrics.jsonl`)).trim().split("\n");
  assertEquals(lines.length, 1);
  assertEquals(JSON.parse(lines[0]).step, 1);
  // The limit counts this process's training only: a resumed run trains one more range.
  const resumed = await train(cfg, { quiet: true, resumeDir: r.runDir });
  assertEquals(resumed.steps, 2);
  // A generous limit changes nothing: the run ends at its last epoch.
  const long = await train(
    tinyConfig(data, out, { runName: "long", epochs: 1, maxSeconds: 3600 }),
    {
      quiet: true,
    },
  );
  assertEquals(long.steps, 20);
});
