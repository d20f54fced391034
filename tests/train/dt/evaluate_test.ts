/**
 * The trainer's DT evaluation runs the runtime's chain (`dtChain`) with the tfjs blocks as the
 * denoiser. These tests pin it to the implementation it replaced — the eq. 3 chain written in
 * tfjs ops, kept here only as the reference — for the same seed: the same accuracies (stochastic
 * and noise-free) and logits equal to float rounding, on a tiny trained MNIST-shaped model
 * (several batches, the last one partial, so the noise stream order across batches matters) and
 * on CIFAR-shaped random models (learned embedding; prototype embedding with z as an image; a
 * one-hot model sharpened so that its predictions follow the noise, where labels := the old
 * predictions must score 100%). The backprop baseline's evaluation (eq. 17–19 through the same
 * chain) likewise.
 */
import { assert, assertEquals } from "../../assert.ts";
import { initBackend } from "../../../src/backend/mod.ts";
import { batches, loadDataset, NORMALIZATION } from "../../../src/data/mod.ts";
import { tf } from "../../../src/deps_tf.ts";
import { blockForward, blockHead, imageFeatures } from "../../../src/model/block.ts";
import { denoised } from "../../../src/model/embedding.ts";
import { dense, evalContext } from "../../../src/model/layers.ts";
import type { NoPropDT } from "../../../src/model/noprop.ts";
import { createMix, evaluateBackprop } from "../../../src/model/backprop.ts";
import { Rng } from "../../../src/rng.ts";
import { batchImages } from "../../../src/train/batch_tensor.ts";
import type { Confusion } from "../../../src/train/confusion.ts";
import { argmaxRows, evaluateDT, sampleDT } from "../../../src/train/dt/evaluate.ts";
import { train } from "../../../src/train/mod.ts";
import { loadReference, maxAbsDiff, writeFixtureRun } from "../../_helpers/onnx.ts";
import { tinyConfig, writeSyntheticMnist } from "../../_helpers/train.ts";

await initBackend("wasm");
const TOL = 1e-5;
type Batches = Iterable<{ x: Float32Array; y: Int32Array | Uint8Array; size: number }>;

// ---- The replaced implementation (reference only): eq. 3 in tfjs ops, both trajectories
// stacked as a batch of 2n, one tidy per block.
function oldSampleDT(model: NoPropDT, x: tf.Tensor4D, z0: tf.Tensor2D, eps: tf.Tensor2D[]) {
  const { schedule: s, embedding } = model;
  const n = x.shape[0];
  const ctx = evalContext();
  let zN = z0, zC = z0;
  for (let t = 1; t <= s.T; t++) {
    const [nextN, nextC] = tf.tidy(() => {
      const block = model.blocks[t - 1];
      const feat = imageFeatures(block, model.spec, x, ctx);
      const logits = blockHead(
        block,
        model.spec,
        tf.concat([feat, feat], 0),
        tf.concat([zN, zC], 0),
        ctx,
      );
      const uHat = denoised(logits, embedding.W);
      const [uN, uC] = tf.split(uHat, [n, n], 0) as tf.Tensor2D[];
      return [
        tf.add(
          tf.add(tf.mul(uN, s.a[t]), tf.mul(zN, s.b[t])),
          tf.mul(eps[t - 1], Math.sqrt(s.c[t])),
        ),
        tf.add(tf.mul(uC, s.a[t]), tf.mul(zC, s.b[t])),
      ] as tf.Tensor2D[];
    });
    if (zN !== z0) tf.dispose([zN, zC]);
    zN = nextN;
    zC = nextC;
  }
  const out = tf.tidy(() => ({
    noisy: dense(model.classifier, "cls", zN),
    clean: dense(model.classifier, "cls", zC),
  }));
  if (zN !== z0) tf.dispose([zN, zC]);
  return out;
}

