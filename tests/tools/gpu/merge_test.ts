/** One GPU report from the kit parts' runs (train, infer-node, infer-web) into the same folder. */
import { assert, assertEquals, assertMatch } from "../../assert.ts";
import { runReport } from "../../../tools/gpu/driver.ts";
import { continueReport } from "../../../tools/gpu/merge.ts";
import { gpuPlan } from "../../../tools/gpu/plan.ts";
import { partsFor } from "../../../tools/gpu/kit_parts.ts";
import { missingFields, renderMarkdown } from "../../../tools/gpu/report.ts";
import { chainLogits } from "../../../tools/gpu/task_onnx.ts";
import { writeRandomMnist } from "../../../tools/bench.ts";

Deno.test("a run continues the folder's report: its own parts start again, the others are kept", () => {
  const plan = gpuPlan(false);
  const train = continueReport(null, plan, {}, ["train"], partsFor(["train"])).report;
  train.parts.torch.status = "ok";
  train.parts.torch.summary.runs = [{ batch: 128 }];
  train.parts.adapter.status = "ok";
  train.finished = train.runs[0].finished = "2026-01-01T00:00:00.000Z";
  const next = continueReport(train, plan, {}, ["infer-node"], partsFor(["infer-node"]));
  assertEquals(next.note, null);
  assertEquals(next.merged, train);
  const { report } = next;
  // torch is the train kit's: kept (the inference table reads it). The adapter runs again.
  assertEquals(report.parts.torch.summary.runs, [{ batch: 128 }]);
  assertEquals(report.parts.adapter.status, "not run");
  assertEquals(report.runs.map((r) => [r.kitParts, r.finished]), [
    [["train"], "2026-01-01T00:00:00.000Z"],
    [["infer-node"], null],
  ]);
  assertEquals(report.runs[1].parts, ["adapter", "logits", "inference"]);
  // The parts no run ran are still named as missing.
  assert(missingFields(report).includes("endToEnd: status not run"));
});

Deno.test("a report of another kind is not merged: the run starts a fresh one and says why", () => {
  const dry = continueReport(null, gpuPlan(true), {}, ["train"], ["torch"]).report;
  dry.parts.torch.status = "skipped";
  const real = continueReport(dry, gpuPlan(false), {}, ["infer-web"], ["logits"]);
  assertEquals(real.note, "the folder's report is a rehearsal's: started a fresh one");
  assertEquals(real.merged, null);
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

Deno.test("infer-node after infer-web: the web logits are kept and compared with the new cpu logits", async () => {
  const dir = await Deno.makeTempDir();
  const data = `${dir}/data`;
  await writeRandomMnist(data, 2, 2);
  const plan = gpuPlan(true);
  plan.logits.images = 2;
  const paths = { out: `${dir}/out`, work: dir, data, anchor: null };
  await Deno.mkdir(paths.out);
  const kit = (parts: string[]) => ({
    kit: { created: "c", commit: "abc", bytes: 2 ** 20, parts },
  });
  // What an infer-web run left: its webgpu logits, here the cpu ones with one logit moved by 0.5
  // (the largest of image 1, so the argmax stays).
  const o = { modelDir: "models/mnist", provider: "cpu", images: 2, dataDir: data, threads: 1 };
  const cpu = (await chainLogits(o)).logits;
  const web = [...cpu];
  const top = cpu.slice(0, 10).indexOf(Math.max(...cpu.slice(0, 10)));
  web[top] += 0.5;
  const first = continueReport(null, plan, kit(["infer-web"]), ["infer-web"], ["logits"]).report;
  first.parts.logits.status = "ok";
  first.parts.logits.steps = [
    { name: "logits webgpu-web", status: "ok", seconds: 1, result: { logits: web } },
  ];
  first.finished = first.runs[0].finished = new Date().toISOString();
  await Deno.writeTextFile(`${paths.out}/gpu-report.json`, JSON.stringify(first));
  await Deno.writeTextFile(`${paths.out}/gpu-run.log`, "the infer-web run's log\n");

  const r = await runReport(plan, paths, kit(["infer-node"]), ["logits"], ["infer-node"]);
  const steps = r.parts.logits.steps;
  assertEquals(steps[0].name, "logits webgpu-web");
  assertEquals(steps[0].kept, true);
  assertEquals(steps[1].name, "logits cpu");
  assertEquals(steps[1].status, "ok", steps[1].error ?? "");
  const cmp = r.parts.logits.summary.logits as { provider: string; maxAbsDiff: number }[];
  assertEquals(cmp[0].provider, "webgpu-web");
  assert(Math.abs(cmp[0].maxAbsDiff - 0.5) < 1e-6, String(cmp[0].maxAbsDiff));
  assertEquals((cmp[0] as unknown as { argmaxAgreement: number }).argmaxAgreement, 1);
  // One report naming both runs; the second run appended to the first run's log.
  const saved = JSON.parse(await Deno.readTextFile(`${paths.out}/gpu-report.json`));
  assertEquals(saved.runs.map((x: { kitParts: string[] }) => x.kitParts), [
    ["infer-web"],
    ["infer-node"],
  ]);
  assert(saved.runs.every((x: { finished: string | null }) => x.finished !== null));
  const md = renderMarkdown(r);
  assert(md.includes("| 1 | infer-web | logits |"), md);
  assert(md.includes("| 2 | infer-node | logits |"), md);
  assert(md.includes("packed c at commit abc, 1.0 MiB"), md);
  const log = (await Deno.readTextFile(`${paths.out}/gpu-run.log`)).split("\n");
  assertEquals(log[0], "the infer-web run's log");
  assertEquals(log[1], "### driver run 2: kit parts infer-node; parts logits");
  await Deno.remove(dir, { recursive: true });
});
