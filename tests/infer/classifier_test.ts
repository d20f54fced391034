/**
 * The runtime's classifier: results, seeds, batching, samplers and providers (cpu and wasm
 * here; cuda must fail clearly without its files; webgpu on a software adapter where Deno
 * offers one, skipped visibly otherwise).
 */
import { assert, assertEquals } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { encode as encodePng } from "fast-png";
import {
  createClassifier,
  CUDA_INSTALL_COMMAND,
  InferError,
  type RawImage,
  selectEngine,
  webgpuAdapter,
} from "@noprop/infer";
import { createWebClassifier } from "../../src/infer/web.ts";
import { Rng } from "../../src/rng.ts";
import { exportedFixture, maxAbsDiff } from "../_helpers/onnx.ts";

await initBackend("wasm");
// Mesa's software Vulkan (lavapipe) wants this (a 0700 folder); set before WebGPU is first used.
if (!Deno.env.get("XDG_RUNTIME_DIR")) {
  const dir = await Deno.makeTempDir({ prefix: "xdg-" });
  await Deno.chmod(dir, 0o700);
  Deno.env.set("XDG_RUNTIME_DIR", dir);
}
const model = await exportedFixture({ image: { height: 28, width: 28, channels: 1 } });
const rng = new Rng(9);
const images: RawImage[] = Array.from({ length: 5 }, () => ({
  width: 28,
  height: 28,
  channels: 1,
  data: Uint8Array.from({ length: 784 }, () => rng.int(256)),
}));

async function rejectsWith(p: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert(e instanceof InferError, String(e));
    assertEquals(e.code, code, e.message);
    assert(re.test(e.message), e.message);
    assert(!e.message.includes("\n"));
    return;
  }
  throw new Error("no error");
}

