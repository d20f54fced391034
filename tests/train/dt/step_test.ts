import { assert } from "../../assert.ts";
import { tf } from "../../../src/deps_tf.ts";
import { initBackend } from "../../../src/backend/mod.ts";
import { createNoPropDT, type NoPropDT } from "../../../src/model/noprop.ts";
import { AdamW } from "../../../src/train/adamw.ts";
import { sharedVariables, trainBlockStep, type TrainState } from "../../../src/train/dt/step.ts";
import { modelArrays } from "../../../src/train/dt/weights.ts";

await initBackend("wasm");

function setup(embedding: "onehot" | "learned"): { m: NoPropDT; s: TrainState } {
  const m = createNoPropDT({
    image: { height: 8, width: 8, channels: 1 },
    classes: 3,
    T: 4,
    schedule: "cosine",
    embedding,
    embedDim: 5,
    widths: [2, 3, 4],
    hidden: 8,
    seed: 7,
  });
  const o = { lr: 1e-2, weightDecay: 1e-3 };
  return {
    m,
    s: {
      model: m,
      blockOpt: m.blocks.map((b) => new AdamW(b.variables(), o)),
      sharedOpt: new AdamW(sharedVariables(m), o),
      eta: 0.1,
      dropout: 0.2,
      bnMomentum: 0.1,
    },
  };
}

function bitsEqual(a: ArrayBufferView, b: ArrayBufferView): boolean {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

for (const embedding of ["onehot", "learned"] as const) {
  Deno.test(`no gradient crosses blocks: a step of block 2 leaves every other block bit-identical (${embedding})`, async () => {
    const { m, s } = setup(embedding);
    const before = await modelArrays(m);
    const d = m.embedding.dim;
    const x = tf.randomNormal([6, 8, 8, 1], 0, 1, "float32", 1) as tf.Tensor4D;
    const y = tf.tensor1d([0, 1, 2, 0, 1, 2], "int32");
    const e1 = tf.randomNormal([6, d], 0, 1, "float32", 2) as tf.Tensor2D;
    const e2 = tf.randomNormal([6, d], 0, 1, "float32", 3) as tf.Tensor2D;
    trainBlockStep(s, 2, x, y, e1, e2, 11).dispose();
    const after = await modelArrays(m);
    let changed2 = 0;
    for (const name of Object.keys(before)) {
      const same = bitsEqual(before[name].data, after[name].data);
      if (name.startsWith("block_02.")) changed2 += same ? 0 : 1;
      else if (name.startsWith("block_")) assert(same, `${name} changed by block 2's step`);
      else if (name.startsWith("cls.")) assert(!same, `${name} (classifier) should be updated`);
      else if (name === "embed.W") {
        assert(same === (embedding === "onehot"), `embed.W update (${embedding})`);
      }
    }
    assert(changed2 > 10, "block 2's own weights should change");
  });
}
