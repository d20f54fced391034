/** Mini-batch iteration: shuffling, coverage of every index, drop-last, buffer reuse, resume. */
import { assert, assertEquals, assertStrictEquals, assertThrows } from "../assert.ts";
import {
  batchCount,
  batches,
  epochOrder,
  NORMALIZATION,
  normalizeInto,
} from "../../src/data/mod.ts";
import { patternSet } from "../_helpers/data.ts";
import { Rng } from "../../src/rng.ts";

Deno.test("batches: one shuffled epoch covers every index exactly once, last batch partial", () => {
  const set = patternSet(103, 2, 2, 3);
  const seen = new Uint8Array(103);
  const sizes: number[] = [];
  const want = new Float32Array(10 * 12);
  for (const b of batches(set, { batchSize: 10, rng: new Rng(3), stats: NORMALIZATION.cifar10 })) {
    sizes.push(b.size);
    assertStrictEquals(b.x.length, b.size * 12);
    assertStrictEquals(b.y.length, b.size);
    normalizeInto(set, b.indices, NORMALIZATION.cifar10, want);
    assertEquals(b.x, want.subarray(0, b.size * 12));
    for (let i = 0; i < b.size; i++) {
      seen[b.indices[i]]++;
      assertStrictEquals(b.y[i], set.labels[b.indices[i]]);
    }
  }
  assertEquals(sizes, [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3]);
  assert(seen.every((n) => n === 1), "every index exactly once");
  assertStrictEquals(batchCount(103, 10), 11);
});

Deno.test("batches: dropLast yields only full batches of distinct indices", () => {
  const set = patternSet(103, 1, 1, 1);
  const all: number[] = [];
  for (
    const b of batches(set, {
      batchSize: 10,
      rng: new Rng(5),
      stats: NORMALIZATION.mnist,
      dropLast: true,
    })
  ) {
    assertStrictEquals(b.size, 10);
    all.push(...b.indices);
  }
  assertStrictEquals(all.length, 100);
  assertStrictEquals(new Set(all).size, 100);
  assertStrictEquals(batchCount(103, 10, true), 10);
});

Deno.test("batches: the epoch order is rng.shuffle of 0..n-1; same seed same order, next epoch differs", () => {
  const rng = new Rng(9);
  const expected = new Rng(9).shuffle(Uint32Array.from({ length: 50 }, (_, i) => i));
  assertEquals(epochOrder(50, rng), expected);
  const next = epochOrder(50, rng);
  assert(next.some((v, i) => v !== expected[i]), "second epoch is a different permutation");
  assertEquals([...epochOrder(4)], [0, 1, 2, 3]);
  const inOrder = [
    ...batches(patternSet(5, 1, 1, 1), { batchSize: 2, stats: NORMALIZATION.mnist }),
  ];
  assertEquals(inOrder.map((b) => [...b.indices]), [[0, 1], [2, 3], [4]]);
});

Deno.test("batches: resuming at a batch index with the epoch-start rng state reproduces the rest of the epoch", () => {
  const set = patternSet(57, 2, 2, 1);
  const opts = { batchSize: 8, stats: NORMALIZATION.mnist };
  const rng = new Rng(11);
  const start = rng.state();
  const full = [...batches(set, { ...opts, rng })].map((b) => ({
    index: b.index,
    indices: [...b.indices],
    x: b.x.slice(),
    y: [...b.y],
  }));
  const after = rng.state();
  assertStrictEquals(full.length, 8);

  const rng2 = Rng.fromState(start);
  const resumed = [...batches(set, { ...opts, rng: rng2, startBatch: 5 })].map((b) => ({
    index: b.index,
    indices: [...b.indices],
    x: b.x.slice(),
    y: [...b.y],
  }));
  assertEquals(resumed, full.slice(5));
  assertEquals(rng2.state(), after, "rng continues exactly as if the epoch had run uninterrupted");
  assertEquals([...batches(set, { ...opts, rng: Rng.fromState(start), startBatch: 8 })], []);
});

Deno.test("batches: the permutation is drawn when batches() is called, and buffers are reused", () => {
  const set = patternSet(30, 2, 2, 1);
  const rng = new Rng(1);
  const before = rng.state();
  const it = batches(set, { batchSize: 10, rng, stats: NORMALIZATION.mnist });
  assert(rng.state().s !== before.s, "rng advanced before the first next()");
  const a = it.next().value!;
  const b = it.next().value!;
  assertStrictEquals(a.x, b.x);
  assertStrictEquals(a.y, b.y);
});

Deno.test("batches: invalid batch size or start batch throw RangeError immediately", () => {
  const set = patternSet(10, 1, 1, 1);
  const stats = NORMALIZATION.mnist;
  assertThrows(() => batches(set, { batchSize: 0, stats }), RangeError);
  assertThrows(() => batches(set, { batchSize: 2.5, stats }), RangeError);
  assertThrows(() => batches(set, { batchSize: 3, stats, startBatch: 5 }), RangeError);
  assertThrows(() => batches(set, { batchSize: 3, stats, startBatch: -1 }), RangeError);
});
