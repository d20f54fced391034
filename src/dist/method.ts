/**
 * NoProp-DT trained through the engine, behind the training loop's {@linkcode TrainMethod} seam:
 * the loop (`src/train/loop.ts`) runs unchanged in the submitting process (run folder, resume,
 * checkpoints, evaluation, metrics), and this method's `run` turns each range of batches into
 * work units on the BullMQ queue, waits for them and keeps the sha256 of every part's newest
 * state (its "head"). Evaluation and checkpoints happen here, on the submitter's copy of the
 * model, which `state()` fills from the heads.
 *
 * How the shared parameters (the classifier, and W_Embed when learnable) are handled:
 * - one-hot embedding (`onehot`): the blocks do not depend on the classifier, and the
 *   classifier's gradient does not depend on the blocks (it sees only z_T drawn from the label).
 *   So each range is T block units plus one classifier unit, all independent, and the result is
 *   the one-process run's, bit for bit (the classifier unit replays the T updates per batch,
 *   `classifier_trainer.ts`). A block unit trains its own copy of the classifier (the step does),
 *   which is thrown away: block t's reported loss uses that copy, so its CE term (not its weights)
 *   differs slightly from a one-process run's.
 * - learned or prototype embedding (`central`): the blocks need W_Embed, which every block's
 *   loss updates, as it does the classifier. Each range is `syncEvery` batches; every block
 *   unit trains from the shared parameters as the range starts and, instead of updating them,
 *   records its gradient of them at every batch (`recorder.ts`). The submitter then applies all
 *   of them with the one shared AdamW, in a one-process run's order (batch by batch, t = 1..T),
 *   and the next range starts from the result. This is the one-process algorithm with stale
 *   gradients, and the staleness is bounded: a gradient is computed on shared parameters at most
 *   `syncEvery` batches old (at most `syncEvery`·T − 1 shared updates behind). With T = 1 and
 *   `syncEvery` 1 nothing is stale and the run is a one-process run, bit for bit (tested).
 *   (`--workers N` on one machine averages per-worker copies instead; a copy's own AdamW
 *   reweights the blocks' gradients, which drifts far from a one-process run with a learned
 *   embedding, hence this scheme here.)
 *
 * @module
 */
import type { Config } from "../config/schema.ts";
import { disposeModel } from "../model/noprop.ts";
import type { AdamWState } from "../train/adamw.ts";
import type { RngState } from "../rng.ts";
import { batchesPerEpoch, type RangeResult } from "../train/batches.ts";
import type { MethodContext, TrainMethod } from "../train/method.ts";
import { evaluateDtModel } from "../train/dt/method.ts";
import { buildDtModel } from "../train/dt/setup.ts";
import { tf } from "../deps_tf.ts";
import { AdamW } from "../train/adamw.ts";
import { sharedVariables } from "../train/dt/step.ts";
import { sharedState } from "./unit_train.ts";
import { assignModel, blockPrefix, dtMetadata, modelArrays } from "../train/dt/weights.ts";
import { EngineError } from "./connect.ts";
import { Job, type Queue, type Redis } from "./deps_bullmq.ts";
import { initialStates } from "./initial.ts";
import { keys } from "./keys.ts";
import type { BlobStore } from "./store.ts";
import { decodeUnitState, encodeUnitState, type UnitState } from "./unit_state.ts";
import type { SharedMode } from "./unit_train.ts";
import { partName, type PartProgress, type UnitJob, unitKey, type UnitResult } from "./units.ts";
import type { EngineUrl } from "./url.ts";

/** The engine as the submitter holds it. */
export interface Engine {
  /** The run's address (password hidden in `shown`). */
  url: EngineUrl;
  /** Run id. */
  runId: string;
  /** A client for the run's records. */
  client: Redis;
  /** The work-unit queue. */
  queue: Queue;
  /** Where states travel. */
  store: BlobStore;
  /** Attempts per unit before the run stops (BullMQ `attempts`). */
  attempts: number;
  /** Progress lines (quiet runs: nothing). */
  log: (line: string) => void;
  /** Poll interval for unit results, ms. */
  pollMs?: number;
}

