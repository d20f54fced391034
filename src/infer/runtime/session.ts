/**
 * The {@linkcode GraphSession} over an onnxruntime `InferenceSession`, shared by both engines
 * (`ort_node.ts`, `ort_web.ts`): feeds become float32 tensors, and every output comes back as a
 * Float32Array (read from the tensor, or downloaded first when it lives on a GPU).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as ort from "onnxruntime-node";
 * import { OrtSession } from "./session.ts";
 * const bytes = await Deno.readFile("models/mnist/classifier.onnx");
 * const s = new OrtSession(ort, await ort.InferenceSession.create(bytes));
 * const { logits } = await s.run({ z: { data: new Float32Array(10), dims: [1, 10] } });
 * assert.equal(logits.length, 10);
 * await s.release();
 * ```
 * @module
 */
import { InferError } from "../errors.ts";
import type { FeedTensor, GraphSession } from "./types.ts";

/**
 * The parts of an onnxruntime output tensor (onnxruntime-node's or onnxruntime-web's) a
 * session reads.
 *
 * @example
 * ```ts
 * import type { OrtOutput } from "./session.ts";
 * const cpu: OrtOutput = {
 *   location: "cpu",
 *   data: new Float32Array(2),
 *   getData: () => Promise.resolve(new Float32Array(2)),
 * };
 * ```
 */
export interface OrtOutput {
  /** Where the data lives (`cpu`, or a GPU location). */
  readonly location: string;
  /** The data, when on the cpu. */
  readonly data: unknown;
  /** Downloads the data (`true`: and frees the GPU copy). */
  getData(releaseData?: boolean): Promise<unknown>;
}

/**
 * The parts of an onnxruntime module (onnxruntime-node or onnxruntime-web) a session uses:
 * its `Tensor` class.
 *
 * @example
 * ```ts
 * import * as ort from "onnxruntime-node";
 * import type { OrtModuleLike } from "./session.ts";
 * const m: OrtModuleLike<ort.Tensor> = ort;
 * ```
 */
export interface OrtModuleLike<T> {
  /** Builds an input tensor. */
  Tensor: new (type: "float32", data: Float32Array, dims: readonly number[]) => T;
}

/**
 * The parts of an onnxruntime `InferenceSession` a session uses.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as ort from "onnxruntime-node";
 * import type { OrtInferenceSession } from "./session.ts";
 * const bytes = await Deno.readFile("models/mnist/classifier.onnx");
 * const s: OrtInferenceSession<ort.Tensor> = await ort.InferenceSession.create(bytes);
 * assert.deepEqual([s.inputNames, s.outputNames], [["z"], ["logits"]]);
 * await s.release();
 * ```
 */
export interface OrtInferenceSession<T> {
  /** The graph's input names. */
  readonly inputNames: readonly string[];
  /** The graph's output names. */
  readonly outputNames: readonly string[];
  /** Runs the graph. */
  run(feeds: Record<string, T>): Promise<Record<string, OrtOutput>>;
  /** Frees the session. */
  release(): Promise<void>;
}

/**
 * A {@linkcode GraphSession} on an onnxruntime session (see the module doc). A failed run is a
 * one-line {@linkcode InferError} (`bad-model`) naming the graph (`label`), the runtime, the
 * dimensions fed and onnxruntime's whole message (e.g. which dimension the graph expected).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as ort from "onnxruntime-node";
 * import { probeGraph } from "./probe.ts";
 * import { OrtSession } from "./session.ts";
 * const s = new OrtSession(ort, await ort.InferenceSession.create(probeGraph()));
 * assert.deepEqual([s.inputNames, s.outputNames], [["x"], ["y"]]);
 * const out = await s.run({ x: { data: Float32Array.of(-1), dims: [1] } });
 * assert.deepEqual(out, { y: Float32Array.of(0) }); // y = Relu(x)
 * // A run the graph refuses: one line with the graph's name, what was fed and why.
 * await assert.rejects(s.run({ x: { data: new Float32Array(2), dims: [1, 2] } }), {
 *   name: "InferError",
 *   message: /^graph: onnxruntime cannot run the graph on x \[1, 2\]: .*rank/i,
 * });
 * await s.release();
 * ```
 */
export class OrtSession<T> implements GraphSession {
  /**
   * Wraps `session`; `ort` is the module that created it, `label` names the graph in errors
   * (usually its file) and `runtime` the engine (e.g. `onnxruntime-node (cpu)`).
   */
  constructor(
    readonly ort: OrtModuleLike<T>,
    readonly session: OrtInferenceSession<T>,
    readonly label = "graph",
    readonly runtime = "onnxruntime",
  ) {}

  /** The graph's input names. */
  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  /** The graph's output names. */
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Runs the graph; returns every output as a Float32Array. */
  async run(feeds: Record<string, FeedTensor>): Promise<Record<string, Float32Array>> {
    let out;
    try {
      const f: Record<string, T> = {};
      for (const [k, v] of Object.entries(feeds)) {
        f[k] = new this.ort.Tensor("float32", v.data, v.dims);
      }
      out = await this.session.run(f);
    } catch (e) {
      const fed = Object.entries(feeds).map(([k, v]) => `${k} [${v.dims.join(", ")}]`).join(", ");
      const msg = e instanceof Error ? e.message : String(e);
      throw new InferError(
        "bad-model",
        `${this.label}: ${this.runtime} cannot run the graph on ${fed}: ${msg}`,
      );
    }
    const res: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(out)) {
      res[k] = (v.location === "cpu" ? v.data : await v.getData(true)) as Float32Array;
    }
    return res;
  }

  /** Frees the session. */
  release(): Promise<void> {
    return this.session.release();
  }
}
