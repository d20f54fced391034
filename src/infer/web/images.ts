/**
 * Images in a browser, decoded by the browser: `<img>`, `<canvas>`, `OffscreenCanvas`,
 * `ImageBitmap`, `<video>` (anything `createImageBitmap` takes), `ImageData`, a `Blob`/`File`
 * (PNG, JPEG, or any other format the browser decodes), or pixels already decoded. Each becomes
 * an 8-bit {@linkcode RawImage} (RGBA, read back through a 2D canvas) for the preprocessing the
 * Deno entry uses too (`image/pixels.ts`). No Deno or Node API.
 *
 * The browser decodes without colour management (`colorSpaceConversion: "none"`), like the
 * JavaScript decoders of the Deno entry, so a PNG gives the same pixels both ways. Where they
 * may differ: a browser applies a JPEG's EXIF orientation, and a 2D canvas stores premultiplied
 * alpha, so the colour of a partly transparent pixel can change by rounding (a fully
 * transparent one reads back black).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toRawImage } from "./images.ts";
 * const pixels = new ImageData(28, 28); // e.g. ctx.getImageData(0, 0, 28, 28) in a page
 * const raw = await toRawImage(pixels, "drawing");
 * assert.deepEqual([raw.width, raw.height, raw.channels], [28, 28, 4]);
 * ```
 * @module
 */
import { firstLine, InferError } from "../errors.ts";
import { checkPixelLimit, DEFAULT_MAX_PIXELS } from "../image/limits.ts";
import { readImageHeader } from "../image/header.ts";
import type { RawImage } from "../image/types.ts";

/**
 * `ImageData` or an object like it: RGBA, 4 bytes per pixel, row-major.
 *
 * @example
 * ```ts
 * import type { ImageDataLike } from "./images.ts";
 * const red: ImageDataLike = { width: 1, height: 1, data: new Uint8ClampedArray([255, 0, 0, 255]) };
 * ```
 */
export interface ImageDataLike {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** `width × height × 4` bytes, RGBA. */
  readonly data: Uint8ClampedArray | Uint8Array;
}

/**
 * Something the browser can draw (what `createImageBitmap` takes): `<img>`, `<canvas>`,
 * `OffscreenCanvas`, `ImageBitmap`, `<video>`, `VideoFrame`. An `<img>` that is still loading
 * is awaited.
 *
 * @example
 * ```ts
 * import type { Drawable } from "./images.ts";
 * const drawable = (canvas: { width: number; height: number }): Drawable => canvas;
 * ```
 */
export interface Drawable {
  /** Width in pixels (for an `<img>`, `naturalWidth` is used when present). */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
}

/**
 * An image the browser entry classifies (see the module doc).
 *
 * @example
 * ```ts
 * import type { WebImageSource } from "./images.ts";
 * const fromFile = (file: Blob): WebImageSource => file; // a dropped file
 * const fromPixels: WebImageSource = new ImageData(28, 28);
 * ```
 */
export type WebImageSource = Blob | ImageDataLike | RawImage | Drawable;

/**
 * Options of {@linkcode toRawImage}.
 *
 * @example
 * ```ts
 * import type { ToRawOptions } from "./images.ts";
 * const o: ToRawOptions = { maxPixels: 4_000_000 };
 * ```
 */
export interface ToRawOptions {
  /** Largest width × height accepted (default 40 MP). */
  maxPixels?: number;
}

type Ctx2d = {
  drawImage(image: unknown, x: number, y: number): void;
  getImageData(x: number, y: number, w: number, h: number): ImageDataLike;
};
type CanvasLike = { width: number; height: number; getContext(id: "2d", o?: object): Ctx2d | null };
type BitmapLike = { width: number; height: number; close(): void };
type Globals = {
  OffscreenCanvas?: new (w: number, h: number) => CanvasLike;
  document?: { createElement(tag: "canvas"): CanvasLike };
  createImageBitmap?: (source: unknown, options?: object) => Promise<BitmapLike>;
};

function checkSize(w: number, h: number, label: string, maxPixels: number): void {
  if (!(w > 0 && h > 0)) {
    throw new InferError("bad-image", `${label}: image has no pixels (${w}×${h}; not loaded yet?)`);
  }
  checkPixelLimit(w, h, label, maxPixels);
}

function fromImageData(d: ImageDataLike, label: string): RawImage {
  if (d.data.length !== d.width * d.height * 4) {
    throw new InferError(
      "bad-image",
      `${label}: ImageData of ${d.width}×${d.height} must hold ${
        d.width * d.height * 4
      } bytes (RGBA), got ${d.data.length}`,
    );
  }
  const data = new Uint8Array(d.data.buffer, d.data.byteOffset, d.data.byteLength);
  return { width: d.width, height: d.height, channels: 4, data };
}

