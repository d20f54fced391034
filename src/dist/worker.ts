/**
 * A worker process of the distributed engine (`deno task worker redis://host:port`): a BullMQ
 * worker on the units queue that trains one unit at a time (`unit_train.ts`) for whichever run
 * the unit belongs to. It sets a run up from its record (config, backend, data check, store:
 * `record.ts`) the first time it sees one of its units and keeps that setup (data and model)
 * for the next units of the run. It executes only this project's training code: a job carries
 * plain numbers and sha256 names (`units.ts` {@linkcode UnitJob}), never code.
 *
 * Faults, all the engine's own mechanisms: the job lock is renewed while a unit trains (between
 * chunks); a worker that dies stops renewing it, and after `lockSeconds` BullMQ's stalled-job
 * check (run by the other workers) puts the unit back on the queue, where another worker picks
 * it up from its last unit checkpoint. A unit that throws is retried (`attempts`, set by the
 * submitter); a non-finite loss is not retried (it would happen again). Every failure reason
 * starts with the worker's id, `host:pid`, which the submitter's one-line error names.
 *
 * @module
 */
import { initBackend } from "../backend/mod.ts";
import { validateConfig } from "../config/load.ts";
import type { BackendChoice } from "../config/schema.ts";
import { disposeModel } from "../model/noprop.ts";
import { loadRunData, NonFiniteLossError } from "../train/batches.ts";
import { buildDtModel, trainerHyper } from "../train/dt/setup.ts";
import { clientOptions, openChecked } from "./connect.ts";
import { type Job, type Redis, UnrecoverableError, Worker } from "./deps_bullmq.ts";
import { BULL_PREFIX, keys, QUEUE, WORKERS } from "./keys.ts";
import { sharedMode } from "./method.ts";
import { dataCheck } from "./record.ts";
import { type BlobStore, FolderBlobStore, RedisBlobStore } from "./store.ts";
import { type RunSetup, trainUnit, type UnitIo } from "./unit_train.ts";
import {
  partName,
  type PartProgress,
  type UnitCheckpoint,
  type UnitJob,
  unitKey,
  type UnitResult,
} from "./units.ts";
import type { EngineUrl } from "./url.ts";

/** Options of {@linkcode runWorker}. */
export interface WorkerOptions {
  /** The engine (no run id: a worker serves every run). */
  url: EngineUrl;
  /** Data folder here, when not the one in the run's config. */
  dataDir?: string;
  /** The shared store folder as mounted here, when the run uses `--store`. */
  store?: string;
  /** BullMQ lock time, seconds: a dead worker's unit goes back on the queue after this. */
  lockSeconds: number;
  /** Log lines (stderr). */
  log: (line: string) => void;
  /** Stop after this many units (0: run until stopped). */
  maxUnits?: number;
  /**
   * tfjs backend here (default: the submitter's, which bit-identity needs; a GPU worker passes
   * `webgpu`, and its results then differ from a CPU run's in rounding).
   */
  backend?: BackendChoice;
}

interface Setup {
  runId: string;
  setup: RunSetup;
  store: BlobStore;
  checkpointEvery: number;
}

/**
 * Serves units until SIGINT/SIGTERM (the current unit is finished first; a second signal quits
 * at once) or `maxUnits`; resolves to the exit status.
 */
export async function runWorker(o: WorkerOptions): Promise<number> {
  const client = await openChecked(o.url);
  const id = `${Deno.hostname()}:${Deno.pid}`;
  let current: Setup | undefined, pending: Promise<Setup> | undefined, units = 0;
  let unit: string | undefined;
  const since = Date.now();
  const beat = () =>
    client.hset(
      WORKERS,
      id,
      JSON.stringify({ since, seen: Date.now(), units, unit: unit ?? null, run: current?.runId }),
    ).catch(() => {});
  await beat();
  const heartbeat = setInterval(beat, 5000);

  const setupFor = async (runId: string): Promise<Setup> => {
    if (current?.runId === runId) return current;
    if (current) disposeModel(current.setup.model);
    current = undefined;
    return current = await prepareRun(client, runId, o);
  };

  const worker = new Worker(
    QUEUE,
    async (job: Job) => {
      const j = job.data as UnitJob;
      const key = unitKey(j);
      unit = `${j.run} ${partName(j.part)} e${j.epoch}`;
      await beat();
      try {
        pending = setupFor(j.run);
        const s = await pending;
        return await runUnit(client, s, j, key, id, o.log);
      } catch (err) {
        const msg = `${id}: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}`;
        o.log(`${partName(j.part)} epoch ${j.epoch}: ${msg}`);
        if (err instanceof NonFiniteLossError) throw new UnrecoverableError(msg);
        throw new Error(msg);
      } finally {
        unit = undefined;
        units++;
        await beat();
        if (o.maxUnits && units >= o.maxUnits) queueMicrotask(() => stop());
      }
    },
    {
      connection: clientOptions(o.url),
      prefix: BULL_PREFIX,
      concurrency: 1,
      lockDuration: o.lockSeconds * 1000,
      stalledInterval: o.lockSeconds * 1000,
      maxStalledCount: 3,
    },
  );
  let lastError = "";
  worker.on("error", (e: Error) => {
    const m = o.url.redact(e.message);
    if (m !== lastError) o.log(`engine: ${m}`);
    lastError = m;
  });
  let stopping: Promise<void> | undefined;
  const stop = () => stopping ??= worker.close().then(() => {});
  const onSignal = () => {
    if (stopping) Deno.exit(130);
    o.log("stopping after the current unit (again to quit now)");
    stop();
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, onSignal);
  o.log(`worker ${id} serving ${o.url.server} (lock ${o.lockSeconds} s)`);
  await worker.waitUntilReady();
  await new Promise<void>((resolve) => worker.on("closed", () => resolve()));
  for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.removeSignalListener(sig, onSignal);
  clearInterval(heartbeat);
  await client.hdel(WORKERS, id).catch(() => {});
  client.disconnect();
  void pending;
  return 0;
}

