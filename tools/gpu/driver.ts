/**
 * The GPU report's driver: runs the parts of {@linkcode PART_NAMES} in order, each task in its own
 * `child.ts` process (stopped at the part's time limit: SIGTERM, then SIGKILL 5 s later), records
 * every failure in one line and goes on, and rewrites `OUT/gpu-report.json` and
 * `OUT/gpu-report.md` atomically after every step, so a report exists whatever happens later. The
 * children's output goes to `OUT/gpu-run.log`. Started by `tools/gpu/run.sh`, which sets up the
 * kit (Deno, its npm files, the Vulkan loader, the data).
 *
 * ```sh
 * deno run --cached-only -A tools/gpu/driver.ts --out OUT --work DIR --data DIR [--anchor FILE] [--kit KIT_JSON] [--dry-run] [--time-scale X] [--parts a,b]
 * ```
 *
 * `--time-scale X` (or `NOPROP_GPU_TIME_SCALE`) multiplies every part's time limit, for a machine
 * that other jobs keep busy. `--parts` runs only the named parts (default: all; the others stay
 * "not run"); the speed parts take PyTorch's figures from the `torch` part, so name it with them.
 *
 * Exit status 0 when every part ran and wrote its fields (skips, which say why, included), 1
 * otherwise, 2 on bad arguments.
 *
 * @module
 */
import { writeFileAtomic } from "../../src/atomic.ts";
import { parseArgs } from "../../src/deps.ts";
import { flagAccepted } from "./task_train.ts";
import { Log, oneLine, runLogged } from "./limited.ts";
import { type GpuPlan, gpuPlan, PART_NAMES, type PartName } from "./plan.ts";
import {
  emptyReport,
  type GpuReport,
  missingFields,
  type Part,
  renderMarkdown,
  type Step,
} from "./report.ts";

type Rec = Record<string, unknown>;

/** Where things are (the driver's arguments). */
export interface Paths {
  out: string;
  work: string;
  data: string;
  anchor: string | null;
}

/** A running part: its report entry and the time it may still use. */
class PartRun {
  readonly t0 = performance.now();
  constructor(readonly part: Part, readonly save: () => Promise<void>) {}
  /** Seconds left before the part's limit. */
  left(): number {
    return this.part.limitSeconds - (performance.now() - this.t0) / 1000;
  }
  /** Records a step and saves the report. */
  async add(step: Step): Promise<Step> {
    this.part.steps.push(step);
    this.part.seconds = (performance.now() - this.t0) / 1000;
    await this.save();
    return step;
  }
  /** Records a step skipped by design (it says why). */
  skip(name: string, why: string): Promise<Step> {
    return this.add({ name, status: "skipped", seconds: 0, error: why });
  }
  /** Records a step the part's time limit left no time for: a failure of the part. */
  timedOut(name: string): Promise<Step> {
    return this.add({
      name,
      status: "failed",
      seconds: 0,
      error: "not run: the part's time limit was reached before it",
    });
  }
}

/** The driver's state: plan, paths, report, log. */
class Driver {
  readonly report: GpuReport;
  readonly log: Log;
  readonly t0 = performance.now();
  #n = 0;
  constructor(readonly plan: GpuPlan, readonly paths: Paths, host: Rec) {
    this.report = emptyReport(plan, host);
    this.log = new Log(`${paths.out}/gpu-run.log`);
  }

  async save(): Promise<void> {
    this.report.wallSeconds = (performance.now() - this.t0) / 1000;
    await writeFileAtomic(
      `${this.paths.out}/gpu-report.json`,
      JSON.stringify(this.report, null, 1) + "\n",
    );
    await writeFileAtomic(`${this.paths.out}/gpu-report.md`, renderMarkdown(this.report));
  }

