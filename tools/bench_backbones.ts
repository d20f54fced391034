/**
 * The backbone rows of `deno task bench` (`--only backbones`): NoProp-DT block-training speed with
 * each image backbone (`paper`, `resnet18`, `resnet50` at a width multiplier) on CIFAR-shaped input
 * (32×32×3, 10 classes), batch 128, tfjs wasm, beside the same block in PyTorch on the same machine
 * (`tools/torch_backbone_bench.py`, run by `/usr/bin/python3`; the column reads "skipped" with the
 * reason when torch is not installed).
 *
 * Each tfjs row runs in its own subprocess through the project's real training path (`LocalTeam` →
 * `trainBlockStep`: block forward + backward + AdamW, classifier CE on z_T included) with T = 1
 * (every block step costs the same) on random in-memory images. One step is a warm-up; the figure is
 * block-step samples/s = timed steps × 128 / seconds, the quantity the PyTorch script prints as
 * `train_block_steps_samples_per_s`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBackboneRows } from "./bench_backbones.ts";
 * assert.deepEqual(parseBackboneRows("paper,resnet18:0.5"), [
 *   { backbone: "paper", width: 1 },
 *   { backbone: "resnet18", width: 0.5 },
 * ]);
 * assert.throws(() => parseBackboneRows("resnet34"), /^Error: --backbones: "resnet34" is not/);
 * ```
 * @module
 */
import { defaultConfig } from "../src/config.ts";
import { type BackboneName, BACKBONES } from "../src/model/backbone.ts";
import { Rng } from "../src/rng.ts";

/** One backbone row: a backbone and its ResNet width multiplier (1 for paper). */
export interface BackboneRow {
  /** Backbone name. */
  backbone: BackboneName;
  /** Width multiplier. */
  width: number;
}

/** Default rows: the widest ResNets whose batch-128 step fits the wasm heap (README, "Backbones"). */
export const DEFAULT_BACKBONE_ROWS = "paper,resnet18:0.5,resnet50:0.125";

const BATCH = 128;

/**
 * Parses `name[:width],…` (see {@linkcode DEFAULT_BACKBONE_ROWS}); throws one line for an
 * unknown name, a width that is not a number > 0, or a width on the paper backbone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBackboneRows } from "./bench_backbones.ts";
 * assert.throws(() => parseBackboneRows("resnet50:0"), /width "0" is not a number > 0/);
 * assert.throws(() => parseBackboneRows("paper:2"), /the paper backbone takes no width/);
 * ```
 */
export function parseBackboneRows(spec: string): BackboneRow[] {
  return spec.split(",").map((item) => {
    const [name, w] = item.trim().split(":");
    if (!BACKBONES.includes(name as BackboneName)) {
      throw new Error(`--backbones: "${name}" is not ${BACKBONES.join(", ")}`);
    }
    const width = w === undefined ? 1 : Number(w);
    if (!(width > 0) || !Number.isFinite(width)) {
      throw new Error(`--backbones: ${name} width "${w}" is not a number > 0`);
    }
    if (name === "paper" && width !== 1) {
      throw new Error(`--backbones: the paper backbone takes no width (its widths are --widths)`);
    }
    return { backbone: name as BackboneName, width };
  });
}

/**
 * The subprocess side: times `steps` block steps (after one warm-up) of the DT block with `row`'s
 * backbone on wasm, and prints one JSON line.
 */
export async function backboneChild(row: BackboneRow, steps: number, widths: number[]) {
  const { initBackend } = await import("../src/backend/mod.ts");
  const { NORMALIZATION } = await import("../src/data/normalize.ts");
  const { buildDtModel, trainerHyper } = await import("../src/train/dt/setup.ts");
  const { LocalTeam } = await import("../src/train/dt/team.ts");
  const cfg = {
    ...defaultConfig(),
    dataset: "cifar10" as const,
    backend: "wasm" as const,
    T: 1,
    batchSize: BATCH,
    widths,
    backbone: row.backbone,
    backboneWidth: row.width,
  };
  const info = await initBackend(cfg.backend);
  const count = (1 + steps) * BATCH, rng = new Rng(3);
  const set = {
    count,
    height: 32,
    width: 32,
    channels: 3,
    images: Uint8Array.from({ length: count * 3072 }, () => rng.int(256)),
    labels: Uint8Array.from({ length: count }, () => rng.int(10)),
  };
  const stats = NORMALIZATION.cifar10;
  const data = {
    train: set,
    test: set,
    info: {
      name: "cifar10" as const,
      height: 32,
      width: 32,
      channels: 3,
      numClasses: 10,
      classNames: Array.from({ length: 10 }, (_, i) => `class ${i}`),
      mean: [...stats.mean],
      std: [...stats.std],
    },
  };
  const model = buildDtModel(cfg, { data, train: set, test: set, stats });
  const team = new LocalTeam(model, trainerHyper(cfg), set, stats);
  await team.run(0, 0, 1, () => {});
  const t0 = performance.now();
  await team.run(0, 1, 1 + steps, () => {});
  const seconds = (performance.now() - t0) / 1000;
  team.close();
  console.log(JSON.stringify({
    ...row,
    backend: info.name,
    steps,
    seconds,
    samplesPerSec: steps * BATCH / seconds,
  }));
}

