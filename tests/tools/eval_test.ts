import { assert, assertEquals } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { loadDataset } from "../../src/data/mod.ts";
import { train } from "../../src/train/mod.ts";
import { tinyConfig, writeSyntheticMnist } from "../_helpers/train.ts";
import { runTool } from "../_helpers/cli.ts";

await initBackend("wasm");

const evalCli = (...args: string[]) => runTool("tools/eval.ts", args);

/** A row of eval.json. */
interface Row {
  sampler: string;
  steps: number;
  accuracy: number;
  count: number;
  perClassAcc: (number | null)[];
  confusion: number[];
}

/** Test images per class (the first `n` of the test split): the confusion rows must sum to these. */
async function labelCounts(dataDir: string, n: number): Promise<number[]> {
  const { test } = await loadDataset("mnist", { dataDir, log: () => {} });
  const out = new Array(10).fill(0);
  for (let i = 0; i < n; i++) out[test.labels[i]]++;
  return out;
}

/** Checks one row's confusion against the labels and its own accuracy and per-class numbers. */
function checkRow(r: Row, labels: number[]) {
  const K = 10,
    rowSum = (k: number) => r.confusion.slice(k * K, (k + 1) * K).reduce((a, b) => a + b);
  assertEquals(Array.from({ length: K }, (_, k) => rowSum(k)), labels, "rows = true classes");
  const correct = Array.from({ length: K }, (_, k) => r.confusion[k * K + k]);
  assertEquals(correct.reduce((a, b) => a + b), Math.round(r.accuracy * r.count));
  assertEquals(r.perClassAcc, correct.map((c, k) => labels[k] ? c / labels[k] : null));
}

Deno.test("deno task eval prints and saves an accuracy table, per-class accuracy and confusion.svg per sampler and step count", async () => {
  const data = await Deno.makeTempDir({ prefix: "noprop-eval-" });
  await writeSyntheticMnist(data, 320, 100);
  const out = await Deno.makeTempDir();
  const r = await train(tinyConfig(data, out, { variant: "fm", epochs: 1 }), { quiet: true });
  const res = await evalCli(
    ...["--run", r.runDir, "--steps", "1,3", "--sampler", "euler,heun", "--data-dir", data],
    ...["--backend", "wasm"],
  );
  assertEquals(res.code, 0, res.stderr);
  const dir = `${r.runDir}/eval`; // the default: next to the model
  const report = JSON.parse(await Deno.readTextFile(`${dir}/eval.json`));
  const rows: Row[] = report.rows;
  assertEquals(rows.map((x) => `${x.sampler}${x.steps}`), ["euler1", "euler3", "heun1", "heun3"]);
  assertEquals(rows[0].accuracy, rows[2].accuracy); // Heun with 1 step is Euler (see sampler doc)
  const labels = await labelCounts(data, 100);
  for (const row of rows) checkRow(row, labels);
  assertEquals(report.classNames.length, 10);
  const best = Math.max(...rows.map((x) => x.accuracy));
  const charted = rows.find((x) => x.accuracy === best)!;
  assertEquals(report.charted, { sampler: charted.sampler, steps: charted.steps });
  // Printed: the accuracy table and the charted row's per-class table.
  assert(res.stdout.includes("| heun | 3 |"), res.stdout);
  const head = `Per-class accuracy, ${charted.sampler} sampler, ${charted.steps} steps`;
  assert(res.stdout.includes(head), res.stdout);
  const md = await Deno.readTextFile(`${dir}/eval.md`);
  assert(md.includes("ms / image") && md.includes(head) && md.includes("(confusion.svg)"), md);
  const svg = await Deno.readTextFile(`${dir}/confusion.svg`);
  assert(svg.startsWith("<svg") && svg.includes(`${charted.steps} steps`), svg.slice(0, 200));
  assertEquals(await Deno.readTextFile(`${r.runDir}/eval.json`).catch(() => null), null);
});

Deno.test("eval --engine onnx samples the exported graphs and agrees with --engine tfjs, confusion included", async () => {
  const data = await Deno.makeTempDir({ prefix: "noprop-eval-onnx-" });
  await writeSyntheticMnist(data, 640, 200);
  const out = await Deno.makeTempDir();
  const r = await train(tinyConfig(data, out, { variant: "ct", epochs: 3, lr: 1e-2 }), {
    quiet: true,
  });
  const rows = async (engine: string) => {
    const dir = `${out}/eval-${engine}`;
    const res = await evalCli(
      ...["--run", r.runDir, "--steps", "5", "--sampler", "euler,heun", "--data-dir", data],
      ...["--engine", engine, "--backend", "wasm", "--out", dir],
    );
    assertEquals(res.code, 0, res.stderr);
    assert((await Deno.readTextFile(`${dir}/confusion.svg`)).startsWith("<svg"));
    return JSON.parse(await Deno.readTextFile(`${dir}/eval.json`)).rows as Row[];
  };
  const onnx = await rows("onnx"), tfjs = await rows("tfjs");
  assertEquals(onnx.length, 2);
  assert(tfjs[0].accuracy > 0.5, `the tiny model must have learned: ${JSON.stringify(tfjs)}`);
  const labels = await labelCounts(data, 200);
  for (const row of [...onnx, ...tfjs]) checkRow(row, labels);
  // Different z_0 draws (the runtime's seeded stream vs the trainer's), same network and sampler:
  // accuracies on 200 images agree up to sampling noise.
  onnx.forEach((o, i) =>
    assert(
      Math.abs(o.accuracy - tfjs[i].accuracy) <= 0.1,
      `onnx ${o.accuracy} tfjs ${tfjs[i].accuracy}`,
    )
  );
});

Deno.test("deno task eval refuses to replace earlier results in one line, before evaluating; --overwrite is the way", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/confusion.svg`, "<svg/>");
  const res = await evalCli("--run", "no/such/run", "--out", dir);
  assertEquals(res.code, 1);
  assertEquals(
    res.stderr,
    `error: ${dir}/confusion.svg already exists: pass --out with another folder, or --overwrite\n`,
  );
  // With --overwrite it gets as far as the run folder.
  const over = await evalCli("--run", "no/such/run", "--out", dir, "--overwrite");
  assertEquals(over.code, 1);
  assert(over.stderr.includes("no/such/run"), over.stderr);
  assertEquals(await Deno.readTextFile(`${dir}/confusion.svg`), "<svg/>"); // untouched
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
