/**
 * onnxruntime-web in a browser: `wasm` (multi-threaded when the page is cross-origin isolated,
 * else one thread), `webgpu` (the browser's `navigator.gpu`), or `auto` (WebGPU on a hardware
 * adapter, else wasm, and it says why). A provider named explicitly works or fails with one
 * line; there is no silent fallback. No Deno or Node API.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { browserEngine } from "./engine.ts";
 * const { engine, note } = await browserEngine("wasm", { threads: 1 });
 * assert.equal(engine.provider, "wasm");
 * assert.equal(note, "wasm (onnxruntime-web, 1 threads)");
 * ```
 * @module
 */
import { InferError } from "../errors.ts";
import { webEngineOn, type WebHost } from "../runtime/ort_web_engine.ts";
import type { Engine } from "../runtime/types.ts";

/**
 * Provider names of the browser entry.
 *
 * @example
 * ```ts
 * import type { BrowserProvider } from "./engine.ts";
 * const p: BrowserProvider = "webgpu";
 * ```
 */
export type BrowserProvider = "auto" | "wasm" | "webgpu";

/**
 * Every provider name the browser entry accepts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BROWSER_PROVIDERS } from "./engine.ts";
 * assert.deepEqual(BROWSER_PROVIDERS, ["auto", "wasm", "webgpu"]);
 * ```
 */
export const BROWSER_PROVIDERS: readonly BrowserProvider[] = ["auto", "wasm", "webgpu"];

/**
 * Options of {@linkcode browserEngine}.
 *
 * @example
 * ```ts
 * import type { BrowserEngineOptions } from "./engine.ts";
 * const o: BrowserEngineOptions = { threads: 4, wasmPaths: "https://example.com/ort/" };
 * ```
 */
export interface BrowserEngineOptions {
  /**
   * wasm worker threads (default: `navigator.hardwareConcurrency` when the page is
   * cross-origin isolated, which shared memory needs, else 1; outside a browser, more than 1
   * fails: the browser build starts its workers from `blob:` URLs).
   */
  threads?: number;
  /**
   * Where onnxruntime-web's `.wasm`/`.mjs` files are served, as a URL prefix ending in `/`
   * (default: next to the onnxruntime-web module the page imports).
   */
  wasmPaths?: string;
}

/** The builds a browser loads: the wasm-only build for wasm (its `.wasm` is half the size). */
const BROWSER_MODULES = {
  wasm: () => import("onnxruntime-web/wasm"),
  webgpu: () => import("onnxruntime-web/webgpu"),
};

function describe(e: Engine): string {
  return `${e.provider} (${e.runtime}${e.detail ? `, ${e.detail}` : ""})`;
}

/**
 * Starts onnxruntime-web on `provider` (see the module doc); `note` says what runs and, for
 * `auto`, why.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { browserEngine } from "./engine.ts";
 * await assert.rejects(browserEngine("cpu"), {
 *   name: "InferError",
 *   message: 'unknown provider "cpu" (expected one of auto, wasm, webgpu)',
 * });
 * ```
 */
export async function browserEngine(
  provider: BrowserProvider | string = "auto",
  opts: BrowserEngineOptions = {},
): Promise<{ engine: Engine; note: string }> {
  if (!(BROWSER_PROVIDERS as readonly string[]).includes(provider)) {
    throw new InferError(
      "bad-provider",
      `unknown provider "${provider}" (expected one of ${BROWSER_PROVIDERS.join(", ")})`,
    );
  }
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  // Worker threads need shared memory, which a page has only when cross-origin isolated; outside
  // a page (no `crossOriginIsolated`, e.g. Deno) the browser build cannot start its workers.
  const threads = opts.threads ?? (isolated === true ? navigator.hardwareConcurrency : 1);
  const host: WebHost = {
    modules: BROWSER_MODULES,
    noAdapter:
      "WebGPU unavailable: this browser offers no WebGPU adapter (navigator.gpu is missing or returned none)",
    configure(ort) {
      if (opts.wasmPaths) ort.env.wasm.wasmPaths = opts.wasmPaths;
    },
  };
  if (provider !== "auto") {
    const engine = await webEngineOn(provider as "wasm" | "webgpu", { threads }, host);
    return { engine, note: describe(engine) };
  }
  let why: string;
  try {
    const engine = await webEngineOn("webgpu", { threads, hardwareOnly: true }, host);
    return { engine, note: `${describe(engine)}, chosen by auto (first choice)` };
  } catch (e) {
    why = /software fallback/.test((e as Error).message)
      ? "webgpu: only a software adapter"
      : /no WebGPU adapter/.test((e as Error).message)
      ? "webgpu: no adapter"
      : `webgpu: ${(e as Error).message}`;
  }
  const engine = await webEngineOn("wasm", { threads }, host);
  return { engine, note: `${describe(engine)}, chosen by auto (${why})` };
}
