/** The GPU report: which fields a finished report must hold, and the tables made from them. */
import { assert, assertEquals } from "../../assert.ts";
import {
  checkMain,
  emptyReport,
  missingFields,
  renderMarkdown,
} from "../../../tools/gpu/report.ts";
import { gpuPlan, PART_NAMES } from "../../../tools/gpu/plan.ts";

function finished() {
  const r = emptyReport(gpuPlan(false), { deno: "2.9.6" });
  r.finished = new Date().toISOString();
  for (const p of PART_NAMES) r.parts[p].status = "ok";
  Object.assign(r.parts.adapter.summary, {
    vendor: "4318",
    architecture: "hopper",
    device: "0x2335",
    description: "NVIDIA H200",
    isFallbackAdapter: false,
    limits: { maxBufferSize: 1024 },
    vulkanLoader: ["/tmp/kit/libvulkan.so.1"],
  });
  Object.assign(r.parts.losses.summary, {
    losses: { setup: "quick", wasm: [2, 1], webgpu: [2.002, 1], relDiff: [1e-3, 0] },
    maxLossRelDiff: 1e-3,
  });
  r.parts.logits.summary.logits = [
    { provider: "webgpu-web", reference: "cpu", maxAbsDiff: 2e-5, argmaxAgreement: 1 },
  ];
  r.parts.torch.summary.runs = [{ batch: 128, trainSamplesPerSec: 2000, inferImagesPerSec: 9000 }];
  Object.assign(r.parts.trainSpeed.summary, {
    fuseBlocks: "skipped: not in this tree",
    rows: [{
      run: "webgpu",
      batch: 128,
      samplesPerSec: 1000,
      torchSamplesPerSec: 2000,
      ratio: 0.5,
    }],
  });
  r.parts.endToEnd.summary.runs = [
    { name: "quick", seconds: 90, steps: 300, epochs: 3.2, samplesPerSec: 426.7, testAcc: 0.97 },
  ];
  Object.assign(r.parts.inference.summary, {
    rows: [{ provider: "webgpu-web", batch: 128, imagesPerSec: 5000 }],
    torch: [{ batch: 128, imagesPerSec: 9000 }],
  });
  return r;
}

Deno.test("a report whose parts all ran and wrote their fields has nothing missing", () => {
  assertEquals(missingFields(finished()), []);
});

Deno.test("a failed step, a missing field, a part not run and an unfinished report are each named", () => {
  const r = finished();
  r.finished = null;
  r.parts.adapter.status = "not run";
  r.parts.trainSpeed.steps.push({
    name: "webgpu batch 128",
    status: "failed",
    seconds: 3,
    error: "x",
  });
  delete r.parts.endToEnd.summary.runs;
  assertEquals(missingFields(r), [
    "report: not finished",
    "adapter: status not run",
    'trainSpeed: step "webgpu batch 128" failed: x',
    "endToEnd: summary.runs missing",
  ]);
});

Deno.test("the markdown tables hold the figures, the PyTorch figure beside ours and the ratio", () => {
  const md = renderMarkdown(finished());
  assert(
    md.includes("| 4318 | hopper | 0x2335 | NVIDIA H200 | false | /tmp/kit/libvulkan.so.1 |"),
    md,
  );
  assert(md.includes("| 1 | 2.000000 | 2.002000 | 0.001 |"), md);
  assert(md.includes("| 2 | 1.000000 | 1.000000 | 0.000 |"), md);
  assert(md.includes("| webgpu-web | cpu | 2.00e-5 | 100.00% |"), md);
  assert(md.includes("| webgpu | 128 | 1000.0 | 2000.0 | 0.500× |"), md);
  assert(md.includes("| quick | 90 | 300 | 3.20 | 426.7 | 97.00% | — | — |"), md);
  assert(md.includes("| webgpu-web | — | 5000.0 | — |"), md);
  assert(md.includes("| PyTorch CUDA (anchor) | — | 9000.0 | — |"), md);
  assert(md.includes("--fuse-blocks: skipped: not in this tree."), md);
});

Deno.test("report.ts --check passes a complete report, names what one lacks, refuses another schema", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/gpu-report.json`;
  await Deno.writeTextFile(file, JSON.stringify(finished()));
  assertEquals(await checkMain(["--check", file]), 0);
  const r = finished();
  r.parts.logits.status = "not run";
  await Deno.writeTextFile(file, JSON.stringify(r));
  assertEquals(await checkMain(["--check", file]), 1);
  await Deno.writeTextFile(file, JSON.stringify({ ...r, schema: "noprop.gpu-report/1" }));
  assertEquals(await checkMain(["--check", file]), 2);
  assertEquals(await checkMain([file]), 2);
  await Deno.remove(dir, { recursive: true });
});