async function oldEvaluateDT(model: NoPropDT, bs: Batches, opts: { seed: number }) {
  const rng = new Rng(opts.seed);
  const d = model.embedding.dim, T = model.schedule.T;
  let okN = 0, okC = 0, count = 0;
  for (const b of bs) {
    const n = b.size;
    const x = batchImages(b, model.spec);
    const z0 = tf.tensor2d(rng.fillNormal(new Float32Array(n * d)), [n, d]);
    const eps = Array.from(
      { length: T },
      () => tf.tensor2d(rng.fillNormal(new Float32Array(n * d)), [n, d]),
    );
    const { noisy, clean } = oldSampleDT(model, x, z0, eps);
    const aN = tf.argMax(noisy, 1), aC = tf.argMax(clean, 1);
    const [pN, pC] = await Promise.all([aN.data(), aC.data()]);
    for (let i = 0; i < n; i++) {
      if (pN[i] === b.y[i]) okN++;
      if (pC[i] === b.y[i]) okC++;
    }
    count += n;
    tf.dispose([x, z0, ...eps, noisy, clean, aN, aC]);
  }
  return { accNoisy: okN / Math.max(1, count), accClean: okC / Math.max(1, count), count };
}

function oldBackpropChain(model: NoPropDT, mix: tf.Variable, x: tf.Tensor4D, z0: tf.Tensor2D) {
  return tf.tidy(() => {
    let z = z0;
    const alpha = tf.tanh(mix);
    model.blocks.forEach((block, i) => {
      const a = tf.slice(alpha, [i], [1]);
      const u = denoised(blockForward(block, model.spec, x, z, evalContext()), model.embedding.W);
      z = tf.add(tf.mul(tf.sub(1, a), z), tf.mul(a, u));
    });
    return tf.argMax(dense(model.classifier, "cls", z), 1);
  });
}

function oldBackpropPredictions(
  model: NoPropDT,
  mix: tf.Variable,
  bs: { x: Float32Array; size: number }[],
  seed: number,
) {
  const rng = new Rng(seed);
  const d = model.embedding.dim;
  return bs.map((b) => {
    const x = batchImages(b, model.spec);
    const z0 = tf.tensor2d(rng.fillNormal(new Float32Array(b.size * d)), [b.size, d]);
    const p = oldBackpropChain(model, mix, x, z0);
    const out = p.dataSync() as Int32Array;
    tf.dispose([x, z0, p]);
    return out;
  });
}

async function oldEvaluateBackprop(
  model: NoPropDT,
  mix: tf.Variable,
  bs: Batches,
  opts: { seed: number },
) {
  const rng = new Rng(opts.seed);
  const d = model.embedding.dim;
  let ok = 0, count = 0;
  for (const b of bs) {
    const n = b.size;
    const pred = tf.tidy(() =>
      oldBackpropChain(
        model,
        mix,
        batchImages(b, model.spec),
        tf.tensor2d(rng.fillNormal(new Float32Array(n * d)), [n, d]),
      )
    );
    const p = await pred.data();
    pred.dispose();
    for (let i = 0; i < n; i++) if (p[i] === b.y[i]) ok++;
    count += n;
  }
  return { acc: ok / Math.max(1, count), count };
}
// ---- end of the reference.

/**
 * Old and new sampleDT over two batches, each side drawing from its own `new Rng(seed)` in its
 * own way (old: z_0 then ε_1 … ε_T as tensors; new: the Rng as the chain's noise source):
 * logits within TOL and the same predictions.
 */
