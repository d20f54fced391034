/**
 * `deno task bench`: NoProp-DT training speed of the paper's MNIST block at batch 128, per backend,
 * with `--workers 2` and with fused block steps (`--fuse-blocks`: all T blocks in one step per
 * batch), beside the PyTorch reference (`../shared/anchors/torch_noprop_dt.py`) run on the same
 * machine in the same invocation, so the ratio is measured, not assumed; then one row per image
 * backbone (CIFAR-shaped, wasm, beside `tools/torch_backbone_bench.py`; see
 * `tools/bench_backbones.ts`). `--only backends` or `--only backbones` runs one of the two tables.
 *
 * Each measurement runs in its own subprocess (a tfjs backend is chosen once per process) through the
 * project's real training path ({@linkcode measureBlockSteps}: `createMethod` → `LocalTeam` /
 * `WorkerTeam` → `trainBlockStep`, or `FusedTrainer` → `fusedTrainStep`: block forward + backward
 * + AdamW, classifier CE on z_T included) on generated MNIST-shaped data. One batch is a
 * warm-up; the figure is block-step samples/s = timed batches × T × batch / seconds, the quantity the
 * anchor reports as `train_block_steps_samples_per_s`.
 *
 * @example
 * ```sh
 * deno task bench                                  # wasm, fused, ×2 workers, cpu, webgpu (if any), PyTorch
 * deno task bench --runs wasm,wasm:fused --batches 4   # separate vs fused block steps
 * deno task bench --only backbones --backbones resnet18:0.25 --backbone-steps 1
 * ```
 * @module
 */
import { parseArgs } from "../src/deps.ts";
import { type Config, defaultConfig } from "../src/config.ts";
import { Rng } from "../src/rng.ts";
import {
  backboneChild,
  benchBackbones,
  DEFAULT_BACKBONE_ROWS,
  parseBackboneRows,
} from "./bench_backbones.ts";

/**
 * Writes uncompressed MNIST-format files with random pixels under `<dir>/mnist/` (shapes are all
 * that matter for speed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeRandomMnist } from "./bench.ts";
 * const dir = await Deno.makeTempDir();
 * await writeRandomMnist(dir, 4, 2);
 * assert.equal((await Deno.stat(`${dir}/mnist/train-images-idx3-ubyte`)).size, 16 + 4 * 784);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeRandomMnist(dir: string, nTrain: number, nTest: number) {
  const rng = new Rng(3);
  await Deno.mkdir(`${dir}/mnist`, { recursive: true });
  const be32 = (...v: number[]) => {
    const b = new Uint8Array(4 * v.length);
    v.forEach((x, i) => new DataView(b.buffer).setUint32(4 * i, x));
    return b;
  };
  for (const [split, n] of [["train", nTrain], ["t10k", nTest]] as const) {
    const img = Uint8Array.from({ length: n * 784 }, () => rng.int(256));
    const lab = Uint8Array.from({ length: n }, () => rng.int(10));
    await Deno.writeFile(
      `${dir}/mnist/${split}-images-idx3-ubyte`,
      new Uint8Array([...be32(2051, n, 28, 28), ...img]),
    );
    await Deno.writeFile(
      `${dir}/mnist/${split}-labels-idx1-ubyte`,
      new Uint8Array([...be32(2049, n), ...lab]),
    );
  }
}

/** What {@linkcode measureBlockSteps} measured. */
export interface BlockStepSpeed {
  /** The tfjs backend the steps ran on. */
  backend: string;
  /** The WebGPU adapter's description (webgpu only), else null. */
  adapter: string | null;
  /** Worker threads. */
  workers: number;
  /** Whether all T blocks trained in one fused step per batch (`--fuse-blocks`). */
  fused: boolean;
  /** Batch size. */
  batch: number;
  /** Blocks trained per batch (T). */
  T: number;
  /** Block steps timed (batches × T). */
  blockSteps: number;
  /** Seconds of the timed batches. */
  seconds: number;
  /** Block-step samples/s: blockSteps × batch / seconds (the anchor's `train_block_steps_samples_per_s`). */
  samplesPerSec: number;
}