  /** Runs one child task as a step of `run`; time limit: what the part has left, or `limit`. */
  async task(run: PartRun, name: string, task: string, params: Rec, limit?: number) {
    const left = Math.min(run.left(), limit ?? Infinity);
    if (left <= 0) return await run.timedOut(name);
    const resultFile = `${this.paths.work}/result-${++this.#n}.json`;
    this.log.line(`\n=== ${run.part.title}: ${name} (task ${task}, limit ${left.toFixed(0)} s)`);
    const t0 = performance.now();
    const r = await runLogged(this.log, Deno.execPath(), [
      "run",
      "--cached-only",
      "-A",
      new URL("./child.ts", import.meta.url).pathname,
      task,
      JSON.stringify(params),
      resultFile,
    ], left);
    const seconds = (performance.now() - t0) / 1000;
    if (r.code === 0) {
      const result = JSON.parse(await Deno.readTextFile(resultFile));
      return await run.add({ name, status: "ok", seconds, result });
    }
    const error = r.code === null
      ? `stopped at the time limit (${left.toFixed(0)} s)`
      : oneLine(r.stderr) || `exit status ${r.code}`;
    return await run.add({ name, status: "failed", seconds, error });
  }

  /** Runs `body` as part `name` with its time limit, then sets the part's status. */
  async part(name: PartName, body: (run: PartRun) => Promise<void>): Promise<void> {
    const part = this.report.parts[name];
    const run = new PartRun(part, () => this.save());
    try {
      await body(run);
    } catch (e) {
      await run.add({
        name: "driver",
        status: "failed",
        seconds: 0,
        error: (e instanceof Error ? e.message : String(e)).split("\n")[0],
      });
    }
    part.seconds = (performance.now() - run.t0) / 1000;
    part.status = part.steps.some((s) => s.status === "failed")
      ? "failed"
      : part.steps.length > 0 && part.steps.every((s) => s.status === "skipped")
      ? "skipped"
      : "ok";
    await this.save();
  }
}

const ok = (s: Step) => s.status === "ok" ? s.result as Rec : undefined;

/** (1) The adapter. */
async function adapterPart(d: Driver) {
  await d.part("adapter", async (run) => {
    const r = ok(await d.task(run, "adapter", "adapter", {}));
    if (r) run.part.summary = r;
  });
}

/** (2) Losses on webgpu vs wasm; the exported chain's logits on onnxruntime webgpu vs cpu. */
async function correctnessPart(d: Driver) {
  const { losses, logits } = d.plan;
  await d.part("correctness", async (run) => {
    const lossOf: Rec = {};
    for (const backend of ["wasm", "webgpu"]) {
      const r = ok(
        await d.task(run, `losses ${backend}`, "losses", {
          setup: losses.setup,
          extra: ["--backend", backend],
          dataDir: d.paths.data,
          batches: losses.batches,
        }),
      );
      if (r) lossOf[backend] = r.losses;
    }
    const w = lossOf.wasm as number[] | undefined, g = lossOf.webgpu as number[] | undefined;
    if (w && g) {
      const relDiff = w.map((v, i) => Math.abs(g[i] - v) / Math.max(Math.abs(v), 1e-12));
      run.part.summary.losses = { setup: losses.setup.name, wasm: w, webgpu: g, relDiff };
      run.part.summary.maxLossRelDiff = Math.max(...relDiff);
    }
    const out: Rec = {};
    for (const provider of ["cpu", "webgpu-web", "webgpu-node"]) {
      const step = await d.task(run, `logits ${provider}`, "logits", {
        modelDir: logits.modelDir,
        provider,
        images: logits.images,
        dataDir: d.paths.data,
        threads: d.plan.inference.threads,
      });
      await nativeWebGpuIsOptional(run, step);
      if (step.status === "ok") out[provider] = (step.result as Rec).logits;
    }
    const ref = out.cpu as number[] | undefined;
    run.part.summary.logitsModel = logits.modelDir;
    run.part.summary.logitsImages = logits.images;
    run.part.summary.logits = ref
      ? ["webgpu-web", "webgpu-node"].filter((p) => out[p]).map((p) =>
        compareLogits(p, out[p] as number[], ref)
      )
      : undefined;
  });
}