/** The shared-parameter mode of a config (see the module doc). */
export function sharedMode(cfg: Pick<Config, "embedding">): SharedMode {
  return cfg.embedding === "onehot" ? "onehot" : "central";
}

/** Builds the distributed DT method for the loop (restoring `ctx.checkpoint` when given). */
export async function createDistributedDtMethod(
  ctx: MethodContext,
  engine: Engine,
): Promise<TrainMethod> {
  const { cfg, run, checkpoint: ck } = ctx;
  const model = buildDtModel(cfg, run);
  if (ck) assignModel(model, ck.tensors);
  const mode = sharedMode(cfg);
  const start = await initialStates(model, cfg.seed, mode, ck);
  const put = (s: UnitState, kind: string) => engine.store.put(encodeUnitState(s, kind));
  const heads = {
    blocks: await Promise.all(start.blocks.map((s) => put(s, "block"))),
    classifier: start.classifier ? await put(start.classifier, "classifier") : undefined,
    shared: await put(start.shared, "shared"),
  };
  let sharedOpt: AdamW | undefined;
  if (mode === "central") {
    sharedOpt = new AdamW(sharedVariables(model), {
      lr: cfg.lr,
      weightDecay: cfg.weightDecay,
      beta1: cfg.beta1,
      beta2: cfg.beta2,
      eps: cfg.adamEps,
    });
    sharedOpt.load(start.sharedOpt);
  }
  const d = new Dispatcher(engine, model.blocks.length);
  const T = model.blocks.length;
  let traffic = { bytes: 0, seconds: 0, unitMax: 0 };
  let synced = { ...heads, blocks: heads.blocks.slice() }; // heads already in `model`
  const states = new Map<number, UnitState>(); // decoded heads, by part
  const perEpoch = batchesPerEpoch(run.train, cfg.batchSize);
  return {
    name: "dt",
    params: model.blocks.reduce((n, b) => n + b.size(), 0) + model.classifier.size() +
      (model.embedding.trainable ? model.embedding.W.size : 0),
    meta: dtMetadata(model, run.data.info),
    description: `NoProp-DT, T=${cfg.T}, ${model.blocks[0].size()} params/block, ` +
      `distributed through ${engine.url.shown} (${
        mode === "onehot"
          ? "one-hot: exact"
          : `shared parameters synchronised every ${cfg.syncEvery} batches`
      })`,
    lossParts: T,
    rangeSize: mode === "onehot" ? perEpoch : cfg.syncEvery,
    sampler: { name: "dt", steps: T },
    async run(epoch, from, to, onBatch): Promise<RangeResult> {
      const jobs: UnitJob[] = heads.blocks.map((input, i) => ({
        run: engine.runId,
        part: i + 1,
        epoch,
        from,
        to,
        input,
        shared: heads.shared,
      }));
      if (mode === "onehot") {
        jobs.push({ run: engine.runId, part: 0, epoch, from, to, input: heads.classifier! });
      }
      const storeBefore = { ...engine.store.traffic };
      const results = await d.dispatch(jobs, onBatch);
      results.slice(0, T).forEach((r, i) => heads.blocks[i] = r.state);
      if (mode === "onehot") {
        heads.classifier = results[T].state;
        heads.shared = results[T].shared!;
      } else {
        // Every block's gradient of the shared parameters, applied in a one-process run's order
        // (batch by batch, t = 1..T) by the one shared AdamW.
        const grads = await Promise.all(
          results.slice(0, T).map(async (r) =>
            decodeUnitState(await engine.store.get(r.grads!), "grads").params
          ),
        );
        const vars = sharedVariables(model);
        for (let b = from; b < to; b++) {
          for (const g of grads) {
            const ts = vars.map((v, i) => tf.tensor(g[`g.${b}.${i}`].data, v.shape, "float32"));
            sharedOpt!.apply(ts);
            tf.dispose(ts);
          }
        }
        heads.shared = await put(await sharedState(model), "shared");
      }
      const t = engine.store.traffic;
      traffic = {
        bytes: traffic.bytes + results.reduce((n, r) => n + r.bytes, 0) +
          (t.bytesUp - storeBefore.bytesUp) + (t.bytesDown - storeBefore.bytesDown),
        seconds: traffic.seconds + results.reduce((n, r) => n + r.redisSeconds, 0) +
          (t.seconds - storeBefore.seconds),
        unitMax: Math.max(traffic.unitMax, ...results.map((r) => r.seconds)),
      };
      const lossSum = new Float64Array(T);
      for (const r of results) r.lossSum.forEach((v, i) => lossSum[i] += v);
      return { lossSum, batches: to - from };
    },
    async state() {
      // Bring the heads that changed into the submitter's model, then read it out.
      const optimizers: Record<string, AdamWState> = {};
      const rngs: Record<string, RngState> = {};
      const load = async (part: number, sha: string, old: string | undefined, kind: string) => {
        if (sha !== old || !states.has(part)) {
          states.set(part, decodeUnitState(await engine.store.get(sha), kind));
        }
        return states.get(part)!;
      };
      for (let t = 1; t <= T; t++) {
        const s = await load(t, heads.blocks[t - 1], synced.blocks[t - 1], "block");
        model.blocks[t - 1].assignFrom(s.params);
        optimizers[blockPrefix(t)] = s.optimizers.block;
        rngs[t] = s.rngs.noise;
      }
      if (mode === "onehot") {
        const c = await load(0, heads.classifier!, synced.classifier, "classifier");
        model.classifier.assignFrom(c.params);
        optimizers.shared_0 = c.optimizers.shared;
      } else {
        optimizers.shared_0 = await sharedOpt!.state(); // the shared parameters are in `model`
      }
      synced = { ...heads, blocks: heads.blocks.slice() };
      return { weights: await modelArrays(model), optimizers, rngs };
    },
    evaluate: () => evaluateDtModel(model, run, cfg),
    /**
     * Engine figures of the ranges since the last line: MB the workers and this process moved
     * through the store while the units ran (not the reads of `state()` for the checkpoint), the
     * seconds all of them waited on it, and the slowest unit's training seconds.
     */
    extra() {
      const out = {
        engineMB: +(traffic.bytes / 2 ** 20).toFixed(3),
        engineWaitSeconds: +traffic.seconds.toFixed(3),
        slowestUnitSeconds: +traffic.unitMax.toFixed(3),
      };
      traffic = { bytes: 0, seconds: 0, unitMax: 0 };
      return Promise.resolve(out);
    },
    close() {
      sharedOpt?.dispose();
      disposeModel(model);
    },
  };
}

