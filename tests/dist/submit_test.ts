/**
 * The distributed run end to end on a real redis-server (started per test on a free port):
 * one-hot bit-identity with a one-process run through 3 worker processes, the learned embedding's
 * averaging, and the one-line refusals (wrong password, unreachable server, a run id holding
 * another config). Ignored, visibly, when redis-server is not installed.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { openChecked } from "../../src/dist/connect.ts";
import { keys } from "../../src/dist/keys.ts";
import { trainDistributed } from "../../src/dist/submit.ts";
import { parseEngineUrl } from "../../src/dist/url.ts";
import { train } from "../../src/train/mod.ts";
import { REPO, runTool } from "../_helpers/cli.ts";
import { startWorker, tinyFlags as flags, waitFor, type WorkerProcess } from "../_helpers/dist.ts";
import { freePort, REDIS_SERVER, startRedis, type TestRedis } from "../_helpers/redis.ts";
import { assertSameRunState } from "../_helpers/resume.ts";
import { tinyConfig, writeSyntheticMnist } from "../_helpers/train.ts";

await initBackend("wasm");
const data = await Deno.makeTempDir({ prefix: "noprop-dist-" });
await writeSyntheticMnist(data, 320, 100);
const ignore = !REDIS_SERVER;
const tinyFlags = (out: string, runName: string) => flags(data, out, runName);
const opts = { ignore, sanitizeOps: false, sanitizeResources: false };

/** What {@linkcode withCluster} hands a test. */
interface Cluster {
  redis: TestRedis;
  out: string;
  workers: WorkerProcess[];
}

/**
 * Runs `fn` with a fresh redis-server (with `password`, if given), a temporary folder and
 * `workers` worker processes; stops them and removes the folder afterwards, whatever happens.
 */
async function withCluster(
  o: { workers: number; password?: string },
  fn: (c: Cluster) => Promise<void>,
): Promise<void> {
  const redis = await startRedis({ password: o.password });
  const out = await Deno.makeTempDir();
  const workers = Array.from({ length: o.workers }, () => startWorker(redis.url));
  try {
    await fn({ redis, out, workers });
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await redis.stop();
    await Deno.remove(out, { recursive: true });
  }
}

async function filesText(dir: string): Promise<string> {
  let all = "";
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile) all += new TextDecoder("latin1").decode(await Deno.readFile(`${dir}/${e.name}`));
  }
  return all;
}

Deno.test({
  name:
    "one-hot: 3 worker processes train the same run as one process, bit for bit; the password is never shown or saved",
  ...opts,
  fn: async () => {
    const password = "pw-Zq81xK";
    await withCluster({ workers: 3, password }, async ({ redis, out, workers }) => {
      const r = await runTool("tools/train.ts", [
        ...tinyFlags(out, "dist"),
        "--distributed",
        `${redis.url}/onehot`,
        "--unit-checkpoint",
        "3",
      ]);
      assertEquals(r.code, 0, r.stderr);
      await train(tinyConfig(data, out, { runName: "local" }), { quiet: true });
      // Weights, BatchNorm statistics, every AdamW moment and step, every noise stream.
      await assertSameRunState(`${out}/local`, `${out}/dist`);
      const status = await runTool("tools/status.ts", [`${redis.url}/onehot`]);
      assertEquals(status.code, 0, status.stderr);
      assertMatch(status.stdout, /run onehot on redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: done/);
      assertMatch(status.stdout, /block 3 +epoch 1 +10\/10 +done/);
      // Units were spread: more than one worker finished units.
      const busy = workers.filter((w) => /done in/.test(w.log())).length;
      assert(busy >= 2, `only ${busy} worker(s) trained units`);
      const shown = r.stdout + r.stderr + status.stdout + status.stderr +
        workers.map((w) => w.log()).join("") + await filesText(`${out}/dist`);
      assert(!shown.includes(password), "the password was printed or saved");
      assert(shown.includes(":***@"), "the address is shown with the password hidden");
    });
  },
});

Deno.test({
  name:
    "learned embedding, T = 1 and syncEvery 1: nothing is stale, the run is the one-process run bit for bit",
  ...opts,
  fn: async () => {
    await withCluster({ workers: 1 }, async ({ redis, out }) => {
      const cfg = (runName: string) =>
        tinyConfig(data, out, {
          runName,
          T: 1,
          embedding: "learned",
          embeddingDim: 16,
          syncEvery: 1,
          lr: 1e-2,
        });
      const d = await trainDistributed(cfg("dist"), { url: `${redis.url}/exact`, quiet: true });
      const one = await train(cfg("one"), { quiet: true });
      // The shared gradients shipped per batch and applied by the submitter's AdamW.
      await assertSameRunState(one.runDir, d.runDir);
    });
  },
});