/**
 * onnxruntime-node's native WebGPU is optional ("if its binding offers it"): its absence is a skip
 * that says why, not a failure. (Dawn inside it also refuses software adapters.)
 */
async function nativeWebGpuIsOptional(run: PartRun, step: Step) {
  if (step.status === "failed" && /native WebGPU is unavailable/.test(step.error!)) {
    step.status = "skipped";
    await run.save();
  }
}

function compareLogits(provider: string, a: number[], ref: number[], k = 10): Rec {
  let maxAbsDiff = 0, same = 0;
  const argmax = (v: number[], r: number) => {
    let best = 0;
    for (let j = 1; j < k; j++) if (v[r * k + j] > v[r * k + best]) best = j;
    return best;
  };
  for (let i = 0; i < ref.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[i] - ref[i]));
  const rows = ref.length / k;
  for (let r = 0; r < rows; r++) if (argmax(a, r) === argmax(ref, r)) same++;
  return { provider, reference: "cpu", maxAbsDiff, argmaxAgreement: same / rows };
}

/** The PyTorch anchor on CUDA at each batch size; skipped (with why) without torch or CUDA. */
async function torchPart(d: Driver) {
  await d.part("torch", async (run) => {
    const anchor = d.paths.anchor;
    if (!anchor) {
      await run.skip("anchor", "torch_noprop_dt.py is not in the kit");
      return;
    }
    const probe = await runLogged(d.log, "python3", [
      "-c",
      "import torch, sys; print('torch', torch.__version__, 'cuda', torch.cuda.is_available()); " +
      "sys.exit(0 if torch.cuda.is_available() else 3)",
    ], Math.min(run.left(), 30)).catch((e) => ({ code: -1, stderr: String(e), stdout: "" }));
    if (probe.code !== 0) {
      const why = probe.code === 3
        ? "PyTorch has no CUDA device here"
        : `python3 with torch is not available (${oneLine(probe.stderr) || probe.code})`;
      await run.skip("anchor", why);
      return;
    }
    const runs: Rec[] = [];
    for (const batch of d.plan.torch.batches) {
      const left = run.left();
      if (left <= 0) {
        await run.timedOut(`anchor batch ${batch}`);
        continue;
      }
      d.log.line(`\n=== PyTorch anchor, batch ${batch}`);
      const t0 = performance.now();
      const r = await runLogged(d.log, "python3", [
        anchor,
        "--device",
        "cuda",
        "--dataset",
        "mnist",
        "--batch",
        String(batch),
        "--steps",
        String(d.plan.torch.steps),
        "--widths",
        d.plan.torch.widths,
      ], left);
      const seconds = (performance.now() - t0) / 1000;
      const line = r.stdout.trim().split("\n").at(-1) ?? "";
      if (r.code !== 0 || !line.startsWith("{")) {
        await run.add({
          name: `anchor batch ${batch}`,
          status: "failed",
          seconds,
          error: r.code === null ? "stopped at the time limit" : oneLine(r.stderr),
        });
        continue;
      }
      const j = JSON.parse(line);
      await run.add({ name: `anchor batch ${batch}`, status: "ok", seconds, result: j });
      runs.push({
        batch,
        framework: j.framework,
        device: j.device,
        trainSamplesPerSec: j.train_block_steps_samples_per_s,
        inferImagesPerSec: j.infer_images_per_s_full_chain,
      });
    }
    run.part.summary.runs = runs;
  });
}

function torchRuns(d: Driver): Rec[] {
  return (d.report.parts.torch.summary.runs as Rec[] | undefined) ?? [];
}