/** Enqueues units and waits for their results (see the module doc). */
class Dispatcher {
  readonly #k: ReturnType<typeof keys>;

  constructor(readonly engine: Engine, readonly T: number) {
    this.#k = keys(engine.runId);
  }

  /** Results of `jobs`, in order; reuses finished units, fails on a unit that failed for good. */
  async dispatch(jobs: UnitJob[], onBatch: (loss: number) => void): Promise<UnitResult[]> {
    const { engine } = this, c = engine.client;
    const ids = jobs.map(unitKey);
    const results: (UnitResult | undefined)[] = await this.#finished(ids);
    for (let i = 0; i < jobs.length; i++) {
      if (results[i]) continue;
      await this.#enqueue(jobs[i], ids[i]);
    }
    const reused = results.filter(Boolean).length;
    if (reused) {
      engine.log(`${reused} of ${jobs.length} units of this range were already done: reused`);
    }
    let shown = 0, polls = 0;
    const blockJobs = jobs.filter((j) => j.part > 0);
    while (results.some((r) => !r)) {
      await new Promise((r) => setTimeout(r, engine.pollMs ?? 250));
      const pending = ids.map((_, i) => results[i] ? -1 : i).filter((i) => i >= 0);
      const found = await this.#finished(pending.map((i) => ids[i]));
      pending.forEach((i, n) => results[i] = found[n]);
      // The progress bar follows the slowest block.
      const prog = await c.hmget(this.#k.progress, ...blockJobs.map((j) => partName(j.part)));
      let slowest = Infinity, loss = 0;
      prog.forEach((p, n) => {
        const j = blockJobs[n], id = unitKey(j);
        const r = results[ids.indexOf(id)];
        const pp = p ? JSON.parse(p) as PartProgress : undefined;
        const at = r ? j.to : pp?.unit === id ? pp.batch : j.from;
        slowest = Math.min(slowest, at);
        const ls = r?.lossSum ?? (pp?.unit === id ? pp.lossSum : undefined);
        if (ls && at > j.from) loss += ls[j.part - 1] / (at - j.from) / blockJobs.length;
      });
      const done = Math.max(0, slowest - jobs[0].from);
      while (shown < done) shown++, onBatch(loss);
      if (++polls % 4 === 0) await this.#checkFailures(jobs, ids, results);
    }
    return results as UnitResult[];
  }

  async #finished(ids: string[]): Promise<(UnitResult | undefined)[]> {
    if (!ids.length) return [];
    const raw = await this.engine.client.hmget(this.#k.results, ...ids);
    const out: (UnitResult | undefined)[] = [];
    for (const r of raw) {
      const res = r ? JSON.parse(r) as UnitResult : undefined;
      // A result whose state is gone (a finished run's blobs are deleted) is not reusable.
      const ok = res && await this.engine.store.has(res.state) &&
        (!res.shared || await this.engine.store.has(res.shared));
      out.push(ok ? res : undefined);
    }
    return out;
  }

  async #enqueue(job: UnitJob, id: string): Promise<void> {
    const { queue, client } = this.engine;
    const old = await Job.fromId(queue, id);
    if (old) {
      const st = await old.getState();
      if (st === "failed" || st === "completed") await old.remove(); // a new attempt, afresh
      else return; // waiting, delayed or active: already on its way
    }
    await client.hset(
      this.#k.progress,
      partName(job.part),
      JSON.stringify(
        {
          unit: id,
          epoch: job.epoch,
          from: job.from,
          to: job.to,
          batch: job.from,
          state: "queued",
          at: Date.now(),
        } satisfies PartProgress,
      ),
    );
    await queue.add(partName(job.part), job, {
      jobId: id,
      attempts: this.engine.attempts,
      backoff: { type: "fixed", delay: 1000 },
      removeOnComplete: true,
      removeOnFail: false,
    });
  }

