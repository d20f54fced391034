/** AdamW's moment buffers: made without leaking, restored from a saved state without leaking. */
import { assertEquals } from "../assert.ts";
import { tf } from "../../src/deps_tf.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { AdamW } from "../../src/train/adamw.ts";

await initBackend("cpu");

Deno.test("AdamW allocates exactly its two moment buffers and frees them on dispose", async () => {
  const w = tf.variable(tf.zeros([3]));
  const before = tf.memory().numTensors;
  const opt = new AdamW([w], { lr: 1e-3, weightDecay: 0 });
  assertEquals(tf.memory().numTensors - before, 2); // m and v
  opt.load(await opt.state());
  assertEquals(tf.memory().numTensors - before, 2); // load assigns, keeps nothing else
  opt.dispose();
  assertEquals(tf.memory().numTensors, before);
  w.dispose();
});
