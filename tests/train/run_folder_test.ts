/**
 * The run folder never loses or mixes data (issue "one loop", section "A run folder that never
 * loses or mixes data"): each test reproduces one defect the earlier trainers had, through the
 * public entry points only (`train()`, the CLI, the files of the folder).
 * @module
 */
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { loadSafetensors, saveSafetensors } from "../../src/safetensors.ts";
import { train } from "../../src/train/mod.ts";
import { tinyConfig, writeSyntheticMnist } from "../_helpers/train.ts";

const data = await Deno.makeTempDir({ prefix: "noprop-runfolder-data-" });
await writeSyntheticMnist(data, 128, 64); // 4 batches of 32 per epoch
const REPO = new URL("../../", import.meta.url).pathname;
const tiny = (out: string, over = {}) =>
  tinyConfig(data, out, { T: 2, widths: [2, 2, 2], hidden: 8, evalSamples: 32, ...over });
const steps = async (dir: string) =>
  (await Deno.readTextFile(`${dir}/metrics.jsonl`)).trim().split("\n").filter((l) => l)
    .map((l) => JSON.parse(l).step);

async function sameTensors(a: string, b: string, what: string) {
  const x = (await loadSafetensors(a)).tensors, y = (await loadSafetensors(b)).tensors;
  for (const [name, t] of Object.entries(y)) {
    if (name.startsWith("opt.")) continue;
    assertEquals(
      Array.from(x[name].data as Float32Array),
      Array.from(t.data as Float32Array),
      `${what}: ${name}`,
    );
  }
}

Deno.test("a crash after the checkpoint but before the metrics line loses no line, and resume repairs the weights", async () => {
  const out = await Deno.makeTempDir();
  const r = await train(tiny(out, { epochs: 1 }), { quiet: true });
  const oldWeights = await Deno.readFile(`${r.runDir}/weights.safetensors`);
  const oldMetrics = await Deno.readTextFile(`${r.runDir}/metrics.jsonl`);
  await train(tiny(out, { epochs: 2 }), { quiet: true, resumeDir: r.runDir });
  const chart = await Deno.readTextFile(`${r.runDir}/confusion.svg`);
  // kill -9 right after the step-8 checkpoint: weights and metrics still from step 4, no chart.
  await Deno.writeFile(`${r.runDir}/weights.safetensors`, oldWeights);
  await Deno.writeTextFile(`${r.runDir}/metrics.jsonl`, oldMetrics);
  await Deno.remove(`${r.runDir}/confusion.svg`);
  // Resuming with nothing left to train already repairs the folder …
  await train(tiny(out, { epochs: 2 }), { quiet: true, resumeDir: r.runDir });
  assertEquals(await steps(r.runDir), [4, 8]);
  const ids = (svg: string) => svg.replace(/gradient_\d+/g, "gradient"); // vega's id counter
  assertEquals(ids(await Deno.readTextFile(`${r.runDir}/confusion.svg`)), ids(chart));
  await sameTensors(
    `${r.runDir}/weights.safetensors`,
    `${r.runDir}/checkpoint.safetensors`,
    "weights vs checkpoint",
  );
  // … and training on keeps every line.
  await train(tiny(out, { epochs: 3 }), { quiet: true, resumeDir: r.runDir });
  assertEquals(await steps(r.runDir), [4, 8, 12]);
});

Deno.test("resume refuses a change of T, schedule or dataset in one line, and accepts more epochs", async () => {
  const out = await Deno.makeTempDir();
  const r = await train(tiny(out, { epochs: 1 }), { quiet: true });
  for (
    const [over, field] of [
      [{ T: 5 }, "T"],
      [{ schedule: "linear" }, "schedule"],
      [{ embedding: "learned" }, "embedding"],
      [{ widths: [2, 2, 4] }, "widths"],
      [{ dataset: "fashion-mnist" }, "dataset"],
    ] as const
  ) {
    await assertRejects(
      () => train(tiny(out, over), { quiet: true, resumeDir: r.runDir }),
      (e: Error) => e.message.startsWith(`--resume: ${field} is `) && !e.message.includes("\n"),
    );
  }
  const ck = await loadSafetensors(`${r.runDir}/checkpoint.safetensors`);
  assertEquals(ck.metadata.T, "2"); // untouched
  const more = await train(tiny(out, { epochs: 2 }), { quiet: true, resumeDir: r.runDir });
  assertEquals(more.steps, 8);
});

Deno.test("a second writer is refused naming the holder's pid, and a finished run is not silently replaced", async () => {
  const out = await Deno.makeTempDir();
  const first = await train(tiny(out, { epochs: 1 }), { quiet: true });
  // Starting the same run name again without --resume: refused, nothing changed.
  const before = await Deno.readFile(`${first.runDir}/weights.safetensors`);
  await assertRejects(
    () => train(tiny(out, { epochs: 1, seed: 9 }), { quiet: true }),
    (e: Error) => e.message.includes("already holds a run") && e.message.includes("--overwrite"),
  );
  assertEquals(await Deno.readFile(`${first.runDir}/weights.safetensors`), before);
  // A live process holds the folder: refused with its pid.
  const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
  await Deno.writeTextFile(`${first.runDir}/.lock`, `${sleeper.pid}\n`);
  try {
    await assertRejects(
      () => train(tiny(out, { epochs: 2 }), { quiet: true, resumeDir: first.runDir }),
      (e: Error) => e.message.includes(`pid ${sleeper.pid}`),
    );
  } finally {
    sleeper.kill();
    await sleeper.status;
  }
  // Its process is gone: the stale lock is taken over. --overwrite starts over cleanly.
  const again = await train(tiny(out, { epochs: 1, seed: 9 }), { quiet: true, overwrite: true });
  assertEquals(await steps(again.runDir), [4]);
  assert(!(await Deno.stat(`${again.runDir}/.lock`).then(() => true, () => false)));
});

