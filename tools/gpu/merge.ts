/**
 * One GPU report from several driver runs: kits packed for `train`, `infer-node` and `infer-web`
 * (`deno task gpu-pack <part>`, each small enough to travel, `kit_parts.ts`) run one after the
 * other into the same OUTDIR. {@linkcode continueReport} starts a run's report from the one already in the folder:
 * the parts this run runs start again ("not run"), the others keep what an earlier run wrote, and
 * the run is appended to `runs`. A report of another schema, or a rehearsal's under a real run (or
 * the reverse), is not merged: the run starts a fresh report and says why.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { continueReport } from "./merge.ts";
 * import { gpuPlan } from "./plan.ts";
 * import { partsFor } from "./kit_parts.ts";
 * const plan = gpuPlan(true);
 * const train = continueReport(null, plan, {}, ["train"], partsFor(["train"])).report;
 * train.parts.endToEnd.status = "ok";
 * const both = continueReport(train, plan, {}, ["infer-web"], partsFor(["infer-web"]));
 * assert.equal(both.note, null);
 * assert.equal(both.report.parts.endToEnd.status, "ok"); // kept from the train run
 * assert.deepEqual(both.report.runs.map((r) => r.kitParts), [["train"], ["infer-web"]]);
 * ```
 * @module
 */
import type { GpuPlan, PartName } from "./plan.ts";
import type { KitPart } from "./kit_parts.ts";
import { emptyReport, type GpuReport, REPORT_SCHEMA } from "./report.ts";

/**
 * The report in `path`, or null when there is none; an unreadable one is returned as its error's
 * message (the run then starts afresh and says so).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readReport } from "./merge.ts";
 * const dir = await Deno.makeTempDir();
 * assert.equal(await readReport(`${dir}/gpu-report.json`), null);
 * await Deno.writeTextFile(`${dir}/gpu-report.json`, "{");
 * assert.match(String(await readReport(`${dir}/gpu-report.json`)), /not JSON/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readReport(path: string): Promise<GpuReport | string | null> {
  let text;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    return `${path}: ${(e as Error).message}`;
  }
  try {
    return JSON.parse(text) as GpuReport;
  } catch {
    return `${path} is not JSON`;
  }
}

/**
 * The report a run writes: `previous` (what the folder held, see {@linkcode readReport}) with
 * `parts` reset and the run appended to `runs`, or a fresh report when `previous` is missing or
 * of another kind; `note` says why a previous report was not merged (else null), `merged` is the
 * previous report when it was (a part run again may keep some of its old steps: `parts.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { continueReport } from "./merge.ts";
 * import { gpuPlan } from "./plan.ts";
 * const dry = continueReport(null, gpuPlan(true), {}, ["train"], ["adapter"]).report;
 * const real = continueReport(dry, gpuPlan(false), {}, ["train"], ["adapter"]);
 * assert.match(String(real.note), /rehearsal/);
 * assert.equal(real.report.runs.length, 1);
 * ```
 */
export function continueReport(
  previous: GpuReport | string | null,
  plan: GpuPlan,
  host: Record<string, unknown>,
  kitParts: KitPart[],
  parts: PartName[],
): { report: GpuReport; note: string | null; merged: GpuReport | null } {
  const report = emptyReport(plan, host);
  let note: string | null = null, merged: GpuReport | null = null;
  if (typeof previous === "string") note = `${previous}: started a fresh report`;
  else if (previous && previous.schema !== REPORT_SCHEMA) {
    note = `the folder's report is ${previous.schema}, not ${REPORT_SCHEMA}: started a fresh one`;
  } else if (previous && previous.dryRun !== plan.dryRun) {
    note = `the folder's report is ${
      previous.dryRun ? "a rehearsal's" : "a GPU run's"
    }: started a fresh one`;
  } else if (previous) {
    for (const p of Object.keys(report.parts) as PartName[]) {
      if (!parts.includes(p) && previous.parts[p]) report.parts[p] = previous.parts[p];
    }
    report.runs = [...(previous.runs ?? [])];
    merged = previous;
  }
  report.runs.push({
    kitParts,
    parts,
    started: report.started,
    finished: null,
    wallSeconds: 0,
    kit: host.kit ?? null,
  });
  return { report, note, merged };
}
