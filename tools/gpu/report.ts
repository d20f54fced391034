/**
 * The GPU report (`gpu-report.json`, schema {@linkcode REPORT_SCHEMA}): one entry per part of
 * {@linkcode PART_NAMES}, each with its status, time limit, the steps it ran (each a child process
 * or the PyTorch anchor, with its own status, seconds, one-line error and raw result) and a
 * `summary` the tables are made from, and one entry per driver run merged into it (`runs`: kits
 * packed for `train`, `infer-node` and `infer-web` run one after the other into the same folder
 * make one report, see `merge.ts`). {@linkcode missingFields} names what a finished report lacks;
 * {@linkcode renderMarkdown} writes `gpu-report.md`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptyReport, missingFields, renderMarkdown } from "./report.ts";
 * import { gpuPlan } from "./plan.ts";
 * const r = emptyReport(gpuPlan(true), { deno: "2.9.6" });
 * assert.equal(r.parts.adapter.status, "not run");
 * assert.ok(missingFields(r).includes("adapter: status not run"));
 * assert.match(renderMarkdown(r), /^# NoProp GPU report \(dry run/);
 * ```
 * @module
 */
import { type GpuPlan, PART_NAMES, type PartName } from "./plan.ts";
import type { KitPart } from "./kit_parts.ts";

/** The report's schema id (2: correctness split into `losses` and `logits`; `runs`). */
export const REPORT_SCHEMA = "noprop.gpu-report/2";

/** A step's or a part's outcome. */
export type Status = "ok" | "failed" | "skipped" | "not run";

/** One child process (or anchor run) of a part. */
export interface Step {
  /** What it measured, e.g. "webgpu batch 128". */
  name: string;
  /** Its outcome. */
  status: Status;
  /** Wall seconds. */
  seconds: number;
  /** Failed: the error's first line; skipped: why. */
  error?: string;
  /** The task's JSON result. */
  result?: unknown;
  /** Kept from an earlier run into the report (a provider of another kit part, `parts.ts`). */
  kept?: boolean;
}

/** One part of the report. */
export interface Part {
  /** Heading. */
  title: string;
  /** ok: every step ok or skipped by design; failed: a step failed; skipped: nothing to run. */
  status: Status;
  /** The part's wall-time limit. */
  limitSeconds: number;
  /** Wall seconds used. */
  seconds: number;
  /** The steps, in order. */
  steps: Step[];
  /** The figures the tables show (see `driver.ts` for each part's fields). */
  summary: Record<string, unknown>;
}

/** One driver run whose parts are in the report. */
export interface RunRecord {
  /** The kit parts the run had (its `kit.json`'s `parts`). */
  kitParts: KitPart[];
  /** The report parts it ran. */
  parts: PartName[];
  /** ISO time it started. */
  started: string;
  /** ISO time it finished; null while running. */
  finished: string | null;
  /** Seconds from its start to its last write. */
  wallSeconds: number;
  /** The kit it ran from (created, commit, bytes, parts), when known. */
  kit: unknown;
}

/** The whole report. */
export interface GpuReport {
  /** {@linkcode REPORT_SCHEMA}. */
  schema: string;
  /** Rehearsal on a software adapter with tiny sizes. */
  dryRun: boolean;
  /** ISO time the latest driver run started. */
  started: string;
  /** ISO time it finished; null while running. */
  finished: string | null;
  /** Seconds from its start to its last write. */
  wallSeconds: number;
  /** Machine and software (of the latest run). */
  host: Record<string, unknown>;
  /** The sizes run. */
  plan: GpuPlan;
  /** The parts by name. */
  parts: Record<PartName, Part>;
  /** Every driver run merged into this report, oldest first; the last is the latest. */
  runs: RunRecord[];
}

const TITLES: Record<PartName, string> = {
  adapter: "1. WebGPU adapter",
  losses: "2a. Correctness: training losses",
  logits: "2b. Correctness: exported chain",
  torch: "PyTorch anchor (CUDA)",
  trainSpeed: "3. Training speed",
  inference: "5. Inference speed",
  endToEnd: "4. End to end",
};

/**
 * The summary fields each part must hold once it ran (a skipped part: none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SUMMARY_FIELDS } from "./report.ts";
 * assert.ok(SUMMARY_FIELDS.losses.includes("maxLossRelDiff"));
 * ```
 */
