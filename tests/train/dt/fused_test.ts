// Fused block steps (--fuse-blocks) on wasm: the fused forward is each block's own forward, and
// with the one-hot embedding fused steps leave every block exactly where separate steps do
// (weights, BatchNorm statistics, AdamW moments, noise streams, losses), so their checkpoints
// are interchangeable. The webgpu twin is fused_webgpu_test.ts.
import { assert, assertEquals } from "../../assert.ts";
import { tf } from "../../../src/deps_tf.ts";
import { initBackend, readTensor } from "../../../src/backend/mod.ts";
import { blockForward, blockSpec, createBlock } from "../../../src/model/block.ts";
import { fusedBlockForward, type FusedContext } from "../../../src/model/fused_block.ts";
import type { ForwardContext } from "../../../src/model/layers.ts";
import { StackedBlocks } from "../../../src/model/stacked.ts";
import { Rng } from "../../../src/rng.ts";
import { createDtMethod } from "../../../src/train/dt/method.ts";
import { createNoPropDT } from "../../../src/model/noprop.ts";
import { fusedDtLosses } from "../../../src/train/dt/fused_step.ts";
import { dtBlockLoss } from "../../../src/train/dt/step.ts";
import { readCheckpoint, writeCheckpoint } from "../../../src/run/checkpoint.ts";
import {
  assertSameBlocks,
  countTraffic,
  maxDiff,
  tinyDtConfig,
  tinyRun,
  trainTiny,
} from "../../_helpers/fused.ts";

await initBackend("wasm");

for (const zAsImage of [false, true]) {
  Deno.test(`fused forward: block t's slab is block t's own training forward (dropout masks, BatchNorm statistics${zAsImage ? ", z as an image" : ""})`, async () => {
    const spec = blockSpec({
      height: 8,
      width: 8,
      channels: 1,
      classes: 5,
      embedDim: zAsImage ? 64 : 5,
      widths: [2, 3, 4],
      hidden: 8,
      zAsImage,
    });
    const T = 3, N = 4, d = spec.embedDim;
    const blocks = [1, 2, 3].map((s) => createBlock(spec, new Rng(s)));
    const x = tf.randomNormal([N, 8, 8, 1], 0, 1, "float32", 1) as tf.Tensor4D;
    const z = tf.randomNormal([T, N, d], 0, 1, "float32", 2) as tf.Tensor3D;
    const seeds = [101, 202, 303];
    const stacked = new StackedBlocks(blocks);
    const fctx: FusedContext = {
      training: true,
      dropout: 0.3,
      bnMomentum: 0.1,
      seeds: [...seeds],
      updates: [],
    };
    const fused = tf.unstack(fusedBlockForward(stacked, spec, x, z, fctx));
    const zs = tf.unstack(z) as tf.Tensor2D[];
    for (let t = 0; t < T; t++) {
      const ctx: ForwardContext = {
        training: true,
        dropout: 0.3,
        bnMomentum: 0.1,
        seed: seeds[t],
        updates: [],
      };
      const alone = await readTensor(blockForward(blocks[t], spec, x, zs[t], ctx));
      const got = await readTensor(fused[t]);
      assert(maxDiff(got, alone) < 1e-5, `block ${t + 1}'s logits: ${maxDiff(got, alone)}`);
      assertEquals(fctx.seeds[t], ctx.seed, `block ${t + 1} drew as many dropout masks`);
      for (const u of ctx.updates) {
        const stackedNew = fctx.updates.find((f) => f.name === u.name)!;
        const slab = await readTensor(tf.unstack(stackedNew.value)[t]);
        const d2 = maxDiff(slab, await readTensor(u.value));
        assert(d2 < 1e-5, `block ${t + 1}'s ${u.name}: ${d2}`);
      }
    }
    assertEquals(fctx.updates.length, blocks[0].buffers.size);
    stacked.dispose();
  });
}

Deno.test("fused losses are each block's own eq. 8 loss (its slices, dropout masks and loss weight)", async () => {
  const model = createNoPropDT({
    image: { height: 8, width: 8, channels: 1 },
    classes: 5,
    T: 3,
    schedule: "cosine",
    embedding: "learned",
    embedDim: 4,
    widths: [2, 3, 4],
    hidden: 8,
    seed: 3,
  });
  const T = 3, N = 4, d = 4;
  const x = tf.randomNormal([N, 8, 8, 1], 0, 1, "float32", 1) as tf.Tensor4D;
  const y = tf.tensor1d([0, 4, 2, 1], "int32");
  const e1 = tf.randomNormal([T, N, d], 0, 1, "float32", 2) as tf.Tensor3D;
  const e2 = tf.randomNormal([T, N, d], 0, 1, "float32", 3) as tf.Tensor3D;
  const seeds = [7, 8, 9];
  const tile = (v: tf.Tensor) => tf.stack([v, v, v]);
  const shared = {
    clsW: tile(model.classifier.get("cls.w")) as tf.Tensor3D,
    clsB: tile(model.classifier.get("cls.b")) as tf.Tensor2D,
    W: tile(model.embedding.W) as tf.Tensor3D,
  };
  const stacked = new StackedBlocks(model.blocks);
  const fctx: FusedContext = {
    training: true,
    dropout: 0.3,
    bnMomentum: 0.1,
    seeds: [...seeds],
    updates: [],
  };
  const forward = (xb: tf.Tensor4D, z: tf.Tensor3D) =>
    fusedBlockForward(stacked, model.spec, xb, z, fctx);
  const fused = await readTensor(fusedDtLosses(model, x, y, e1, e2, 0.1, shared, forward));
  const slab = (t: tf.Tensor3D, i: number) => tf.unstack(t)[i] as tf.Tensor2D;
  for (let t = 1; t <= T; t++) {
    const ctx: ForwardContext = {
      training: true,
      dropout: 0.3,
      bnMomentum: 0.1,
      seed: seeds[t - 1],
      updates: [],
    };
    const alone = dtBlockLoss(
      model,
      t,
      x,
      y,
      slab(e1, t - 1),
      slab(e2, t - 1),
      0.1,
      (xb, z) => blockForward(model.blocks[t - 1], model.spec, xb, z, ctx),
    );
    const want = (await readTensor(alone))[0];
    assert(
      Math.abs(fused[t - 1] - want) <= 1e-5 * Math.max(1, want),
      `L_${t}: ${fused[t - 1]} vs ${want}`,
    );
  }
  stacked.dispose();
});

