// Fused block steps on webgpu (here Mesa's llvmpipe software adapter; run with
// DENO_WEBGPU_BACKEND=vulkan where the default picks no adapter): fused steps train every block
// as separate steps do, and on the webgpu path neither kind of step reads anything back from the
// GPU: the losses of a range (syncEvery batches) come back in one read, each batch of images is
// uploaded once, and the tensor count stays flat from range to range. XDG_RUNTIME_DIR is set by
// the test itself (tests/_helpers/backend.ts). Skipped (ignored, with a message) without an
// adapter.
import { assertEquals } from "../../assert.ts";
import { initBackend, probeWebGpu } from "../../../src/backend/mod.ts";
import { createDtMethod } from "../../../src/train/dt/method.ts";
import { ensureXdgRuntimeDir } from "../../_helpers/backend.ts";
import {
  assertSameBlocks,
  countTraffic,
  tinyDtConfig,
  tinyRun,
  trainTiny,
} from "../../_helpers/fused.ts";

ensureXdgRuntimeDir();
const probe = await probeWebGpu();
if (!probe) {
  console.log(
    "train/dt/fused_webgpu_test: SKIPPED — navigator.gpu offers no adapter " +
      `(DENO_WEBGPU_BACKEND=${Deno.env.get("DENO_WEBGPU_BACKEND") ?? "unset"})`,
  );
} else {
  await initBackend("webgpu");
}

const gpuTest = { ignore: !probe, sanitizeOps: false, sanitizeResources: false };

Deno.test({
  ...gpuTest,
  name: "webgpu: fused steps train every block as separate steps do (one-hot)",
  async fn() {
    const init = await trainTiny(tinyDtConfig({ syncEvery: 2 }), 0);
    const separate = await trainTiny(tinyDtConfig({ syncEvery: 2 }), 4);
    const fused = await trainTiny(tinyDtConfig({ syncEvery: 2, fuseBlocks: true }), 4);
    const worst = assertSameBlocks(fused, separate, init, 1e-3);
    console.log(`  worst weight difference / distance travelled: ${worst.toExponential(1)}`);
  },
});

for (const fuseBlocks of [false, true]) {
  Deno.test({
    ...gpuTest,
    name: `webgpu, ${
      fuseBlocks ? "fused" : "separate"
    } steps: no read-back inside a range of syncEvery batches, one upload per batch, tensor count flat`,
    async fn() {
      const cfg = tinyDtConfig({ fuseBlocks, syncEvery: 2 });
      const method = await createDtMethod({ cfg, run: tinyRun() });
      try {
        assertEquals(method.rangeSize, 2); // webgpu: a range is the read-back interval
        const t = await countTraffic(method, 4, [4, 8, 8, 1]); // 8 batches
        assertEquals(t.reads, [1, 1, 1, 1]); // the range's losses, in one read
        assertEquals(t.imageUploads, [2, 2, 2, 2]);
        assertEquals(new Set(t.tensors.slice(1)).size, 1, `tensors after each range: ${t.tensors}`);
      } finally {
        method.close();
      }
    },
  });
}
