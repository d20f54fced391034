/**
 * Test helper: give this process a private `XDG_RUNTIME_DIR` (mode 0700) when it has none,
 * before anything requests a WebGPU adapter. Mesa's Vulkan driver otherwise prints
 * "error: XDG_RUNTIME_DIR is invalid or not set" twice (harmless). The directory is
 * removed when the process unloads. Do NOT set DENO_WEBGPU_BACKEND=vulkan: on these
 * machines that yields no adapter at all, while the default picks Mesa llvmpipe.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ensureXdgRuntimeDir } from "./backend.ts";
 * const dir = ensureXdgRuntimeDir(); // before the first navigator.gpu.requestAdapter()
 * if (Deno.build.os === "linux") assert.equal(dir, Deno.env.get("XDG_RUNTIME_DIR"));
 * ```
 * @module
 */

/** Sets `XDG_RUNTIME_DIR` to a fresh 0700 temp dir if unset; returns the value in effect. */
export function ensureXdgRuntimeDir(): string | undefined {
  const cur = Deno.env.get("XDG_RUNTIME_DIR");
  if (cur || Deno.build.os !== "linux") return cur;
  const dir = Deno.makeTempDirSync({ prefix: "noprop-xdg-" });
  Deno.chmodSync(dir, 0o700);
  Deno.env.set("XDG_RUNTIME_DIR", dir);
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // already gone
    }
  });
  return dir;
}
