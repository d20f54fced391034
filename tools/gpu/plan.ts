/**
 * What the GPU report measures, and how big: one {@linkcode GpuPlan} for the GPU host (the sizes
 * the report's tables quote) and one for the rehearsal on a software adapter (`--dry-run`: the
 * same parts and fields on tiny sizes, so every path runs in CI within a couple of minutes).
 *
 * The GPU plan's part limits add up to 445 s, so the whole measurement (with the kit's unpacking)
 * stays under the 8 minutes one device call may take. A part that reaches its limit is stopped,
 * recorded as failed, and the next part starts.
 *
 * Which parts run from a kit packed for only some of its parts is `kit_parts.ts`'s.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gpuPlan, PART_NAMES } from "./plan.ts";
 * const gpu = gpuPlan(false), dry = gpuPlan(true);
 * const total = PART_NAMES.reduce((s, p) => s + gpu.limits[p], 0);
 * assert.ok(total <= 450, `${total} s`);
 * assert.deepEqual(gpu.inference.batches, [1, 128, 4096]);
 * assert.ok(dry.endToEnd.seconds < gpu.endToEnd.seconds);
 * ```
 * @module
 */
import type { RandomDtSpec } from "../../src/onnx/random_export.ts";

/** The report's parts, in the order they run. */
export const PART_NAMES = [
  "adapter",
  "losses",
  "logits",
  "torch",
  "trainSpeed",
  "inference",
  "endToEnd",
] as const;

/** One of {@linkcode PART_NAMES}. */
export type PartName = (typeof PART_NAMES)[number];

/** One training configuration: a YAML file and train flags on top (as `deno task train` takes them). */
export interface TrainSetup {
  /** Short name for the report. */
  name: string;
  /** `configs/*.yaml`, relative to the repository root. */
  config: string;
  /** Extra flags, e.g. `["--backend", "webgpu"]`. */
  flags: string[];
}

/**
 * Everything the driver runs (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gpuPlan, type GpuPlan } from "./plan.ts";
 * const plan: GpuPlan = gpuPlan(true);
 * assert.equal(plan.dryRun, true);
 * ```
 */
export interface GpuPlan {
  /** The rehearsal's tiny sizes. */
  dryRun: boolean;
  /** Wall-time limit of each part, seconds. */
  limits: Record<PartName, number>;
  /** (2) first training losses on webgpu vs wasm. */
  losses: { setup: TrainSetup; batches: number };
  /** (2) one exported chain's logits on onnxruntime webgpu vs cpu. */
  logits: { modelDir: string; images: number };
  /** (3) block-step training speed on webgpu. */
  trainSpeed: { setup: TrainSetup; batches: number[]; warmup: number; timed: number };
  /** (3, 5) the PyTorch anchor on CUDA (`widths`: its `--widths`, the block of part 3). */
  torch: { batches: number[]; steps: number; widths: string };
  /** (4) fixed-time training runs on webgpu. */
  endToEnd: { setups: TrainSetup[]; seconds: number };
  /** (5) images/s of the exported chain. */
  inference: {
    spec: Required<Omit<RandomDtSpec, "seed">>;
    batches: number[];
    threads: number;
    /** Each batch size is timed for at least this long (and at least 2 runs). */
    minSeconds: number;
  };
}

/** Flags shrinking a config for the rehearsal (the llvmpipe adapter is a CPU). */
const TINY = ["--widths", "4,8,8", "--hidden", "32", "--T", "3"];
/** And its data, for the fixed-time runs. */
const TINY_RUN = ["--batch-size", "32", "--train-limit", "512", "--eval-samples", "64"];

/**
 * The plan for the GPU host (`dryRun` false) or for the rehearsal (true).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gpuPlan } from "./plan.ts";
 * assert.equal(gpuPlan(false).endToEnd.seconds, 90);
 * assert.deepEqual(gpuPlan(false).trainSpeed.batches, [128, 1024]);
 * ```
 */
export function gpuPlan(dryRun: boolean): GpuPlan {
  const webgpu = ["--backend", "webgpu", "--workers", "1"];
  if (!dryRun) {
    return {
      dryRun,
      limits: {
        adapter: 15,
        losses: 25,
        logits: 20,
        torch: 50,
        trainSpeed: 70,
        inference: 55,
        endToEnd: 2 * (90 + 15),
      },
      losses: {
        setup: { name: "quick", config: "configs/mnist-quick.yaml", flags: ["--workers", "1"] },
        batches: 5,
      },
      logits: { modelDir: "models/mnist", images: 256 },
      trainSpeed: {
        setup: { name: "paper", config: "configs/mnist.yaml", flags: webgpu },
        batches: [128, 1024],
        warmup: 2,
        timed: 8,
      },
      torch: { batches: [128, 1024, 4096], steps: 100, widths: "32,64,128" },
      endToEnd: {
        setups: [
          { name: "quick", config: "configs/mnist-quick.yaml", flags: webgpu },
          { name: "paper", config: "configs/mnist.yaml", flags: webgpu },
        ],
        seconds: 90,
      },
      inference: {
        spec: { widths: [32, 64, 128], hidden: 256, T: 10 },
        batches: [1, 128, 4096],
        threads: 16,
        minSeconds: 1,
      },
    };
  }
  return {
    dryRun,
    // Generous: the rehearsal proves that every part runs, not how fast (about a minute on an
    // idle 2-core machine; a busy one can take several times longer).
    limits: {
      adapter: 60,
      losses: 180,
      logits: 120,
      torch: 60,
      trainSpeed: 300, // the --fuse-blocks rows double it
      inference: 180,
      endToEnd: 2 * 100,
    },
    losses: {
      setup: {
        name: "quick (tiny)",
        config: "configs/mnist-quick.yaml",
        flags: ["--workers", "1", ...TINY, "--batch-size", "16"],
      },
      batches: 5,
    },
    logits: { modelDir: "models/mnist", images: 4 },
    trainSpeed: {
      setup: { name: "paper (tiny)", config: "configs/mnist.yaml", flags: [...webgpu, ...TINY] },
      batches: [8, 32],
      warmup: 1,
      timed: 2,
    },
    torch: { batches: [128], steps: 5, widths: "4,8,8" },
    endToEnd: {
      setups: [
        {
          name: "quick (tiny)",
          config: "configs/mnist-quick.yaml",
          flags: [...webgpu, ...TINY, ...TINY_RUN],
        },
        {
          name: "paper (tiny)",
          config: "configs/mnist.yaml",
          flags: [...webgpu, ...TINY, ...TINY_RUN],
        },
      ],
      seconds: 4,
    },
    inference: {
      spec: { widths: [4, 8, 8], hidden: 32, T: 3 },
      batches: [1, 8, 32],
      threads: 2,
      minSeconds: 0.2,
    },
  };
}
