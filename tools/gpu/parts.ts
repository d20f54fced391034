/**
 * The parts of the GPU report, each a function of the {@linkcode Driver} that runs its steps
 * (`child.ts` tasks, or the PyTorch anchor) and writes its `summary` (the fields
 * `report.ts`'s `SUMMARY_FIELDS` lists, from which the tables are made). A step that fails is
 * recorded and the part goes on; what a part measures and at which sizes is in `plan.ts`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PARTS } from "./parts.ts";
 * import { PART_NAMES } from "./plan.ts";
 * assert.deepEqual(Object.keys(PARTS), [...PART_NAMES]);
 * ```
 * @module
 */
import { flagAccepted } from "./task_train.ts";
import { PROVIDERS, providersFor } from "./kit_parts.ts";
import { oneLine, runLogged } from "./limited.ts";
import type { PartName } from "./plan.ts";
import type { Step } from "./report.ts";
import type { Driver, PartRun, Rec } from "./session.ts";

const ok = (s: Step) => s.status === "ok" ? s.result as Rec : undefined;

/**
 * Onnxruntime's providers come from different kit parts (`kit_parts.ts` `PROVIDER_KITS`): a part
 * run again keeps the steps an earlier run into the same report made for the providers this run
 * lacks (step names `<prefix><provider>`), before its own.
 */
function keepOtherProviders(d: Driver, run: PartRun, name: PartName, prefix: string) {
  const mine = providersFor(d.kitParts);
  const old = d.previous?.parts[name]?.steps ?? [];
  for (const s of old) {
    const provider = PROVIDERS.find((p) => s.name === `${prefix}${p}`);
    if (provider && !mine.includes(provider)) run.part.steps.push({ ...s, kept: true });
  }
}

/** The results of the part's ok steps named `<prefix><provider>`, by provider. */
function byProvider(run: PartRun, prefix: string): Map<string, Rec> {
  const out = new Map<string, Rec>();
  for (const s of run.part.steps) {
    const provider = PROVIDERS.find((p) => s.name === `${prefix}${p}`);
    const r = ok(s);
    if (provider && r) out.set(provider, r);
  }
  return out;
}

/** (1) The adapter. */
async function adapterPart(d: Driver) {
  await d.part("adapter", async (run) => {
    const r = ok(await d.task(run, "adapter", "adapter", {}));
    if (r) run.part.summary = r;
  });
}

/** (2) The first training losses on webgpu vs wasm. */
async function lossesPart(d: Driver) {
  const { losses } = d.plan;
  await d.part("losses", async (run) => {
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
  });
}

/**
 * (2) The exported chain's logits on onnxruntime webgpu vs onnxruntime-node's cpu, this kit's
 * providers run, the others' kept from an earlier run into the report.
 */
async function logitsPart(d: Driver) {
  const { logits } = d.plan;
  await d.part("logits", async (run) => {
    keepOtherProviders(d, run, "logits", "logits ");
    for (const provider of providersFor(d.kitParts)) {
      const step = await d.task(run, `logits ${provider}`, "logits", {
        modelDir: logits.modelDir,
        provider,
        images: logits.images,
        dataDir: d.paths.data,
        threads: d.plan.inference.threads,
      });
      await nativeWebGpuIsOptional(run, step);
    }
    const out = byProvider(run, "logits ");
    const ref = out.get("cpu")?.logits as number[] | undefined;
    run.part.summary.logitsModel = logits.modelDir;
    run.part.summary.logitsImages = logits.images;
    // Without the cpu logits (infer-node not run yet) there is nothing to compare with.
    run.part.summary.reference = ref ? "cpu" : null;
    run.part.summary.logits = ref
      ? ["webgpu-web", "webgpu-node"].filter((p) => out.has(p)).map((p) =>
        compareLogits(p, out.get(p)!.logits as number[], ref)
      )
      : [];
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
    keepOtherProviders(d, run, "inference", "");
    const exp = ok(
      await d.task(run, "export the chain", "export", {
        spec,
        outDir: `${d.paths.work}/chain`,
      }),
    );
    if (exp) {
      for (const provider of providersFor(d.kitParts)) {
        const step = await d.task(run, provider, "inference", {
          modelDir: exp.modelDir,
          provider,
          batches,
          threads,
          minSeconds,
        });
        await nativeWebGpuIsOptional(run, step);
      }
    }
    const rows: Rec[] = [];
    for (const [provider, r] of byProvider(run, "")) {
      for (const x of r.rows as Rec[]) {
        rows.push({ provider: provider === "cpu" ? `cpu (${threads} threads)` : provider, ...x });
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
 * Each part's function, in `PART_NAMES` order (`plan.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PARTS } from "./parts.ts";
 * assert.equal(typeof PARTS.endToEnd, "function");
 * ```
 */
export const PARTS: Record<PartName, (d: Driver) => Promise<void>> = {
  adapter: adapterPart,
  losses: lossesPart,
  logits: logitsPart,
  torch: torchPart,
  trainSpeed: trainSpeedPart,
  inference: inferencePart,
  endToEnd: endToEndPart,
};
