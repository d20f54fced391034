/**
 * The onnxruntime-web engine, shared by the Deno entry (`ort_web.ts`) and the browser entry
 * (`../web/engine.ts`): `wasm` (imported from `onnxruntime-web`, multi-threaded:
 * `env.wasm.numThreads`) and `webgpu` (imported from `onnxruntime-web/webgpu`, on
 * `navigator.gpu`). Both modules are loaded on first use. What differs between the hosts (a
 * permission check before loading under Deno, where the `.wasm` files are served from in a
 * browser, what to tell a user who has no WebGPU adapter) comes in a {@linkcode WebHost}. No Deno
 * or Node API.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { probeGraph } from "./probe.ts";
 * import { webEngineOn } from "./ort_web_engine.ts";
 * const host = { noAdapter: "no WebGPU adapter" };
 * const engine = await webEngineOn("wasm", { threads: 1 }, host);
 * const s = await engine.open(probeGraph(), "probe.onnx");
 * assert.deepEqual((await s.run({ x: { data: Float32Array.of(-2), dims: [1] } })).y, Float32Array.of(0));
 * await s.release();
 * ```
 * @module
 */
import type * as Ort from "onnxruntime-web";
import { firstLine, InferError } from "../errors.ts";
import { probeGraph } from "./probe.ts";
import { sessionExtra } from "./session_config.ts";
import { OrtSession } from "./session.ts";
import type { Engine, EngineOptions } from "./types.ts";

/**
 * The onnxruntime-web module (either build).
 *
 * @example
 * ```ts
 * import type { OrtWebModule } from "./ort_web_engine.ts";
 * const threads = (ort: OrtWebModule) => ort.env.wasm.numThreads;
 * ```
 */
export type OrtWebModule = typeof Ort;

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
 * What `navigator.gpu` offers.
 *
 * @example
 * ```ts
 * import type { AdapterInfo } from "./ort_web_engine.ts";
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
 * The WebGPU adapter `navigator.gpu` offers (Deno's or a browser's), or undefined (no
 * `navigator.gpu`, or no adapter).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { webgpuAdapter } from "./ort_web_engine.ts";
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
      description: String(
        info.description || info.device || info.architecture || info.vendor || "unknown adapter",
      ),
      isFallbackAdapter: Boolean(info.isFallbackAdapter ?? a.isFallbackAdapter),
    };
  } catch {
    return undefined;
  }
}

/**
 * What differs between the hosts of onnxruntime-web.
 *
 * @example
 * ```ts
 * import type { WebHost } from "./ort_web_engine.ts";
 * const browser: WebHost = {
 *   noAdapter: "this browser offers no WebGPU adapter",
 *   configure: (ort) => void (ort.env.wasm.wasmPaths = "/ort/"),
 * };
 * ```
 */
export interface WebHost {
  /** The message when `webgpu` is asked for and `navigator.gpu` offers no adapter. */
  noAdapter: string;
  /**
   * Imports the onnxruntime-web build of each provider (default: `onnxruntime-web` for wasm,
   * `onnxruntime-web/webgpu` for webgpu). A browser takes `onnxruntime-web/wasm` for wasm: the
   * same CPU kernels in a wasm file half the size.
   */
  modules?: { wasm: () => Promise<OrtWebModule>; webgpu: () => Promise<OrtWebModule> };
  /** Runs before onnxruntime-web is loaded; throws to refuse (e.g. a missing permission). */
  beforeLoad?(): void;
  /** Sets host-specific `ort.env` fields once the module is loaded. */
  configure?(ort: OrtWebModule): void;
  /** A better message for a failure to start the provider, or undefined. */
  explain?(message: string): string | undefined;
}

const DEFAULT_MODULES = {
  wasm: () => import("onnxruntime-web"),
  webgpu: () => import("onnxruntime-web/webgpu"),
};

/** Each imported module, once (by its import function); a failed import is retried next time. */
const loaded = new Map<() => Promise<OrtWebModule>, Promise<OrtWebModule>>();

function load(importer: () => Promise<OrtWebModule>): Promise<OrtWebModule> {
  let p = loaded.get(importer);
  if (!p) {
    p = importer().catch((e) => {
      loaded.delete(importer);
      throw new InferError(
        "provider-unavailable",
        `onnxruntime-web could not be loaded: ${firstLine(e)}`,
      );
    });
    loaded.set(importer, p);
  }
  return p;
}

/**
 * An onnxruntime-web engine on `host` (see the module doc). For `webgpu`, fails with an
 * {@linkcode InferError} when `navigator.gpu` offers no adapter, or when `hardwareOnly` is set
 * and the adapter is a software fallback. A graph that cannot be loaded is a one-line
 * `bad-model` error naming `label`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { webEngineOn } from "./ort_web_engine.ts";
 * const e = await webEngineOn("wasm", { threads: 2 }, { noAdapter: "none" });
 * assert.equal(`${e.provider} ${e.runtime} ${e.detail}`, "wasm onnxruntime-web 2 threads");
 * await assert.rejects(e.open(new Uint8Array([1, 2, 3]), "bad.onnx"), {
 *   message: /^bad\.onnx: onnxruntime-web \(wasm\) cannot load the graph: /,
 * });
 * ```
 */
export async function webEngineOn(
  provider: WebProvider,
  opts: EngineOptions & { hardwareOnly?: boolean },
  host: WebHost,
): Promise<Engine> {
  let detail = "";
  if (provider === "webgpu") {
    const adapter = await webgpuAdapter();
    if (!adapter) throw new InferError("provider-unavailable", host.noAdapter);
    if (opts.hardwareOnly && adapter.isFallbackAdapter) {
      throw new InferError(
        "provider-unavailable",
        `WebGPU adapter "${adapter.description}" is a software fallback`,
      );
    }
    detail = `adapter: ${adapter.description}${adapter.isFallbackAdapter ? " (software)" : ""}`;
  }
  host.beforeLoad?.();
  const ort = await load((host.modules ?? DEFAULT_MODULES)[provider]);
  host.configure?.(ort);
  if (provider === "wasm") {
    // Global to onnxruntime-web, and fixed once its wasm has started.
    ort.env.wasm.numThreads = opts.threads ?? navigator.hardwareConcurrency;
    detail = `${ort.env.wasm.numThreads} threads`;
  }
  ort.env.logLevel = "fatal";
  const options: Ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: "all",
    // int8 (QDQ) graphs keep their quantization points (see qdq.ts); no-op for float graphs.
    extra: sessionExtra(opts),
  };
  try {
    const probe = await ort.InferenceSession.create(probeGraph(), options);
    await probe.release();
  } catch (e) {
    const msg = firstLine(e);
    throw new InferError(
      "provider-unavailable",
      host.explain?.(msg) ?? `onnxruntime-web ${provider} provider unavailable: ${msg}`,
    );
  }
  return {
    provider: provider === "webgpu" ? "webgpu-web" : "wasm",
    runtime: "onnxruntime-web",
    detail,
    async open(graph, label, hints) {
      try {
        const session = await ort.InferenceSession.create(graph, {
          ...options,
          extra: sessionExtra(opts, hints),
        });
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
