/**
 * A NoProp-DT export with seeded random weights, built without a training run and without
 * TensorFlow.js: the same block and classifier graphs `exportRun` writes (`block_graph.ts`,
 * `classifier_graph.ts`, the same manifest), with every weight drawn here instead of read from
 * `weights.safetensors`. For speed measurements, whose figures do not depend on the weight
 * values (the GPU kit's paper-width chain, `tools/gpu/task_onnx.ts`, is exported on a host that
 * carries no tfjs); a trained model's accuracy is no part of it.
 *
 * The weights are in ONNX layout already (what a trained export holds after its BatchNorms are
 * folded in): conv kernels `[out, in, k, k]` and dense weights `[in, out]` drawn from
 * N(0, 2/fan-in) (He initialisation, so activations keep their scale through the ReLUs), biases
 * 0. Each tensor is drawn from its own stream, seeded by the model seed, its graph and its name, so
 * a tensor's values do not depend on the order the graph builder asks for them. The embedding is
 * one-hot (W_Embed = I), the schedule cosine (`src/schedule.ts`), as in the paper's MNIST model.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createClassifier } from "@noprop/infer";
 * import { exportRandomDt } from "./random_export.ts";
 * const outDir = await Deno.makeTempDir();
 * const r = await exportRandomDt(outDir, { T: 2, widths: [2, 2, 2], hidden: 8, seed: 1 });
 * assert.deepEqual(r.files, ["block_01.onnx", "block_02.onnx", "classifier.onnx", "manifest.json"]);
 * const clf = await createClassifier({ modelDir: outDir, provider: "cpu", threads: 1 });
 * const logits = await clf.logits(new Float32Array(3 * 784).fill(0.5), 3, { noise: false });
 * assert.equal(logits.length, 3 * 10);
 * await clf.close();
 * await Deno.remove(outDir, { recursive: true });
 * ```
 * @module
 */
import { SeededNormal } from "@noprop/infer";
import type { BlockSpec } from "../model/block.ts";
import { makeSchedule } from "../schedule.ts";
import { blockGraph } from "./block_graph.ts";
import { classifierGraph } from "./classifier_graph.ts";
import { blockFileName } from "./export.ts";
import { publishExport } from "./export_folder.ts";
import type { ExportResult } from "./export_types.ts";
import { convTag, denseTag, type LayerSource } from "./layer_source.ts";
import { writeGraph, writeManifest } from "./manifest_file.ts";
import { WeightMap } from "./weights.ts";

/** The network of {@linkcode exportRandomDt}: the paper's MNIST block by default. */
export interface RandomDtSpec {
  /** Blocks (default 10). */
  T?: number;
  /** Conv widths of the image branch (default 32, 64, 128). */
  widths?: [number, number, number];
  /** Dense width (default 256). */
  hidden?: number;
  /** Weight seed (default 1). */
  seed?: number;
}

/** MNIST's input and normalisation (the shipped model's). */
const MNIST = { height: 28, width: 28, channels: 1, classes: 10, mean: 0.1307, std: 0.3081 };

/** FNV-1a of `s`: a 32-bit stream seed per tensor name. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** `n` draws of N(0, 2/fanIn) from the stream of (`key`, `tag`). */
function he(key: string, tag: string, n: number, fanIn: number): Float32Array {
  const w = new SeededNormal(hash(`${key}:${tag}`)).fill(new Float32Array(n));
  const s = Math.sqrt(2 / fanIn);
  for (let i = 0; i < n; i++) w[i] *= s;
  return w;
}

/**
 * A {@linkcode LayerSource} of seeded random tensors (see the module doc): each tensor is drawn
 * from the stream named by `key` (e.g. the seed and the block) and its tag; `scope` prefixes
 * every tag.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { randomLayers } from "./random_export.ts";
 * const a = randomLayers("7/block_01").conv("img.conv1", null, 3, 1, 4);
 * assert.equal(a.tag, "img.conv1");
 * assert.deepEqual([a.w.length, a.b.length], [4 * 1 * 3 * 3, 4]);
 * assert.deepEqual(randomLayers("7/block_01").conv("img.conv1", null, 3, 1, 4).w, a.w);
 * assert.notDeepEqual(randomLayers("7/block_02").conv("img.conv1", null, 3, 1, 4).w, a.w);
 * ```
 */
