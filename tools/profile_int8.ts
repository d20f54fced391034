/**
 * Where the time of one block goes, float against int8 (`deno run -A tools/profile_int8.ts`):
 * onnxruntime's own profiler (kernel times per node, after its graph optimizations, so the
 * fused integer kernels appear under their names: QLinearConv, QGemm, NhwcMaxPool …) on one
 * block graph of the paper-width MNIST model (random weights, as `bench_infer.ts`) or of
 * `--model DIR`, at `--batch` images, mean over `--reps` runs, onnxruntime-node cpu with the
 * runtime's session settings. The int8 graph is quantized here (`--int8` variant names as in
 * `bench_infer.ts`), calibrated on the random inputs; `--propagate` turns onnxruntime's
 * QDQPropagationTransformer back on, to see what the runtime's default avoids.
 *
 * ```sh
 * deno run -A tools/profile_int8.ts [--model models/mnist] [--block 5] [--batch 128] [--reps 20] \
 *   [--int8 u8|min0|s8|…] [--propagate] [--threads 2]
 * ```
 *
 * @module
 */
import { parseArgs } from "../src/deps.ts";
import { loadModelFolder, SeededNormal } from "@noprop/infer";
import { loadOrtNode } from "../src/infer/runtime/ort_node.ts";
import { QDQ_SESSION_CONFIG } from "../src/infer/runtime/qdq.ts";
import { exportRun } from "../src/onnx/export.ts";
import { calibrateFolder, quantizeBlocks } from "../src/onnx/quantize/export.ts";
import { int8Variant, paperModel } from "./bench_infer.ts";

/** Kernel time per node and per op type, in ms per run. */
interface Profile {
  total: number;
  byOp: [string, number][];
  byNode: [string, number][];
}

async function profile(
  graph: Uint8Array,
  feeds: Record<string, { data: Float32Array; dims: number[] }>,
  o: { reps: number; threads: number; propagate: boolean; tag: string },
): Promise<Profile> {
  const ort = await loadOrtNode();
  const dir = await Deno.makeTempDir({ prefix: "noprop-profile-" });
  const s = await ort.InferenceSession.create(graph, {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    intraOpNumThreads: o.threads,
    interOpNumThreads: 1,
    enableProfiling: true,
    profileFilePrefix: `${dir}/${o.tag}`,
    extra: {
      session: { intra_op: { allow_spinning: "0" } },
      ...(o.propagate ? {} : { optimization: QDQ_SESSION_CONFIG }),
    },
  });
  const f = Object.fromEntries(
    Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor("float32", v.data, v.dims)]),
  );
  await s.run(f); // warm-up, profiled too: subtracted below by taking the later runs only
  for (let i = 0; i < o.reps; i++) await s.run(f);
  s.endProfiling();
  await s.release();
  const file = [...Deno.readDirSync(dir)].map((e) => `${dir}/${e.name}`)[0];
  const events: { cat: string; name: string; dur: number; args: { op_name?: string } }[] = JSON
    .parse(await Deno.readTextFile(file));
  await Deno.remove(dir, { recursive: true });
  const kernels = events.filter((e) => e.cat === "Node" && e.name.endsWith("_kernel_time"));
  const perRun = kernels.length / (o.reps + 1);
  const runs = kernels.slice(perRun); // drop the warm-up run
  const sum = (key: (e: (typeof runs)[number]) => string) => {
    const m = new Map<string, number>();
    for (const e of runs) m.set(key(e), (m.get(key(e)) ?? 0) + e.dur / 1000 / o.reps);
    return [...m].sort((a, b) => b[1] - a[1]);
  };
  const byOp = sum((e) => e.args.op_name ?? "?");
  return {
    total: byOp.reduce((a, [, v]) => a + v, 0),
    byOp,
    byNode: sum((e) => e.name.replace(/_kernel_time$/, "")),
  };
}

/** Runs the profiler (see the module doc); prints and returns both profiles. */
export async function main(argv: string[]): Promise<Record<string, Profile>> {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      model: { type: "string" },
      block: { type: "string", default: "5" },
      batch: { type: "string", default: "128" },
      reps: { type: "string", default: "20" },
      int8: { type: "string", default: "u8" },
      propagate: { type: "boolean", default: false },
      threads: { type: "string", default: String(navigator.hardwareConcurrency) },
    },
  });
  const batch = Number(o.batch), reps = Number(o.reps), threads = Number(o.threads);
  let dir = o.model;
  if (!dir) {
    const { runDir, outDir } = await paperModel();
    dir = (await exportRun(runDir, { outDir })).outDir;
  }
  const m = (await loadModelFolder(dir)).manifest;
  const { channels, height, width } = m.input;
  const x = new SeededNormal(3).fill(new Float32Array(batch * channels * height * width));
  const { folder, table } = await calibrateFolder(dir, x, { threads });
  const t = Number(o.block) - 1;
  const int8 = quantizeBlocks(folder, table, int8Variant(o.int8)).graphs[t];
  const feeds = {
    x: { data: x, dims: [batch, channels, height, width] },
    z: {
      data: new SeededNormal(1).fill(new Float32Array(batch * m.embedDim)),
      dims: [batch, m.embedDim],
    },
  };
  const out: Record<string, Profile> = {};
  for (const [tag, g] of [["fp32", folder.blocks[t]], [`int8 ${o.int8}`, int8]] as const) {
    const p = await profile(g, feeds, { reps, threads, propagate: o.propagate, tag: "p" });
    out[tag] = p;
    console.log(`${tag}: ${p.total.toFixed(2)} ms per run of block ${t + 1} at batch ${batch}`);
    console.log(`  by op:   ${p.byOp.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ")}`);
    console.log(
      `  by node: ${p.byNode.slice(0, 8).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ")}`,
    );
  }
  return out;
}

if (import.meta.main) await main(Deno.args);
