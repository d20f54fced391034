/**
 * The one seam where the project picks a tfjs backend.
 *
 * {@linkcode initBackend} imports and registers the chosen backend package, enables
 * prod mode, registers the project's fast wasm training kernels (see `wasm_kernels.ts`),
 * then sets and awaits the backend. (Kernel gradients come from the union package
 * `@tensorflow/tfjs` imported in `src/deps_tf.ts`: `tfjs-core`'s Node entry alone registers
 * none.) Everything else in the project should only ever call `initBackend` and read tensors
 * with {@linkcode readTensor} (`dataSync()` fails under webgpu in Deno).
 *
 * Backends:
 * - `"wasm"`: XNNPACK + SIMD, single-threaded in Deno; needs `--allow-read` (it reads
 *   its `.wasm` files from the npm cache).
 * - `"webgpu"`: Deno's `navigator.gpu`; fails with a one-line Error when there is no
 *   adapter.
 * - `"cpu"`: plain JS reference backend (slow convolutions; for tests).
 * - `"auto"`: webgpu when `navigator.gpu` offers an adapter that is NOT a software
 *   fallback (e.g. Mesa llvmpipe), else wasm.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend, readTensor } from "./mod.ts";
 * const info = await initBackend("auto");
 * assert.ok(info.name === "webgpu" || info.name === "wasm"); // wasm without a hardware GPU
 * assert.deepEqual(await readTensor(tf.square(tf.tensor1d([1, 2]))), Float32Array.of(1, 4));
 * ```
 * @module
 */
import { tf } from "../deps_tf.ts";
import { registerWasmKernels, restoreStockWasmKernels } from "./wasm_kernels.ts";
import { probeWebGpu } from "./probe.ts";

export { type AdapterProbe, probeWebGpu } from "./probe.ts";

export { registerWasmKernels, restoreStockWasmKernels, WASM_KERNELS } from "./wasm_kernels.ts";

/**
 * A backend request; see the module doc.
 *
 * @example
 * ```ts
 * import type { BackendChoice } from "./mod.ts";
 * const choice: BackendChoice = "auto";
 * ```
 */
export type BackendChoice = "auto" | "webgpu" | "wasm" | "cpu";

/**
 * The concrete backends {@linkcode initBackend} can end up on.
 *
 * @example
 * ```ts
 * import type { BackendName } from "./mod.ts";
 * const name: BackendName = "wasm";
 * ```
 */
export type BackendName = "webgpu" | "wasm" | "cpu";

/**
 * What {@linkcode initBackend} chose.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type BackendInfo, initBackend } from "./mod.ts";
 * const info: BackendInfo = await initBackend("cpu");
 * assert.deepEqual(info, { name: "cpu" }); // webgpu adds isFallbackAdapter, adapterDescription
 * ```
 */
export interface BackendInfo {
  /** The tfjs backend now active. */
  name: BackendName;
  /** webgpu only: whether the adapter is a software fallback (e.g. llvmpipe). */
  isFallbackAdapter?: boolean;
  /** webgpu only: the adapter's description/vendor string. */
  adapterDescription?: string;
}

/**
 * Options of {@linkcode initBackend}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "./mod.ts";
 * await initBackend("wasm", { fastKernels: false, prodMode: false }); // stock kernels, checks
 * assert.equal(tf.getKernel("Conv2DBackpropFilter", "wasm"), undefined); // stock wasm lacks it
 * await initBackend("wasm"); // the project's kernels again
 * assert.notEqual(tf.getKernel("Conv2DBackpropFilter", "wasm"), undefined);
 * ```
 */
export interface InitBackendOptions {
  /**
   * wasm only: register the project's fast training kernels (default true). Set false to
   * measure the stock backend; `Conv2DBackpropFilter` is then missing.
   */
  fastKernels?: boolean;
  /** Call `tf.enableProdMode()` (default true): skips per-op NaN/shape debug checks. */
  prodMode?: boolean;
  /** webgpu: `powerPreference` passed to `navigator.gpu.requestAdapter`. */
  powerPreference?: "low-power" | "high-performance";
}

