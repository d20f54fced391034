/**
 * Part (1) of the GPU report: the WebGPU adapter Deno sees, the limits tfjs's webgpu backend
 * asks its device for, whether such a device can be created, and which Vulkan loader the process
 * mapped (read from `/proc/self/maps`, so the report shows that the kit's loader was used).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeAdapter } from "./task_adapter.ts";
 * try {
 *   const a = await describeAdapter();
 *   assert.equal(typeof a.isFallbackAdapter, "boolean"); // true on Mesa llvmpipe
 * } catch (e) {
 *   assert.match(String(e), /no WebGPU adapter/); // no Vulkan driver on this machine
 * }
 * ```
 * @module
 */
import { probeWebGpu } from "../../src/backend/probe.ts";

/**
 * The adapter limits tfjs-backend-webgpu 4.22 copies into `requiredLimits` when it creates its
 * device (`dist/base.js`), then the ones its kernels' dispatch sizes depend on.
 */
export const TFJS_LIMITS = [
  "maxComputeWorkgroupStorageSize",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupSizeX",
  "maxComputeInvocationsPerWorkgroup",
] as const;

/** What {@linkcode describeAdapter} found. */
export interface AdapterReport {
  /** `adapter.info.vendor` (a PCI id in decimal on Vulkan, e.g. 4318 = 0x10de NVIDIA). */
  vendor: string;
  /** `adapter.info.architecture`. */
  architecture: string;
  /** `adapter.info.device`. */
  device: string;
  /** `adapter.info.description` (e.g. "NVIDIA H200"). */
  description: string;
  /** A software fallback adapter (Mesa llvmpipe) or not. */
  isFallbackAdapter: boolean;
  /** The limits of {@linkcode TFJS_LIMITS}. */
  limits: Record<string, number>;
  /** The adapter's features. */
  features: string[];
  /** Whether a device with tfjs's limits was created. */
  deviceCreated: boolean;
  /** Paths of the `libvulkan.so*` files the process mapped. */
  vulkanLoader: string[];
  /** The environment that steers the loader and Deno's backend choice. */
  env: Record<string, string | null>;
}

interface AdapterLike {
  info?: Record<string, unknown>;
  isFallbackAdapter?: boolean;
  limits: Record<string, number>;
  features: Iterable<string>;
  requestDevice(d?: unknown): Promise<{ destroy(): void }>;
}

/**
 * Requests the high-performance adapter and a device with tfjs's limits; throws one line when
 * there is no adapter.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeAdapter, TFJS_LIMITS } from "./task_adapter.ts";
 * const a = await describeAdapter().catch(() => null); // null: no WebGPU adapter here
 * if (a) assert.deepEqual(Object.keys(a.limits), [...TFJS_LIMITS]);
 * ```
 */
export async function describeAdapter(): Promise<AdapterReport> {
  // The project's probe, without tfjs (it also gives Mesa's driver a private XDG_RUNTIME_DIR when
  // none is set).
  const probe = await probeWebGpu("high-performance");
  if (!probe) throw new Error("no WebGPU adapter: navigator.gpu offers none");
  const adapter = probe.adapter as AdapterLike;
  const info = adapter.info ?? {};
  const limits: Record<string, number> = {};
  for (const k of TFJS_LIMITS) limits[k] = Number(adapter.limits[k]);
  let deviceCreated = false;
  try {
    const device = await adapter.requestDevice({ requiredLimits: limits });
    device.destroy();
    deviceCreated = true;
  } catch {
    // recorded as false
  }
  const env: Record<string, string | null> = {};
  for (const k of ["DENO_WEBGPU_BACKEND", "VK_ICD_FILENAMES", "VK_DRIVER_FILES"]) {
    env[k] = Deno.env.get(k) ?? null;
  }
  return {
    vendor: String(info.vendor ?? ""),
    architecture: String(info.architecture ?? ""),
    device: String(info.device ?? ""),
    description: String(info.description ?? ""),
    isFallbackAdapter: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter),
    limits,
    features: [...adapter.features].sort(),
    deviceCreated,
    vulkanLoader: await mappedVulkanLoader(),
    env,
  };
}

/** The distinct `libvulkan.so*` paths in `/proc/self/maps` (empty where that file is missing). */
async function mappedVulkanLoader(): Promise<string[]> {
  const maps = await Deno.readTextFile("/proc/self/maps").catch(() => "");
  const paths = maps.split("\n").map((l) => l.split(/\s+/).slice(5).join(" "))
    .filter((p) => /\/libvulkan\.so/.test(p));
  return [...new Set(paths)];
}
