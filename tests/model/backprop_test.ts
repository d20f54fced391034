/**
 * The backprop baseline's mixing weights free every tensor they made: creating then disposing
 * `createMix` leaves tfjs' tensor count where it was (the initial `tf.fill` a variable is made
 * from used to stay allocated).
 */
import { assertEquals } from "../assert.ts";
import { tf } from "../../src/deps_tf.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { createMix, MIX_INIT } from "../../src/model/backprop.ts";

await initBackend("cpu");

Deno.test("createMix then dispose leaves no tensor behind", async () => {
  const before = tf.memory().numTensors;
  const mix = createMix(3);
  assertEquals(mix.shape, [3]);
  assertEquals(Array.from(await mix.data()), [MIX_INIT, MIX_INIT, MIX_INIT].map(Math.fround));
  mix.dispose();
  assertEquals(tf.memory().numTensors, before);
});
