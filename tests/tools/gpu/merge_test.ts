/** One GPU report from a train-kit run and an infer-kit run into the same folder. */
import { assert, assertEquals, assertMatch } from "../../assert.ts";
import { runReport } from "../../../tools/gpu/driver.ts";
import { continueReport } from "../../../tools/gpu/merge.ts";
import { gpuPlan, partsFor } from "../../../tools/gpu/plan.ts";
import { missingFields, renderMarkdown } from "../../../tools/gpu/report.ts";

Deno.test("a run continues the folder's report: its own parts start again, the others are kept", () => {
  const plan = gpuPlan(false);
  const train = continueReport(null, plan, {}, ["train"], partsFor(["train"])).report;
  train.parts.torch.status = "ok";
  train.parts.torch.summary.runs = [{ batch: 128 }];
  train.parts.endToEnd.status = "ok";
  train.parts.endToEnd.summary.runs = [{ name: "quick" }];
  train.finished = train.runs[0].finished = "2026-01-01T00:00:00.000Z";
  const { report, note } = continueReport(train, plan, {}, ["infer"], partsFor(["infer"]));
  assertEquals(note, null);
  // endToEnd is the train kit's: kept. torch runs with either kit: this run runs it again.
  assertEquals(report.parts.endToEnd.summary.runs, [{ name: "quick" }]);
  assertEquals(report.parts.torch.status, "not run");
  assertEquals(report.parts.torch.summary, {});
  assertEquals(report.parts.inference.status, "not run");
  assertEquals(report.runs.map((r) => [r.kitParts, r.finished]), [
    [["train"], "2026-01-01T00:00:00.000Z"],
    [["infer"], null],
  ]);
  assertEquals(report.runs[1].parts, ["adapter", "logits", "torch", "inference"]);
  // The parts neither run ran are still named as missing.
  assert(missingFields(report).includes("inference: status not run"));
});

Deno.test("a report of another kind is not merged: the run starts a fresh one and says why", () => {
  const dry = continueReport(null, gpuPlan(true), {}, ["train"], ["torch"]).report;
  dry.parts.torch.status = "skipped";
  const real = continueReport(dry, gpuPlan(false), {}, ["infer"], ["logits"]);
  assertEquals(real.note, "the folder's report is a rehearsal's: started a fresh one");
  assertEquals(real.report.parts.torch.status, "not run");
  assertEquals(real.report.runs.length, 1);
  const old = { ...dry, schema: "noprop.gpu-report/1" };
  assertMatch(
    String(continueReport(old, gpuPlan(true), {}, ["train"], ["torch"]).note),
    /^the folder's report is noprop\.gpu-report\/1, not noprop\.gpu-report\/2/,
  );
  assertMatch(
    String(continueReport("x.json is not JSON", gpuPlan(true), {}, ["train"], []).note),
    /^x\.json is not JSON: started a fresh report$/,
  );
});

Deno.test("two driver runs into one folder write one report listing both, and one log", async () => {
  const dir = await Deno.makeTempDir();
  const paths = { out: dir, work: dir, data: dir, anchor: null };
  const kit = (parts: string[]) => ({
    kit: { created: "c", commit: "abc", bytes: 2 ** 20, parts },
  });
  await runReport(gpuPlan(true), paths, kit(["train"]), ["torch"], ["train"]);
  // What the train run measured (as if it had): kept by the infer run.
  const file = `${dir}/gpu-report.json`;
  const first = JSON.parse(await Deno.readTextFile(file));
  first.parts.endToEnd = { ...first.parts.endToEnd, status: "ok", summary: { runs: [] } };
  await Deno.writeTextFile(file, JSON.stringify(first));
  const r = await runReport(gpuPlan(true), paths, kit(["infer"]), ["torch"], ["infer"]);
  assertEquals(r.parts.endToEnd.status, "ok");
  assertEquals(r.parts.torch.status, "skipped"); // ran again (no anchor), one step, not two
  assertEquals(r.parts.torch.steps.length, 1);
  const saved = JSON.parse(await Deno.readTextFile(file));
  assertEquals(saved.runs.map((x: { kitParts: string[] }) => x.kitParts), [["train"], ["infer"]]);
  assert(saved.runs.every((x: { finished: string | null }) => x.finished !== null));
  const md = renderMarkdown(r);
  assert(md.includes("| 1 | train | torch |"), md);
  assert(md.includes("| 2 | infer | torch |"), md);
  assert(md.includes("packed c at commit abc, 1.0 MiB"), md);
  // The second run appended to the first run's log.
  const log = await Deno.readTextFile(`${dir}/gpu-run.log`);
  assertEquals(log.split("\n").filter((l) => l.startsWith("### driver run")), [
    "### driver run 1: kit parts train; parts torch",
    "### driver run 2: kit parts infer; parts torch",
  ]);
  await Deno.remove(dir, { recursive: true });
});