export const SUMMARY_FIELDS: Record<PartName, readonly string[]> = {
  adapter: ["description", "vendor", "architecture", "isFallbackAdapter", "limits"],
  losses: ["losses", "maxLossRelDiff"],
  logits: ["logits"],
  torch: ["runs"],
  trainSpeed: ["rows", "fuseBlocks"],
  inference: ["rows", "torch"],
  endToEnd: ["runs"],
};

/**
 * A report with every part "not run" (and no runs).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptyReport } from "./report.ts";
 * import { gpuPlan } from "./plan.ts";
 * const r = emptyReport(gpuPlan(false), {});
 * assert.equal(r.parts.endToEnd.limitSeconds, 210);
 * ```
 */
export function emptyReport(plan: GpuPlan, host: Record<string, unknown>): GpuReport {
  const parts = {} as Record<PartName, Part>;
  for (const p of PART_NAMES) {
    parts[p] = {
      title: TITLES[p],
      status: "not run",
      limitSeconds: plan.limits[p],
      seconds: 0,
      steps: [],
      summary: {},
    };
  }
  return {
    schema: REPORT_SCHEMA,
    dryRun: plan.dryRun,
    started: new Date().toISOString(),
    finished: null,
    wallSeconds: 0,
    host,
    plan,
    parts,
    runs: [],
  };
}

/**
 * What a finished report lacks: a part not run, a step failed, a summary field missing. Empty when
 * every part ran and wrote its fields (skipped parts and steps are fine: they say why).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptyReport, missingFields } from "./report.ts";
 * import { gpuPlan } from "./plan.ts";
 * const r = emptyReport(gpuPlan(true), {});
 * r.parts.torch.status = "skipped";
 * assert.ok(!missingFields(r).some((m) => m.startsWith("torch")));
 * ```
 */
export function missingFields(r: GpuReport): string[] {
  const out: string[] = [];
  if (r.finished === null) out.push("report: not finished");
  for (const p of PART_NAMES) {
    const part = r.parts[p];
    if (part.status === "skipped") continue;
    if (part.status === "not run") {
      out.push(`${p}: status not run`);
      continue;
    }
    for (const s of part.steps) {
      if (s.status === "failed") out.push(`${p}: step "${s.name}" failed: ${s.error}`);
    }
    for (const f of SUMMARY_FIELDS[p]) {
      if (part.summary[f] === undefined) out.push(`${p}: summary.${f} missing`);
    }
  }
  return out;
}

const fmt = (v: unknown, digits = 1): string =>
  typeof v === "number" && Number.isFinite(v)
    ? Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(digits) : v.toExponential(2)
    : v === null || v === undefined
    ? "—"
    : String(v);
const pct = (v: unknown) => typeof v === "number" ? `${(100 * v).toFixed(2)}%` : "—";
const row = (cells: unknown[]) => `| ${cells.map((c) => String(c)).join(" | ")} |`;
const table = (head: string[], rows: unknown[][]) =>
  [row(head), row(head.map(() => "---")), ...rows.map(row)].join("\n");
type Rec = Record<string, unknown>;
const recs = (v: unknown): Rec[] => Array.isArray(v) ? v as Rec[] : [];

/** " Kit: packed <created> at <commit>, <MiB> MiB." when the host record names the kit. */
function kitLine(kit: unknown): string {
  if (!kit || typeof kit !== "object") return "";
  const k = kit as Rec;
  return ` Kit: packed ${k.created} at commit ${k.commit}, ${fmt(Number(k.bytes) / 2 ** 20)} MiB.`;
}

/** One row per driver run: its kit parts, the report parts it ran, when, and its kit. */
function runsTable(runs: RunRecord[]): string {
  return table(
    ["run", "kit parts", "report parts", "started", "seconds", "kit"],
    runs.map((x, i) => [
      i + 1,
      x.kitParts.join(", "),
      x.parts.join(", "),
      x.started,
      x.finished ? fmt(x.wallSeconds) : "still running",
      kitLine(x.kit).trim().replace(/^Kit: /, "").replace(/\.$/, "") || "—",
    ]),
  );
}

