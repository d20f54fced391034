/**
 * `--resume` with a ResNet backbone: the backbone's weights, BatchNorm2d running statistics and
 * AdamW moments are checkpointed like every other parameter, so a DT run stopped mid-epoch and
 * resumed ends bit-identical to an uninterrupted one; resuming with another backbone or width is
 * refused in one line.
 */
import { assert, assertEquals } from "../../assert.ts";
import { initBackend } from "../../../src/backend/mod.ts";
import { loadSafetensors } from "../../../src/safetensors.ts";
import { train } from "../../../src/train/mod.ts";
import { runTool } from "../../_helpers/cli.ts";
import { assertSameRunState } from "../../_helpers/resume.ts";
import { tinyConfig, writeSyntheticMnist } from "../../_helpers/train.ts";

await initBackend("wasm");
const data = await Deno.makeTempDir({ prefix: "noprop-backbone-resume-" });
await writeSyntheticMnist(data, 640, 64);
const resnet = { backbone: "resnet18", backboneWidth: 1 / 32, T: 1, evalSamples: 64 } as const;

Deno.test("a DT run with a resnet18 backbone stopped mid-epoch and resumed is bit-identical to an uninterrupted one", async () => {
  const cfg = tinyConfig(data, await Deno.makeTempDir(), { ...resnet, epochs: 1 });
  const full = await train({ ...cfg, runName: "full", maxSteps: 6 }, { quiet: true });
  const part = await train({ ...cfg, runName: "part", maxSteps: 3 }, { quiet: true });
  const resumed = await train({ ...cfg, runName: "part", maxSteps: 6 }, {
    quiet: true,
    resumeDir: part.runDir,
  });
  assertEquals([full.steps, part.steps, resumed.steps], [6, 3, 6]);
  await assertSameRunState(full.runDir, resumed.runDir);
  // The checkpoint holds the backbone and its running statistics; the metadata names it.
  const ck = await loadSafetensors(`${full.runDir}/checkpoint.safetensors`);
  assert("block_01.img.res.s4.b1.conv2.w" in ck.tensors);
  assert("block_01.img.res.stem.bn.var" in ck.tensors);
  const spec = JSON.parse(ck.metadata.spec);
  assertEquals([spec.backbone, spec.backboneWidth], ["resnet18", 1 / 32]);
});

Deno.test("`deno task train --resume` refuses another --backbone or --backbone-width in one line", async () => {
  const out = await Deno.makeTempDir();
  const part = await train(tinyConfig(data, out, { ...resnet, epochs: 1, maxSteps: 2 }), {
    quiet: true,
  });
  for (
    const [args, field, was] of [
      [["--backbone", "resnet50"], "backbone", '"resnet18"'],
      [["--backbone-width", "0.5"], "backboneWidth", String(1 / 32)],
    ] as const
  ) {
    const r = await runTool("tools/train.ts", ["--resume", part.runDir, ...args]);
    assertEquals(r.code, 2, r.stderr);
    assert(
      r.stderr.startsWith(
        `error: --resume: ${field} is `,
      ) && r.stderr.includes(`was trained with ${field} = ${was}; only epochs, `) &&
        r.stderr.split("\n").length === 2,
      r.stderr,
    );
  }
});
