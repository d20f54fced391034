/**
 * Conversions between a model's parameters (tfjs variables, {@linkcode ParamArrays}) and the
 * named F32 tensors of the safetensors weight and checkpoint files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { f32Tensors, pickArrays } from "./named_tensors.ts";
 * const named = f32Tensors({ "fc.w": { shape: [1], data: new Float32Array([2]) } });
 * assert.equal(named["fc.w"].dtype, "F32"); // ready for encodeSafetensors
 * assert.equal(pickArrays(named, "fc.", true)["w"].data[0], 2);
 * ```
 * @module
 */
import { tf } from "../deps_tf.ts";
import type { ParamArrays } from "../model/params.ts";
import type { Tensor } from "../safetensors.ts";

/**
 * Plain float arrays as named F32 tensors (no copy), each name prefixed with `prefix`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { f32Tensors } from "./named_tensors.ts";
 * const t = f32Tensors({ b: { shape: [2], data: new Float32Array(2) } }, "cls.");
 * assert.deepEqual(Object.keys(t), ["cls.b"]);
 * assert.equal(t["cls.b"].dtype, "F32");
 * ```
 */
export function f32Tensors(arrays: ParamArrays, prefix = ""): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(arrays)) {
    out[prefix + k] = {
      dtype: "F32",
      shape: v.shape.slice(),
      data: v.data as Float32Array<ArrayBuffer>,
    };
  }
  return out;
}

/**
 * The tensors whose names start with `prefix`, as {@linkcode ParamArrays} (names without the
 * prefix when `strip`), ready for `ParamSet.assignFrom`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pickArrays } from "./named_tensors.ts";
 * const f32 = (v: number) => ({ dtype: "F32" as const, shape: [1], data: Float32Array.of(v) });
 * const tensors = { "block_01.fc.b": f32(1), "block_02.fc.b": f32(2), "cls.b": f32(3) };
 * assert.deepEqual(Object.keys(pickArrays(tensors, "block_01.", true)), ["fc.b"]);
 * assert.deepEqual(Object.keys(pickArrays(tensors, "cls.", false)), ["cls.b"]);
 * ```
 */
export function pickArrays(
  tensors: Record<string, Tensor>,
  prefix: string,
  strip: boolean,
): ParamArrays {
  const out: ParamArrays = {};
  for (const [k, v] of Object.entries(tensors)) {
    if (!k.startsWith(prefix)) continue;
    out[strip ? k.slice(prefix.length) : k] = { shape: v.shape, data: v.data as Float32Array };
  }
  return out;
}

/**
 * One variable's value as an F32 tensor (async: safe on webgpu).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend } from "../backend/mod.ts";
 * import { variableTensor } from "./named_tensors.ts";
 * await initBackend("cpu");
 * const t = await variableTensor(tf.variable(tf.ones([3])));
 * assert.deepEqual(t, { dtype: "F32", shape: [3], data: Float32Array.of(1, 1, 1) });
 * ```
 */
export async function variableTensor(v: tf.Variable): Promise<Tensor> {
  const data = (await v.data()) as Float32Array<ArrayBuffer>;
  return { dtype: "F32", shape: v.shape.slice(), data };
}

/**
 * Overwrites variable `v` with the tensor `name` of `tensors`; a one-line error when it is
 * missing or its shape differs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps_tf.ts";
 * import { initBackend, readTensor } from "../backend/mod.ts";
 * import { assignVariable } from "./named_tensors.ts";
 * await initBackend("cpu");
 * const W = tf.variable(tf.zeros([2]));
 * const tensors = {
 *   "embed.W": { dtype: "F32" as const, shape: [2], data: Float32Array.of(1, 2) },
 * };
 * assignVariable(W, tensors, "embed.W");
 * assert.deepEqual(await readTensor(W), Float32Array.of(1, 2));
 * assert.throws(() => assignVariable(W, tensors, "cls.w"), /weights: "cls\.w" is missing/);
 * ```
 */
export function assignVariable(
  v: tf.Variable,
  tensors: Record<string, Tensor>,
  name: string,
): void {
  const t = tensors[name];
  if (!t) throw new Error(`weights: "${name}" is missing`);
  if (t.shape.join(",") !== v.shape.join(",")) {
    throw new Error(`weights: "${name}" has shape [${t.shape}], expected [${v.shape}]`);
  }
  tf.tidy(() => v.assign(tf.tensor(t.data as Float32Array, v.shape, "float32")));
}
