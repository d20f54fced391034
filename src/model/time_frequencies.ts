/**
 * The constants of the continuous network's sinusoidal time embedding (paper v1 Fig. 6):
 * emb(t) = [sin(1000·t·f), cos(1000·t·f)] with f_i = 10000^(−i/32), i = 0..31. Plain numbers,
 * no tfjs: the network (`continuous.ts`) and the ONNX exporter (`onnx/continuous_graph.ts`)
 * both build the embedding from these.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TIME_EMBED_DIM, timeFrequencies } from "./time_frequencies.ts";
 * assert.equal(timeFrequencies().length, TIME_EMBED_DIM / 2); // a sine and a cosine each
 * ```
 * @module
 */

/** Dimension of the sinusoidal time embedding (paper Fig. 6). */
export const TIME_EMBED_DIM = 64;
/** t is scaled by this before the sinusoids (as in DDPM's step index, t ∈ [0, 1] → [0, 1000]). */
export const TIME_SCALE = 1000;

/**
 * Frequencies of the sinusoidal embedding: f_i = 10000^(−i/32), i = 0..31.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timeFrequencies } from "./time_frequencies.ts";
 * const f = timeFrequencies();
 * assert.equal(f[0], 1);
 * assert.ok(Math.abs(f[16] - 0.01) < 1e-9); // 10000^(−16/32)
 * ```
 */
export function timeFrequencies(): Float32Array {
  const half = TIME_EMBED_DIM / 2;
  return Float32Array.from({ length: half }, (_, i) => Math.exp(-Math.log(10000) * i / half));
}