  async #checkFailures(jobs: UnitJob[], ids: string[], results: (UnitResult | undefined)[]) {
    for (let i = 0; i < jobs.length; i++) {
      if (results[i]) continue;
      const job = await Job.fromId(this.engine.queue, ids[i]);
      if (!job) {
        // Gone without a result (removed by hand, or finished before its result could be
        // read back): enqueue it again.
        const again = await this.#finished([ids[i]]);
        if (!again[0]) await this.#enqueue(jobs[i], ids[i]);
        continue;
      }
      if ((await job.getState()) !== "failed") continue;
      const p = await this.engine.client.hget(this.#k.progress, partName(jobs[i].part));
      const last = p ? (JSON.parse(p) as PartProgress).worker : undefined;
      const reason = (job.failedReason ?? "unknown error").split("\n")[0];
      const worker = /^([^\s:]+:\d+): /.exec(reason)?.[1] ?? last ?? "unknown";
      const j = jobs[i];
      throw new EngineError(
        `${partName(j.part)} failed on worker ${worker} (epoch ${j.epoch}, batches ` +
          `${j.from}–${j.to}, ${job.attemptsMade} attempt${job.attemptsMade === 1 ? "" : "s"}): ` +
          reason.replace(/^[^\s:]+:\d+: /, ""),
      );
    }
  }
}
