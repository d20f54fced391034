/** Normalisation: one formula, the documented constants, NHWC and NCHW layouts. */
import { assert, assertEquals, assertStrictEquals, assertThrows } from "../assert.ts";
import {
  NORMALIZATION,
  normalizationTable,
  normalizeInto,
  normalizePixel,
} from "../../src/data/mod.ts";
import type { ImageSet } from "../../src/data/types.ts";
import { patternSet } from "../_helpers/data.ts";

const close = (a: number, b: number, tol = 1e-6) =>
  assert(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);

Deno.test("normalize: per-dataset constants are the documented mean/std values", () => {
  assertEquals(NORMALIZATION.mnist, { mean: [0.1307], std: [0.3081] });
  assertEquals(NORMALIZATION["fashion-mnist"], { mean: [0.2860], std: [0.3530] });
  assertEquals(NORMALIZATION.cifar10, {
    mean: [0.4914, 0.4822, 0.4465],
    std: [0.2470, 0.2435, 0.2616],
  });
  assertEquals(NORMALIZATION.cifar100, {
    mean: [0.5071, 0.4865, 0.4409],
    std: [0.2673, 0.2564, 0.2762],
  });
});

Deno.test("normalize: x = (pixel/255 - mean[c]) / std[c], rounded once to float32", () => {
  close(normalizePixel(0, 0, NORMALIZATION.mnist), -0.4242129);
  close(normalizePixel(255, 0, NORMALIZATION.mnist), 2.8214867);
  close(normalizePixel(128, 2, NORMALIZATION.cifar10), (128 / 255 - 0.4465) / 0.2616);
  const t = normalizationTable(NORMALIZATION.cifar100);
  assertStrictEquals(t.length, 3 * 256);
  for (let c = 0; c < 3; c++) {
    for (const v of [0, 1, 127, 254, 255]) {
      const { mean, std } = NORMALIZATION.cifar100;
      assertStrictEquals(t[c * 256 + v], Math.fround((v / 255 - mean[c]) / std[c]));
    }
  }
});

Deno.test("normalize: known RGB pixels land in the right place in NHWC and NCHW", () => {
  // One 1×2 image: pixel 0 = (255, 0, 10), pixel 1 = (20, 30, 40); a second, all zero.
  const set: ImageSet = {
    count: 2,
    height: 1,
    width: 2,
    channels: 3,
    images: new Uint8Array([255, 0, 10, 20, 30, 40, 0, 0, 0, 0, 0, 0]),
    labels: new Uint8Array([0, 1]),
  };
  const s = NORMALIZATION.cifar10;
  const f = (v: number, c: number) => Math.fround((v / 255 - s.mean[c]) / s.std[c]);
  const nhwc = normalizeInto(set, [0], s, new Float32Array(6), "NHWC");
  assertEquals([...nhwc], [f(255, 0), f(0, 1), f(10, 2), f(20, 0), f(30, 1), f(40, 2)]);
  const nchw = normalizeInto(set, [0], s, new Float32Array(6), "NCHW");
  assertEquals([...nchw], [f(255, 0), f(20, 0), f(0, 1), f(30, 1), f(10, 2), f(40, 2)]);
  // Indices pick images in the given order: [1, 0] puts the zero image first.
  const two = normalizeInto(set, [1, 0], s, new Float32Array(12));
  assertEquals([...two.subarray(0, 3)], [f(0, 0), f(0, 1), f(0, 2)]);
  assertEquals([...two.subarray(6)], [...nhwc]);
  // NHWC is the default layout.
  assertEquals(normalizeInto(set, [0], s, new Float32Array(6)), nhwc);
});

Deno.test("normalize: NCHW output is exactly the transpose of NHWC output", () => {
  const set = patternSet(5, 4, 3, 3);
  const idx = [4, 0, 2];
  const size = 4 * 3 * 3;
  const nhwc = normalizeInto(set, idx, NORMALIZATION.cifar10, new Float32Array(3 * size));
  const nchw = normalizeInto(set, idx, NORMALIZATION.cifar10, new Float32Array(3 * size), "NCHW");
  for (let n = 0; n < 3; n++) {
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < 12; p++) {
        assertStrictEquals(nchw[n * size + c * 12 + p], nhwc[n * size + p * 3 + c]);
      }
    }
  }
  // Single channel: both layouts coincide.
  const gray = patternSet(3, 2, 2, 1);
  assertEquals(
    normalizeInto(gray, [2, 1], NORMALIZATION.mnist, new Float32Array(8), "NCHW"),
    normalizeInto(gray, [2, 1], NORMALIZATION.mnist, new Float32Array(8), "NHWC"),
  );
});

Deno.test("normalize: bad index, small buffer or channel mismatch throw RangeError", () => {
  const set = patternSet(2, 2, 2, 1);
  assertThrows(() => normalizeInto(set, [2], NORMALIZATION.mnist, new Float32Array(4)), RangeError);
  assertThrows(
    () => normalizeInto(set, [0, 1], NORMALIZATION.mnist, new Float32Array(7)),
    RangeError,
  );
  assertThrows(
    () => normalizeInto(set, [0], NORMALIZATION.cifar10, new Float32Array(4)),
    RangeError,
  );
});
