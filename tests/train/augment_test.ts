/**
 * `--augment` in the one batch pipeline (src/train/batches.ts): the training batches are the
 * plain batches augmented from the stream (seed, epoch, batch); every method trains on them
 * (DT in one process and in workers, CT, backprop); a run stopped mid-epoch and resumed is
 * bit-identical; and a resumed run may not change `augment`.
 */
import { assert, assertEquals, assertNotEquals, assertRejects } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { augmentBatch } from "../../src/data/augment.ts";
import { NORMALIZATION } from "../../src/data/normalize.ts";
import { RESUMABLE_FIELDS } from "../../src/run/resume.ts";
import { loadSafetensors } from "../../src/safetensors.ts";
import { Rng } from "../../src/rng.ts";
import { augmentSeed, epochBatches } from "../../src/train/batches.ts";
import { train } from "../../src/train/mod.ts";
import { streamSeed } from "../../src/model/noprop.ts";
import type { Config } from "../../src/config.ts";
import { assertResumeIsExact } from "../_helpers/resume.ts";
import { tinyConfig, writeSyntheticMnist } from "../_helpers/train.ts";

await initBackend("wasm");
const data = await Deno.makeTempDir({ prefix: "noprop-augment-" });
await writeSyntheticMnist(data, 640, 200);

/** Ten random 8×8 RGB images. */
const set = (() => {
  const rng = new Rng(11);
  return {
    count: 10,
    height: 8,
    width: 8,
    channels: 3,
    images: Uint8Array.from({ length: 10 * 192 }, () => rng.int(256)),
    labels: Uint8Array.from({ length: 10 }, (_, i) => i),
  };
})();
const stats = NORMALIZATION.cifar10;
const both = ["crop", "flip"] as const;

/** Copies of every batch of `epoch` from `from` on: [index, labels, x] (the buffers are reused). */
function collect(
  o: { seed: number; augment?: readonly ("crop" | "flip")[] },
  epoch: number,
  from = 0,
) {
  const out: (readonly [number, number[], Float32Array])[] = [];
  for (const b of epochBatches(set, stats, { batchSize: 4, ...o }, epoch, from)) {
    out.push([b.index, [...b.y], b.x.slice()]);
  }
  return out;
}

Deno.test("augment: a training batch is the plain batch augmented with the stream (seed, 6000, epoch, batch)", () => {
  for (const epoch of [0, 1]) {
    const plain = collect({ seed: 7 }, epoch);
    const aug = collect({ seed: 7, augment: both }, epoch);
    assertEquals(aug.map((b) => [b[0], b[1]]), plain.map((b) => [b[0], b[1]])); // order unchanged
    assertEquals(aug.length, 2); // 10 images, batch 4, last partial batch dropped
    for (const [i, [index, , x]] of aug.entries()) {
      const expected = plain[i][2].slice();
      augmentBatch(expected, 4, set, both, new Rng(augmentSeed(7, epoch, index)));
      assertEquals(x, expected, `epoch ${epoch} batch ${index}`);
      assertNotEquals(x, plain[i][2], `epoch ${epoch} batch ${index} was not augmented`);
    }
  }
  assertEquals(augmentSeed(7, 1, 0), streamSeed(streamSeed(streamSeed(7, 6000), 1), 0));
});

Deno.test("augment: same seed and epoch give the same batches (also when started mid-epoch); another epoch or seed does not", () => {
  const a = collect({ seed: 7, augment: both }, 0);
  assertEquals(collect({ seed: 7, augment: both }, 0), a);
  assertEquals(collect({ seed: 7, augment: both }, 0, 1), a.slice(1)); // a resumed epoch
  // Another epoch: the same images, augmented differently. Rebuild epoch 1's plain batches and
  // augment them with epoch 0's streams: that is not what epoch 1 trains on.
  const plain1 = collect({ seed: 7 }, 1), aug1 = collect({ seed: 7, augment: both }, 1);
  const withEpoch0Streams = plain1.map(([index, , x]) => {
    const y = x.slice();
    augmentBatch(y, 4, set, both, new Rng(augmentSeed(7, 0, index)));
    return y;
  });
  assertNotEquals(aug1.map((b) => b[2]), withEpoch0Streams);
  assertNotEquals(augmentSeed(7, 0, 1), augmentSeed(7, 1, 0));
  assertNotEquals(augmentSeed(7, 0, 0), augmentSeed(8, 0, 0));
});

/** Every tensor of a run's weights. */
async function weights(dir: string) {
  return (await loadSafetensors(`${dir}/weights.safetensors`)).tensors;
}
function sameBits(a: ArrayBufferView, b: ArrayBufferView) {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

const methods: [string, Partial<Config>][] = [
  ["NoProp-DT", {}],
  ["NoProp-CT", { variant: "ct" }],
  ["backprop", { method: "backprop" }],
];
for (const [name, over] of methods) {
  Deno.test(`augment: ${name} trains on the augmented batches (2 steps differ from unaugmented)`, async () => {
    const out = await Deno.makeTempDir();
    const short = { ...over, epochs: 1, maxSteps: 2, evalSamples: 32 };
    const plain = await train(tinyConfig(data, out, { ...short, runName: "plain" }), {
      quiet: true,
    });
    const aug = await train(
      tinyConfig(data, out, { ...short, runName: "aug", augment: ["crop", "flip"] }),
      { quiet: true },
    );
    const a = await weights(plain.runDir), b = await weights(aug.runDir);
    const differ = Object.keys(a).filter((k) => !sameBits(a[k].data, b[k].data));
    assert(differ.length > 0, `${name}: augment changed no weight`);
  });
}

Deno.test("augment: 2 DT workers train on the same augmented batches as one process (one-hot: same blocks)", async () => {
  const out = await Deno.makeTempDir();
  const cfg = {
    epochs: 1,
    maxSteps: 6,
    evalSamples: 32,
    augment: ["crop", "flip"] as Config["augment"],
  };
  const seq = await train(tinyConfig(data, out, { ...cfg, runName: "seq" }), { quiet: true });
  const par = await train(tinyConfig(data, out, { ...cfg, runName: "par", workers: 2 }), {
    quiet: true,
  });
  const a = await weights(seq.runDir), b = await weights(par.runDir);
  const blocks = Object.keys(a).filter((n) => n.startsWith("block_"));
  assert(blocks.length > 0);
  for (const name of blocks) {
    assert(sameBits(a[name].data, b[name].data), `${name} differs between 1 and 2 workers`);
  }
});

Deno.test("augment: a DT run with crop,flip stopped mid-epoch and resumed is bit-identical to an uninterrupted one", async () => {
  await assertResumeIsExact(
    tinyConfig(data, await Deno.makeTempDir(), { augment: ["crop", "flip"], evalSamples: 64 }),
  );
});

Deno.test("augment: resuming may not change augment (it changes the data)", async () => {
  assert(!RESUMABLE_FIELDS.includes("augment"));
  const out = await Deno.makeTempDir();
  const part = await train(tinyConfig(data, out, { epochs: 1, maxSteps: 3, evalSamples: 32 }), {
    quiet: true,
  });
  await assertRejects(
    () =>
      train(tinyConfig(data, out, { augment: ["flip"] }), { quiet: true, resumeDir: part.runDir }),
    (e: Error) =>
      e.message.startsWith(
        `--resume: augment is ["flip"], but the run in ${part.runDir} was trained with augment = []`,
      ),
  );
});
