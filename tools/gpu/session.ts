/**
 * The GPU report's running state, shared by the driver (`driver.ts`) and its parts (`parts.ts`):
 * {@linkcode Driver} holds the plan, the report and the log, starts each task as a `child.ts`
 * process with what is left of its part's time limit, and rewrites `gpu-report.json` and
 * `gpu-report.md` atomically after every step; {@linkcode PartRun} is one part's clock and steps.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Driver } from "./session.ts";
 * import { gpuPlan } from "./plan.ts";
 * const dir = await Deno.makeTempDir();
 * const d = new Driver(gpuPlan(true), { out: dir, work: dir, data: dir, anchor: null }, {});
 * await d.part("torch", (run) => run.skip("anchor", "no anchor in this example").then(() => {}));
 * assert.equal(d.report.parts.torch.status, "skipped");
 * d.log.close();
 * assert.ok((await Deno.stat(`${dir}/gpu-report.md`)).isFile);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import { writeFileAtomic } from "../../src/atomic.ts";
import { Log, oneLine, runLogged } from "./limited.ts";
import type { GpuPlan, PartName } from "./plan.ts";
import { KIT_PARTS, type KitPart } from "./kit_parts.ts";
import { emptyReport, type GpuReport, type Part, renderMarkdown, type Step } from "./report.ts";

/** A JSON object. */
export type Rec = Record<string, unknown>;

/** Where things are (the driver's arguments). */
export interface Paths {
  out: string;
  work: string;
  data: string;
  anchor: string | null;
}

/** A running part: its report entry and the time it may still use. */
export class PartRun {
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
export class Driver {
  readonly report: GpuReport;
  readonly log: Log;
  readonly t0 = performance.now();
  #n = 0;
  /** The kit parts this run has (what its parts may run). */
  readonly kitParts: readonly KitPart[];
  /** The report an earlier run left in the folder, when this run continues it (`merge.ts`). */
  readonly previous: GpuReport | null;
  /**
   * Starts `start.report` (default: a fresh one) for a kit holding `start.kitParts` (default:
   * all); a report continued from an earlier run (`start.previous`) appends to that run's log.
   */
  constructor(
    readonly plan: GpuPlan,
    readonly paths: Paths,
    host: Rec,
    start: { report?: GpuReport; previous?: GpuReport | null; kitParts?: readonly KitPart[] } = {},
  ) {
    this.report = start.report ?? emptyReport(plan, host);
    this.previous = start.previous ?? null;
    this.kitParts = start.kitParts ?? KIT_PARTS;
    this.log = new Log(`${paths.out}/gpu-run.log`, this.previous !== null);
  }

  /** Writes `gpu-report.json` and `gpu-report.md` (atomically), with this run's time so far. */
  async save(): Promise<void> {
    this.report.wallSeconds = (performance.now() - this.t0) / 1000;
    const run = this.report.runs.at(-1);
    if (run) {
      Object.assign(run, { wallSeconds: this.report.wallSeconds, finished: this.report.finished });
    }
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
