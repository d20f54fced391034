/**
 * The fused chain graph (`src/onnx/chain_graph.ts`) computes the DT chain of eq. 3 exactly as the
 * runtime does block by block: for random blocks (tensors in ONNX layout, no tfjs) the logits of
 * `chain.onnx` fed the runtime's draws (`dtNoise`) equal those of the T block graphs run through
 * the runtime's sampler (`dtSampler`) and the classifier graph, noise-free and stochastic, on
 * onnxruntime-node — and a chain with wrong a_t, b_t or c_t does not (so this test would catch a
 * wrong coefficient in the fused graph). Fast: part of the mutation run's tests.
 */
import { assert } from "../assert.ts";
import {
  dtNoise,
  dtSampler,
  type Engine,
  FixedNoise,
  type GraphSession,
  type Manifest,
  nodeEngine,
  SeededNormal,
} from "@noprop/infer";
import type { BlockSpec } from "../../src/model/block.ts";
import { blockGraph } from "../../src/onnx/block_graph.ts";
import { chainGraph, type ChainGraphOptions } from "../../src/onnx/chain_graph.ts";
import { classifierGraph } from "../../src/onnx/classifier_graph.ts";
import { blockScope } from "../../src/onnx/export_chain.ts";
import { exportedLayers } from "../../src/onnx/layer_source.ts";
import { WeightMap } from "../../src/onnx/weights.ts";
import type { NamedTensor } from "../../src/onnx/weights.ts";
import { makeSchedule } from "../../src/schedule.ts";
import { maxAbsDiff } from "../_helpers/onnx.ts";

const T = 4, N = 3, K = 3;

/** A block's tensors in ONNX layout (what an exported block graph holds), random. */
function randomBlock(s: BlockSpec, rng: SeededNormal): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {};
  const put = (tag: string, w: number[], b: number) => {
    const fanIn = w.length === 2 ? w[0] : w[1] * w[2] * w[3]; // dense [in, out], conv OIHW
    const scale = 1 / Math.sqrt(fanIn);
    const data = rng.fill(new Float32Array(w.reduce((a, v) => a * v, 1))).map((v) => v * scale);
    out[`${tag}.w`] = { shape: w, data };
    out[`${tag}.b`] = { shape: [b], data: rng.fill(new Float32Array(b)).map((v) => 0.1 * v) };
  };
  const [c1, c2, c3] = s.widths, H = s.hidden, F = (s.height / 4) * (s.width / 4) * c3;
  put("img.conv1", [c1, s.channels, 3, 3], c1);
  put("img.conv2", [c2, c1, 3, 3], c2);
  put("img.conv3", [c3, c2, 3, 3], c3);
  put("img.fc+bn", [F, H], H);
  put("lab.fc1+bn1", [s.embedDim, H], H);
  put("lab.fc2+bn2", [H, H], H);
  put("lab.fc3+bn3", [H, H], H);
  put("head.fc1+bn1", [2 * H, H], H);
  put("head.fc2+bn2", [H, H / 2], H / 2);
  put("head.fc3", [H / 2, K], K);
  return out;
}

interface Fixture {
  spec: BlockSpec;
  blocks: Record<string, NamedTensor>[];
  embed: NamedTensor;
  cls: Record<string, NamedTensor>;
  schedule: { a: number[]; b: number[]; c: number[] };
}

function fixture(embedDim: number, learned: boolean): Fixture {
  const spec: BlockSpec = {
    height: 8,
    width: 8,
    channels: 1,
    classes: K,
    embedDim,
    widths: [2, 3, 4],
    hidden: 8,
    zAsImage: false,
    backbone: "paper",
    backboneWidth: 1,
  };
  const rng = new SeededNormal(embedDim);
  const blocks = Array.from({ length: T }, () => randomBlock(spec, rng));
  const embed = learned
    ? { shape: [K, embedDim], data: rng.fill(new Float32Array(K * embedDim)) }
    : { shape: [K, K], data: Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1) };
  const cls = {
    "cls.w": { shape: [embedDim, K], data: rng.fill(new Float32Array(embedDim * K)) },
    "cls.b": { shape: [K], data: rng.fill(new Float32Array(K)) },
  };
  const s = makeSchedule("cosine", T);
  const schedule = {
    a: Array.from(s.a.subarray(1)),
    b: Array.from(s.b.subarray(1)),
    c: Array.from(s.c.subarray(1)),
  };
  return { spec, blocks, embed, cls, schedule };
}

function chainOptions(f: Fixture): ChainGraphOptions {
  return {
    spec: f.spec,
    blocks: f.blocks.map((b, i) => exportedLayers(b, `block ${i + 1}`, blockScope(i + 1))),
    embed: f.embed,
    classifier: exportedLayers(f.cls, "classifier").dense("cls", null, f.spec.embedDim, K),
    schedule: f.schedule,
  };
}

