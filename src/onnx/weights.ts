/**
 * Named float32 weights as the exporter reads them from `weights.safetensors`, with
 * shape-checked access: a missing tensor or a shape that does not match the model
 * description is a one-line error naming the tensor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WeightMap } from "./weights.ts";
 * const w = new WeightMap("block_01", { "img.fc.b": { shape: [2], data: new Float32Array(2) } });
 * assert.equal(w.get("img.fc.b", [2]).length, 2);
 * assert.throws(() => w.get("img.fc.b", [3]), {
 *   message: 'weights: "block_01.img.fc.b" has shape [2], expected [3]',
 * });
 * ```
 * @module
 */

/**
 * One tensor: row-major float32 data and its shape.
 *
 * @example
 * ```ts
 * import type { NamedTensor } from "./weights.ts";
 * const b: NamedTensor = { shape: [2], data: new Float32Array([0.5, -1]) };
 * ```
 */
export interface NamedTensor {
  /** Dimensions. */
  shape: number[];
  /** Row-major data. */
  data: Float32Array;
}

/**
 * Shape-checked access to a group of tensors (one block, the classifier, …).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WeightMap } from "./weights.ts";
 * const w = new WeightMap("cls", { b: { shape: [3], data: Float32Array.of(1, 2, NaN) } });
 * assert.throws(() => w.get("b", [3]), { message: 'weights: "cls.b" holds NaN or Inf' });
 * assert.throws(() => w.get("w", [3]), { message: 'weights: tensor "cls.w" is missing' });
 * ```
 */
export class WeightMap {
  /** Creates a map; `label` prefixes error messages (e.g. `block_03`). */
  constructor(readonly label: string, readonly tensors: Record<string, NamedTensor>) {}

  /**
   * Tensors whose name starts with `prefix + "."` from a flat record, with the prefix
   * stripped (`block_02.img.fc.w` → `img.fc.w`).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WeightMap } from "./weights.ts";
   * const all = { "block_02.x": { shape: [1], data: new Float32Array(1) } };
   * assert.equal(WeightMap.withPrefix(all, "block_02").has("x"), true);
   * assert.equal(WeightMap.withPrefix(all, "block_01").has("x"), false);
   * ```
   */
  static withPrefix(all: Record<string, NamedTensor>, prefix: string): WeightMap {
    const out: Record<string, NamedTensor> = {};
    for (const [k, v] of Object.entries(all)) {
      if (k.startsWith(`${prefix}.`)) out[k.slice(prefix.length + 1)] = v;
    }
    return new WeightMap(prefix, out);
  }

  /** Whether `name` is present. */
  has(name: string): boolean {
    return Object.hasOwn(this.tensors, name);
  }

  /** The data of `name`, which must have exactly `shape`. */
  get(name: string, shape: number[]): Float32Array {
    const t = this.tensors[name];
    const full = `${this.label}.${name}`;
    if (!t) throw new Error(`weights: tensor "${full}" is missing`);
    if (!(t.data instanceof Float32Array)) throw new Error(`weights: "${full}" is not float32`);
    if (t.shape.join(",") !== shape.join(",")) {
      throw new Error(`weights: "${full}" has shape [${t.shape}], expected [${shape}]`);
    }
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i])) throw new Error(`weights: "${full}" holds NaN or Inf`);
    }
    return t.data;
  }
}