/**
 * Times NoProp training of `cfg` through the method seam (`createMethod`, the loop's own path:
 * block forward + backward + AdamW, classifier CE on z_T included, losses read back when the
 * timed range ends; `cfg.fuseBlocks` times fused steps): `warmup` batches, then `timed` batches of epoch 0 of `cfg`'s data. Starts `cfg.backend` first.
 * Throws when the data holds fewer than `warmup + timed` batches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Config, defaultConfig } from "../src/config.ts";
 * import { measureBlockSteps, writeRandomMnist } from "./bench.ts";
 * const dataDir = await Deno.makeTempDir();
 * await writeRandomMnist(dataDir, 8, 2);
 * const cfg = {
 *   ...defaultConfig(), dataset: "mnist" as const, dataDir, backend: "cpu" as const, T: 2,
 *   widths: [2, 2, 2], hidden: 8, batchSize: 4,
 * };
 * const r = await measureBlockSteps(cfg, { warmup: 1, timed: 1 });
 * assert.deepEqual([r.backend, r.blockSteps, r.batch, r.fused], ["cpu", 2, 4, false]);
 * assert.ok(r.samplesPerSec > 0);
 * // All T blocks in one step per batch: the same block steps, counted the same way.
 * const f = await measureBlockSteps({ ...cfg, fuseBlocks: true }, { warmup: 1, timed: 1 });
 * assert.deepEqual([f.blockSteps, f.fused], [2, true]);
 * await assert.rejects(measureBlockSteps(cfg, { warmup: 1, timed: 2 }), /holds 2 batches/);
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 */
export async function measureBlockSteps(
  cfg: Config,
  o: { warmup: number; timed: number },
): Promise<BlockStepSpeed> {
  const { initBackend } = await import("../src/backend/mod.ts");
  const { batchesPerEpoch, loadRunData } = await import("../src/train/batches.ts");
  const { createMethod } = await import("../src/train/methods.ts");
  const info = await initBackend(cfg.backend);
  const run = await loadRunData(cfg);
  const perEpoch = batchesPerEpoch(run.train, cfg.batchSize);
  if (perEpoch < o.warmup + o.timed) {
    throw new Error(
      `measureBlockSteps: the data holds ${perEpoch} batches of ${cfg.batchSize}, ` +
        `${o.warmup + o.timed} are needed`,
    );
  }
  const method = await createMethod({ cfg, run });
  try {
    if (o.warmup) await method.run(0, 0, o.warmup, () => {});
    const t0 = performance.now();
    const r = await method.run(0, o.warmup, o.warmup + o.timed, () => {});
    const seconds = (performance.now() - t0) / 1000;
    const blockSteps = r.batches * cfg.T;
    return {
      backend: info.name,
      adapter: info.adapterDescription ?? null,
      workers: cfg.workers,
      fused: cfg.fuseBlocks,
      batch: cfg.batchSize,
      T: cfg.T,
      blockSteps,
      seconds,
      samplesPerSec: blockSteps * cfg.batchSize / seconds,
    };
  } finally {
    method.close();
  }
}

async function child(spec: string, dataDir: string, batches: number, widths: number[]) {
  const [backend, w] = spec.split(":");
  const fused = w === "fused";
  const workers = fused ? 1 : Number(w ?? 1);
  // cpu (~200x slower) and webgpu are timed on single block steps (T = 1: the step costs the same);
  // fused steps always on T = 10 blocks (what they save grows with T).
  const isCpu = backend === "cpu", single = !fused && (isCpu || backend === "webgpu");
  const cfg = {
    ...defaultConfig(),
    dataset: "mnist" as const,
    dataDir,
    backend: backend as "wasm",
    workers,
    widths,
    T: single ? 1 : 10,
    syncEvery: 1000,
    fuseBlocks: fused,
  };
  const warmup = isCpu ? 0 : 1, timed = isCpu ? 1 : backend === "webgpu" ? 2 : batches;
  const r = await measureBlockSteps(cfg, { warmup, timed });
  console.log(JSON.stringify({ run: spec, ...r }));
}

