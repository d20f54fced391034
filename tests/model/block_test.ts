import { assert, assertEquals } from "../assert.ts";
import { tf } from "../../src/deps_tf.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { blockForward, blockSpec, createBlock, flatSize } from "../../src/model/block.ts";
import { evalContext } from "../../src/model/layers.ts";
import { createNoPropDT } from "../../src/model/noprop.ts";
import { Rng } from "../../src/rng.ts";

await initBackend("wasm");

Deno.test("a paper-width block maps MNIST and CIFAR inputs to [N, classes] logits", () => {
  for (const [h, c, k] of [[28, 1, 10], [32, 3, 10], [32, 3, 100]]) {
    const spec = blockSpec({ height: h, width: h, channels: c, classes: k, embedDim: k });
    const p = createBlock(spec, new Rng(0));
    const out = blockForward(p, spec, tf.zeros([3, h, h, c]), tf.zeros([3, k]), evalContext());
    assertEquals(out.shape, [3, k]);
    assertEquals(flatSize(spec), (h / 4) * (h / 4) * 128);
    p.dispose();
    out.dispose();
  }
});

Deno.test("the paper's MNIST block has the parameter count of Fig. 6's layers", () => {
  const spec = blockSpec({ height: 28, width: 28, channels: 1, classes: 10, embedDim: 10 });
  const p = createBlock(spec, new Rng(0));
  const conv = (i: number, o: number) => 9 * i * o + o, fc = (i: number, o: number) => i * o + o;
  const bn = (d: number) => 2 * d;
  const want = conv(1, 32) + conv(32, 64) + conv(64, 128) + fc(7 * 7 * 128, 256) + bn(256) +
    fc(10, 256) + bn(256) + fc(256, 256) + bn(256) + fc(256, 256) + bn(256) +
    fc(512, 256) + bn(256) + fc(256, 128) + bn(128) + fc(128, 10);
  assertEquals(p.size(), want);
  p.dispose();
});

Deno.test("the prototype embedding has d = image size and a conv branch for z", () => {
  const features = new Float32Array(20 * 64).map((_, i) => Math.sin(i));
  const labels = Uint8Array.from({ length: 20 }, (_, i) => i % 2);
  const m = createNoPropDT({
    image: { height: 8, width: 8, channels: 1 },
    classes: 2,
    T: 2,
    schedule: "cosine",
    embedding: "prototype",
    embedDim: 0,
    widths: [2, 2, 2],
    hidden: 8,
    seed: 0,
    prototypeData: { features, labels },
  });
  assertEquals(m.embedding.dim, 64);
  assert(m.spec.zAsImage);
  const out = blockForward(
    m.blocks[0],
    m.spec,
    tf.zeros([2, 8, 8, 1]),
    tf.zeros([2, 64]),
    evalContext(),
  );
  assertEquals(out.shape, [2, 2]);
});
