/**
 * The engine seam between the runtime and onnxruntime: an {@linkcode Engine} opens graphs as
 * {@linkcode GraphSession}s on one execution provider; feeds and results are plain
 * Float32Arrays. Two implementations: `ort_node.ts` (onnxruntime-node: cpu, cuda, native
 * webgpu) and `ort_web.ts` (onnxruntime-web: multi-threaded wasm, webgpu via
 * `navigator.gpu`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectEngine } from "./select.ts";
 * import type { Engine } from "./types.ts";
 * async function logits(engine: Engine, graph: Uint8Array, z: Float32Array, n: number) {
 *   const s = await engine.open(graph, "classifier.onnx");
 *   try {
 *     return (await s.run({ z: { data: z, dims: [n, z.length / n] } })).logits;
 *   } finally {
 *     await s.release();
 *   }
 * }
 * const { engine } = await selectEngine("cpu", { threads: 1 });
 * const graph = await Deno.readFile("models/mnist/classifier.onnx");
 * assert.equal((await logits(engine, graph, new Float32Array(2 * 10), 2)).length, 2 * 10);
 * ```
 * @module
 */

/**
 * Provider names a user may ask for. `webgpu` means onnxruntime-node's native WebGPU if it
 * finds an adapter, else onnxruntime-web's WebGPU through Deno's `navigator.gpu`;
 * `webgpu-node` and `webgpu-web` pick one of the two. `auto` tries cuda → webgpu (hardware
 * adapters only) → cpu, and wasm when onnxruntime-node cannot be loaded.
 *
 * @example
 * ```ts
 * import type { ProviderName } from "./types.ts";
 * const p: ProviderName = "wasm";
 * ```
 */
export type ProviderName =
  | "auto"
  | "cpu"
  | "cuda"
  | "webgpu"
  | "webgpu-node"
  | "webgpu-web"
  | "wasm";

/**
 * Every accepted provider name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PROVIDER_NAMES } from "./types.ts";
 * assert.ok(PROVIDER_NAMES.includes("wasm") && PROVIDER_NAMES.includes("auto"));
 * ```
 */
export const PROVIDER_NAMES: readonly ProviderName[] = [
  "auto",
  "cpu",
  "cuda",
  "webgpu",
  "webgpu-node",
  "webgpu-web",
  "wasm",
];

/**
 * The provider an engine actually runs on.
 *
 * @example
 * ```ts
 * import type { ConcreteProvider } from "./types.ts";
 * const p: ConcreteProvider = "cpu";
 * ```
 */
export type ConcreteProvider = "cpu" | "cuda" | "webgpu-node" | "webgpu-web" | "wasm";

/**
 * A float32 input: data and dimensions.
 *
 * @example
 * ```ts
 * import type { FeedTensor } from "./types.ts";
 * const z: FeedTensor = { data: new Float32Array(20), dims: [2, 10] };
 * ```
 */
export interface FeedTensor {
  /** Row-major values. */
  data: Float32Array;
  /** Dimensions. */
  dims: number[];
}

/**
 * One loaded graph.
 *
 * @example
 * ```ts
 * import type { GraphSession } from "./types.ts";
 * async function uhat(s: GraphSession, x: Float32Array, z: Float32Array, n: number) {
 *   const feeds = { x: { data: x, dims: [n, 1, 28, 28] }, z: { data: z, dims: [n, 10] } };
 *   const out = await s.run(feeds);
 *   return out.uhat;
 * }
 * ```
 */
export interface GraphSession {
  /** The graph's input names. */
  readonly inputNames: readonly string[];
  /** The graph's output names. */
  readonly outputNames: readonly string[];
  /** Runs the graph; returns every output as a Float32Array. */
  run(feeds: Record<string, FeedTensor>): Promise<Record<string, Float32Array>>;
  /** Frees the session. */
  release(): Promise<void>;
}

/**
 * Engine settings.
 *
 * @example
 * ```ts
 * import type { EngineOptions } from "./types.ts";
 * const o: EngineOptions = { threads: 2, spinning: false };
 * ```
 */
export interface EngineOptions {
  /** CPU threads (onnxruntime intra-op threads; wasm worker threads). Default: all cores. */
  threads?: number;
  /**
   * Let idle intra-op threads spin-wait. Default: on for a session opened as running alone
   * ({@linkcode OpenHints.alone}: the fused chain, one session per batch), off otherwise. Every
   * session has its own thread pool, and a per-block chain runs T + 1 sessions in turn:
   * spinning pools then fight over the cores (measured here: a 10-block chain ran 4× slower at
   * batch 128 and 7× slower at batch 1). A session run alone gains from it instead: without
   * spinning, every parallel kernel waits for the sleeping second thread to wake (measured on
   * the paper-width int8 fused chain at batch 1, 2 threads: about 35% less time per image).
   * Spinning threads park when a run ends (`session_config.ts`).
   * `true` or `false` here decides for every session.
   */
  spinning?: boolean;
}

/**
 * How a session opened by {@linkcode Engine.open} will run.
 *
 * @example
 * ```ts
 * import type { OpenHints } from "./types.ts";
 * const chain: OpenHints = { alone: true }; // the fused chain: nothing else runs beside it
 * ```
 */
export interface OpenHints {
  /**
   * The session runs alone: one session per batch, not one of T + 1 sessions run in turn. Its
   * idle threads then spin-wait unless {@linkcode EngineOptions.spinning} says otherwise.
   */
  alone?: boolean;
}

/**
 * An execution provider ready to open graphs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeEngine } from "./ort_node.ts";
 * import { probeGraph } from "./probe.ts";
 * import type { Engine } from "./types.ts";
 * async function load(engine: Engine, bytes: Uint8Array) {
 *   assert.equal(`${engine.provider} ${engine.runtime}`, "cpu onnxruntime-node");
 *   return await engine.open(bytes, "probe.onnx");
 * }
 * const session = await load(await nodeEngine("cpu", { threads: 1 }), probeGraph());
 * await session.release();
 * ```
 */
export interface Engine {
  /** The provider in use. */
  readonly provider: ConcreteProvider;
  /** Which package runs it. */
  readonly runtime: "onnxruntime-node" | "onnxruntime-web";
  /** Human-readable detail (adapter, threads). */
  readonly detail: string;
  /** Opens a graph from its bytes; `label` names it in errors; `hints` say how it will run. */
  open(graph: Uint8Array, label: string, hints?: OpenHints): Promise<GraphSession>;
}
