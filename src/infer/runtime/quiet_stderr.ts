/**
 * Keeps native driver noise off the user's terminal while a WebGPU adapter is probed (Deno on
 * Linux only). Asking Deno's `navigator.gpu` (wgpu) or onnxruntime-node's Dawn for an adapter
 * initialises every Vulkan/GL driver present; on a machine with Mesa's drivers and no
 * `XDG_RUNTIME_DIR`, libwayland-client then writes `error: XDG_RUNTIME_DIR is invalid or not
 * set in the environment.` to file descriptor 2 — twice per probe — although nothing failed.
 * Those writes come from native code, out of reach of `console`: for the duration of the probe,
 * descriptor 2 is pointed at `/dev/null` (libc `dup`/`dup2` through Deno's FFI) and then
 * restored. The probe's outcome is reported by the runtime itself, as a one-line error or in
 * `auto`'s note, so nothing the user needs is lost.
 *
 * Needs `--allow-ffi` (the flag the onnxruntime-node providers need anyway); without it, or off
 * Linux, or outside Deno, the probe runs unchanged. Nested and concurrent calls share one
 * redirection (the first in redirects, the last out restores). While it lasts, anything else
 * the process writes to stderr is dropped too — it lasts one adapter probe.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quietStderr } from "./quiet_stderr.ts";
 * const adapter = await quietStderr(async () => {
 *   // deno-lint-ignore no-explicit-any
 *   const gpu = (navigator as any).gpu;
 *   return gpu ? await gpu.requestAdapter() : null; // driver messages go nowhere
 * });
 * assert.ok(adapter === null || typeof adapter === "object");
 * ```
 * @module
 */

interface Libc {
  dup(fd: number): number;
  dup2(from: number, to: number): number;
  close(fd: number): number;
  open(path: Uint8Array, flags: number): number;
}

const O_WRONLY = 1, O_CLOEXEC = 0o2000000; // Linux values (x86-64 and arm64)
let libc: Libc | null | undefined;
let depth = 0;
let saved = -1;

// deno-lint-ignore no-explicit-any
const deno = (globalThis as any).Deno;

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  for (const name of ["libc.so.6", "libc.so"]) {
    try {
      const lib = deno.dlopen(name, {
        dup: { parameters: ["i32"], result: "i32" },
        dup2: { parameters: ["i32", "i32"], result: "i32" },
        close: { parameters: ["i32"], result: "i32" },
        open: { parameters: ["buffer", "i32"], result: "i32" },
      });
      libc = lib.symbols as Libc;
      break;
    } catch {
      // try the next name; none: no silencing
    }
  }
  return libc;
}

/** Points fd 2 at /dev/null (first caller only); false when that is not possible here. */
function enter(): boolean {
  if (deno?.build?.os !== "linux" || typeof deno.dlopen !== "function") return false;
  if (deno.permissions.querySync({ name: "ffi" }).state !== "granted") return false;
  const c = loadLibc();
  if (!c) return false;
  if (depth > 0) {
    depth++;
    return true;
  }
  const keep = c.dup(2);
  const nul = c.open(new TextEncoder().encode("/dev/null\0"), O_WRONLY | O_CLOEXEC);
  if (keep < 0 || nul < 0 || c.dup2(nul, 2) < 0) {
    if (keep >= 0) c.close(keep);
    if (nul >= 0) c.close(nul);
    return false;
  }
  c.close(nul);
  saved = keep;
  depth = 1;
  return true;
}

function leave(): void {
  if (--depth > 0 || !libc) return;
  libc.dup2(saved, 2);
  libc.close(saved);
  saved = -1;
}

/**
 * Runs `probe` with the process's stderr (file descriptor 2) pointed at `/dev/null` where
 * that is possible (see the module doc), and restores it afterwards, also when `probe` throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quietStderr } from "./quiet_stderr.ts";
 * assert.equal(await quietStderr(() => Promise.resolve(42)), 42);
 * await assert.rejects(quietStderr(() => Promise.reject(new Error("no adapter"))), /no adapter/);
 * ```
 */
export async function quietStderr<T>(probe: () => Promise<T>): Promise<T> {
  const quiet = enter();
  try {
    return await probe();
  } finally {
    if (quiet) leave();
  }
}
