/**
 * The kit's MNIST: the first images of each split of a data dir's MNIST, written as plain IDX files
 * (`<out>/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte`), the layout the trainer's data-dir
 * loader reads. Plain, not gzip: the kit compresses everything with xz, and the loader only checks
 * published checksums on the original `.gz` files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadDataset } from "../../src/data/mod.ts";
 * import { writeRandomMnist } from "../bench.ts";
 * import { writeMnistSubset } from "./mnist_subset.ts";
 * const src = await Deno.makeTempDir(), out = await Deno.makeTempDir();
 * await writeRandomMnist(src, 10, 5);
 * await writeMnistSubset(src, out, { train: 4, test: 2 });
 * const d = await loadDataset("mnist", { dataDir: out });
 * assert.deepEqual([d.train.count, d.test.count], [4, 2]);
 * await Deno.remove(src, { recursive: true });
 * await Deno.remove(out, { recursive: true });
 * ```
 * @module
 */
import { loadDataset } from "../../src/data/mod.ts";

/** An IDX file: big-endian 32-bit header words, then the bytes. */
function idx(header: number[], body: Uint8Array): Uint8Array {
  const b = new Uint8Array(4 * header.length + body.length);
  header.forEach((x, i) => new DataView(b.buffer).setUint32(4 * i, x));
  b.set(body, 4 * header.length);
  return b;
}

/**
 * Writes the first `n.train` training and `n.test` test images (and labels) of the MNIST in
 * `dataDir` under `outDir/mnist/`; throws one line when the source has fewer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeRandomMnist } from "../bench.ts";
 * import { writeMnistSubset } from "./mnist_subset.ts";
 * const src = await Deno.makeTempDir();
 * await writeRandomMnist(src, 3, 1);
 * await assert.rejects(writeMnistSubset(src, src, { train: 5, test: 1 }), /holds 3 training/);
 * await Deno.remove(src, { recursive: true });
 * ```
 */
export async function writeMnistSubset(
  dataDir: string,
  outDir: string,
  n: { train: number; test: number },
): Promise<void> {
  const d = await loadDataset("mnist", { dataDir });
  for (
    const [split, set, count, what] of [
      ["train", d.train, n.train, "training"],
      ["t10k", d.test, n.test, "test"],
    ] as const
  ) {
    if (set.count < count) {
      throw new Error(`${dataDir}/mnist holds ${set.count} ${what} images, ${count} asked for`);
    }
    const size = set.height * set.width * set.channels;
    await Deno.mkdir(`${outDir}/mnist`, { recursive: true });
    await Deno.writeFile(
      `${outDir}/mnist/${split}-images-idx3-ubyte`,
      idx([2051, count, set.height, set.width], set.images.subarray(0, count * size)),
    );
    await Deno.writeFile(
      `${outDir}/mnist/${split}-labels-idx1-ubyte`,
      idx([2049, count], set.labels.subarray(0, count)),
    );
  }
}