async function compareChains(model: NoPropDT, n: number, seed: number) {
  const { height: h, width: w, channels: c } = model.spec;
  const d = model.embedding.dim, T = model.schedule.T, K = model.spec.classes;
  const rngOld = new Rng(seed), rngNew = new Rng(seed), rngX = new Rng(seed + 100);
  for (let batch = 0; batch < 2; batch++) {
    const x = tf.tensor4d(rngX.fillNormal(new Float32Array(n * h * w * c)), [n, h, w, c]);
    const z0 = tf.tensor2d(rngOld.fillNormal(new Float32Array(n * d)), [n, d]);
    const eps = Array.from(
      { length: T },
      () => tf.tensor2d(rngOld.fillNormal(new Float32Array(n * d)), [n, d]),
    );
    const old = oldSampleDT(model, x, z0, eps);
    const oldN = old.noisy.dataSync() as Float32Array, oldC = old.clean.dataSync() as Float32Array;
    const now = await sampleDT(model, x, rngNew);
    tf.dispose([x, z0, ...eps, old.noisy, old.clean]);
    const diff = { noisy: maxAbsDiff(now.noisy, oldN), clean: maxAbsDiff(now.clean, oldC) };
    assert(diff.noisy < TOL && diff.clean < TOL, `batch ${batch}: ${JSON.stringify(diff)}`);
    assertEquals(argmaxRows(now.noisy, K), argmaxRows(oldN, K));
    assertEquals(argmaxRows(now.clean, K), argmaxRows(oldC, K));
    assert(maxAbsDiff(now.noisy, now.clean) > 0, "the stochastic term had no effect");
  }
}

/** Batches of random images; labels filled in later. */
function randomBatches(model: NoPropDT, sizes: number[], seed: number) {
  const { height: h, width: w, channels: c } = model.spec;
  const rng = new Rng(seed);
  return sizes.map((size) => ({
    x: rng.fillNormal(new Float32Array(size * h * w * c)),
    y: new Int32Array(size),
    size,
  }));
}

/** The replaced implementation's per-image predictions [noisy, clean] with `new Rng(seed)`. */
function oldPredictions(model: NoPropDT, bs: ReturnType<typeof randomBatches>, seed: number) {
  const rng = new Rng(seed);
  const d = model.embedding.dim, T = model.schedule.T, K = model.spec.classes;
  return bs.map((b) => {
    const x = batchImages(b, model.spec);
    const z0 = tf.tensor2d(rng.fillNormal(new Float32Array(b.size * d)), [b.size, d]);
    const eps = Array.from(
      { length: T },
      () => tf.tensor2d(rng.fillNormal(new Float32Array(b.size * d)), [b.size, d]),
    );
    const { noisy, clean } = oldSampleDT(model, x, z0, eps);
    const p = [noisy, clean].map((l) => argmaxRows(l.dataSync() as Float32Array, K));
    tf.dispose([x, z0, ...eps, noisy, clean]);
    return p;
  });
}

const data = await Deno.makeTempDir({ prefix: "noprop-dt-eval-" });
await writeSyntheticMnist(data, 640, 200);
const trained = await train(
  tinyConfig(data, data, { epochs: 2, lr: 1e-2, runName: "mnist", evalSamples: 64 }),
  { quiet: true },
);
const model = await loadReference(trained.runDir);
const testSet = (await loadDataset("mnist", { dataDir: data })).test;
const evalBatches = () => batches(testSet, { batchSize: 64, stats: NORMALIZATION.mnist });
/** An evaluation's scores without its confusion counts (what the replaced chains returned). */
const scores = <T extends { confusion: Confusion }>({ confusion: _, ...rest }: T) => rest;
/** Images a confusion table counts as correct (its diagonal) and in all. */
const diagonal = (c: Confusion) => {
  let ok = 0, all = 0;
  c.counts.forEach((v, i) => (all += v, ok += i % (c.classes + 1) === 0 ? v : 0));
  return [ok, all];
};

Deno.test("evaluateDT = the replaced tfjs chain: same accuracies for the same seed (trained model)", async () => {
  for (const seed of [0, 5]) {
    const before = tf.memory().numTensors;
    const now = await evaluateDT(model, evalBatches(), { seed });
    assertEquals(tf.memory().numTensors, before, "evaluateDT leaks tensors");
    const old = await oldEvaluateDT(model, evalBatches(), { seed });
    assertEquals(scores(now), old, `seed ${seed}`);
    assertEquals(diagonal(now.confusion), [Math.round(now.accNoisy * 200), 200]); // stochastic
    assertEquals(now.count, 200); // 64 + 64 + 64 + 8: the stream runs on across batches
    assert(now.accClean > 0.5, `the tiny model should beat chance (0.1): ${now.accClean}`);
  }
});

