/**
 * The GPU report's driver: runs the parts of {@linkcode PART_NAMES} in order, each task in its own
 * `child.ts` process (stopped at the part's time limit: SIGTERM, then SIGKILL 5 s later), records
 * every failure in one line and goes on, and rewrites `OUT/gpu-report.json` and
 * `OUT/gpu-report.md` atomically after every step, so a report exists whatever happens later. The
 * children's output goes to `OUT/gpu-run.log`. Started by `tools/gpu/run.sh`, which sets up the
 * kit (Deno, its npm files, the Vulkan loader, the data).
 *
 * ```sh
 * deno run --cached-only -A tools/gpu/driver.ts --out OUT --work DIR --data DIR [--anchor FILE] [--kit KIT_JSON] [--kit-parts train,infer-node,infer-web] [--dry-run] [--time-scale X] [--parts a,b]
 * ```
 *
 * `--kit-parts` names what the kit was packed for (`plan.ts` `KIT_PARTS`, default both): only the
 * parts those can run are run (`PART_KITS`). A report already in OUT (an earlier run of the other
 * kit part) is continued: its other parts are kept and the run is added to its `runs`
 * (`merge.ts`). `--time-scale X` (or `NOPROP_GPU_TIME_SCALE`) multiplies every part's time limit,
 * for a machine that other jobs keep busy. `--parts` runs only the named parts (default: all the
 * kit parts allow; the others stay as they were); the speed parts take PyTorch's figures from the
 * `torch` part, so name it with them.
 *
 * Exit status 0 when every part ran and wrote its fields (skips, which say why, included), 1
 * otherwise, 2 on bad arguments.
 *
 * @module
 */
import { parseArgs } from "../../src/deps.ts";
import { type GpuPlan, gpuPlan, PART_NAMES, type PartName } from "./plan.ts";
import { KIT_PARTS, type KitPart, selectParts } from "./kit_parts.ts";
import { type GpuReport, missingFields } from "./report.ts";
import { continueReport, readReport } from "./merge.ts";
import { PARTS } from "./parts.ts";
import { Driver, type Paths, type Rec } from "./session.ts";

/**
 * Runs the parts `only` names (default: all, in {@linkcode PART_NAMES} order; see the module doc)
 * from a kit holding `kitParts`, and returns the finished report. The others stay "not run", or as
 * an earlier run into `paths.out` left them (`merge.ts`).
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
 * // A second run into the same folder continues the report.
 * const again = await runReport(gpuPlan(true), paths, {}, ["torch"], ["train"]);
 * assert.deepEqual(again.runs.map((x) => x.kitParts), [
 *   ["train", "infer-node", "infer-web"],
 *   ["train"],
 * ]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function runReport(
  plan: GpuPlan,
  paths: Paths,
  host: Rec,
  only: readonly PartName[] = PART_NAMES,
  kitParts: readonly KitPart[] = KIT_PARTS,
): Promise<GpuReport> {
  const previous = await readReport(`${paths.out}/gpu-report.json`);
  const { report, note, merged } = continueReport(previous, plan, host, [...kitParts], [...only]);
  const d = new Driver(plan, paths, host, { report, previous: merged, kitParts });
  d.log.line(
    `### driver run ${report.runs.length}: kit parts ${kitParts.join(", ")}; ` +
      `parts ${only.join(", ") || "none"}`,
  );
  if (note) {
    d.log.line(`note: ${note}`);
    console.error(`gpu report: ${note}`);
  }
  await d.save();
  try {
    for (const p of PART_NAMES) if (only.includes(p)) await PARTS[p](d);
  } finally {
    d.report.finished = new Date().toISOString();
    await d.save();
    d.log.close();
  }
  return d.report;
}

async function hostInfo(kit: Rec | null): Promise<Rec> {
  const git = await new Deno.Command("git", { args: ["rev-parse", "--short", "HEAD"] }).output()
    .then((o) => o.success ? new TextDecoder().decode(o.stdout).trim() : null, () => null);
  return {
    os: `${Deno.build.os}-${Deno.build.arch}`,
    cpus: navigator.hardwareConcurrency,
    deno: Deno.version.deno,
    commit: git,
    kit: kit && {
      created: kit.created,
      commit: kit.commit,
      bytes: kit.bytes,
      parts: kit.parts ?? [...KIT_PARTS],
    },
  };
}

/** Runs the CLI; returns the exit status (see the module doc). */
export async function main(argv: string[]): Promise<number> {
  const options = {
    out: { type: "string" },
    work: { type: "string" },
    data: { type: "string" },
    anchor: { type: "string" },
    kit: { type: "string" },
    "kit-parts": { type: "string" },
    "dry-run": { type: "boolean", default: false },
    parts: { type: "string" },
    "time-scale": { type: "string", default: Deno.env.get("NOPROP_GPU_TIME_SCALE") ?? "1" },
  } as const;
  let o;
  try {
    o = parseArgs({ args: argv, options }).values;
  } catch (e) {
    console.error(`driver.ts: ${(e as Error).message}`);
    return 2;
  }
  const scale = Number(o["time-scale"]);
  if (!(scale > 0)) {
    console.error(`driver.ts: --time-scale must be a positive number, got "${o["time-scale"]}"`);
    return 2;
  }
  if (!o.out || !o.work || !o.data) {
    console.error(
      "usage: driver.ts --out OUT --work DIR --data DIR [--anchor FILE] [--kit KIT_JSON] [--kit-parts train,infer-node,infer-web] [--dry-run] [--time-scale X] [--parts a,b]",
    );
    return 2;
  }
  const kit = o.kit ? await Deno.readTextFile(o.kit).then(JSON.parse, () => null) : null;
  const sel = selectParts({
    kitParts: o["kit-parts"],
    parts: o.parts,
    // Kits packed before parts existed held both.
    kitHolds: kit ? kit.parts ?? [...KIT_PARTS] : [...KIT_PARTS],
  });
  if (typeof sel === "string") {
    console.error(`driver.ts: ${sel}`);
    return 2;
  }
  const { kitParts, only } = sel;
  await Deno.mkdir(o.out, { recursive: true });
  await Deno.mkdir(o.work, { recursive: true });
  const plan = gpuPlan(o["dry-run"]!);
  for (const p of PART_NAMES) plan.limits[p] *= scale;
  const report = await runReport(
    plan,
    { out: o.out, work: o.work, data: o.data, anchor: o.anchor ?? null },
    await hostInfo(kit),
    only,
    kitParts,
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
