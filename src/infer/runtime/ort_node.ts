/**
 * The onnxruntime-node engine: execution providers `cpu`, `cuda` and native `webgpu` (Dawn).
 * onnxruntime-node is a native addon, loaded on first use only (so wasm users need no FFI
 * permission). A provider is probed with a one-node graph when the engine is created, so a
 * missing provider is reported before any model is loaded — never silently replaced.
 *
 * CUDA: onnxruntime-node's CUDA provider libraries are not in the npm package; its install
 * script downloads them, which needs network access and has to be allowed explicitly:
 * `deno install --allow-scripts=npm:onnxruntime-node`. Without them, asking for `cuda` is an
 * {@linkcode InferError} that names that command.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { probeGraph } from "./probe.ts";
 * import { nodeEngine } from "./ort_node.ts";
 * const engine = await nodeEngine("cpu", { threads: 2 });
 * const session = await engine.open(probeGraph(), "probe.onnx"); // any .onnx bytes
 * const { y } = await session.run({ x: { data: Float32Array.of(-2), dims: [1] } }); // y = Relu(x)
 * assert.deepEqual(y, Float32Array.of(0));
 * await session.release();
 * ```
 * @module
 */
import type * as Ort from "onnxruntime-node";
import { firstLine, InferError } from "../errors.ts";
import { probeGraph } from "./probe.ts";
import { sessionExtra } from "./session_config.ts";
import { OrtSession } from "./session.ts";
import type { Engine, EngineOptions } from "./types.ts";

/**
 * The command that installs onnxruntime-node's CUDA provider files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CUDA_INSTALL_COMMAND } from "./ort_node.ts";
 * assert.equal(CUDA_INSTALL_COMMAND, "deno install --allow-scripts=npm:onnxruntime-node");
 * ```
 */
export const CUDA_INSTALL_COMMAND = "deno install --allow-scripts=npm:onnxruntime-node";

type OrtModule = typeof Ort;
let loaded: Promise<OrtModule> | undefined;

/**
 * Loads onnxruntime-node once; an {@linkcode InferError} if FFI is not permitted or the
 * addon cannot be loaded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadOrtNode } from "./ort_node.ts";
 * const ort = await loadOrtNode(); // needs --allow-ffi
 * assert.equal(typeof ort.InferenceSession.create, "function");
 * assert.equal(await loadOrtNode(), ort); // loaded once
 * ```
 */
export function loadOrtNode(): Promise<OrtModule> {
  const ffi = Deno.permissions.querySync({ name: "ffi" }).state;
  if (ffi !== "granted") {
    return Promise.reject(
      new InferError(
        "provider-unavailable",
        "onnxruntime-node (providers cpu, cuda, webgpu-node) is a native addon and needs --allow-ffi; without it use --provider wasm",
      ),
    );
  }
  loaded ??= import("onnxruntime-node").then((m) => {
    m.env.logLevel = "fatal"; // failures surface as exceptions; no native log spew
    return m;
  }).catch((e) => {
    loaded = undefined;
    throw new InferError(
      "provider-unavailable",
      `onnxruntime-node could not be loaded: ${firstLine(e)}`,
    );
  });
  return loaded;
}

function providerError(provider: NodeProvider, err: unknown): InferError {
  const msg = firstLine(err);
  if (provider === "cuda") {
    const missing = /shared librar|providers_(shared|cuda)|cannot open shared object/i.test(msg);
    return new InferError(
      "provider-unavailable",
      missing
        ? `CUDA provider unavailable: onnxruntime-node's CUDA files are not installed; its install script downloads them (network access needed): run \`${CUDA_INSTALL_COMMAND}\`, or use --provider cpu`
        : `CUDA provider unavailable: ${msg} (install the files with \`${CUDA_INSTALL_COMMAND}\`; needs an NVIDIA GPU and driver)`,
    );
  }
  if (provider === "webgpu") {
    return new InferError(
      "provider-unavailable",
      `onnxruntime-node's native WebGPU is unavailable: ${msg.replace(/^.*(Failed to get)/, "$1")}`,
    );
  }
  return new InferError("provider-unavailable", `onnxruntime-node cpu provider failed: ${msg}`);
}

/**
 * The onnxruntime-node execution providers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeEngine, type NodeProvider } from "./ort_node.ts";
 * const p: NodeProvider = "cpu";
 * const engine = await nodeEngine(p);
 * assert.deepEqual([engine.provider, engine.runtime], ["cpu", "onnxruntime-node"]);
 * ```
 */
export type NodeProvider = "cpu" | "cuda" | "webgpu";

/**
 * An onnxruntime-node engine on `provider` (probed; see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { InferError } from "../errors.ts";
 * import { nodeEngine } from "./ort_node.ts";
 * try {
 *   await nodeEngine("cuda"); // works once the CUDA files are installed and a GPU is present
 * } catch (e) {
 *   assert.ok(e instanceof InferError && e.code === "provider-unavailable");
 *   // Without the files, the message names `deno install --allow-scripts=npm:onnxruntime-node`.
 * }
 * ```
 */
export async function nodeEngine(
  provider: NodeProvider,
  opts: EngineOptions = {},
): Promise<Engine> {
  const ort = await loadOrtNode();
  const threads = opts.threads ?? navigator.hardwareConcurrency;
  const options: Ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    extra: sessionExtra(opts),
  };
  try {
    const probe = await ort.InferenceSession.create(probeGraph(), options);
    await probe.release();
  } catch (e) {
    throw providerError(provider, e);
  }
  return {
    provider: provider === "webgpu" ? "webgpu-node" : provider,
    runtime: "onnxruntime-node",
    detail: provider === "cpu" ? `${threads} threads` : provider,
    async open(graph, label, hints) {
      try {
        const session = await ort.InferenceSession.create(graph, {
          ...options,
          extra: sessionExtra(opts, hints),
        });
        return new OrtSession(ort, session, label, `onnxruntime-node (${provider})`);
      } catch (e) {
        throw new InferError(
          "bad-model",
          `${label}: onnxruntime-node (${provider}) cannot load the graph: ${firstLine(e)}`,
        );
      }
    },
  };
}