/** (3) Block-step samples/s on webgpu at each batch size, `--fuse-blocks` too if the tree has it. */
async function trainSpeedPart(d: Driver) {
  const { setup, batches, warmup, timed } = d.plan.trainSpeed;
  await d.part("trainSpeed", async (run) => {
    const fuse = flagAccepted("--fuse-blocks")
      ? ["--fuse-blocks"]
      : flagAccepted("--fuse-blocks", "true")
      ? ["--fuse-blocks", "true"]
      : null;
    run.part.summary.fuseBlocks = fuse ? "accepted (rows below)" : "skipped: not in this tree";
    const variants: [string, string[]][] = [["webgpu", []]];
    if (fuse) variants.push(["webgpu --fuse-blocks", fuse]);
    const rows: Rec[] = [];
    for (const batch of batches) {
      for (const [label, flags] of variants) {
        const r = ok(
          await d.task(run, `${label} batch ${batch}`, "speed", {
            setup,
            extra: [...flags, "--batch-size", String(batch)],
            dataDir: d.paths.data,
            warmup,
            timed,
          }),
        );
        if (!r) continue;
        const torch = torchRuns(d).find((t) => t.batch === batch)?.trainSamplesPerSec as
          | number
          | undefined;
        const sps = r.samplesPerSec as number;
        rows.push({
          run: label,
          batch,
          samplesPerSec: sps,
          blockSteps: r.blockSteps,
          seconds: r.seconds,
          torchSamplesPerSec: torch ?? null,
          ratio: torch ? sps / torch : null,
        });
      }
    }
    run.part.summary.rows = rows;
  });
}

/** (4) The quick and paper configs trained for a fixed time on webgpu. */
async function endToEndPart(d: Driver) {
  const { setups, seconds } = d.plan.endToEnd;
  await d.part("endToEnd", async (run) => {
    const runs: Rec[] = [];
    for (const [i, setup] of setups.entries()) {
      // Each run gets an equal share of what is left, so the last one is not starved.
      const share = run.left() / (setups.length - i);
      const r = ok(
        await d.task(run, `${setup.name} ${seconds} s`, "train", {
          setup,
          extra: [],
          dataDir: d.paths.data,
          seconds,
          outDir: `${d.paths.work}/runs`,
          name: setup.name.replace(/\W+/g, "-"),
        }, share),
      );
      if (r) runs.push({ name: setup.name, seconds, ...r });
    }
    run.part.summary.runs = runs;
  });
}

/** (5) Images/s of the exported chain per provider and batch size, beside PyTorch's. */
async function inferencePart(d: Driver) {
  const { spec, batches, threads, minSeconds } = d.plan.inference;
  await d.part("inference", async (run) => {
    const exp = ok(
      await d.task(run, "export the chain", "export", {
        spec,
        outDir: `${d.paths.work}/chain`,
      }),
    );
    const rows: Rec[] = [];
    if (exp) {
      for (const provider of ["webgpu-web", "webgpu-node", "cpu"]) {
        const step = await d.task(run, provider, "inference", {
          modelDir: exp.modelDir,
          provider,
          batches,
          threads,
          minSeconds,
        });
        await nativeWebGpuIsOptional(run, step);
        const r = ok(step);
        if (!r) continue;
        for (const x of r.rows as Rec[]) {
          rows.push({ provider: provider === "cpu" ? `cpu (${threads} threads)` : provider, ...x });
        }
      }
    }
    run.part.summary.rows = rows;
    run.part.summary.torch = torchRuns(d).map((t) => ({
      batch: t.batch,
      imagesPerSec: t.inferImagesPerSec,
    }));
  });
}