for (const fuseShared of ["summed", "per-block"] as const) {
  Deno.test(`fused steps (${fuseShared} shared updates) train every block as separate steps do (one-hot)`, async () => {
    const batches = 3;
    const init = await trainTiny(tinyDtConfig(), 0);
    const separate = await trainTiny(tinyDtConfig(), batches);
    const fused = await trainTiny(tinyDtConfig({ fuseBlocks: true, fuseShared }), batches);
    // Within 0.1% of the distance each block travelled.
    const worst = assertSameBlocks(fused, separate, init, 1e-3);
    console.log(`  worst weight difference / distance travelled: ${worst.toExponential(1)}`);
    // The shared classifier: one AdamW step per batch (summed) or T (per-block, as separate).
    const steps = (s: typeof init) => s.state.optimizers["shared_0"].step;
    assertEquals(steps(separate), 3 * batches);
    assertEquals(steps(fused), fuseShared === "summed" ? batches : 3 * batches);
  });
}

Deno.test("a fused run's checkpoint resumes with separate steps and the other way round", async () => {
  const run = tinyRun();
  const dir = await Deno.makeTempDir({ prefix: "noprop-fused-" });
  try {
    // 2 batches one way, 1 more the other way: the blocks end where 3 separate batches leave them.
    const init = await trainTiny(tinyDtConfig(), 0);
    const want = await trainTiny(tinyDtConfig(), 3);
    for (const [first, then] of [[true, false], [false, true]]) {
      const a = await createDtMethod({ cfg: tinyDtConfig({ fuseBlocks: first }), run });
      await a.run(0, 0, 2, () => {});
      const saved = await a.state();
      await writeCheckpoint(dir, saved.weights, a.meta, {
        ...saved,
        pos: { epoch: 0, batch: 2, step: 2 },
        metrics: [],
      });
      a.close();
      const checkpoint = await readCheckpoint(dir, "noprop-dt");
      const b = await createDtMethod({ cfg: tinyDtConfig({ fuseBlocks: then }), run, checkpoint });
      const r = await b.run(0, 2, 3, () => {});
      const got = { state: await b.state(), lossSum: r.lossSum };
      b.close();
      assertEquals(r.batches, 1);
      assertSameBlocks(got, want, init, 1e-3);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const embedding of ["learned", "prototype"] as const) {
  Deno.test(`fused steps with a ${embedding} embedding: W_Embed and the classifier get one update per batch`, async () => {
    const cfg = tinyDtConfig({
      fuseBlocks: true,
      fuseShared: "summed",
      embedding,
      embeddingDim: 6,
    });
    const before = await trainTiny(cfg, 0);
    const after = await trainTiny(cfg, 2);
    assert(after.lossSum.every((v) => Number.isFinite(v) && v > 0));
    assertEquals(after.state.optimizers["shared_0"].step, 2);
    const W = (s: typeof after) => s.state.weights["embed.W"].data as Float32Array;
    assert(maxDiff(W(after), W(before)) > 1e-4, "W_Embed did not train");
    if (embedding === "prototype") { // z_{t−1} goes through each block's own label conv stack
      const lab = (s: typeof after) => s.state.weights["block_02.lab.conv2.w"].data as Float32Array;
      assert(maxDiff(lab(after), lab(before)) > 1e-4, "the label branch's convs did not train");
    }
  });
}

for (const fuseBlocks of [false, true]) {
  Deno.test(`wasm, ${fuseBlocks ? "fused" : "separate"} steps: one read-back per range, one upload per batch, tensor count flat`, async () => {
    const method = await createDtMethod({ cfg: tinyDtConfig({ fuseBlocks }), run: tinyRun() });
    try {
      assertEquals(method.rangeSize, 1); // wasm: reading a loss back costs nothing
      const t = await countTraffic(method, 4, [4, 8, 8, 1]);
      assertEquals(t.reads, [1, 1, 1, 1]);
      assertEquals(t.imageUploads, [1, 1, 1, 1]);
      assertEquals(new Set(t.tensors.slice(1)).size, 1, `tensors after each range: ${t.tensors}`);
    } finally {
      method.close();
    }
  });
}