/**
 * `gpu-report.md`: the status of every part, then one section per part with its table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptyReport, renderMarkdown } from "./report.ts";
 * import { gpuPlan } from "./plan.ts";
 * const r = emptyReport(gpuPlan(false), {});
 * r.parts.endToEnd.status = "ok";
 * r.parts.endToEnd.summary.runs = [{ name: "quick", seconds: 90, steps: 100, samplesPerSec: 512 }];
 * assert.match(renderMarkdown(r), /\| quick \| 90 \| 100 \| — \| 512\.0 \|/);
 * ```
 */
export function renderMarkdown(r: GpuReport): string {
  const P = r.parts;
  const out: string[] = [
    `# NoProp GPU report${r.dryRun ? " (dry run: software adapter, tiny sizes)" : ""}`,
    "",
    `Started ${r.started}, ${r.finished ? `finished ${r.finished}` : "still running"}, ${
      fmt(r.wallSeconds)
    } s. ` +
    `Host: ${
      Object.entries(r.host).filter(([, v]) => typeof v !== "object").map(([k, v]) => `${k} ${v}`)
        .join(", ")
    }.` + kitLine(r.host.kit),
    "",
    table(
      ["part", "status", "seconds", "limit s", "problems"],
      PART_NAMES.map((p) => [
        P[p].title,
        P[p].status,
        fmt(P[p].seconds),
        P[p].limitSeconds,
        P[p].steps.filter((s) => s.error).map((s) =>
          `${s.name}${s.kept ? " (earlier run)" : ""}: ${s.status}: ${s.error}`
        )
          .join("; ").replaceAll("|", "/") || "",
      ]),
    ),
  ];
  if (r.runs.length) out.push("", "Driver runs merged into this report:", "", runsTable(r.runs));
  const a = P.adapter.summary;
  out.push("", `## ${P.adapter.title}`, "");
  if (a.description !== undefined) {
    out.push(
      table(["vendor", "architecture", "device", "description", "fallback", "Vulkan loader"], [[
        a.vendor,
        a.architecture,
        a.device,
        a.description,
        a.isFallbackAdapter,
        (a.vulkanLoader as string[] | undefined)?.join(", ") || "—",
      ]]),
      "",
      table(
        ["limit tfjs requests", "value"],
        Object.entries(a.limits as Rec ?? {}).map(([k, v]) => [k, v]),
      ),
    );
  } else out.push("No adapter (see the status table).");

  const c = P.losses.summary;
  out.push("", `## ${P.losses.title}`, "");
  const l = c.losses as Rec | undefined;
  if (l) {
    const w = l.wasm as number[] ?? [], g = l.webgpu as number[] ?? [];
    const d = l.relDiff as number[] ?? [];
    out.push(
      `First training losses of a seeded ${l.setup} run (batch mean over the T blocks):`,
      "",
      table(
        ["batch", "wasm", "webgpu", "relative difference"],
        w.map((v, i) => [i + 1, fmt(v, 6), fmt(g[i], 6), fmt(d[i], 3)]),
      ),
      "",
      `Largest relative difference: ${fmt(c.maxLossRelDiff, 3)}.`,
    );
  } else out.push("Not measured (see the status table).");
  const g = P.logits.summary;
  out.push("", `## ${P.logits.title}`, "");
  const lg = recs(g.logits);
  if (lg.length) {
    out.push(
      `Exported chain (${(g.logitsModel as string) ?? "?"}) on onnxruntime, ${
        g.logitsImages ?? "?"
      } MNIST test images, same seeded noise:`,
      "",
      table(
        ["provider", "vs", "max abs logit difference", "same argmax"],
        lg.map((x) => [x.provider, x.reference, fmt(x.maxAbsDiff, 3), pct(x.argmaxAgreement)]),
      ),
    );
  } else if (P.logits.status !== "not run" && g.reference === null) {
    out.push("No cpu logits to compare with yet: the infer-node kit part runs them.");
  } else out.push("Not measured (see the status table).");

  const torchNote = P.torch.status === "ok"
    ? ""
    : `PyTorch anchor: ${P.torch.status}${
      P.torch.steps[0]?.error ? ` (${P.torch.steps[0].error})` : ""
    }.`;
  const s = P.trainSpeed.summary;
  out.push("", `## ${P.trainSpeed.title}`, "");
  out.push(
    "Block-step samples/s (batches × T × batch / s; forward + backward + AdamW of one block, " +
      `classifier CE on z_T included), ${r.plan.trainSpeed.setup.name} setup (` +
      `\`${r.plan.trainSpeed.setup.config}\` ${r.plan.trainSpeed.setup.flags.join(" ")}), beside ` +
      "`python3 torch_noprop_dt.py --device cuda` (`train_block_steps_samples_per_s`). " +
      `--fuse-blocks: ${s.fuseBlocks ?? "—"}.`,
    "",
    table(
      ["run", "batch", "samples/s", "PyTorch CUDA", "ratio"],
      recs(s.rows).map((x) => [
        x.run,
        x.batch,
        fmt(x.samplesPerSec),
        fmt(x.torchSamplesPerSec),
        x.ratio === null || x.ratio === undefined ? "—" : `${fmt(x.ratio, 3)}×`,
      ]),
    ),
  );
  if (torchNote) out.push("", torchNote);

  const e = P.endToEnd.summary;
  out.push("", `## ${P.endToEnd.title}`, "");
  out.push(
    "Fixed-time runs of the training loop on webgpu (`--max-seconds`), evaluated once at the end " +
      "on the kit's MNIST test images:",
    "",
    table(
      [
        "config",
        "seconds",
        "steps",
        "epochs",
        "samples/s",
        "test acc",
        "noise-free",
        "test images",
      ],
      recs(e.runs).map((x) => [
        x.name,
        x.seconds,
        x.steps,
        fmt(x.epochs, 2),
        fmt(x.samplesPerSec),
        pct(x.testAcc),
        pct(x.testAccNoiseFree),
        x.testCount ?? "—",
      ]),
    ),
  );

  const i = P.inference.summary;
  out.push("", `## ${P.inference.title}`, "");
  const batches = r.plan.inference.batches;
  const rows = recs(i.rows);
  const providers = [...new Set(rows.map((x) => x.provider as string))];
  out.push(
    `Images/s of the ${r.plan.inference.spec.T}-block chain (widths ${
      r.plan.inference.spec.widths.join(",")
    }, hidden ${r.plan.inference.spec.hidden}) + classifier, DT sampler, seeded random weights:`,
    "",
    table(
      ["provider", ...batches.map((b) => `batch ${b}`)],
      [
        ...providers.map((p) => [
          p,
          ...batches.map((b) =>
            fmt(rows.find((x) => x.provider === p && x.batch === b)?.imagesPerSec)
          ),
        ]),
        [
          "PyTorch CUDA (anchor)",
          ...batches.map((b) => fmt(recs(i.torch).find((x) => x.batch === b)?.imagesPerSec)),
        ],
      ],
    ),
  );
  if (torchNote) out.push("", torchNote);
  return out.join("\n") + "\n";
}