/**
 * Runs the parts `only` names (default: all, in {@linkcode PART_NAMES} order; see the module doc)
 * and returns the finished report. The others stay "not run".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runReport } from "./driver.ts";
 * import { gpuPlan } from "./plan.ts";
 * const dir = await Deno.makeTempDir();
 * const paths = { out: dir, work: dir, data: dir, anchor: null };
 * const r = await runReport(gpuPlan(true), paths, {}, ["torch"]); // no anchor: skipped, says why
 * assert.equal(r.parts.torch.status, "skipped");
 * assert.equal(r.parts.adapter.status, "not run");
 * assert.equal(JSON.parse(await Deno.readTextFile(`${dir}/gpu-report.json`)).finished, r.finished);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function runReport(
  plan: GpuPlan,
  paths: Paths,
  host: Rec,
  only: readonly PartName[] = PART_NAMES,
): Promise<GpuReport> {
  const d = new Driver(plan, paths, host);
  await d.save();
  const parts: Record<PartName, (d: Driver) => Promise<void>> = {
    adapter: adapterPart,
    correctness: correctnessPart,
    torch: torchPart,
    trainSpeed: trainSpeedPart,
    inference: inferencePart,
    endToEnd: endToEndPart,
  };
  try {
    for (const p of PART_NAMES) if (only.includes(p)) await parts[p](d);
  } finally {
    d.report.finished = new Date().toISOString();
    await d.save();
    d.log.close();
  }
  return d.report;
}

async function hostInfo(kitJson?: string): Promise<Rec> {
  const git = await new Deno.Command("git", { args: ["rev-parse", "--short", "HEAD"] }).output()
    .then((o) => o.success ? new TextDecoder().decode(o.stdout).trim() : null, () => null);
  const kit = kitJson ? await Deno.readTextFile(kitJson).then(JSON.parse, () => null) : null;
  return {
    os: `${Deno.build.os}-${Deno.build.arch}`,
    cpus: navigator.hardwareConcurrency,
    deno: Deno.version.deno,
    commit: git,
    kit: kit && { created: kit.created, commit: kit.commit, bytes: kit.bytes },
  };
}

/** Runs the CLI; returns the exit status (see the module doc). */
export async function main(argv: string[]): Promise<number> {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      out: { type: "string" },
      work: { type: "string" },
      data: { type: "string" },
      anchor: { type: "string" },
      kit: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      parts: { type: "string", default: PART_NAMES.join(",") },
      "time-scale": { type: "string", default: Deno.env.get("NOPROP_GPU_TIME_SCALE") ?? "1" },
    },
  });
  const scale = Number(o["time-scale"]);
  if (!(scale > 0)) {
    console.error(`driver.ts: --time-scale must be a positive number, got "${o["time-scale"]}"`);
    return 2;
  }
  if (!o.out || !o.work || !o.data) {
    console.error(
      "usage: driver.ts --out OUT --work DIR --data DIR [--anchor FILE] [--kit KIT_JSON] [--dry-run] [--time-scale X] [--parts a,b]",
    );
    return 2;
  }
  await Deno.mkdir(o.out, { recursive: true });
  await Deno.mkdir(o.work, { recursive: true });
  const only = o.parts!.split(",").filter(Boolean);
  const unknown = only.filter((p) => !(PART_NAMES as readonly string[]).includes(p));
  if (unknown.length) {
    console.error(`driver.ts: unknown part ${unknown[0]} (--parts ${PART_NAMES.join(",")})`);
    return 2;
  }
  const plan = gpuPlan(o["dry-run"]!);
  for (const p of PART_NAMES) plan.limits[p] *= scale;
  const report = await runReport(
    plan,
    { out: o.out, work: o.work, data: o.data, anchor: o.anchor ?? null },
    await hostInfo(o.kit),
    only as PartName[],
  );
  const missing = missingFields(report).filter((m) =>
    !PART_NAMES.some((p) => m.startsWith(`${p}:`)) || only.some((p) => m.startsWith(`${p}:`))
  );
  for (const m of missing) console.error(`gpu report: ${m}`);
  console.error(
    `gpu report: ${o.out}/gpu-report.md (${report.wallSeconds.toFixed(0)} s, ${
      missing.length ? `${missing.length} problems` : "every part ran"
    })`,
  );
  return missing.length ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
