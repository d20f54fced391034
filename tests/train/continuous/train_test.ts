import { runTool } from "../../_helpers/cli.ts";
import { assert, assertEquals } from "../../assert.ts";
import { initBackend } from "../../../src/backend/mod.ts";
import { batches } from "../../../src/data/batches.ts";
import { loadDataset } from "../../../src/data/mod.ts";
import { NORMALIZATION } from "../../../src/data/normalize.ts";
import { loadSafetensors } from "../../../src/safetensors.ts";
import { train } from "../../../src/train/mod.ts";
import { loadContinuousRun } from "../../../src/train/continuous/weights.ts";
import { evaluateContinuous } from "../../../src/train/continuous/evaluate.ts";
import { tinyConfig, writeSyntheticMnist } from "../../_helpers/train.ts";

await initBackend("wasm");
const data = await Deno.makeTempDir({ prefix: "noprop-ct-" });
await writeSyntheticMnist(data, 640, 200);

/** Reloads a run and evaluates Euler and Heun at 10 steps on the same z_0 (seed 1). */
async function eulerAndHeun10(runDir: string) {
  const { model: m } = await loadContinuousRun(runDir);
  const test = (await loadDataset("mnist", { dataDir: data })).test;
  const evalWith = (sampler: "euler" | "heun") =>
    evaluateContinuous(m, batches(test, { batchSize: 200, stats: NORMALIZATION.mnist }), {
      seed: 1,
      sampler,
      steps: 10,
    });
  return { euler: await evalWith("euler"), heun: await evalWith("heun") };
}

Deno.test("a tiny NoProp-CT run through train() learns far above chance, writes its run folder, and Heun at 10 steps is not worse than Euler at 10", async () => {
  const out = await Deno.makeTempDir();
  const r = await train(tinyConfig(data, out, { variant: "ct", epochs: 3, lr: 1e-2 }), {
    quiet: true,
  });
  assertEquals(r.steps, 60);
  assert(r.last!.testAcc! > 0.5, `accuracy ${JSON.stringify(r.last)} (chance 0.1)`);
  const lines = (await Deno.readTextFile(`${r.runDir}/metrics.jsonl`)).trim().split("\n");
  assertEquals(lines.length, 3);
  const first = JSON.parse(lines[0]), lastLine = JSON.parse(lines[2]);
  assert(lastLine.trainLoss < first.trainLoss, `loss ${first.trainLoss} → ${lastLine.trainLoss}`);
  const w = await loadSafetensors(`${r.runDir}/weights.safetensors`);
  assertEquals(w.metadata.variant, "ct");
  for (const k of ["net.time.fc.w", "cls.w", "sched.gamma0", "sched.a", "embed.W"]) {
    assert(k in w.tensors, `weights lack ${k}`);
  }
  assert((await Deno.readTextFile(`${r.runDir}/config.yaml`)).includes("variant: ct"));
  const { euler, heun } = await eulerAndHeun10(r.runDir);
  assertEquals(euler.acc, r.last!.testAcc!); // the reloaded run reproduces its own number
  assert(heun.acc >= euler.acc - 0.05, `Heun ${heun.acc} vs Euler ${euler.acc}`);
});

Deno.test("a tiny NoProp-FM run learns far above chance; Heun at 10 steps is not worse than Euler at 10", async () => {
  const out = await Deno.makeTempDir();
  const cfg = tinyConfig(data, out, { variant: "fm", epochs: 6, lr: 1e-2, hidden: 64 });
  const r = await train(cfg, { quiet: true });
  assert(r.last!.testAcc! > 0.6, `accuracy ${JSON.stringify(r.last)} (chance 0.1)`);
  // Reload the trained weights and evaluate both samplers on the same z_0.
  const { euler, heun } = await eulerAndHeun10(r.runDir);
  assertEquals(euler.acc, r.last!.testAcc!); // the reloaded weights reproduce the run's number
  assert(heun.acc >= euler.acc - 0.05, `Heun ${heun.acc} vs Euler ${euler.acc}`);
});

Deno.test("`deno task train --variant ct` runs from the command line", async () => {
  const out = await Deno.makeTempDir();
  const o = await runTool("tools/train.ts", [
    ...["--variant", "ct", "--data-dir", data, "--out-dir", out, "--run-name", "cli"],
    ...["--widths", "4,8,8", "--hidden", "32", "--batch-size", "32", "--epochs", "1"],
    ...["--max-steps", "5", "--backend", "wasm", "--eval-samples", "50"],
  ]);
  const err = o.stderr;
  assertEquals(o.code, 0, err);
  assert(err.includes("NoProp-CT"), err);
  const metrics = await Deno.readTextFile(`${out}/cli/metrics.jsonl`);
  assertEquals(JSON.parse(metrics.trim()).step, 5);
});