/** Logits of the T block graphs run by the runtime's DT sampler, then the classifier graph. */
async function blockByBlock(engine: Engine, f: Fixture, x: Float32Array, stochastic: boolean) {
  const d = f.spec.embedDim;
  const sessions: GraphSession[] = [];
  for (const [i, b] of f.blocks.entries()) {
    const g = blockGraph({
      spec: f.spec,
      layers: exportedLayers(b, "b"),
      embed: f.embed,
      name: "b",
    });
    sessions.push(await engine.open(g.encode(), `block ${i + 1}`));
  }
  const cls = await engine.open(
    classifierGraph(WeightMap.withPrefix(f.cls, "cls"), d, K).encode(),
    "classifier",
  );
  const manifest = { T, embedDim: d, schedule: { name: "cosine", ...f.schedule } } as Manifest;
  const xFeed = { data: x, dims: [N, 1, 8, 8] };
  const zT = await dtSampler.run({
    manifest,
    batch: N,
    steps: T,
    stochastic,
    noise: new SeededNormal(9),
    denoise: async (t, z) =>
      (await sessions[t - 1].run({ x: xFeed, z: { data: z, dims: [N, d] } })).uhat,
  });
  const logits = (await cls.run({ z: { data: zT, dims: [N, d] } })).logits;
  for (const s of [...sessions, cls]) await s.release();
  return logits;
}

/** Logits of one chain graph, fed the runtime's draws for the same seed. */
async function fused(engine: Engine, o: ChainGraphOptions, x: Float32Array, stochastic: boolean) {
  const d = o.spec.embedDim;
  const s = await engine.open(chainGraph(o).encode(), "chain.onnx");
  const { z0, eps } = dtNoise(new SeededNormal(9), N * d, T, stochastic);
  const { logits } = await s.run({
    x: { data: x, dims: [N, 1, 8, 8] },
    z0: { data: z0, dims: [N, d] },
    eps: { data: eps, dims: [T, N, d] },
  });
  await s.release();
  return logits;
}

const engine = await nodeEngine("cpu", { threads: 1 });
const x = new SeededNormal(1).fill(new Float32Array(N * 64));

for (const [name, d, learned] of [["one-hot", K, false], ["learned W_Embed", 5, true]] as const) {
  Deno.test(`fused chain = block-by-block chain to 1e-5 (${name}), noise-free and stochastic`, async () => {
    const f = fixture(d, learned);
    for (const stochastic of [false, true]) {
      const ref = await blockByBlock(engine, f, x, stochastic);
      const diff = maxAbsDiff(await fused(engine, chainOptions(f), x, stochastic), ref);
      assert(diff <= 1e-5, `${name}, stochastic ${stochastic}: max |fused − blocks| = ${diff}`);
      assert(Math.max(...ref.map(Math.abs)) > 0.1, "logits too small to tell chains apart");
    }
  });
}

Deno.test("a fused chain with wrong a_t, b_t or c_t differs from the block-by-block chain", async () => {
  const f = fixture(K, false);
  const { a, b, c } = f.schedule;
  const wrong: [string, { a: number[]; b: number[]; c: number[] }, boolean[]][] = [
    ["a_t and b_t swapped", { a: b, b: a, c }, [false, true]],
    ["a_t in reverse order", { a: a.toReversed(), b, c }, [false, true]],
    ["b_t in reverse order", { a, b: b.toReversed(), c }, [false, true]],
    ["noise scaled by c_t, not √c_t", { a, b, c: c.map((v) => v * v) }, [true]],
    ["c_t in reverse order", { a, b, c: c.toReversed() }, [true]],
  ];
  for (const [what, schedule, modes] of wrong) {
    for (const stochastic of modes) {
      const ref = await blockByBlock(engine, f, x, stochastic);
      const diff = maxAbsDiff(
        await fused(engine, { ...chainOptions(f), schedule }, x, stochastic),
        ref,
      );
      assert(diff > 1e-3, `${what} (stochastic ${stochastic}): only ${diff} from the right chain`);
    }
  }
});

Deno.test("the fused chain draws its noise in the sampler's order: z_0, then ε_1 … ε_T", () => {
  const draws = Array.from({ length: T + 1 }, (_, i) => Float32Array.of(i, -i));
  const { z0, eps } = dtNoise(new FixedNoise(draws), 2, T, true);
  assert(z0[0] === 0 && eps[0] === 1 && eps[2 * (T - 1)] === T, `${z0} ${eps}`);
});