/**
 * `deno run --allow-read tools/gpu/report.ts --check FILE`: prints what the report in FILE lacks
 * ({@linkcode missingFields}), one line each; exit status 1 if anything, 2 on bad usage.
 */
export async function checkMain(argv: string[]): Promise<number> {
  if (argv.length !== 2 || argv[0] !== "--check") {
    console.error("usage: report.ts --check gpu-report.json");
    return 2;
  }
  let r: GpuReport;
  try {
    r = JSON.parse(await Deno.readTextFile(argv[1]));
  } catch (e) {
    console.error(`error: ${argv[1]}: ${(e as Error).message}`);
    return 2;
  }
  if (r.schema !== REPORT_SCHEMA) {
    console.error(`error: ${argv[1]}: schema ${r.schema}, not ${REPORT_SCHEMA}`);
    return 2;
  }
  const missing = missingFields(r);
  for (const m of missing) console.error(`gpu report: ${m}`);
  console.error(
    `gpu report ${argv[1]}: runs ${
      r.runs.map((x) => x.kitParts.join("+")).join(", ") || "none recorded"
    }; ${missing.length ? `${missing.length} problems` : "every part ran"}`,
  );
  return missing.length ? 1 : 0;
}

if (import.meta.main) Deno.exit(await checkMain(Deno.args));
