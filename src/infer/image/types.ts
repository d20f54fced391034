/**
 * A decoded image in memory: 8-bit samples, row-major, channels interleaved (HWC).
 *
 * @example
 * ```ts
 * import type { RawImage } from "./types.ts";
 * const black: RawImage = { width: 2, height: 1, channels: 1, data: new Uint8Array(2) };
 * ```
 * @module
 */

/**
 * An 8-bit image; `channels` is 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA).
 *
 * @example
 * ```ts
 * import type { RawImage } from "./types.ts";
 * const red: RawImage = { width: 1, height: 1, channels: 3, data: new Uint8Array([255, 0, 0]) };
 * ```
 */
export interface RawImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Samples per pixel: 1, 2, 3 or 4. */
  channels: number;
  /** `height × width × channels` bytes. */
  data: Uint8Array;
}