/** Runs the PyTorch script for `row`; returns its JSON line, or the reason it has no figure. */
async function torchRow(
  row: BackboneRow,
  steps: number,
  widths: number[],
): Promise<{ samplesPerSec: number; framework: string } | { skipped: string }> {
  const py = "/usr/bin/python3";
  const script = new URL("./torch_backbone_bench.py", import.meta.url).pathname;
  const args = [script, "--backbone", row.backbone, "--width", String(row.width)];
  args.push("--widths", widths.join(","), "--steps", String(steps), "--warmup", "1");
  args.push("--threads", "2", "--batch", String(BATCH));
  try {
    const probe = await new Deno.Command(py, { args: ["-c", "import torch"], stderr: "null" })
      .output();
    if (!probe.success) return { skipped: "torch missing: apt-get install -y python3-torch" };
    const out = await new Deno.Command(py, { args, stdout: "piped", stderr: "piped" }).output();
    if (!out.success) {
      const err = new TextDecoder().decode(out.stderr).trim().split("\n").pop();
      return { skipped: `PyTorch failed: ${err}` };
    }
    const line = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
    return {
      samplesPerSec: Number(line.train_block_steps_samples_per_s),
      framework: String(line.framework),
    };
  } catch (e) {
    return { skipped: `${py} unavailable (${e instanceof Error ? e.message : e})` };
  }
}

/**
 * Runs every row (tfjs in a subprocess of `benchScript --child-backbone`, then PyTorch) and
 * prints the table.
 */
export async function benchBackbones(o: {
  rows: BackboneRow[];
  steps: number;
  widths: number[];
  torch: boolean;
  benchScript: string;
}): Promise<void> {
  const lines: string[] = [];
  for (const row of o.rows) {
    const label = row.backbone === "paper" ? `paper (${o.widths.join(",")})` : row.backbone;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", o.benchScript, "--child-backbone", `${row.backbone}:${row.width}`]
        .concat(["--backbone-steps", String(o.steps), "--widths", o.widths.join(",")]),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    let tfjs = NaN;
    if (!out.success || !text) {
      const err = new TextDecoder().decode(out.stderr).trim().split("\n").find((l) =>
        /error/i.test(l)
      );
      console.error(`${label}: tfjs skipped (${err ?? "failed"})`);
    } else {
      tfjs = JSON.parse(text.split("\n").pop()!).samplesPerSec;
      console.error(`${label} ×${row.width}: ${tfjs.toFixed(1)} block-step samples/s (wasm)`);
    }
    const torch = o.torch ? await torchRow(row, o.steps, o.widths) : { skipped: "--no-torch" };
    if ("skipped" in torch) console.error(`${label}: PyTorch skipped (${torch.skipped})`);
    const ref = "skipped" in torch ? NaN : torch.samplesPerSec;
    const fmt = (v: number) => Number.isFinite(v) ? v.toFixed(1) : "n/a";
    lines.push(
      `| ${label} | ${row.backbone === "paper" ? "–" : row.width} | ${fmt(tfjs)} | ` +
        `${
          "skipped" in torch ? `skipped (${torch.skipped})` : `${fmt(ref)} (${torch.framework})`
        } | ` +
        `${Number.isFinite(tfjs / ref) ? (tfjs / ref).toFixed(2) + "×" : "n/a"} |`,
    );
  }
  console.log(
    `\nNoProp-DT block step per image backbone, CIFAR-shaped 32×32×3, batch ${BATCH}, ` +
      `${o.steps} timed steps (block-step samples/s)\n`,
  );
  console.log("| backbone | width | tfjs wasm | PyTorch cpu, 2 threads | tfjs / PyTorch |");
  console.log("| --- | --- | --- | --- | --- |");
  for (const l of lines) console.log(l);
}
