/** The GPU report's driver: time limits, recorded failures, going on, atomic report files. */
import { assert, assertEquals } from "../../assert.ts";
import { main, runReport } from "../../../tools/gpu/driver.ts";
import { gpuPlan } from "../../../tools/gpu/plan.ts";
import { missingFields } from "../../../tools/gpu/report.ts";
import { writeRandomMnist } from "../../../tools/bench.ts";

Deno.test("a part that reaches its time limit is recorded as failed in one line, and the next part runs", async () => {
  const dir = await Deno.makeTempDir();
  await writeRandomMnist(`${dir}/data`, 640, 8);
  const plan = gpuPlan(true);
  // Five batches of the paper's block (10 blocks × ~0.3 s each on wasm) cannot finish in 1 s.
  plan.losses.setup = { name: "paper", config: "configs/mnist.yaml", flags: ["--workers", "1"] };
  plan.limits.losses = 1;
  const paths = { out: `${dir}/out`, work: dir, data: `${dir}/data`, anchor: null };
  await Deno.mkdir(paths.out);
  const r = await runReport(plan, paths, {}, ["losses", "torch"]);
  const c = r.parts.losses;
  assertEquals(c.status, "failed");
  assertEquals(c.steps[0].error, "stopped at the time limit (1 s)");
  // Every later step of the part is recorded, not silently dropped.
  assertEquals(c.steps.length, 2);
  assertEquals(c.steps[1].error, "not run: the part's time limit was reached before it");
  // The next part still ran.
  assertEquals(r.parts.torch.status, "skipped");
  assertEquals(r.parts.torch.steps[0].error, "torch_noprop_dt.py is not in the kit");
  // Both files are written, and the problems are named.
  const json = JSON.parse(await Deno.readTextFile(`${paths.out}/gpu-report.json`));
  assertEquals(json.parts.losses.status, "failed");
  const md = await Deno.readTextFile(`${paths.out}/gpu-report.md`);
  assert(md.includes("losses wasm: failed: stopped at the time limit (1 s)"), md);
  assert(missingFields(r).includes("losses: summary.losses missing"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the driver refuses bad arguments with exit status 2", async () => {
  const base = ["--out", "o", "--work", "w", "--data", "d"];
  assertEquals(await main([]), 2);
  assertEquals(await main([...base, "--parts", "nope"]), 2);
  assertEquals(await main([...base, "--time-scale", "0"]), 2);
  assertEquals(await main(["--no-such-option"]), 2);
  // Kit parts: unknown, not in the kit, or not the one a report part needs.
  const kit = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(kit, JSON.stringify({ parts: ["train"] }));
  assertEquals(await main([...base, "--kit-parts", "nope"]), 2);
  assertEquals(await main([...base, "--kit", kit, "--kit-parts", "infer-web"]), 2);
  assertEquals(await main([...base, "--kit", kit, "--parts", "inference"]), 2);
  await Deno.remove(kit);
  for (const d of ["o", "w"]) assertEquals(await Deno.stat(d).catch(() => null), null); // nothing made
});
