/**
 * Calibration: the value range of every tensor the quantization plan (`plan.ts`) needs,
 * measured by running the float graphs in onnxruntime on real inputs. Each graph is opened
 * with those intermediate tensors added as graph outputs; every run folds their min/max into
 * a {@linkcode RangeTable}, and the caller gets only the graph's own outputs back — so the
 * runtime's own code (sampler, classifier) drives the graphs exactly as in inference, through
 * a {@linkcode calibratingEngine} wrapped around a real engine.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectEngine } from "@noprop/infer";
 * import { calibratingEngine, RangeTable } from "./calibrate.ts";
 * const { engine } = await selectEngine("cpu", { threads: 1 });
 * const table = new RangeTable();
 * const cal = calibratingEngine(engine, table);
 * const s = await cal.open(await Deno.readFile("models/mnist/classifier.onnx"), "classifier.onnx");
 * const out = await s.run({ z: { data: Float32Array.of(-1, 0, 0, 0, 0, 0, 0, 0, 0, 3), dims: [1, 10] } });
 * assert.deepEqual(Object.keys(out), ["logits"]); // only the graph's own outputs
 * assert.deepEqual(table.get("classifier.onnx")!.get("z"), { min: -1, max: 3 });
 * await s.release();
 * ```
 * @module
 */
import type { Engine, GraphSession, OpenHints } from "@noprop/infer";
import { onnx, type OnnxProto } from "../../deps_onnx.ts";
import { expandFp16Weights } from "../fp16_weights.ts";
import { planQuantization } from "./plan.ts";
import { decodeModel, encodeModel } from "./proto.ts";
import type { Range } from "./transform.ts";

/**
 * `model` with the float tensors `names` added as graph outputs (those already outputs are
 * left as they are).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeModel } from "./proto.ts";
 * import { withOutputs } from "./calibrate.ts";
 * const m = decodeModel(await Deno.readFile("models/mnist/block_01.onnx"), "block_01.onnx");
 * const names = withOutputs(m, ["img.conv1", "uhat"]).graph!.output!.map((o) => o.name);
 * assert.deepEqual(names, ["uhat", "img.conv1"]);
 * ```
 */
export function withOutputs(
  model: OnnxProto.IModelProto,
  names: readonly string[],
): OnnxProto.IModelProto {
  const g = model.graph!;
  const have = new Set((g.output ?? []).map((o) => o.name ?? ""));
  const extra = names.filter((n) => !have.has(n)).map((name) => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } },
  }));
  return { ...model, graph: { ...g, output: [...(g.output ?? []), ...extra] } };
}

/**
 * Ranges per graph (by the label it was opened with) and tensor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RangeTable } from "./calibrate.ts";
 * const t = new RangeTable();
 * t.observe("g.onnx", "x", Float32Array.of(1, -2));
 * t.observe("g.onnx", "x", Float32Array.of(5));
 * assert.deepEqual(t.get("g.onnx")!.get("x"), { min: -2, max: 5 });
 * assert.throws(() => t.observe("g.onnx", "y", Float32Array.of(NaN)), /"y" of g\.onnx: NaN/);
 * t.forget("g.onnx"); // e.g. a run that was not on calibration data
 * assert.equal(t.get("g.onnx"), undefined);
 * ```
 */
export class RangeTable {
  readonly #ranges = new Map<string, Map<string, Range>>();

  /** Folds the values `v` of tensor `name` of graph `label` into its range. */
  observe(label: string, name: string, v: Float32Array): void {
    let min = Infinity, max = -Infinity;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x < min) min = x;
      if (x > max) max = x;
      if (x !== x) throw new Error(`calibration: tensor "${name}" of ${label}: NaN`);
    }
    if (v.length === 0) return;
    const graph = this.#ranges.get(label) ?? new Map<string, Range>();
    this.#ranges.set(label, graph);
    const r = graph.get(name);
    graph.set(name, r ? { min: Math.min(r.min, min), max: Math.max(r.max, max) } : { min, max });
  }

  /** Forgets the ranges of graph `label`. */
  forget(label: string): void {
    this.#ranges.delete(label);
  }

  /** The ranges of one graph, or undefined if it never ran. */
  get(label: string): ReadonlyMap<string, Range> | undefined {
    return this.#ranges.get(label);
  }
}

/**
 * An {@linkcode Engine} that opens every graph with the tensors its quantization plan needs
 * (for the target `ops`, with every reduction length: a superset of what any `minReduction`
 * needs) as extra outputs and records their ranges in `table` under the graph's label (see the
 * module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectEngine } from "@noprop/infer";
 * import { calibratingEngine, RangeTable } from "./calibrate.ts";
 * const { engine } = await selectEngine("cpu", { threads: 1 });
 * const table = new RangeTable();
 * const s = await calibratingEngine(engine, table).open(
 *   await Deno.readFile("models/mnist/block_01.onnx"), "block_01.onnx",
 * );
 * const x = Float32Array.from({ length: 784 }, (_, i) => (i % 28) / 10 - 0.4);
 * await s.run({ x: { data: x, dims: [1, 1, 28, 28] }, z: { data: new Float32Array(10), dims: [1, 10] } });
 * const r = table.get("block_01.onnx")!;
 * assert.deepEqual(r.get("x"), { min: Math.fround(-0.4), max: Math.fround(2.7 - 0.4) });
 * assert.ok(r.get("img.conv1.relu")!.min >= 0); // a ReLU output
 * await s.release();
 * ```
 */
export function calibratingEngine(
  engine: Engine,
  table: RangeTable,
  ops?: readonly string[],
): Engine {
  return {
    provider: engine.provider,
    runtime: engine.runtime,
    detail: `${engine.detail}, calibrating`,
    async open(graph: Uint8Array, label: string, hints?: OpenHints): Promise<GraphSession> {
      // Float16-stored weights (`../fp16_weights.ts`) widened back to the float32 initializers
      // the plan reads (exact: the same graph, computing the same values).
      const model = expandFp16Weights(decodeModel(graph, label));
      const names = planQuantization(model, ops).calibrate;
      const own = (model.graph!.output ?? []).map((o) => o.name ?? "");
      const s = await engine.open(encodeModel(withOutputs(model, names)), label, hints);
      return {
        inputNames: s.inputNames,
        outputNames: own,
        async run(feeds) {
          for (const [k, v] of Object.entries(feeds)) {
            if (names.includes(k)) table.observe(label, k, v.data);
          }
          const out = await s.run(feeds);
          for (const n of names) if (out[n]) table.observe(label, n, out[n]);
          return Object.fromEntries(own.map((n) => [n, out[n]]));
        },
        release: () => s.release(),
      };
    },
  };
}
