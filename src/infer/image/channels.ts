/**
 * Channel conversion to the model's channel count. Alpha is dropped (not composited).
 * RGB → grey uses ITU-R BT.601 luma, `round(0.299 R + 0.587 G + 0.114 B)`, except that a
 * pixel with R = G = B keeps that exact value; grey → RGB repeats the value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toChannels } from "./channels.ts";
 * const rgb = { width: 1, height: 1, channels: 3, data: new Uint8Array([255, 0, 0]) };
 * assert.deepEqual(toChannels(rgb, 1).data, Uint8Array.of(76)); // luma of pure red
 * ```
 * @module
 */
import { InferError } from "../errors.ts";
import type { RawImage } from "./types.ts";

/**
 * Converts `img` to 1 (grey) or 3 (RGB) channels (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toChannels } from "./channels.ts";
 * const grey = { width: 2, height: 1, channels: 1, data: new Uint8Array([0, 9]) };
 * assert.deepEqual(toChannels(grey, 3).data, Uint8Array.of(0, 0, 0, 9, 9, 9));
 * ```
 */
export function toChannels(img: RawImage, channels: number): RawImage {
  const n = img.width * img.height, ci = img.channels, src = img.data;
  if (ci === channels) return img;
  const out = new Uint8Array(n * channels);
  const colour = ci >= 3;
  if (channels === 1) {
    for (let p = 0; p < n; p++) {
      if (!colour) {
        out[p] = src[p * ci];
        continue;
      }
      const r = src[p * ci], g = src[p * ci + 1], b = src[p * ci + 2];
      out[p] = r === g && g === b ? r : Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    }
  } else if (channels === 3) {
    for (let p = 0; p < n; p++) {
      for (let c = 0; c < 3; c++) out[p * 3 + c] = src[p * ci + (colour ? c : 0)];
    }
  } else {
    throw new InferError("bad-model", `models with ${channels} input channels are not supported`);
  }
  return { width: img.width, height: img.height, channels, data: out };
}