Deno.test({
  name:
    "learned embedding, 3 workers, shared gradients synchronised every 4 batches: within the stated tolerance of one process",
  ...opts,
  fn: async () => {
    await withCluster({ workers: 3 }, async ({ redis, out }) => {
      const cfg = (runName: string) =>
        tinyConfig(data, out, {
          runName,
          embedding: "learned",
          embeddingDim: 16,
          syncEvery: 4,
          epochs: 4,
          lr: 1e-2,
        });
      const d = await trainDistributed(cfg("dist"), { url: `${redis.url}/learned`, quiet: true });
      const one = await train(cfg("one"), { quiet: true });
      // The stated tolerance (README, "Distributed training"): test accuracy within 5 points
      // and the mean training loss of the last epoch within 25% of the one-process run's.
      const [a, b] = [d.last!, one.last!];
      assert(Math.abs(a.testAcc! - b.testAcc!) <= 0.05, `acc ${a.testAcc} vs ${b.testAcc}`);
      const mean = (l: typeof a) =>
        l.trainLoss.reduce((s: number, v) => s + (v ?? NaN), 0) / l.trainLoss.length;
      assert(Math.abs(mean(a) / mean(b) - 1) <= 0.25, `loss ${mean(a)} vs ${mean(b)}`);
      // Not trivially equal: the gradients were stale (else the runs would be identical).
      assert(mean(a) !== mean(b));
    });
  },
});

Deno.test({
  name:
    "a submitter killed after an epoch, started again with the same command, continues the run and ends as an uninterrupted one",
  ...opts,
  fn: async () => {
    await withCluster({ workers: 2 }, async ({ redis, out }) => {
      const args = [...tinyFlags(out, "dist"), "--distributed", `${redis.url}/restart`];
      const first = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "tools/train.ts", ...args],
        cwd: REPO,
        stdout: "null",
        stderr: "null",
      }).spawn();
      const metrics = `${out}/dist/metrics.jsonl`;
      await waitFor(
        "the first epoch's checkpoint",
        async () => {
          const text = await Deno.readTextFile(metrics).catch(() => "");
          return text.trim() ? true : undefined;
        },
        180_000,
        50,
      );
      first.kill("SIGKILL");
      await first.status;
      const again = await runTool("tools/train.ts", args);
      assertEquals(again.code, 0, again.stderr);
      assertMatch(again.stderr, /run restart exists on the engine: continuing it from .*\/dist/);
      await train(tinyConfig(data, out, { runName: "local" }), { quiet: true });
      await assertSameRunState(`${out}/local`, `${out}/dist`);
    });
  },
});

Deno.test({
  name:
    "a wrong password, an unreachable server and a run id holding another config: one line each, non-zero exit",
  ...opts,
  fn: async () => {
    await withCluster({ workers: 0, password: "pw-right-73" }, async ({ redis, out }) => {
      const submit = (url: string) =>
        runTool("tools/train.ts", [...tinyFlags(out, "x"), "--distributed", url]);
      const oneLine = (r: { code: number; stderr: string }, re: RegExp) => {
        assert(r.code !== 0, "exit status 0");
        const lines = r.stderr.trim().split("\n");
        assertEquals(lines.length, 1, r.stderr);
        assertMatch(lines[0], re);
      };
      const wrong = await submit(`redis://:pw-wrong-41@127.0.0.1:${redis.port}/r1`);
      oneLine(wrong, /^error: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ refused the credentials/);
      assert(!wrong.stderr.includes("pw-wrong-41"));
      const none = await submit(`redis://127.0.0.1:${redis.port}/r1`);
      oneLine(none, /needs a password/);
      const port = freePort();
      oneLine(
        await submit(`redis://127.0.0.1:${port}/r1`),
        new RegExp(`^error: cannot reach Redis at redis://127\\.0\\.0\\.1:${port}: ECONNREFUSED`),
      );
      // A run id that already holds a run with another config.
      const url = parseEngineUrl(`${redis.url}/r2`, { runId: "required" });
      const client = await openChecked(url);
      const other = { ...tinyConfig(data, out, { runName: "x" }), lr: 0.5 };
      await client.hset(keys("r2").run, { config: JSON.stringify(other), store: "redis" });
      client.disconnect();
      oneLine(
        await submit(`${redis.url}/r2`),
        /^error: run id r2 on .* already holds a run with another config \(lr is 0\.001 here, 0\.5 in the run\)/,
      );
      oneLine(await submit(`${redis.url}`), /names no run id/);
    });
  },
});

Deno.test("--distributed refuses, before connecting, what does not split into NoProp-DT blocks", async () => {
  const out = await Deno.makeTempDir();
  try {
    // Port 1 has no engine: a refusal that came only after connecting would read differently.
    const url = "redis://127.0.0.1:1/refused";
    const cases: [Partial<Parameters<typeof tinyConfig>[2]>, RegExp][] = [
      [{ method: "backprop" }, /NoProp-DT only .*the backprop baseline does not split/],
      [{ variant: "fm" }, /NoProp-DT only .*variant fm does not split/],
      [{ dataset: "etth1" }, /image classifiers only: dataset etth1 is a time series/],
      [{ fuseBlocks: true }, /^--fuse-blocks trains the T blocks in one step on one device;/],
    ];
    for (const [over, re] of cases) {
      const e = await trainDistributed(tinyConfig(data, out, over), { url, quiet: true })
        .then(() => undefined, (e) => e as Error);
      assert(e, `${JSON.stringify(over)} was not refused`);
      assert(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
      assertMatch(e.message, re);
      assert(!e.message.includes("\n"), e.message);
    }
    assertEquals([...Deno.readDirSync(out)], []); // no run folder was started
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
