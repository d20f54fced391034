/**
 * `deno task status redis://…/run-id`: where a distributed run stands, read from its records
 * (`keys.ts`): the run's state and config, what each block and the classifier is doing (unit,
 * batch, worker) and the workers' heartbeats. Plain text, one table per concern.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatStatus } from "./status.ts";
 * const text = formatStatus({
 *   runId: "r1", server: "redis://h:6379", now: 10_000,
 *   record: { state: "running", config: JSON.stringify({ dataset: "mnist", T: 2, epochs: 3 }) },
 *   parts: {
 *     "block 1": { unit: "b01.e0.0-8.x", epoch: 0, from: 0, to: 8, batch: 4, state: "active", worker: "w:1", at: 9_000 },
 *   },
 *   workers: { "w:1": { since: 0, seen: 9_000, units: 2, unit: "r1 block 1 e0", run: "r1" } },
 * });
 * assert.match(text, /run r1 on redis:\/\/h:6379: running/);
 * assert.match(text, /block 1 +epoch 0 +4\/8 +active +w:1/);
 * assert.match(text, /block 2 +- +- +not started/);
 * ```
 * @module
 */
import type { Redis } from "./deps_bullmq.ts";
import { keys, WORKERS } from "./keys.ts";
import type { PartProgress } from "./units.ts";

/** A worker's heartbeat (`noprop:workers`). */
export interface WorkerBeat {
  /** Started, ms. */
  since: number;
  /** Last heartbeat, ms. */
  seen: number;
  /** Units finished. */
  units: number;
  /** The unit it is on, if any. */
  unit: string | null;
  /** The run it last set up. */
  run?: string;
}

/** What {@linkcode formatStatus} shows. */
export interface StatusData {
  /** Run id. */
  runId: string;
  /** Server, password hidden. */
  server: string;
  /** Now, ms. */
  now: number;
  /** The run record's fields (empty: no such run). */
  record: Record<string, string>;
  /** Progress by part. */
  parts: Record<string, PartProgress>;
  /** Heartbeats by worker id. */
  workers: Record<string, WorkerBeat>;
}

/** Reads the status of `runId`. */
export async function readStatus(
  client: Redis,
  runId: string,
  server: string,
): Promise<StatusData> {
  const k = keys(runId);
  const [record, parts, workers] = await Promise.all([
    client.hgetall(k.run),
    client.hgetall(k.progress),
    client.hgetall(WORKERS),
  ]);
  const parse = <T>(o: Record<string, string>) =>
    Object.fromEntries(Object.entries(o).map(([n, v]) => [n, JSON.parse(v) as T]));
  return {
    runId,
    server,
    now: Date.now(),
    record,
    parts: parse<PartProgress>(parts),
    workers: parse<WorkerBeat>(workers),
  };
}

/** The status as text (see the module example). */
export function formatStatus(s: StatusData): string {
  if (!s.record.config) return `run ${s.runId} on ${s.server}: no such run`;
  const cfg = JSON.parse(s.record.config) as { dataset: string; T: number; epochs: number };
  const ago = (ms: number) => `${Math.max(0, Math.round((s.now - ms) / 1000))} s ago`;
  const lines = [
    `run ${s.runId} on ${s.server}: ${s.record.state ?? "?"}` +
    (s.record.message ? ` (${s.record.message})` : ""),
    `${cfg.dataset}, NoProp-DT T=${cfg.T}, ${cfg.epochs} epochs; weights through ` +
    `${s.record.store === "redis" || !s.record.store ? "Redis" : s.record.store}`,
    "",
  ];
  const rows: string[][] = [["part", "unit", "batch", "state", "worker", "updated"]];
  const names = [...Array.from({ length: cfg.T }, (_, i) => `block ${i + 1}`), "classifier"];
  for (const n of names) {
    const p = s.parts[n];
    if (!p) {
      if (n !== "classifier") rows.push([n, "-", "-", "not started", "", ""]);
      continue;
    }
    rows.push([
      n,
      `epoch ${p.epoch}`,
      `${p.batch - p.from}/${p.to - p.from}`,
      p.state,
      p.worker ?? "",
      ago(p.at),
    ]);
  }
  lines.push(...table(rows), "");
  const wrows: string[][] = [["worker", "doing", "units done", "last seen"]];
  for (const [id, w] of Object.entries(s.workers)) {
    const stale = s.now - w.seen > 30_000;
    wrows.push([id, stale ? "gone?" : w.unit ?? "idle", String(w.units), ago(w.seen)]);
  }
  lines.push(...(wrows.length > 1 ? table(wrows) : ["no workers"]));
  return lines.join("\n");
}

function table(rows: string[][]): string[] {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) => r.map((v, c) => v.padEnd(w[c])).join("  ").trimEnd());
}
