/**
 * The WebGPU adapter probe, without TensorFlow.js: what `initBackend` (`mod.ts`) asks before
 * choosing webgpu, and what the GPU report's adapter part and the inference runtime's hosts can
 * ask without loading tfjs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { probeWebGpu } from "./probe.ts";
 * const probe = await probeWebGpu();
 * assert.ok(probe === null || probe.description.length > 0); // null: no WebGPU adapter here
 * ```
 * @module
 */
/**
 * What {@linkcode probeWebGpu} found.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type AdapterProbe, probeWebGpu } from "./probe.ts";
 * const p: AdapterProbe | null = await probeWebGpu();
 * if (p) assert.equal(typeof p.isFallbackAdapter, "boolean"); // null: no WebGPU adapter
 * ```
 */
export interface AdapterProbe {
  /** The `GPUAdapter` itself. */
  adapter: unknown;
  /** Whether it is a software fallback adapter (e.g. Mesa llvmpipe). */
  isFallbackAdapter: boolean;
  /** `adapter.info.description` (or vendor). */
  description: string;
}

interface GpuAdapterLike {
  info?: { isFallbackAdapter?: boolean; description?: string; vendor?: string };
  isFallbackAdapter?: boolean;
}

/**
 * Mesa's Vulkan drivers print "XDG_RUNTIME_DIR is invalid or not set" on every adapter request
 * when that variable is unset (headless Linux). Point it at a private 0700 folder first, when the
 * permissions allow; otherwise leave things as they are (the message is harmless).
 */
function ensureRuntimeDir(): void {
  try {
    if (Deno.build.os !== "linux" || Deno.env.get("XDG_RUNTIME_DIR")) return;
    const dir = `${Deno.env.get("TMPDIR") ?? "/tmp"}/noprop-xdg-${Deno.uid() ?? "user"}`;
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    Deno.chmodSync(dir, 0o700);
    Deno.env.set("XDG_RUNTIME_DIR", dir);
  } catch {
    // no env/write permission: keep the driver's warning
  }
}

/**
 * Asks `navigator.gpu` for an adapter; null when WebGPU or an adapter is unavailable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { probeWebGpu } from "./probe.ts";
 * const probe = await probeWebGpu("high-performance");
 * const what = probe?.description ?? "no WebGPU adapter"; // e.g. "llvmpipe (LLVM 15.0.6, …)"
 * assert.ok(what.length > 0);
 * ```
 */
export async function probeWebGpu(
  powerPreference?: "low-power" | "high-performance",
): Promise<AdapterProbe | null> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(o?: unknown): Promise<unknown> } })
    ?.gpu;
  if (!gpu) return null;
  ensureRuntimeDir();
  let adapter: GpuAdapterLike | null = null;
  try {
    adapter = (await gpu.requestAdapter(powerPreference ? { powerPreference } : undefined)) as
      | GpuAdapterLike
      | null;
  } catch {
    return null;
  }
  if (!adapter) return null;
  const info = adapter.info ?? {};
  return {
    adapter,
    isFallbackAdapter: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter),
    description: info.description || info.vendor || "unknown adapter",
  };
}
