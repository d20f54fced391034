// The backend seam: initBackend / readTensor / probeWebGpu.
import { tf } from "../../src/deps_tf.ts";
import { initBackend, probeWebGpu, readTensor, WASM_KERNELS } from "../../src/backend/mod.ts";
import { assert, assertEquals, assertRejects, assertStrictEquals } from "../assert.ts";
import { ensureXdgRuntimeDir } from "../_helpers/backend.ts";

ensureXdgRuntimeDir(); // silences Mesa's warning when "auto" probes WebGPU

Deno.test("initBackend('cpu') and ('wasm') activate that backend", async () => {
  assertEquals(await initBackend("cpu"), { name: "cpu" });
  assertStrictEquals(tf.getBackend(), "cpu");
  assertEquals(await initBackend("wasm"), { name: "wasm" });
  assertStrictEquals(tf.getBackend(), "wasm");
  for (const k of WASM_KERNELS) assert(tf.getKernel(k, "wasm"), k);
});

Deno.test("initBackend('wasm', { fastKernels: false }) restores the stock kernels", async () => {
  await initBackend("wasm");
  const ours = tf.getKernel("Conv2DBackpropInput", "wasm")!.kernelFunc;
  await initBackend("wasm", { fastKernels: false });
  assert(tf.getKernel("Conv2DBackpropInput", "wasm")!.kernelFunc !== ours);
  // Stock wasm has no filter gradient at all.
  assertStrictEquals(tf.getKernel("Conv2DBackpropFilter", "wasm"), undefined);
  await initBackend("wasm");
  assertStrictEquals(tf.getKernel("Conv2DBackpropInput", "wasm")!.kernelFunc, ours);
});

Deno.test("initBackend('auto') picks webgpu only for a non-fallback adapter", async () => {
  const probe = await probeWebGpu();
  const info = await initBackend("auto");
  const want = probe && !probe.isFallbackAdapter ? "webgpu" : "wasm";
  assertStrictEquals(info.name, want);
  console.log(
    `  auto -> ${info.name} (adapter: ${probe ? probe.description : "none"}` +
      `${probe?.isFallbackAdapter ? ", software fallback" : ""})`,
  );
  await initBackend("wasm");
});

Deno.test("initBackend rejects unknown choices and a missing WebGPU adapter clearly", async () => {
  await assertRejects(
    () => initBackend("tpu" as unknown as "cpu"),
    /unknown backend 'tpu'/,
  );
  // Hide navigator.gpu for this process to simulate a machine without WebGPU.
  const desc = Object.getOwnPropertyDescriptor(navigator, "gpu");
  Object.defineProperty(navigator, "gpu", { value: undefined, configurable: true });
  try {
    await assertRejects(() => initBackend("webgpu"), (e: Error) => {
      assert(/no adapter/.test(e.message), e.message);
      assert(!e.message.includes("\n"), "one line");
      return true;
    });
    assertStrictEquals((await initBackend("auto")).name, "wasm");
  } finally {
    if (desc) Object.defineProperty(navigator, "gpu", desc);
    else delete (navigator as unknown as Record<string, unknown>).gpu;
  }
});

Deno.test("readTensor reads float32, int32 and bool tensors on cpu and wasm", async () => {
  for (const b of ["cpu", "wasm"] as const) {
    await initBackend(b);
    const f = tf.tensor1d([1.5, -2]);
    const i = tf.tensor1d([3, 4], "int32");
    const l = tf.greater(f, 0);
    assertEquals(Array.from(await readTensor(f)), [1.5, -2]);
    assertEquals(await readTensor(i), new Int32Array([3, 4]));
    assertEquals(Array.from(await readTensor(l)), [1, 0]);
    tf.dispose([f, i, l]);
  }
});
