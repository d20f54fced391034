/**
 * `--resume` for NoProp-CT / NoProp-FM: a run stopped mid-epoch and resumed ends where an
 * uninterrupted run ends, bit for bit; a folder without a checkpoint, or with another variant's,
 * is refused in one line naming the file.
 */
import { runTool } from "../../_helpers/cli.ts";
import { assert, assertEquals } from "../../assert.ts";
import { initBackend } from "../../../src/backend/mod.ts";
import { train } from "../../../src/train/mod.ts";
import { assertNoCheckpointRefused, assertResumeIsExact } from "../../_helpers/resume.ts";
import { tinyConfig, writeSyntheticMnist } from "../../_helpers/train.ts";

await initBackend("wasm");
const data = await Deno.makeTempDir({ prefix: "noprop-ct-resume-" });
await writeSyntheticMnist(data, 640, 200);

for (const variant of ["ct", "fm"] as const) {
  Deno.test(`a NoProp-${variant.toUpperCase()} run stopped mid-epoch and resumed reaches the same steps with bit-identical weights, moments and noise stream`, async () => {
    // Learned W_Embed: the embedding, its moments and (CT) the schedule all train.
    await assertResumeIsExact(
      tinyConfig(data, await Deno.makeTempDir(), {
        variant,
        embedding: "learned",
        evalSamples: 64,
      }),
    );
  });
}

Deno.test("a NoProp-CT run with the prototype embedding resumes bit for bit (W_Embed, z's conv stack and their moments)", async () => {
  await assertResumeIsExact(
    tinyConfig(data, await Deno.makeTempDir(), {
      variant: "ct",
      embedding: "prototype",
      evalSamples: 64,
    }),
  );
});

Deno.test("resuming a ct/fm folder without checkpoint.safetensors fails naming the file", async () => {
  await assertNoCheckpointRefused(tinyConfig(data, await Deno.makeTempDir(), { variant: "fm" }));
});

Deno.test("`deno task train --resume` continues a ct run from the command line and refuses it as fm in one line", async () => {
  const out = await Deno.makeTempDir();
  const part = await train(tinyConfig(data, out, { variant: "ct", epochs: 1, maxSteps: 5 }), {
    quiet: true,
  });
  const cli = (...args: string[]) => runTool("tools/train.ts", ["--resume", part.runDir, ...args]);
  const wrong = await cli("--variant", "fm");
  const err = wrong.stderr;
  assertEquals(wrong.code, 2, err);
  assert(
    err.startsWith(
      `error: --resume: variant is "fm", but the run in ${part.runDir} was trained with ` +
        `variant = "ct"; only epochs, `,
    ) && err.split("\n").length === 2,
    err,
  );
  const ok = await cli("--max-steps", "0"); // config.yaml says 5: lift the limit
  const log = ok.stderr;
  assertEquals(ok.code, 0, log);
  assert(log.includes("NoProp-CT"), log);
  const metrics = (await Deno.readTextFile(`${part.runDir}/metrics.jsonl`)).trim().split("\n");
  assertEquals(metrics.map((l) => JSON.parse(l).step), [5, 20]);
});
