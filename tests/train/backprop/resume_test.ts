/**
 * `--resume` for the backprop baseline: a run stopped mid-epoch and resumed ends where an
 * uninterrupted run ends, bit for bit; a folder without a checkpoint, or with a NoProp-DT one
 * (and a baseline checkpoint resumed as NoProp-DT), is refused in one line naming the file.
 */
import { assertRejects } from "../../assert.ts";
import { initBackend } from "../../../src/backend/mod.ts";
import { train } from "../../../src/train/mod.ts";
import { assertNoCheckpointRefused, assertResumeIsExact } from "../../_helpers/resume.ts";
import { tinyConfig, writeSyntheticMnist } from "../../_helpers/train.ts";

await initBackend("wasm");
const data = await Deno.makeTempDir({ prefix: "noprop-bp-resume-" });
await writeSyntheticMnist(data, 640, 200);

Deno.test("a backprop run stopped mid-epoch and resumed reaches the same steps with bit-identical weights, mix.w, moments and z_0 stream", async () => {
  // Learned W_Embed: every kind of parameter (blocks, BatchNorm, classifier, W_Embed, mix.w) trains.
  await assertResumeIsExact(
    tinyConfig(data, await Deno.makeTempDir(), {
      method: "backprop",
      embedding: "learned",
      evalSamples: 64,
    }),
  );
});

Deno.test("resuming a backprop folder without checkpoint.safetensors fails naming the file", async () => {
  await assertNoCheckpointRefused(
    tinyConfig(data, await Deno.makeTempDir(), { method: "backprop" }),
  );
});

Deno.test("a NoProp-DT checkpoint is not resumed as the backprop baseline, nor the baseline's as NoProp-DT", async () => {
  const out = await Deno.makeTempDir();
  const short = { epochs: 1, maxSteps: 2, evalSamples: 32 };
  const dt = await train(tinyConfig(data, out, { ...short, runName: "dt" }), { quiet: true });
  const bp = await train(tinyConfig(data, out, { ...short, runName: "bp", method: "backprop" }), {
    quiet: true,
  });
  const refused = (dir: string, found: string, wanted: string) =>
    `${dir}/checkpoint.safetensors is a ${found} checkpoint, not ${wanted}: ` +
    "resume it with the run's own --variant and --method";
  // The saved config names the method: a different one is refused as a config change …
  await assertRejects(
    () =>
      train(tinyConfig(data, out, { method: "backprop" }), { quiet: true, resumeDir: dt.runDir }),
    { message: /^--resume: method is "backprop", but the run in .* method = "noprop"; only / },
  );
  // … and without config.yaml the checkpoint's own format refuses it.
  await Deno.remove(`${dt.runDir}/config.yaml`);
  await Deno.remove(`${bp.runDir}/config.yaml`);
  await assertRejects(
    () =>
      train(tinyConfig(data, out, { method: "backprop" }), { quiet: true, resumeDir: dt.runDir }),
    { message: refused(dt.runDir, "noprop-dt", "noprop-backprop") },
  );
  await assertRejects(
    () => train(tinyConfig(data, out), { quiet: true, resumeDir: bp.runDir }),
    { message: refused(bp.runDir, "noprop-backprop", "noprop-dt") },
  );
});
