/**
 * `deno task train … --distributed redis://host:port/run-id`: the submitting process. It checks
 * the engine (reachable, password accepted), registers the run (or finds it: the same run id
 * with the same config is the same run, continued; with another config it is refused), then
 * runs the ordinary training loop (`src/train/loop.ts`) with the distributed method
 * (`method.ts`) and writes the ordinary run folder (config, checkpoint, weights, metrics), so
 * export, eval and infer work unchanged.
 *
 * A restarted submitter resumes: when the run folder already holds this run's checkpoint it
 * continues from it, and every unit already finished on the engine (named by its input's
 * sha256, `units.ts`) is reused rather than trained again; started with an empty folder, it
 * replays the run from its start, reusing every finished unit whose state is still stored.
 * When the run completes its blobs are deleted (the run folder holds the result).
 *
 * @module
 */
import { type Config, isSeriesDataset } from "../config/schema.ts";
import { ConfigError } from "../config/errors.ts";
import { tf } from "../deps_tf.ts";
import { holdsRun } from "../run/folder.ts";
import { train, type TrainResult } from "../train/loop.ts";
import { clientOptions, EngineError, openChecked } from "./connect.ts";
import { Queue, type Redis } from "./deps_bullmq.ts";
import { BULL_PREFIX, keys, QUEUE } from "./keys.ts";
import { createDistributedDtMethod, type Engine } from "./method.ts";
import { configDifference, dataCheck } from "./record.ts";
import { type BlobStore, FolderBlobStore, RedisBlobStore } from "./store.ts";
import { parseEngineUrl } from "./url.ts";

/** Options of {@linkcode trainDistributed}. */
export interface DistributedOptions {
  /** `redis://[:password@]host:port/run-id` (or `rediss://`). */
  url: string;
  /** A folder every machine mounts, for the weights (default: through Redis). */
  store?: string;
  /** Batches between unit checkpoints (default 50). */
  unitCheckpoint?: number;
  /** Attempts per unit before the run stops (default 3). */
  attempts?: number;
  /** Start over in a folder that already holds a run. */
  overwrite?: boolean;
  /** No progress bar or log lines. */
  quiet?: boolean;
  /** Poll interval for unit results, ms (default 250). */
  pollMs?: number;
}

/** Trains `config` through the engine (see the module doc). */
export async function trainDistributed(
  config: Config,
  o: DistributedOptions,
): Promise<TrainResult> {
  const log = (s: string) => o.quiet || console.error(s);
  const url = parseEngineUrl(o.url, { runId: "required", flag: "--distributed" });
  const runId = url.runId!;
  if (config.method !== "noprop" || config.variant !== "dt") {
    throw new ConfigError(
      `--distributed trains NoProp-DT only (method noprop, variant dt): its blocks train ` +
        `independently; ${
          config.method === "backprop" ? "the backprop baseline" : `variant ${config.variant}`
        } does not split into blocks`,
    );
  }
  if (config.fuseBlocks) {
    throw new ConfigError(
      "--fuse-blocks trains the T blocks in one step on one device; --distributed trains each " +
        "block as its own work unit: drop one of them",
    );
  }
  if (isSeriesDataset(config.dataset)) {
    throw new ConfigError(
      `--distributed trains image classifiers only: dataset ${config.dataset} is a time series, ` +
        `whose forecasters train in one process`,
    );
  }
  const cfg: Config = { ...config, runName: config.runName ?? runId };
  if (cfg.workers > 1) {
    log(
      `note: --workers ${cfg.workers} is not used by a distributed run (each worker process trains one unit at a time)`,
    );
  }
  const unitCheckpoint = o.unitCheckpoint ?? 50;
  if (!(Number.isInteger(unitCheckpoint) && unitCheckpoint >= 1)) {
    throw new ConfigError(`--unit-checkpoint: must be an integer ≥ 1, got ${o.unitCheckpoint}`);
  }
  const client = await openChecked(url);
  let queue: Queue | undefined;
  const k = keys(runId);
  try {
    const existing = await client.hget(k.run, "config");
    const storeName = o.store ?? "redis";
    let resumeDir: string | undefined;
    const folder = `${cfg.outDir}/${cfg.runName}`;
    if (existing) {
      const diff = configDifference(JSON.parse(existing), cfg);
      if (diff) {
        throw new EngineError(
          `run id ${runId} on ${url.server} already holds a run with another config (${diff}): ` +
            `choose another run id`,
        );
      }
      const stored = await client.hget(k.run, "store");
      if (stored !== storeName) {
        throw new EngineError(
          `run id ${runId} stores its weights in ${stored === "redis" ? "Redis" : stored}, not ` +
            `${storeName === "redis" ? "Redis" : storeName}: give the same --store`,
        );
      }
      if (!o.overwrite && await holdsRun(folder)) {
        resumeDir = folder;
        log(`run ${runId} exists on the engine: continuing it from ${folder}`);
      }
    }
    const now = new Date().toISOString();
    await client.hset(k.run, {
      config: JSON.stringify(cfg),
      state: "running",
      message: "",
      store: storeName,
      unitCheckpoint: String(unitCheckpoint),
      updated: now,
      ...(existing ? {} : { created: now }),
    });
    const store: BlobStore = o.store
      ? new FolderBlobStore(o.store, runId)
      : new RedisBlobStore(client, runId);
    queue = new Queue(QUEUE, { connection: clientOptions(url), prefix: BULL_PREFIX });
    queue.on("error", () => {}); // connection trouble surfaces through the commands
    const engine: Engine = {
      url,
      runId,
      client,
      queue,
      store,
      attempts: o.attempts ?? 3,
      log,
      pollMs: o.pollMs,
    };
    let result: TrainResult;
    try {
      result = await train(cfg, {
        resumeDir,
        overwrite: o.overwrite,
        quiet: o.quiet,
        method: async (ctx) => {
          await client.hset(k.run, {
            backend: tf.getBackend(),
            dataCheck: await dataCheck(ctx.run.train),
          });
          return createDistributedDtMethod(ctx, engine);
        },
      });
    } catch (err) {
      const msg = url.redact(err instanceof Error ? err.message : String(err)).split("\n")[0];
      await client.hset(k.run, {
        state: "failed",
        message: msg,
        updated: new Date().toISOString(),
      });
      throw err;
    }
    const done = !result.interrupted;
    await client.hset(k.run, {
      state: done ? "done" : "interrupted",
      message: `${result.steps} steps → ${result.runDir}`,
      updated: new Date().toISOString(),
    });
    if (done) await dropBlobs(client, runId, store);
    return result;
  } finally {
    await queue?.close().catch(() => {});
    client.disconnect();
  }
}

/** Deletes every blob of a finished run (its run folder holds the result). */
async function dropBlobs(client: Redis, runId: string, store: BlobStore): Promise<void> {
  const k = keys(runId);
  if (store instanceof RedisBlobStore) {
    await store.remove(await client.smembers(k.blobs));
  } else {
    await Deno.remove(store.where, { recursive: true }).catch(() => {});
  }
  await client.del(k.results, k.ck);
}