function canvas2d(w: number, h: number): Ctx2d | null {
  const g = globalThis as unknown as Globals;
  const opts = { willReadFrequently: true, alpha: true };
  if (g.OffscreenCanvas) {
    const ctx = new g.OffscreenCanvas(w, h).getContext("2d", opts);
    if (ctx) return ctx;
  }
  if (g.document) {
    const c = g.document.createElement("canvas");
    c.width = w;
    c.height = h;
    return c.getContext("2d", opts);
  }
  return null;
}

async function decodeWithBrowser(source: unknown, label: string, maxPixels: number) {
  const g = globalThis as unknown as Globals;
  if (!g.createImageBitmap) {
    throw new InferError(
      "bad-image",
      `${label}: this runtime has no createImageBitmap to decode it`,
    );
  }
  let bitmap: BitmapLike;
  try {
    bitmap = await g.createImageBitmap(source, {
      colorSpaceConversion: "none",
      premultiplyAlpha: "none",
    });
  } catch (e) {
    throw new InferError("bad-image", `${label}: the browser cannot decode it: ${firstLine(e)}`);
  }
  try {
    checkSize(bitmap.width, bitmap.height, label, maxPixels);
    const ctx = canvas2d(bitmap.width, bitmap.height);
    if (!ctx) {
      throw new InferError(
        "bad-image",
        `${label}: this runtime has no 2D canvas to read decoded pixels from (pass ImageData or decoded pixels)`,
      );
    }
    ctx.drawImage(bitmap, 0, 0);
    return fromImageData(ctx.getImageData(0, 0, bitmap.width, bitmap.height), label);
  } finally {
    bitmap.close();
  }
}

/**
 * Decodes one image source into pixels (see the module doc). Failures are one-line
 * {@linkcode InferError}s prefixed with `label`; an image above `maxPixels` is refused from its
 * header (PNG, JPEG) or its element's size before its pixels are read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { toRawImage } from "./images.ts";
 * const raw = { width: 2, height: 1, channels: 1, data: new Uint8Array(2) };
 * assert.equal(await toRawImage(raw, "a"), raw); // already decoded
 * // A PNG Blob whose header claims 20000×20000 is refused before the browser decodes it.
 * const png = encode({ width: 1, height: 1, channels: 1, data: new Uint8Array(1) });
 * new DataView(png.buffer).setUint32(16, 20000);
 * new DataView(png.buffer).setUint32(20, 20000);
 * await assert.rejects(toRawImage(new Blob([png.slice()]), "big.png"), {
 *   message: "big.png: image is 20000×20000 = 400.0 MP, above the limit of 40.0 MP",
 * });
 * ```
 */
export async function toRawImage(
  source: WebImageSource,
  label: string,
  opts: ToRawOptions = {},
): Promise<RawImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (typeof Blob !== "undefined" && source instanceof Blob) {
    const bytes = new Uint8Array(await source.arrayBuffer());
    try {
      const h = readImageHeader(bytes, label);
      checkSize(h.width, h.height, label, maxPixels);
    } catch (e) {
      // Another format (WebP, GIF, …): the browser decides, and the limit is checked on the
      // decoded bitmap before its pixels are read.
      if (!(e instanceof InferError && /not a PNG or JPEG/.test(e.message))) throw e;
    }
    return await decodeWithBrowser(source, label, maxPixels);
  }
  const s = source as Partial<RawImage & ImageDataLike & { getContext: unknown }>;
  if (typeof s.channels === "number") return source as RawImage; // checked by the preprocessing
  if (s.data && typeof s.getContext !== "function") {
    checkSize(s.width ?? 0, s.height ?? 0, label, maxPixels);
    return fromImageData(source as ImageDataLike, label);
  }
  const el = source as Drawable & {
    naturalWidth?: number;
    naturalHeight?: number;
    videoWidth?: number;
    videoHeight?: number;
    complete?: boolean;
    decode?: () => Promise<void>;
  };
  if (el.complete === false && typeof el.decode === "function") {
    try {
      await el.decode();
    } catch (e) {
      throw new InferError("bad-image", `${label}: the image did not load: ${firstLine(e)}`);
    }
  }
  checkSize(
    el.naturalWidth || el.videoWidth || el.width,
    el.naturalHeight || el.videoHeight || el.height,
    label,
    maxPixels,
  );
  return await decodeWithBrowser(source, label, maxPixels);
}