async function torchAnchor(widths: string): Promise<Record<string, unknown> | null> {
  const py = "/usr/bin/python3";
  const script = new URL("../../shared/anchors/torch_noprop_dt.py", import.meta.url).pathname;
  try {
    await Deno.stat(script);
    const out = await new Deno.Command(py, {
      args: [script, "--dataset", "mnist", "--steps", "20", "--threads", "2", "--widths", widths],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      console.error(
        `PyTorch anchor failed: ${new TextDecoder().decode(out.stderr).trim().split("\n").pop()}`,
      );
      return null;
    }
    return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
  } catch (e) {
    console.error(
      `PyTorch anchor unavailable (${e instanceof Error ? e.message : e}); ` +
        "install it with: apt-get install -y python3-torch libopenblas0-pthread",
    );
    return null;
  }
}

/**
 * Runs the bench with `argv` (see the module doc): the requested runs, each in a subprocess, then
 * the PyTorch anchor, then the table.
 */
export async function main(argv: string[]): Promise<void> {
  const args = parseArgs({
    args: argv,
    options: {
      runs: { type: "string", default: "wasm,wasm:fused,wasm:2,webgpu,cpu" },
      batches: { type: "string", default: "3" },
      widths: { type: "string", default: "32,64,128" },
      child: { type: "string" },
      data: { type: "string" },
      torch: { type: "boolean", default: true },
      "no-torch": { type: "boolean", default: false },
      only: { type: "string" },
      backbones: { type: "string", default: DEFAULT_BACKBONE_ROWS },
      "backbone-steps": { type: "string", default: "2" },
      "child-backbone": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });

  if (args.values.help) {
    console.log(
      `usage: deno task bench [--only backends|backbones] [--runs wasm,wasm:fused,wasm:2,cpu,webgpu]
       [--batches 3] [--widths 32,64,128] [--backbones ${DEFAULT_BACKBONE_ROWS}] [--backbone-steps 2]
       [--no-torch]
  runs: backend[:workers | :fused] list; fused = all T blocks in one step per batch (--fuse-blocks);
  cpu and webgpu are timed on single block steps (fused ones on T = 10)
  backbones: name[:width multiplier] list, one CIFAR-shaped wasm row each beside PyTorch`,
    );
    return;
  }

  const widths = args.values.widths!.split(",").map(Number);
  const only = args.values.only;
  let rows, steps;
  try {
    if (only !== undefined && only !== "backends" && only !== "backbones") {
      throw new Error(`--only: "${only}" is not backends or backbones`);
    }
    rows = parseBackboneRows(args.values["child-backbone"] ?? args.values.backbones!);
    steps = Number(args.values["backbone-steps"]);
    if (!Number.isInteger(steps) || steps < 1) {
      throw new Error(`--backbone-steps: "${args.values["backbone-steps"]}" is not an integer ≥ 1`);
    }
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(2);
  }
  if (args.values["child-backbone"]) {
    await backboneChild(rows[0], steps, widths);
  } else if (args.values.child) {
    await child(args.values.child, args.values.data!, Number(args.values.batches), widths);
  } else if (only !== "backbones") {
    const dir = await Deno.makeTempDir({ prefix: "noprop-bench-" });
    await writeRandomMnist(dir, 1024, 16);
    const rows: Record<string, unknown>[] = [];
    for (const run of args.values.runs!.split(",")) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL(import.meta.url).pathname,
          "--child",
          run,
          "--data",
          dir,
          "--batches",
          args.values.batches!,
          "--widths",
          args.values.widths!,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout).trim();
      if (!out.success || !text) {
        const err = new TextDecoder().decode(out.stderr).trim().split("\n").find((l) =>
          /error/i.test(l)
        );
        console.error(`${run}: skipped (${err ?? "failed"})`);
        continue;
      }
      const row = JSON.parse(text.split("\n").pop()!);
      rows.push(row);
      console.error(`${run}: ${row.samplesPerSec.toFixed(1)} block-step samples/s`);
    }
    const torch = args.values["no-torch"] ? null : await torchAnchor(args.values.widths!);
    const ref = torch ? Number(torch.train_block_steps_samples_per_s) : NaN;
    console.log(
      `\nNoProp-DT block training, MNIST, batch 128, widths ${
        widths.join(",")
      } (block-step samples/s)\n`,
    );
    console.log("| run | backend | workers | block steps | samples/s | vs PyTorch |");
    console.log("| --- | --- | --- | --- | --- | --- |");
    for (const r of rows) {
      const s = r.samplesPerSec as number;
      console.log(
        `| ${r.run} | ${r.backend}${r.adapter ? ` (${r.adapter})` : ""} | ${r.workers} | ${
          r.fused ? "fused" : "separate"
        } | ${s.toFixed(1)} | ` +
          `${Number.isFinite(ref) ? (s / ref).toFixed(2) + "×" : "n/a"} |`,
      );
    }
    if (torch) {
      console.log(
        `| PyTorch anchor | ${torch.framework} cpu, ${torch.threads} threads | 1 | separate | ${
          ref.toFixed(1)
        } | 1.00× |`,
      );
    }
    await Deno.remove(dir, { recursive: true });
  }
  if (!args.values.child && !args.values["child-backbone"] && only !== "backends") {
    await benchBackbones({
      rows,
      steps,
      widths,
      torch: !args.values["no-torch"],
      benchScript: new URL(import.meta.url).pathname,
    });
  }
}

if (import.meta.main) await main(Deno.args);