Deno.test("a batch larger than the training set is refused instead of saving an untrained model", async () => {
  const out = await Deno.makeTempDir();
  await assertRejects(
    () => train(tiny(out, { batchSize: 256 }), { quiet: true }),
    (e: Error) => e.message.includes("batchSize 256") && e.message.includes("128 training images"),
  );
  assert(!(await Deno.stat(`${out}/run/weights.safetensors`).then(() => true, () => false)));
  // Nothing was trained, so the same run may simply start again (no --overwrite needed).
  const again = await train(tiny(out, { epochs: 1 }), { quiet: true });
  assertEquals(again.steps, 4);
});

Deno.test("--workers above T is capped to T", async () => {
  const out = await Deno.makeTempDir();
  const r = await train(tiny(out, { epochs: 1, workers: 4, maxSteps: 1 }), { quiet: true });
  const yaml = await Deno.readTextFile(`${r.runDir}/config.yaml`);
  assert(/^workers: 2\b/m.test(yaml), yaml);
});

Deno.test("temp files of killed writes are removed when the run starts again", async () => {
  const out = await Deno.makeTempDir();
  const r = await train(tiny(out, { epochs: 1 }), { quiet: true });
  const stale = `${r.runDir}/.checkpoint.safetensors.tmp-4242-0badf00d`;
  await Deno.writeTextFile(stale, "torn write");
  await train(tiny(out, { epochs: 1 }), { quiet: true, resumeDir: r.runDir });
  assert(!(await Deno.stat(stale).then(() => true, () => false)));
});

Deno.test("an edited training state is refused in one line naming the file and the field", async () => {
  const out = await Deno.makeTempDir();
  const r = await train(tiny(out, { epochs: 1, maxSteps: 2 }), { quiet: true });
  const path = `${r.runDir}/checkpoint.safetensors`;
  const good = await loadSafetensors(path);
  const edit = async (f: (tr: Record<string, unknown>) => void, drop?: string) => {
    const tr = JSON.parse(good.metadata.trainer);
    f(tr);
    const tensors = { ...good.tensors };
    if (drop) delete tensors[drop];
    await saveSafetensors(path, tensors, { ...good.metadata, trainer: JSON.stringify(tr) });
  };
  const refused = async (needle: string) =>
    await assertRejects(
      () => train(tiny(out, { epochs: 2 }), { quiet: true, resumeDir: r.runDir }),
      (e: Error) => e.message.startsWith(path) && e.message.includes(needle),
    );
  await edit((tr) => (tr.pos as { batch: number }).batch = 99);
  await refused("past the end of the epoch");
  await edit((tr) => (tr.rngs as Record<string, unknown>)["1"] = { s: "x" });
  await refused(`random stream "1"`);
  await edit(() => {}, "opt.block_01.v.0");
  await refused(`"opt.block_01.v.0" is missing`);
});

Deno.test("Ctrl-C and SIGTERM save the checkpoint and exit 130, acknowledging the signal at once", async () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const out = await Deno.makeTempDir();
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "tools/train.ts",
        ...["--dataset", "mnist", "--data-dir", data, "--out-dir", out, "--run-name", "r"],
        ...["--T", "2", "--widths", "2,2,2", "--hidden", "8", "--batch-size", "32"],
        ...["--epochs", "1000", "--backend", "wasm", "--eval-samples", "32", "--workers", "1"],
      ],
      cwd: REPO,
      env: { NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let err = "";
    while (!err.includes("noprop: training")) {
      const { value, done } = await reader.read();
      if (done) break;
      err += value;
    }
    await new Promise((r) => setTimeout(r, 1500));
    child.kill(signal);
    for (let c = await reader.read(); !c.done; c = await reader.read()) err += c.value;
    const { code } = await child.status;
    assertEquals(code, 130, `${signal}: ${err}`);
    assert(err.includes("stopping after this batch"), err);
    assert(await Deno.stat(`${out}/r/checkpoint.safetensors`).then(() => true, () => false));
  }
});

Deno.test("resuming a run whose checkpoint predates the metrics history keeps its metrics.jsonl", async () => {
  const out = await Deno.makeTempDir();
  const r = await train(tiny(out, { epochs: 1 }), { quiet: true });
  // An older checkpoint: no `metrics` (nor `optSizes`) in its training state.
  const path = `${r.runDir}/checkpoint.safetensors`;
  const ck = await loadSafetensors(path);
  const { metrics: _m, optSizes: _s, ...old } = JSON.parse(ck.metadata.trainer);
  await saveSafetensors(path, ck.tensors, { ...ck.metadata, trainer: JSON.stringify(old) });
  await train(tiny(out, { epochs: 2 }), { quiet: true, resumeDir: r.runDir });
  assertEquals(await steps(r.runDir), [4, 8]);
});
