/**
 * The onnxruntime-web engine under Deno (the part shared with the browser entry is
 * `ort_web_engine.ts`): `wasm` (imported from `onnxruntime-web`, multi-threaded:
 * `env.wasm.numThreads`, default all cores) and `webgpu-web` (imported from
 * `onnxruntime-web/webgpu`, which runs on Deno's `navigator.gpu`; its wasm part is then
 * single-threaded). Both are loaded on first use.
 *
 * WebGPU needs an adapter: on Linux without a GPU, Mesa's software Vulkan driver (lavapipe)
 * provides one when Deno runs with `DENO_WEBGPU_BACKEND=vulkan` (and `XDG_RUNTIME_DIR` set);
 * it is correct but slow, so `auto` only takes hardware adapters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { probeGraph } from "./probe.ts";
 * import { webEngine } from "./ort_web.ts";
 * const engine = await webEngine("wasm", { threads: 2 });
 * const session = await engine.open(probeGraph(), "probe.onnx"); // any .onnx bytes
 * const { y } = await session.run({ x: { data: Float32Array.of(3), dims: [1] } }); // y = Relu(x)
 * assert.deepEqual(y, Float32Array.of(3));
 * await session.release();
 * ```
 * @module
 */
import { InferError } from "../errors.ts";
import { webEngineOn, type WebHost, type WebProvider } from "./ort_web_engine.ts";
import type { Engine, EngineOptions } from "./types.ts";

export { type AdapterInfo, webgpuAdapter, type WebProvider } from "./ort_web_engine.ts";

/**
 * onnxruntime-web (wasm and webgpu) reads its `.wasm` file from Deno's npm cache at start-up; without
 * read access it would abort with a multi-line message, so ask first.
 */
function checkWasmReadable(): void {
  let dir: string;
  try {
    const url = new URL(import.meta.resolve("onnxruntime-web"));
    if (url.protocol !== "file:") return;
    dir = decodeURIComponent(url.pathname).replace(/\/[^/]*$/, "");
  } catch {
    return;
  }
  if (Deno.permissions.querySync({ name: "read", path: dir }).state !== "granted") {
    throw new InferError(
      "provider-unavailable",
      `onnxruntime-web needs read access to its wasm file: add ${dir} to --allow-read`,
    );
  }
}

const DENO_HOST: WebHost = {
  noAdapter:
    "WebGPU unavailable: Deno's navigator.gpu offers no adapter (on Linux without a GPU, Mesa's lavapipe gives one with DENO_WEBGPU_BACKEND=vulkan)",
  beforeLoad: checkWasmReadable,
  explain(msg) {
    const path = /Requires read access to "([^"]+)"/.exec(msg)?.[1];
    return path
      ? `onnxruntime-web needs read access to its wasm file: add ${
        path.replace(/[\\/][^\\/]*$/, "")
      } to --allow-read`
      : undefined;
  },
};

/**
 * An onnxruntime-web engine (see the module doc). For `webgpu`, fails with an
 * {@linkcode InferError} when Deno offers no adapter, or when `hardwareOnly` is set and the
 * adapter is a software fallback.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { webEngine } from "./ort_web.ts";
 * const wasm = await webEngine("wasm", { threads: 2 });
 * assert.equal(wasm.detail, "2 threads");
 * ```
 */
export async function webEngine(
  provider: WebProvider,
  opts: EngineOptions & { hardwareOnly?: boolean } = {},
): Promise<Engine> {
  return await webEngineOn(provider, opts, DENO_HOST);
}
