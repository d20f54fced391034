/**
 * The onnxruntime-web engine: `wasm` (imported from `onnxruntime-web`, multi-threaded:
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
import type * as Ort from "onnxruntime-web";
import { firstLine, InferError } from "../errors.ts";
import { probeGraph } from "./probe.ts";
import { OrtSession } from "./session.ts";
import type { Engine, EngineOptions } from "./types.ts";

type OrtModule = typeof Ort;

/**
 * The onnxruntime-web execution providers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { webEngine, type WebProvider } from "./ort_web.ts";
 * const p: WebProvider = "wasm";
 * const engine = await webEngine(p);
 * assert.equal(engine.runtime, "onnxruntime-web");
 * ```
 */
export type WebProvider = "wasm" | "webgpu";

/**
 * What Deno's `navigator.gpu` offers.
 *
 * @example
 * ```ts
 * import type { AdapterInfo } from "./ort_web.ts";
 * const lavapipe: AdapterInfo = {
 *   description: "llvmpipe (LLVM 15.0.6, 256 bits)", // Mesa's software Vulkan
 *   isFallbackAdapter: true,
 * };
 * ```
 */
export interface AdapterInfo {
  /** Adapter description (e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"). */
  description: string;
  /** Whether it is a software fallback adapter. */
  isFallbackAdapter: boolean;
}

/**
 * The WebGPU adapter Deno offers, or undefined (no `navigator.gpu`, or no adapter).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { webgpuAdapter } from "./ort_web.ts";
 * const a = await webgpuAdapter();
 * const what = a ? a.description : "no WebGPU adapter"; // e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"
 * assert.ok(what.length > 0);
 * ```
 */
export async function webgpuAdapter(): Promise<AdapterInfo | undefined> {
  // deno-lint-ignore no-explicit-any
  const gpu = (navigator as any).gpu;
  if (!gpu) return undefined;
  try {
    const a = await gpu.requestAdapter();
    if (!a) return undefined;
    const info = a.info ?? {};
    return {
      description: String(info.description || info.device || info.vendor || "unknown adapter"),
      isFallbackAdapter: Boolean(info.isFallbackAdapter ?? a.isFallbackAdapter),
    };
  } catch {
    return undefined;
  }
}

let wasmModule: Promise<OrtModule> | undefined;
let webgpuModule: Promise<OrtModule> | undefined;

function load(provider: WebProvider): Promise<OrtModule> {
  const wrap = (p: Promise<OrtModule>) =>
    p.catch((e) => {
      if (provider === "wasm") wasmModule = undefined;
      else webgpuModule = undefined;
      throw new InferError(
        "provider-unavailable",
        `onnxruntime-web could not be loaded: ${firstLine(e)}`,
      );
    });
  if (provider === "wasm") return wasmModule ??= wrap(import("onnxruntime-web"));
  return webgpuModule ??= wrap(import("onnxruntime-web/webgpu"));
}

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
  let detail: string;
  if (provider === "webgpu") {
    const adapter = await webgpuAdapter();
    if (!adapter) {
      throw new InferError(
        "provider-unavailable",
        "WebGPU unavailable: Deno's navigator.gpu offers no adapter (on Linux without a GPU, Mesa's lavapipe gives one with DENO_WEBGPU_BACKEND=vulkan)",
      );
    }
    if (opts.hardwareOnly && adapter.isFallbackAdapter) {
      throw new InferError(
        "provider-unavailable",
        `WebGPU adapter "${adapter.description}" is a software fallback`,
      );
    }
    detail = `adapter: ${adapter.description}${adapter.isFallbackAdapter ? " (software)" : ""}`;
  } else {
    detail = "";
  }
  checkWasmReadable();
  const ort = await load(provider);
  if (provider === "wasm") {
    // Global to onnxruntime-web, and fixed once its wasm has started.
    ort.env.wasm.numThreads = opts.threads ?? navigator.hardwareConcurrency;
    detail = `${ort.env.wasm.numThreads} threads`;
  }
  ort.env.logLevel = "fatal";
  const options: Ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: "all",
    extra: { session: { intra_op: { allow_spinning: opts.spinning ? "1" : "0" } } },
  };
  try {
    const probe = await ort.InferenceSession.create(probeGraph(), options);
    await probe.release();
  } catch (e) {
    const msg = firstLine(e);
    const path = /Requires read access to "([^"]+)"/.exec(msg)?.[1];
    throw new InferError(
      "provider-unavailable",
      path
        ? `onnxruntime-web needs read access to its wasm file: add ${
          path.replace(/[\\/][^\\/]*$/, "")
        } to --allow-read`
        : `onnxruntime-web ${provider} provider unavailable: ${msg}`,
    );
  }
  return {
    provider: provider === "webgpu" ? "webgpu-web" : "wasm",
    runtime: "onnxruntime-web",
    detail,
    async open(graph, label) {
      try {
        const session = await ort.InferenceSession.create(graph, options);
        return new OrtSession(ort, session, label, `onnxruntime-web (${provider})`);
      } catch (e) {
        const msg = firstLine(e);
        if (/no available backend/i.test(msg)) throw new InferError("provider-unavailable", msg);
        throw new InferError(
          "bad-model",
          `${label}: onnxruntime-web (${provider}) cannot load the graph: ${msg}`,
        );
      }
    },
  };
}
