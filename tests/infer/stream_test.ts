/**
 * `classifyStream`: the results of `classify`, batch by batch, with bounded read-ahead; an
 * unusable image is an error entry and the others are still classified.
 */
import { assert, assertEquals } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { encode as encodePng } from "fast-png";
import { classifyStream, createClassifier, type RawImage, type StreamResult } from "@noprop/infer";
import { Rng } from "../../src/rng.ts";
import { exportedFixture, maxAbsDiff } from "../_helpers/onnx.ts";

await initBackend("wasm");
const model = await exportedFixture({ image: { height: 28, width: 28, channels: 1 } });
const rng = new Rng(3);
const images: RawImage[] = Array.from({ length: 11 }, () => ({
  width: 28,
  height: 28,
  channels: 1,
  data: Uint8Array.from({ length: 784 }, () => rng.int(256)),
}));

Deno.test("stream results equal classify's, with at most one batch read ahead", async () => {
  const clf = await createClassifier({ modelDir: model, provider: "cpu" });
  for (const noise of [false, true]) {
    const want = await clf.classify(images, { noise, seed: 5, top: 3 });
    const got: StreamResult[] = [];
    let read = 0, ahead = 0;
    const sources = images.map((im, i) => ({
      label: `#${i}`,
      // Every other image as PNG bytes, so both inputs are decoded on the way.
      read: () => {
        read++;
        return i % 2 ? encodePng({ ...im, depth: 8 }) : im;
      },
    }));
    // One batch the size of the classifier's chunks: the same noise draws as classify.
    for await (const b of classifyStream(clf, sources, { noise, seed: 5, top: 3, batch: 128 })) {
      got.push(...b);
    }
    assertEquals(got.map((r) => r.label), images.map((_, i) => `#${i}`));
    const p = (rs: { probabilities: Float32Array }[]) => rs.flatMap((r) => [...r.probabilities]);
    assert(maxAbsDiff(p(got.map((r) => r.result!)), p(want)) < 1e-6, `noise ${noise}`);
    // Small batches: never more than 4 images read beyond what was handed out.
    let done = 0;
    read = 0;
    for await (const b of classifyStream(clf, sources, { batch: 4 })) {
      ahead = Math.max(ahead, read - done);
      done += b.length;
    }
    assertEquals([done, ahead], [11, 4]);
  }
  await clf.close();
});

Deno.test("an unusable image is an error entry; the others keep their noise-free results", async () => {
  const clf = await createClassifier({ modelDir: model, provider: "cpu" });
  const want = await clf.classify(images.slice(0, 3), { noise: false });
  const bad = { width: 2, height: 2, channels: 5, data: new Uint8Array(20) };
  const sources = [images[0], new TextEncoder().encode("text"), images[1], bad, images[2]]
    .map((im, i) => ({ label: `#${i}`, read: () => im }));
  const got: StreamResult[] = [];
  for await (const b of classifyStream(clf, sources, { batch: 2, noise: false })) got.push(...b);
  assertEquals(got.map((r) => r.error?.message.split(":")[0] ?? "ok"), [
    "ok",
    "#1",
    "ok",
    "#3",
    "ok",
  ]);
  assertEquals(got[1].error!.code, "bad-image");
  const ok = got.filter((r) => r.result).map((r) => r.result!);
  assert(
    maxAbsDiff(ok.flatMap((r) => [...r.probabilities]), want.flatMap((r) => [...r.probabilities])) <
      1e-6,
  );
  await clf.close();
});
