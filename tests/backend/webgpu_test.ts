// WebGPU: a small conv + its gradients on initBackend("webgpu") match the cpu backend.
// Needs a WebGPU adapter (here: Mesa llvmpipe via Vulkan, mesa-vulkan-drivers). Leave
// DENO_WEBGPU_BACKEND unset: on these machines forcing "vulkan" yields NO adapter, while
// the default picks llvmpipe. XDG_RUNTIME_DIR is set by this test itself (see
// tests/_helpers/backend.ts). Skipped (ignored, with a message) when there is no adapter.
import { tf } from "../../src/deps_tf.ts";
import { initBackend, probeWebGpu, readTensor } from "../../src/backend/mod.ts";
import { Rng } from "../../src/rng.ts";
import { assert, assertEquals, assertStrictEquals } from "../assert.ts";
import { ensureXdgRuntimeDir } from "../_helpers/backend.ts";

ensureXdgRuntimeDir();

const probe = await probeWebGpu();
if (!probe) {
  console.log(
    "backend/webgpu_test: SKIPPED — navigator.gpu offers no adapter " +
      `(DENO_WEBGPU_BACKEND=${Deno.env.get("DENO_WEBGPU_BACKEND") ?? "unset"})`,
  );
}

function netGrads(xv: Float32Array, wv: Float32Array, dv: Float32Array) {
  return tf.tidy(() => {
    const x = tf.tensor4d(xv, [2, 9, 9, 3]);
    const w = tf.tensor4d(wv, [3, 3, 3, 4]);
    const d = tf.tensor2d(dv, [2 * 4 * 4 * 4, 1]);
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
      const y = tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same"));
      const p = tf.maxPool(y as tf.Tensor4D, 2, 2, "valid");
      return tf.sum(tf.mul(tf.reshape(p, [-1, 1]), d));
    })([x, w]);
    const s = tf.conv2d(x, w, 2, "valid");
    return [gx, gw, s];
  });
}

Deno.test({
  name: "webgpu: conv/relu/maxPool gradients match cpu",
  ignore: !probe,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const rng = new Rng(21);
    const r = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
    const xv = r(2 * 9 * 9 * 3), wv = r(3 * 3 * 3 * 4), dv = r(2 * 4 * 4 * 4);
    const info = await initBackend("webgpu");
    assertStrictEquals(info.name, "webgpu");
    assertStrictEquals(info.isFallbackAdapter, probe!.isFallbackAdapter);
    console.log(`  webgpu adapter: ${info.adapterDescription}`);
    const gpu = netGrads(xv, wv, dv);
    const got = [];
    for (const t of gpu) got.push({ shape: t.shape, v: await readTensor(t) });
    tf.dispose(gpu);
    await initBackend("cpu");
    const cpu = netGrads(xv, wv, dv);
    for (let k = 0; k < cpu.length; k++) {
      assertEquals(got[k].shape, cpu[k].shape);
      const want = await readTensor(cpu[k]);
      let scale = 1;
      for (const v of want) scale = Math.max(scale, Math.abs(v));
      for (let i = 0; i < want.length; i++) {
        assert(
          Math.abs(got[k].v[i] - want[i]) <= 1e-3 * scale,
          `output ${k}[${i}]: webgpu ${got[k].v[i]} vs cpu ${want[i]}`,
        );
      }
    }
    tf.dispose(cpu);
  },
});
