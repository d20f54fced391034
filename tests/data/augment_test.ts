/** Training-data augmentation (src/data/augment.ts): crop and flip by hand, the draws, the names. */
import { assert, assertEquals } from "../assert.ts";
import { AUGMENT_NAMES, augmentBatch, CROP_PAD, shiftFlipImage } from "../../src/data/augment.ts";
import { AUGMENTATIONS } from "../../src/config/schema.ts";
import { Rng } from "../../src/rng.ts";

/** A 3×3 image with 2 channels: pixel (y, x) holds (10y + x + 1, −(10y + x + 1)). */
const shape = { height: 3, width: 3, channels: 2 };
function image(): Float32Array {
  const out = new Float32Array(18);
  for (let y = 0; y < 3; y++) {
    for (let x = 0; x < 3; x++) out.set([10 * y + x + 1, -(10 * y + x + 1)], (y * 3 + x) * 2);
  }
  return out;
}
/** The first channel of an image, as rows. */
function rows(img: Float32Array): number[][] {
  return [0, 1, 2].map((y) => [0, 1, 2].map((x) => img[(y * 3 + x) * 2]));
}

/** An Rng stand-in that replays the given draws: `int(n)` and `uniform()` in call order. */
function replay(draws: number[]): Rng & { calls: string[] } {
  const calls: string[] = [];
  const next = () => {
    assert(draws.length > 0, "more draws than expected");
    return draws.shift()!;
  };
  return {
    calls,
    int: (n: number) => (calls.push(`int(${n})`), next()),
    uniform: () => (calls.push("uniform"), next()),
  } as unknown as Rng & { calls: string[] };
}

Deno.test("augment: the config's names are the augmentations the pipeline applies", () => {
  assertEquals([...AUGMENTATIONS], [...AUGMENT_NAMES]);
});

Deno.test("augment: shift and flip of a 3×3 image, by hand (zero fill, both channels)", () => {
  const dst = new Float32Array(18).fill(99);
  shiftFlipImage(image(), dst, shape, 0, 0, true); // mirror only
  assertEquals(rows(dst), [[3, 2, 1], [13, 12, 11], [23, 22, 21]]);
  shiftFlipImage(image(), dst, shape, 1, -1, false); // out(y, x) = in(y + 1, x − 1)
  assertEquals(rows(dst), [[0, 11, 12], [0, 21, 22], [0, 0, 0]]);
  assertEquals(dst[(0 * 3 + 1) * 2 + 1], -11); // the second channel moves with the first
  shiftFlipImage(image(), dst, shape, -1, 1, true); // out(y, x) = in(y − 1, 2 − x + 1)
  assertEquals(rows(dst), [[0, 0, 0], [0, 3, 2], [0, 13, 12]]);
  assertEquals(dst.filter((v) => v === 99).length, 0); // every entry written
});

Deno.test("augment: augmentBatch draws dy, dx in [−4, 4] then the coin, per image, and applies crop then flip", () => {
  const x = new Float32Array(36);
  x.set(image(), 0);
  x.set(image(), 18);
  // image 0: int(9) = 5, 3 → dy = 1, dx = −1, coin 0.7 → no flip
  // image 1: int(9) = 3, 5 → dy = −1, dx = 1, coin 0.2 → flip
  const rng = replay([5, 3, 0.7, 3, 5, 0.2]);
  augmentBatch(x, 2, shape, ["flip", "crop"], rng);
  assertEquals(rng.calls, ["int(9)", "int(9)", "uniform", "int(9)", "int(9)", "uniform"]);
  assertEquals(rows(x.subarray(0, 18)), [[0, 11, 12], [0, 21, 22], [0, 0, 0]]);
  assertEquals(rows(x.subarray(18)), [[0, 0, 0], [0, 3, 2], [0, 13, 12]]);
  assertEquals(2 * CROP_PAD + 1, 9);
});

Deno.test("augment: only what is asked for is drawn and applied; images past n are untouched", () => {
  const flipOnly = new Float32Array(36);
  flipOnly.set(image(), 0);
  flipOnly.set(image(), 18);
  const rng = replay([0.4]);
  augmentBatch(flipOnly, 1, shape, ["flip"], rng); // n = 1: the second image is not a batch member
  assertEquals(rng.calls, ["uniform"]);
  assertEquals(rows(flipOnly.subarray(0, 18)), [[3, 2, 1], [13, 12, 11], [23, 22, 21]]);
  assertEquals(flipOnly.subarray(18), image());
  const cropOnly = image();
  const r2 = replay([4, 4]); // dy = dx = 0: the image is unchanged
  augmentBatch(cropOnly, 1, shape, ["crop"], r2);
  assertEquals(r2.calls, ["int(9)", "int(9)"]);
  assertEquals(cropOnly, image());
  const none = image();
  augmentBatch(none, 1, shape, [], replay([]));
  assertEquals(none, image());
});

Deno.test("augment: with a real stream every offset in [−4, 4] occurs and about half the images flip", () => {
  // 9×9 images with one bright pixel at the centre: where it lands gives the offset.
  const s = { height: 9, width: 9, channels: 1 };
  const n = 2000;
  const x = new Float32Array(n * 81);
  for (let i = 0; i < n; i++) x[i * 81 + 4 * 9 + 4] = 1;
  augmentBatch(x, n, s, ["crop"], new Rng(3));
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const at = x.subarray(i * 81, (i + 1) * 81).indexOf(1);
    assert(at >= 0, `image ${i}: the centre pixel left the image`);
    seen.add(`${Math.floor(at / 9) - 4},${(at % 9) - 4}`); // = (−dy, −dx)
  }
  assertEquals(seen.size, 81); // all 9 × 9 offsets
  const y = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) y[i * 2] = 1; // 1×2 images [1, 0]
  augmentBatch(y, n, { height: 1, width: 2, channels: 1 }, ["flip"], new Rng(4));
  let flipped = 0;
  for (let i = 0; i < n; i++) flipped += y[i * 2 + 1];
  assert(flipped > 0.45 * n && flipped < 0.55 * n, `${flipped} of ${n} flipped`);
});
