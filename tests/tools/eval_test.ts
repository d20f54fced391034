import { assert, assertEquals } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { train } from "../../src/train/mod.ts";
import { tinyConfig, writeSyntheticMnist } from "../_helpers/train.ts";
import { runTool } from "../_helpers/cli.ts";

await initBackend("wasm");

const evalCli = (...args: string[]) => runTool("tools/eval.ts", args);

Deno.test("deno task eval prints and saves an accuracy table per sampler and step count", async () => {
  const data = await Deno.makeTempDir({ prefix: "noprop-eval-" });
  await writeSyntheticMnist(data, 320, 100);
  const out = await Deno.makeTempDir();
  const r = await train(tinyConfig(data, out, { variant: "fm", epochs: 1 }), { quiet: true });
  const res = await evalCli(
    ...["--run", r.runDir, "--steps", "1,3", "--sampler", "euler,heun", "--data-dir", data],
    ...["--backend", "wasm"],
  );
  assertEquals(res.code, 0, res.stderr);
  const rows = JSON.parse(await Deno.readTextFile(`${r.runDir}/eval.json`));
  assertEquals(rows.map((x: { sampler: string; steps: number }) => `${x.sampler}${x.steps}`), [
    "euler1",
    "euler3",
    "heun1",
    "heun3",
  ]);
  assertEquals(rows[0].accuracy, rows[2].accuracy); // Heun with 1 step is Euler (see sampler doc)
  assert(res.stdout.includes("| heun | 3 |"), res.stdout);
  assert((await Deno.readTextFile(`${r.runDir}/eval.md`)).includes("ms / image"));
});

Deno.test("eval --engine onnx samples the exported graphs and agrees with --engine tfjs", async () => {
  const data = await Deno.makeTempDir({ prefix: "noprop-eval-onnx-" });
  await writeSyntheticMnist(data, 640, 200);
  const out = await Deno.makeTempDir();
  const r = await train(tinyConfig(data, out, { variant: "ct", epochs: 3, lr: 1e-2 }), {
    quiet: true,
  });
  const rows = async (engine: string) => {
    const res = await evalCli(
      ...["--run", r.runDir, "--steps", "5", "--sampler", "euler,heun", "--data-dir", data],
      ...["--engine", engine, "--backend", "wasm"],
    );
    assertEquals(res.code, 0, res.stderr);
    return JSON.parse(await Deno.readTextFile(`${r.runDir}/eval.json`)) as { accuracy: number }[];
  };
  const onnx = await rows("onnx"), tfjs = await rows("tfjs");
  assertEquals(onnx.length, 2);
  assert(tfjs[0].accuracy > 0.5, `the tiny model must have learned: ${JSON.stringify(tfjs)}`);
  // Different z_0 draws (the runtime's seeded stream vs the trainer's), same network and sampler:
  // accuracies on 200 images agree up to sampling noise.
  onnx.forEach((o, i) =>
    assert(
      Math.abs(o.accuracy - tfjs[i].accuracy) <= 0.1,
      `onnx ${o.accuracy} tfjs ${tfjs[i].accuracy}`,
    )
  );
});

Deno.test("deno task eval rejects 0 steps and an unknown sampler with exit status 2", async () => {
  const a = await evalCli("--run", "x", "--steps", "0");
  assertEquals(a.code, 2);
  assert(a.stderr.startsWith("error: sampler steps must be an integer ≥ 1, got 0"), a.stderr);
  const b = await evalCli("--run", "x", "--sampler", "rk4");
  assertEquals(b.code, 2);
  assert(b.stderr.startsWith('error: unknown sampler "rk4" (expected euler or heun)'), b.stderr);
  const c = await evalCli("--run", "x", "--engine", "torch");
  assertEquals(c.code, 2);
  assert(c.stderr.startsWith('error: unknown engine "torch" (expected tfjs or onnx)'), c.stderr);
});
