/**
 * Conversions between a model's parameters (tfjs variables, {@linkcode ParamArrays}) and the
 * named F32 tensors of the safetensors weight and checkpoint files.
 *
 * @example
 * ```ts
 * import { f32Tensors, pickArrays } from "./named_tensors.ts";
 * const named = f32Tensors({ "fc.w": { shape: [1], data: new Float32Array([2]) } });
 * pickArrays(named, "fc.", true)["w"].data[0]; // 2
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
 * import { f32Tensors } from "./named_tensors.ts";
 * const t = f32Tensors({ b: { shape: [2], data: new Float32Array(2) } }, "cls.");
 * t["cls.b"].dtype; // "F32"
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
 * import { pickArrays } from "./named_tensors.ts";
 * // model.blocks[0].assignFrom(pickArrays(tensors, "block_01.", true));
 * // model.classifier.assignFrom(pickArrays(tensors, "cls.", false));
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
 * import { tf } from "../deps_tf.ts";
 * import { variableTensor } from "./named_tensors.ts";
 * (await variableTensor(tf.variable(tf.ones([3])))).shape; // [3]
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
 * import { assignVariable } from "./named_tensors.ts";
 * // assignVariable(model.embedding.W, tensors, "embed.W");
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
