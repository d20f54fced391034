/**
 * Faults in the distributed run, on a real redis-server: a worker killed (SIGKILL) in the middle
 * of a unit, whose unit BullMQ's stalled-job check hands to another worker, which resumes it
 * from its unit checkpoint; and a unit that fails on every attempt, which stops the run with one
 * line naming the block and the worker. Ignored, visibly, when redis-server is not installed.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { openChecked } from "../../src/dist/connect.ts";
import { keys } from "../../src/dist/keys.ts";
import { trainDistributed } from "../../src/dist/submit.ts";
import type { PartProgress, UnitCheckpoint } from "../../src/dist/units.ts";
import { parseEngineUrl } from "../../src/dist/url.ts";
import { train } from "../../src/train/mod.ts";
import { runTool } from "../_helpers/cli.ts";
import { startWorker, tinyFlags, waitFor } from "../_helpers/dist.ts";
import { REDIS_SERVER, startRedis } from "../_helpers/redis.ts";
import { assertSameRunState } from "../_helpers/resume.ts";
import { tinyConfig, writeSyntheticMnist } from "../_helpers/train.ts";

await initBackend("wasm");
const data = await Deno.makeTempDir({ prefix: "noprop-dist-" });
await writeSyntheticMnist(data, 320, 100);
const opts = { ignore: !REDIS_SERVER, sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name:
    "kill -9 of a worker mid-unit: another worker resumes the unit from its checkpoint and the run equals an uninterrupted one",
  ...opts,
  fn: async () => {
    const redis = await startRedis();
    const out = await Deno.makeTempDir();
    const lock = ["--lock-seconds", "2"];
    const workers = [1, 2, 3].map(() => startWorker(redis.url, lock));
    const client = await openChecked(parseEngineUrl(redis.url, { runId: "none" }));
    try {
      const run = trainDistributed(tinyConfig(data, out, { runName: "dist" }), {
        url: `${redis.url}/kill`,
        quiet: true,
        unitCheckpoint: 2,
      });
      // The first unit checkpoint (batch 2 of 10): freeze the worker on that unit, check the
      // unit is unfinished, kill the worker.
      const k = keys("kill");
      const [key, raw] = await waitFor("a unit checkpoint", async () => {
        const e = Object.entries(await client.hgetall(k.ck))[0];
        return e;
      });
      const progress = Object.values(await client.hgetall(k.progress))
        .map((p) => JSON.parse(p) as PartProgress).find((p) => p.unit === key)!;
      const victim = workers.find((w) => progress.worker?.endsWith(`:${w.pid}`))!;
      Deno.kill(victim.pid, "SIGSTOP");
      const ck = JSON.parse((await client.hget(k.ck, key)) ?? raw) as UnitCheckpoint;
      assertEquals(await client.hget(k.results, key), null, "the unit had finished");
      assert(ck.batch < 10, `checkpoint at batch ${ck.batch}`);
      Deno.kill(victim.pid, "SIGKILL");
      await victim.stop();
      const others = workers.filter((w) => w !== victim);
      const r = await run;
      assertEquals(r.steps, 20);
      await train(tinyConfig(data, out, { runName: "local" }), { quiet: true });
      await assertSameRunState(`${out}/local`, `${out}/dist`);
      // The unit went on from its checkpoint: the work before it was not redone.
      const logs = others.map((w) => w.log()).join("");
      const m =
        /epoch 0 batches 0–10 done in [\d.]+ s \(resumed at batch (\d+) from its unit checkpoint\)/
          .exec(logs);
      assert(m, logs);
      assert(Number(m[1]) >= ck.batch, `resumed at ${m[1]}, checkpoint at ${ck.batch}`);
    } finally {
      client.disconnect();
      await Promise.all(workers.map((w) => w.stop()));
      await redis.stop();
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "a unit that fails on every attempt stops the run with one line naming the block and the worker",
  ...opts,
  fn: async () => {
    const redis = await startRedis();
    const out = await Deno.makeTempDir();
    // A worker whose data differ from the submitter's: every unit fails on it.
    const other = await Deno.makeTempDir();
    await writeSyntheticMnist(other, 320, 100, 7);
    const bad = startWorker(redis.url, ["--data-dir", other]);
    try {
      const r = await runTool("tools/train.ts", [
        ...tinyFlags(data, out, "fail"),
        "--distributed",
        `${redis.url}/fail`,
      ]);
      assert(r.code !== 0);
      const errors = r.stderr.trim().split("\n").filter((l) => l.startsWith("error:"));
      assertEquals(errors.length, 1, r.stderr);
      assertMatch(
        errors[0],
        new RegExp(
          `^error: (block \\d|classifier) failed on worker [^ ]+:${bad.pid} \\(epoch 0, batches ` +
            `0–10, 3 attempts\\): the training data loaded here \\(.*\\) differ from the submitter's$`,
        ),
      );
      assertEquals(r.stderr.trim().split("\n").at(-1), errors[0]);
    } finally {
      await bad.stop();
      await redis.stop();
      await Deno.remove(out, { recursive: true });
      await Deno.remove(other, { recursive: true });
    }
  },
});