/** Reads run `runId`'s record and sets up its data, model and store in this process. */
async function prepareRun(client: Redis, runId: string, o: WorkerOptions): Promise<Setup> {
  const h = await client.hgetall(keys(runId).run);
  if (!h.config) throw new Error(`run ${runId} has no record on ${o.url.server}`);
  const cfg = validateConfig(JSON.parse(h.config), `the record of run ${runId}`);
  if (o.dataDir) cfg.dataDir = o.dataDir;
  await initBackend(o.backend ?? (h.backend ?? cfg.backend) as BackendChoice);
  const run = await loadRunData(cfg);
  if (h.dataCheck && h.dataCheck !== await dataCheck(run.train)) {
    throw new Error(
      `the training data loaded here (${
        cfg.dataDir ?? "default data folder"
      }) differ from the submitter's`,
    );
  }
  const store = h.store === "redis"
    ? new RedisBlobStore(client, runId)
    : new FolderBlobStore(o.store ?? h.store, runId);
  const setup: RunSetup = {
    cfg,
    run,
    model: buildDtModel(cfg, run),
    hyper: trainerHyper(cfg),
    mode: sharedMode(cfg),
  };
  o.log(`set up run ${runId}: ${cfg.dataset}, T=${cfg.T}, ${run.train.count} training images`);
  return { runId, setup, store, checkpointEvery: Math.max(1, Number(h.unitCheckpoint) || 50) };
}

/** Trains one unit and records its result. */
async function runUnit(
  client: Redis,
  s: Setup,
  j: UnitJob,
  key: string,
  id: string,
  log: (line: string) => void,
): Promise<UnitResult> {
  const k = keys(j.run), part = partName(j.part);
  const before = { ...s.store.traffic };
  const progress = (p: Partial<PartProgress>) =>
    client.hset(
      k.progress,
      part,
      JSON.stringify(
        {
          unit: key,
          epoch: j.epoch,
          from: j.from,
          to: j.to,
          batch: j.from,
          state: "active",
          worker: id,
          at: Date.now(),
          ...p,
        } satisfies PartProgress,
      ),
    );
  await progress({});
  const io: UnitIo = {
    store: s.store,
    checkpointEvery: s.checkpointEvery,
    loadCheckpoint: async () => {
      const raw = await client.hget(k.ck, key);
      return raw ? JSON.parse(raw) as UnitCheckpoint : null;
    },
    saveCheckpoint: async (ck) => {
      const prev = await client.hget(k.ck, key);
      await client.hset(k.ck, key, JSON.stringify(ck));
      const old = prev ? (JSON.parse(prev) as UnitCheckpoint).sha : undefined;
      if (old && old !== ck.sha) await s.store.remove([old]);
    },
    progress: async (batch, lossSum) => void await progress({ batch, lossSum }),
  };
  const out = await trainUnit(s.setup, j, io);
  const t = s.store.traffic;
  const result: UnitResult = {
    ...out,
    worker: id,
    bytes: t.bytesUp - before.bytesUp + t.bytesDown - before.bytesDown,
    redisSeconds: t.seconds - before.seconds,
  };
  await client.hset(k.results, key, JSON.stringify(result));
  const ck = await client.hget(k.ck, key);
  if (ck) {
    await s.store.remove([(JSON.parse(ck) as UnitCheckpoint).sha]);
    await client.hdel(k.ck, key);
  }
  await progress({ batch: j.to, state: "done", lossSum: out.lossSum });
  log(
    `${part} epoch ${j.epoch} batches ${j.from}–${j.to} done in ${out.seconds.toFixed(1)} s` +
      (out.resumedAt !== undefined
        ? ` (resumed at batch ${out.resumedAt} from its unit checkpoint)`
        : ""),
  );
  return result;
}