let wasmImported = false;
let webgpuImported = false;
let cpuImported = false;

async function importBackend(name: BackendName): Promise<void> {
  if (name === "cpu" && !cpuImported) {
    await import("@tensorflow/tfjs-backend-cpu");
    cpuImported = true;
  } else if (name === "wasm" && !wasmImported) {
    await import("@tensorflow/tfjs-backend-wasm");
    wasmImported = true;
  } else if (name === "webgpu" && !webgpuImported) {
    await import("@tensorflow/tfjs-backend-webgpu");
    webgpuImported = true;
  }
}

/**
 * Picks, registers and activates a tfjs backend; see the module doc for the choices.
 * Safe to call again (e.g. to switch backends in tests). Throws a one-line Error when
 * the requested backend cannot start.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "./mod.ts";
 * const { name } = await initBackend("wasm");
 * assert.equal(name, "wasm");
 * assert.equal(tf.getBackend(), "wasm");
 * ```
 */
export async function initBackend(
  choice: BackendChoice = "auto",
  opts: InitBackendOptions = {},
): Promise<BackendInfo> {
  if (opts.prodMode ?? true) tf.enableProdMode();
  let info: BackendInfo;
  if (choice === "auto" || choice === "webgpu") {
    const probe = await probeWebGpu(opts.powerPreference);
    if (choice === "webgpu" && !probe) {
      throw new Error(
        "initBackend('webgpu'): navigator.gpu offers no adapter (no WebGPU device here); " +
          "use 'wasm' or 'auto'",
      );
    }
    if (probe && (choice === "webgpu" || !probe.isFallbackAdapter)) {
      info = {
        name: "webgpu",
        isFallbackAdapter: probe.isFallbackAdapter,
        adapterDescription: probe.description,
      };
    } else {
      info = { name: "wasm" };
    }
  } else if (choice === "wasm" || choice === "cpu") {
    info = { name: choice };
  } else {
    throw new Error(`initBackend: unknown backend '${choice}' (auto|webgpu|wasm|cpu)`);
  }
  await importBackend(info.name);
  let ok: boolean;
  try {
    ok = await tf.setBackend(info.name);
    await tf.ready();
  } catch (e) {
    throw new Error(`initBackend('${info.name}'): backend failed to start: ${oneLine(e)}`);
  }
  if (!ok || tf.getBackend() !== info.name) {
    throw new Error(`initBackend('${info.name}'): tf.setBackend returned false`);
  }
  // After setBackend: stock kernels' setup (cwrap) has run, so they stay usable as fallbacks.
  if (info.name === "wasm") {
    if (opts.fastKernels ?? true) registerWasmKernels();
    else restoreStockWasmKernels();
  }
  return info;
}

function oneLine(e: unknown): string {
  const msg = e instanceof Error
    ? e.message
    : typeof e === "object" && e && "message" in e
    ? String((e as { message: unknown }).message)
    : String(e);
  return msg.split("\n")[0];
}

/**
 * Reads a tensor's values asynchronously; works on every backend (unlike `dataSync`,
 * which fails under webgpu in Deno). Does not dispose `t`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend, readTensor } from "./mod.ts";
 * await initBackend("cpu");
 * assert.deepEqual(await readTensor(tf.tensor1d([1, 2, 3])), Float32Array.of(1, 2, 3));
 * assert.deepEqual(await readTensor(tf.tensor1d([1, 2], "int32")), Int32Array.of(1, 2));
 * ```
 */
export async function readTensor(
  t: tf.Tensor,
): Promise<Float32Array | Int32Array | Uint8Array> {
  return (await t.data()) as Float32Array | Int32Array | Uint8Array;
}
