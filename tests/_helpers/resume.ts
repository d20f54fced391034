/**
 * The resume acceptance check shared by every trainer's resume test: a run stopped mid-epoch
 * and resumed must end in the same state as an uninterrupted run of the same config; a folder
 * without a checkpoint is refused in one line naming the file.
 * @module
 */
import { assert, assertEquals, assertRejects } from "../assert.ts";
import type { Config } from "../../src/config.ts";
import { loadSafetensors } from "../../src/safetensors.ts";
import { train } from "../../src/train/mod.ts";

/**
 * Asserts that two run folders end in the same state: every tensor of `weights.safetensors` and
 * `checkpoint.safetensors` (weights, BatchNorm statistics, AdamW moments) bit for bit, and the
 * same `trainer` metadata (position, optimizer steps and sizes, random-stream states).
 */
export async function assertSameRunState(expected: string, actual: string): Promise<void> {
  for (const file of ["weights.safetensors", "checkpoint.safetensors"]) {
    const a = await loadSafetensors(`${expected}/${file}`);
    const b = await loadSafetensors(`${actual}/${file}`);
    assertEquals(Object.keys(b.tensors), Object.keys(a.tensors), `${file}: tensor names`);
    for (const [name, t] of Object.entries(a.tensors)) {
      const x = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      const u = b.tensors[name].data;
      const y = new Uint8Array(u.buffer, u.byteOffset, u.byteLength);
      assert(x.length === y.length && x.every((v, i) => v === y[i]), `${file}: ${name} differs`);
    }
    if (a.metadata.trainer === undefined) continue;
    // The training state (the metrics lines differ: the resumed run has one more, and timings).
    const { metrics: _a, ...ta } = JSON.parse(a.metadata.trainer);
    const { metrics: _b, ...tb } = JSON.parse(b.metadata.trainer);
    assertEquals(tb, ta, `${file}: trainer state`);
  }
}

/**
 * Trains `config` (2 epochs of 20 batches: tinyConfig on 640 images) once uninterrupted, once
 * stopped by `maxSteps` at step 27 (the middle of epoch 2) and resumed; asserts the same step
 * count, the same final state ({@linkcode assertSameRunState}) and one metrics line per stop.
 */
export async function assertResumeIsExact(config: Config): Promise<void> {
  const full = await train({ ...config, runName: "full" }, { quiet: true });
  assertEquals(full.steps, 40);
  const part = await train({ ...config, runName: "part", maxSteps: 27 }, { quiet: true });
  assertEquals(part.steps, 27);
  const resumed = await train({ ...config, runName: "part" }, {
    quiet: true,
    resumeDir: part.runDir,
  });
  assertEquals(resumed.steps, full.steps);
  await assertSameRunState(full.runDir, resumed.runDir);
  const lines = (await Deno.readTextFile(`${resumed.runDir}/metrics.jsonl`)).trim().split("\n");
  assertEquals(lines.map((l) => JSON.parse(l).step), [20, 27, 40]);
}

/** Asserts that resuming `config` from an empty folder fails with one line naming the file. */
export async function assertNoCheckpointRefused(config: Config): Promise<void> {
  const empty = await Deno.makeTempDir();
  await assertRejects(() => train(config, { quiet: true, resumeDir: empty }), {
    message:
      `${empty}/checkpoint.safetensors does not exist: this run saved no checkpoint to resume`,
  });
}
