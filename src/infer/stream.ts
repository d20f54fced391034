/**
 * Classifying many images in bounded memory: the images are read, decoded and preprocessed
 * one at a time, `batch` at a time are run through the model, and each batch's results are
 * handed out before the next batch is read. So at most one decoded image and `batch`
 * preprocessed ones (C × H × W floats each) are held at once, however many images there are.
 * An image that cannot be read or decoded becomes an error entry for that image (a one-line
 * {@linkcode InferError}); the others are still classified.
 *
 * The sampler's noise is one stream over all batches (seeded once, `seed` default 0), so the
 * results are repeatable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { createClassifier } from "./create.ts";
 * import { classifyStream, type ImageSource } from "./stream.ts";
 * const black = encode({ width: 28, height: 28, channels: 1, data: new Uint8Array(784) });
 * const sources: ImageSource[] = [
 *   { label: "a.png", read: () => black },
 *   { label: "b.png", read: () => new Uint8Array([1, 2, 3]) }, // not an image
 *   { label: "c.png", read: () => black },
 * ];
 * const clf = await createClassifier({ modelDir: "models/mnist", provider: "cpu" });
 * const out = [];
 * for await (const batch of classifyStream(clf, sources, { batch: 2, top: 3 })) out.push(...batch);
 * assert.deepEqual(out.map((r) => r.label), ["a.png", "b.png", "c.png"]);
 * assert.equal(out[0].result?.top.length, 3);
 * assert.equal(out[1].error?.message, "b.png: not a PNG or JPEG image");
 * await clf.close();
 * ```
 * @module
 */
import type { Classification, Classifier, ClassifyOptions } from "./classifier.ts";
import { InferError } from "./errors.ts";
import { type ImageInput, preprocess } from "./image/preprocess.ts";
import { rankLogits } from "./rank.ts";
import { SeededNormal } from "./sampler/random.ts";

/**
 * One image to classify: its name (for results and errors) and how to get its bytes or
 * pixels. `read` is called once, when the image's batch is filled.
 *
 * @example
 * ```ts
 * import type { ImageSource } from "./stream.ts";
 * const fromFile = (path: string): ImageSource => ({
 *   label: path,
 *   read: () => Deno.readFile(path),
 * });
 * ```
 */
export interface ImageSource {
  /** The image's name. */
  label: string;
  /** Its PNG/JPEG bytes or decoded pixels; an {@linkcode InferError} marks it unreadable. */
  read(): ImageInput | Promise<ImageInput>;
}

/**
 * The outcome for one image: its result, or the error that made it unusable.
 *
 * @example
 * ```ts
 * import type { StreamResult } from "./stream.ts";
 * const show = (r: StreamResult) => r.error ? `${r.label}: ${r.error.message}` : r.result.label;
 * ```
 */
export type StreamResult =
  | { label: string; result: Classification; error?: undefined }
  | { label: string; error: InferError; result?: undefined };

/**
 * Options of {@linkcode classifyStream}.
 *
 * @example
 * ```ts
 * import type { StreamOptions } from "./stream.ts";
 * const o: StreamOptions = { batch: 32, top: 3, seed: 1, maxPixels: 4_000_000 };
 * ```
 */
export interface StreamOptions extends ClassifyOptions {
  /** Images read and classified at a time (default {@linkcode DEFAULT_STREAM_BATCH}). */
  batch?: number;
  /** Pixel limit for decoding (default 40 MP). */
  maxPixels?: number;
}

/**
 * The default number of images per batch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_STREAM_BATCH } from "./stream.ts";
 * assert.equal(DEFAULT_STREAM_BATCH, 64);
 * ```
 */
export const DEFAULT_STREAM_BATCH = 64;

/**
 * Classifies `sources` batch by batch (see the module doc); yields each batch's results in
 * input order. Errors of the model itself (not of one image) end the stream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createClassifier } from "./create.ts";
 * import { classifyStream } from "./stream.ts";
 * const clf = await createClassifier({ modelDir: "models/mnist", provider: "cpu" });
 * const black = { width: 28, height: 28, channels: 1, data: new Uint8Array(784) };
 * let read = 0, most = 0;
 * const sources = Array.from({ length: 10 }, (_, i) => ({
 *   label: `image ${i}`,
 *   read: () => {
 *     read++;
 *     return black;
 *   },
 * }));
 * let done = 0;
 * for await (const batch of classifyStream(clf, sources, { batch: 4 })) {
 *   most = Math.max(most, read - done); // images read but not yet handed out
 *   done += batch.length;
 * }
 * assert.deepEqual([done, most], [10, 4]);
 * await clf.close();
 * ```
 */
export async function* classifyStream(
  clf: Classifier,
  sources: Iterable<ImageSource> | AsyncIterable<ImageSource>,
  opts: StreamOptions = {},
): AsyncGenerator<StreamResult[]> {
  const batch = opts.batch ?? DEFAULT_STREAM_BATCH;
  for (const [v, name] of [[batch, "batch"], [opts.top, "top"]] as const) {
    if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) {
      throw new InferError("bad-option", `${name} must be a positive integer, got ${v}`);
    }
  }
  const m = clf.manifest;
  const size = m.input.channels * m.input.height * m.input.width;
  const noiseSource = opts.noiseSource ?? new SeededNormal(opts.seed ?? 0);
  const x = new Float32Array(batch * size);
  let pending: { label: string; slot: number; error?: InferError }[] = [];
  let filled = 0;

  async function* flush(): AsyncGenerator<StreamResult[]> {
    const ranked = filled === 0 ? [] : rankLogits(
      await clf.logits(x.subarray(0, filled * size), filled, { ...opts, noiseSource }),
      m.classNames,
      opts.top ?? 5,
    );
    yield pending.map((p) =>
      p.error ? { label: p.label, error: p.error } : { label: p.label, result: ranked[p.slot] }
    );
    pending = [];
    filled = 0;
  }

  for await (const src of sources) {
    try {
      const one = preprocess([await src.read()], m, {
        maxPixels: opts.maxPixels,
        labels: [src.label],
      });
      x.set(one, filled * size);
      pending.push({ label: src.label, slot: filled++ });
    } catch (e) {
      if (!(e instanceof InferError)) throw e;
      pending.push({ label: src.label, slot: -1, error: e });
    }
    if (pending.length === batch) yield* flush();
  }
  if (pending.length > 0) yield* flush();
}
