/**
 * Provider selection. An explicit provider either works or fails with a one-line
 * {@linkcode InferError} — never a silent fallback. `auto` tries cuda → webgpu (native, then
 * onnxruntime-web; hardware adapters only) → cpu, and wasm when onnxruntime-node cannot be
 * loaded at all (no `--allow-ffi`); it reports what it used and why the others were passed
 * over. WebGPU adapters are probed with the drivers' native stderr noise kept off the terminal
 * (`quiet_stderr.ts`; Linux, needs `--allow-ffi`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectEngine } from "./select.ts";
 * const { engine, note } = await selectEngine("cpu"); // "auto": cuda → webgpu → cpu, and says why
 * assert.equal(engine.provider, "cpu");
 * assert.match(note, /^cpu \(onnxruntime-node, \d+ threads\)$/);
 * ```
 * @module
 */
import { InferError } from "../errors.ts";
import { nodeEngine } from "./ort_node.ts";
import { webEngine, webgpuAdapter } from "./ort_web.ts";
import { quietStderr } from "./quiet_stderr.ts";
import { type Engine, type EngineOptions, PROVIDER_NAMES, type ProviderName } from "./types.ts";

/**
 * The chosen engine and how it was chosen.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Selection, selectEngine } from "./select.ts";
 * const s: Selection = await selectEngine("cpu", { threads: 1 });
 * assert.equal(s.note, "cpu (onnxruntime-node, 1 threads)");
 * ```
 */
export interface Selection {
  /** The engine. */
  engine: Engine;
  /** One line: what was tried and what is used. */
  note: string;
}

/**
 * Checks a provider name given as a string.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseProvider } from "./select.ts";
 * assert.equal(parseProvider("cpu"), "cpu");
 * assert.throws(() => parseProvider("tpu"), {
 *   code: "bad-provider",
 *   message: /^unknown provider "tpu" \(expected one of auto, cpu, /,
 * });
 * ```
 */
export function parseProvider(name: string): ProviderName {
  if (!(PROVIDER_NAMES as readonly string[]).includes(name)) {
    throw new InferError(
      "bad-provider",
      `unknown provider "${name}" (expected one of ${PROVIDER_NAMES.join(", ")})`,
    );
  }
  return name as ProviderName;
}

/**
 * A WebGPU engine whose sessions are also created quietly: onnxruntime-web asks
 * `navigator.gpu` for an adapter again when it creates a session (see `quiet_stderr.ts`).
 */
function quietOpens(e: Engine): Engine {
  if (!e.provider.startsWith("webgpu")) return e;
  return {
    provider: e.provider,
    runtime: e.runtime,
    detail: e.detail,
    open: (graph, label, hints) => quietStderr(() => e.open(graph, label, hints)),
  };
}

function describe(e: Engine): string {
  return `${e.provider} (${e.runtime}${e.detail ? `, ${e.detail}` : ""})`;
}

/**
 * WebGPU: Deno's adapter decides. None → unavailable. A software adapter (Dawn, inside
 * onnxruntime-node, refuses those anyway) → onnxruntime-web, unless `hardwareOnly`. A
 * hardware adapter → onnxruntime-node's native WebGPU, else onnxruntime-web's.
 */
async function webgpu(opts: EngineOptions, hardwareOnly: boolean): Promise<Engine> {
  const adapter = await webgpuAdapter();
  if (!adapter || adapter.isFallbackAdapter) {
    return await webEngine("webgpu", { ...opts, hardwareOnly });
  }
  try {
    return await nodeEngine("webgpu", opts);
  } catch (native) {
    try {
      return await webEngine("webgpu", { ...opts, hardwareOnly });
    } catch (web) {
      throw new InferError(
        "provider-unavailable",
        `${(native as Error).message}; ${(web as Error).message}`,
      );
    }
  }
}

/** A short reason for `auto`'s note. */
function brief(name: string, e: unknown): string {
  const msg = (e as Error).message ?? String(e);
  if (name === "cuda" && /not installed/.test(msg)) return "cuda: CUDA files not installed";
  if (/software fallback/.test(msg)) return "webgpu: only a software adapter";
  if (/no adapter/.test(msg)) return "webgpu: no adapter";
  if (/--allow-ffi/.test(msg)) return `${name}: no --allow-ffi`;
  return `${name}: ${msg.length > 80 ? `${msg.slice(0, 79)}…` : msg}`;
}

/**
 * Creates the engine for `provider` (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectEngine } from "./select.ts";
 * const { engine } = await selectEngine("wasm", { threads: 2 });
 * assert.equal(engine.runtime, "onnxruntime-web");
 * ```
 */
export async function selectEngine(
  provider: ProviderName | string,
  opts: EngineOptions = {},
): Promise<Selection> {
  const p = parseProvider(provider);
  if (p !== "auto") {
    let engine: Engine;
    if (p === "cpu" || p === "cuda") engine = await nodeEngine(p, opts);
    else if (p === "webgpu-node") engine = await quietStderr(() => nodeEngine("webgpu", opts));
    else if (p === "webgpu-web") engine = await quietStderr(() => webEngine("webgpu", opts));
    else if (p === "webgpu") engine = await quietStderr(() => webgpu(opts, false));
    else engine = await webEngine("wasm", opts);
    return { engine: quietOpens(engine), note: describe(engine) };
  }
  const skipped: string[] = [];
  const attempts: Array<[string, () => Promise<Engine>]> = [
    ["cuda", () => nodeEngine("cuda", opts)],
    ["webgpu", () => quietStderr(() => webgpu(opts, true))],
    ["cpu", () => nodeEngine("cpu", opts)],
    ["wasm", () => webEngine("wasm", opts)],
  ];
  for (const [name, make] of attempts) {
    try {
      const engine = await make();
      return {
        engine: quietOpens(engine),
        note: `${describe(engine)}, chosen by auto (${skipped.join("; ") || "first choice"})`,
      };
    } catch (e) {
      skipped.push(brief(name, e));
    }
  }
  throw new InferError("provider-unavailable", `auto: no provider works (${skipped.join("; ")})`);
}