export function randomLayers(key: string, scope = ""): LayerSource {
  return {
    copies: 1,
    conv(name, bn, k, cin, cout) {
      const tag = scope + convTag(name, bn);
      return { tag, w: he(key, tag, cout * cin * k * k, cin * k * k), b: new Float32Array(cout) };
    },
    dense(fc, bn, inDim, outDim) {
      const tag = scope + denseTag(fc, bn);
      return { tag, w: he(key, tag, inDim * outDim, inDim), b: new Float32Array(outDim) };
    },
  };
}

/**
 * Writes a NoProp-DT MNIST export with random weights (see the module doc) to `outDir` (created
 * when missing; swapped in when complete, like `exportRun`'s); returns what was written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exportRandomDt } from "./random_export.ts";
 * const [a, b] = [await Deno.makeTempDir(), await Deno.makeTempDir()];
 * const spec = { T: 1, widths: [2, 2, 2] as [number, number, number], hidden: 4 };
 * const ra = await exportRandomDt(a, { ...spec, seed: 3 });
 * const rb = await exportRandomDt(b, { ...spec, seed: 3 });
 * assert.deepEqual(ra.manifest, rb.manifest); // same seed: the same graphs, byte for byte
 * assert.equal(ra.manifest.blocks[0].sha256, rb.manifest.blocks[0].sha256);
 * await Deno.remove(a, { recursive: true });
 * await Deno.remove(b, { recursive: true });
 * ```
 */
export async function exportRandomDt(
  outDir: string,
  o: RandomDtSpec = {},
): Promise<ExportResult> {
  const T = o.T ?? 10, seed = o.seed ?? 1, K = MNIST.classes;
  const spec: BlockSpec = {
    height: MNIST.height,
    width: MNIST.width,
    channels: MNIST.channels,
    classes: K,
    embedDim: K,
    widths: o.widths ?? [32, 64, 128],
    hidden: o.hidden ?? 256,
    zAsImage: false,
    backbone: "paper",
    backboneWidth: 1,
  };
  const sizes: [string, number][] = [
    ["T", T],
    ["hidden", spec.hidden],
    ...spec.widths.map((w, i): [string, number] => [`widths[${i}]`, w]),
  ];
  for (const [k, v] of sizes) {
    if (!(Number.isSafeInteger(v) && v > 0)) {
      throw new Error(`exportRandomDt: ${k} must be a positive integer, got ${v}`);
    }
  }
  const embed = { shape: [K, K], data: new Float32Array(K * K) };
  for (let i = 0; i < K; i++) embed.data[i * K + i] = 1; // one-hot: W_Embed = I
  const r = await publishExport(outDir, async (stage) => {
    const blocks = [];
    const blockNodes: number[] = [];
    for (let t = 1; t <= T; t++) {
      const name = blockFileName(t).replace(".onnx", "");
      const g = blockGraph({ spec, layers: randomLayers(`${seed}/${name}`), embed, name });
      const bytes = g.encode({ docString: `NoProp-DT block ${t} of ${T}, random weights` });
      blocks.push(await writeGraph(stage, `${name}.onnx`, bytes));
      blockNodes.push(g.nodeCount);
    }
    const cls = randomLayers(`${seed}/cls`).dense("cls", null, K, K);
    const cbytes = classifierGraph(
      new WeightMap("cls", { w: { shape: [K, K], data: cls.w }, b: { shape: [K], data: cls.b } }),
      K,
      K,
    ).encode({ docString: "NoProp classifier: z_T → logits, random weights" });
    const classifier = await writeGraph(stage, "classifier.onnx", cbytes);
    const sched = makeSchedule("cosine", T);
    const manifest = await writeManifest(stage, {
      variant: "dt",
      T,
      classNames: Array.from({ length: K }, (_, i) => String(i)),
      spec,
      normalization: { mean: [MNIST.mean], std: [MNIST.std] },
      schedule: {
        name: sched.name,
        a: Array.from(sched.a.subarray(1)),
        b: Array.from(sched.b.subarray(1)),
        c: Array.from(sched.c.subarray(1)),
      },
      sampler: { name: "dt", steps: T, noise: false },
      blocks,
      classifier,
    });
    return {
      outDir,
      files: [...blocks.map((b) => b.file), "classifier.onnx", "manifest.json"],
      manifest,
      blockNodes,
    };
  });
  return { ...r, outDir };
}