Deno.test("classify: top-k sorted, probabilities sum to 1, same seed same answer", async () => {
  const clf = await createClassifier({ modelDir: model, provider: "cpu" });
  assertEquals(clf.provider, "cpu");
  const png = encodePng({ width: 28, height: 28, channels: 1, depth: 8, data: images[0].data });
  const r = await clf.classify([png, ...images], { top: 3 });
  assertEquals(r.length, 6);
  for (const x of r) {
    assertEquals(x.top.length, 3);
    assert(
      x.top[0].probability >= x.top[1].probability && x.top[1].probability >= x.top[2].probability,
    );
    assertEquals(x.label, `class ${x.index}`);
    assert(Math.abs(x.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  }
  const again = await clf.classify([png, ...images], { top: 3 });
  assertEquals(again.map((x) => x.probabilities), r.map((x) => x.probabilities));
  await clf.close();
});

Deno.test("batching does not change the noise-free result (z_0 is one stream)", async () => {
  const a = await createClassifier({ modelDir: model, provider: "cpu" });
  const b = await createClassifier({ modelDir: model, provider: "cpu", batchSize: 2 });
  const ra = await a.classify(images, { seed: 4, noise: false });
  const rb = await b.classify(images, { seed: 4, noise: false });
  assert(
    maxAbsDiff(ra.flatMap((x) => [...x.probabilities]), rb.flatMap((x) => [...x.probabilities])) <
      1e-6,
  );
  const rn = await a.classify(images, { seed: 4, noise: true });
  assert(maxAbsDiff(ra[0].probabilities, rn[0].probabilities) > 0, "noise changed nothing");
  await a.close();
  await b.close();
});

Deno.test("samplers: euler/heun are for continuous-time models; DT takes exactly T steps", async () => {
  const clf = await createClassifier({ modelDir: model, provider: "cpu" });
  await rejectsWith(
    clf.classify(images, { sampler: "euler" }),
    "bad-option",
    /sampler "euler" is for continuous-time models .*takes: dt/,
  );
  await rejectsWith(
    clf.classify(images, { sampler: "ddim" }),
    "bad-option",
    /sampler "ddim" is unknown/,
  );
  await rejectsWith(clf.classify(images, { steps: 5 }), "bad-option", /runs exactly T = 3 steps/);
  assertEquals((await clf.classify(images, { sampler: "dt", steps: 3 })).length, 5);
  await clf.close();
});

Deno.test({
  name: "wasm (onnxruntime-web, multi-threaded) gives the cpu results",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const cpu = await createClassifier({ modelDir: model, provider: "cpu" });
    const wasm = await createClassifier({ modelDir: model, provider: "wasm" });
    assertEquals(wasm.provider, "wasm");
    const a = await cpu.classify(images, { noise: true, seed: 1 });
    const b = await wasm.classify(images, { noise: true, seed: 1 });
    assert(
      maxAbsDiff(a.flatMap((x) => [...x.probabilities]), b.flatMap((x) => [...x.probabilities])) <
        1e-4,
    );
    await cpu.close();
    await wasm.close();
  },
});

Deno.test("providers: unknown is refused; cuda without its files names the install command", async () => {
  await rejectsWith(
    createClassifier({ modelDir: model, provider: "tpu" }),
    "bad-provider",
    /unknown provider "tpu" \(expected one of auto, cpu/,
  );
  try {
    const { engine } = await selectEngine("cuda");
    console.log(
      `cuda is available here (${engine.detail}); the missing-files message is not tested`,
    );
  } catch (e) {
    assert(e instanceof InferError && e.code === "provider-unavailable", String(e));
    assert(e.message.includes(CUDA_INSTALL_COMMAND), e.message);
    assert(!e.message.includes("\n"));
  }
});

Deno.test("auto says which provider it chose and why", async () => {
  const { engine, note } = await selectEngine("auto");
  assert(note.startsWith(`${engine.provider} (`) && note.includes("chosen by auto"), note);
});

const adapter = await webgpuAdapter();
Deno.test({
  name: adapter
    ? `webgpu (onnxruntime-web on ${adapter.description}) gives the cpu results`
    : "SKIPPED: webgpu (Deno's navigator.gpu offers no adapter here)",
  ignore: !adapter,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const cpu = await createClassifier({ modelDir: model, provider: "cpu" });
    const gpu = await createClassifier({ modelDir: model, provider: "webgpu" });
    assert(gpu.provider.startsWith("webgpu"), gpu.provider);
    const x = images.slice(0, 2);
    const a = await cpu.classify(x, { seed: 2 }), b = await gpu.classify(x, { seed: 2 });
    assert(
      maxAbsDiff(a.flatMap((r) => [...r.probabilities]), b.flatMap((r) => [...r.probabilities])) <
        1e-4,
    );
    await cpu.close();
    await gpu.close();
  },
});

/** A copy of the fixture model whose manifest is changed by `edit`. */
async function editedModel(edit: (m: Record<string, unknown>) => void): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "noprop-edited-" });
  for await (const e of Deno.readDir(model)) {
    await Deno.copyFile(`${model}/${e.name}`, `${dir}/${e.name}`);
  }
  const m = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
  edit(m);
  await Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify(m));
  return dir;
}

Deno.test("a manifest whose classNames count differs from the classifier's logits is refused at load", async () => {
  const nine = await editedModel((m) => (m.classNames as string[]).pop());
  await rejectsWith(
    createClassifier({ modelDir: nine, provider: "cpu" }),
    "bad-model",
    new RegExp(
      `^${nine}/manifest\\.json: "classNames" lists 9 classes, but ${nine}/classifier\\.onnx ` +
        "returns 10 logits per image$",
    ),
  );
  // The browser entry opens the same shared classifier: refused alike.
  await rejectsWith(
    createWebClassifier({ modelUrl: new URL(`file://${nine}/`), provider: "wasm", threads: 1 }),
    "bad-model",
    /manifest\.json: "classNames" lists 9 classes, but \S*classifier\.onnx returns 10 logits per image$/,
  );
  await Deno.remove(nine, { recursive: true });
});

Deno.test("an input-shape mismatch names the graph, the fed dimensions and what the graph expects", async () => {
  const wrong = await editedModel((m) =>
    Object.assign(m.input as object, { height: 32, width: 32 })
  );
  const clf = await createClassifier({ modelDir: wrong, provider: "cpu" });
  await rejectsWith(
    clf.classify(images.slice(0, 2)),
    "bad-model",
    new RegExp(
      `^${wrong}/block_01\\.onnx: onnxruntime-node \\(cpu\\) cannot run the graph on x \\[2, 1, 32, 32\\], ` +
        "z \\[2, 10\\]: .*index: 2 Got: 32 Expected: 28 index: 3 Got: 32 Expected: 28",
    ),
  );
  await clf.close();
  await Deno.remove(wrong, { recursive: true });
});