Deno.test("sampleDT = the replaced tfjs chain to float rounding (trained MNIST-shaped model)", async () => {
  await compareChains(model, 7, 3);
});

// A random CIFAR-shaped model with every block's softmax sharpened, so that û_t, and with it the
// stochastic trajectory's prediction, follows the noise ε_t. (The noise-free one hardly depends
// on z_0 under any weights: b_1 ≈ 0.015 for the cosine schedule with T = 3.)
const random = await loadReference(
  (await writeFixtureRun({ image: { height: 32, width: 32, channels: 3 } })).runDir,
);
for (const b of random.blocks) {
  const w = b.get("head.fc3.w");
  w.assign(tf.tidy(() => tf.mul(w, 200)));
}

Deno.test("evaluateDT reproduces the replaced chain's every prediction (noise-sensitive model)", async () => {
  const bs = randomBatches(random, [16, 16, 5], 4);
  const preds = oldPredictions(random, bs, 8);
  // Labels := the old noisy (then clean) predictions: the new evaluation must score 100%.
  for (const [which, key] of [[0, "accNoisy"], [1, "accClean"]] as const) {
    bs.forEach((b, i) => b.y.set(preds[i][which]));
    const now = await evaluateDT(random, bs, { seed: 8 });
    assertEquals(now[key], 1, `${key} with seed 8`);
    assertEquals(scores(now), await oldEvaluateDT(random, bs, { seed: 8 }));
  }
  // The stochastic predictions do depend on the noise (so the check above can fail).
  bs.forEach((b, i) => b.y.set(preds[i][0]));
  const other = await evaluateDT(random, bs, { seed: 9 });
  assert(other.accNoisy < 1, "the stochastic predictions do not depend on the noise");
});

Deno.test("sampleDT = the replaced tfjs chain, CIFAR-shaped learned and prototype embeddings", async () => {
  for (
    const o of [
      { embedding: "learned" as const, embedDim: 20 },
      { embedding: "prototype" as const, T: 2 },
    ]
  ) {
    const { runDir } = await writeFixtureRun({
      image: { height: 32, width: 32, channels: 3 },
      ...o,
    });
    await compareChains(await loadReference(runDir), 4, 9);
  }
});

Deno.test("evaluateBackprop = the replaced tfjs chain (eq. 17–19) for the same seed", async () => {
  const mix = createMix(model.schedule.T);
  const w = tf.tensor1d([0.3, -0.2, 1.1]); // α = tanh(w), one of them negative
  mix.assign(w);
  w.dispose();
  const before = tf.memory().numTensors;
  const now = await evaluateBackprop(model, mix, evalBatches(), { seed: 2 });
  assertEquals(tf.memory().numTensors, before, "evaluateBackprop leaks tensors");
  assertEquals(scores(now), await oldEvaluateBackprop(model, mix, evalBatches(), { seed: 2 }));
  // Every prediction, on the noise-sensitive model: labels := the old predictions.
  const bs = randomBatches(random, [16, 16, 5], 6);
  const old = oldBackpropPredictions(random, mix, bs, 3);
  bs.forEach((b, i) => b.y.set(old[i]));
  const all = await evaluateBackprop(random, mix, bs, { seed: 3 });
  assertEquals([scores(all), diagonal(all.confusion)], [{ acc: 1, count: 37 }, [37, 37]]);
  const other = await evaluateBackprop(random, mix, bs, { seed: 4 });
  assert(other.acc < 1, "the predictions do not depend on z_0");
  mix.dispose();
});
