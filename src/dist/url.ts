/**
 * The address of a distributed run: `redis://[[user]:password@]host[:port][/run-id][?db=N]`, or
 * `rediss://…` for Redis over TLS. The path is the run id (letters, digits, `.`, `_`, `-`; at
 * most 64), not Redis's database number, which goes in `?db=`. The password is kept out of
 * every printed form: {@linkcode EngineUrl.shown} replaces it with `***`, and
 * {@linkcode redact} scrubs it from any message (an error text from the client, say).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseEngineUrl } from "./url.ts";
 * const u = parseEngineUrl("redis://:s3cret@10.0.0.5:6380/mnist-a", { runId: "required" });
 * assert.deepEqual([u.host, u.port, u.runId, u.tls], ["10.0.0.5", 6380, "mnist-a", false]);
 * assert.equal(u.shown, "redis://:***@10.0.0.5:6380/mnist-a");
 * assert.equal(u.redact("AUTH s3cret failed"), "AUTH *** failed");
 * ```
 * @module
 */
import { ConfigError } from "../config/errors.ts";

/** A parsed engine address (see the module doc). */
export interface EngineUrl {
  /** `rediss://`: TLS to Redis. */
  tls: boolean;
  /** Host name or address. */
  host: string;
  /** TCP port (6379 when absent). */
  port: number;
  /** ACL user name, if any. */
  username?: string;
  /** Password, if any: never print it. */
  password?: string;
  /** Redis database number (`?db=`, default 0). */
  db: number;
  /** The run id (the path), if given. */
  runId?: string;
  /** The address without the run id, password hidden. */
  server: string;
  /** The whole address, password hidden: the only form to print or save. */
  shown: string;
  /** `text` with the password replaced by `***`. */
  redact(text: string): string;
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Parses an engine address; bad input is a one-line {@linkcode ConfigError} that never
 * contains the password. `runId`: whether the address must name a run (`deno task train
 * --distributed`, `deno task status`) or must not (`deno task worker`, which serves every run).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseEngineUrl } from "./url.ts";
 * const w = parseEngineUrl("rediss://worker:pw@redis.example:6390?db=2", { runId: "none" });
 * assert.deepEqual([w.tls, w.username, w.db, w.shown], [true, "worker", 2, "rediss://worker:***@redis.example:6390?db=2"]);
 * assert.throws(() => parseEngineUrl("redis://h:6379", { runId: "required" }), /names no run id/);
 * assert.throws(() => parseEngineUrl("http://h/x", { runId: "required" }), /must start with redis:\/\//);
 * ```
 */
export function parseEngineUrl(
  text: string,
  o: { runId: "required" | "none"; flag?: string },
): EngineUrl {
  const flag = o.flag ?? "the Redis address";
  const m =
    /^(rediss?):\/\/(?:([^:@/]*)(?::([^@/]*))?@)?(\[[^\]]+\]|[^:/?@]+)(?::(\d+))?(?:\/([^?]*))?(?:\?(.*))?$/
      .exec(text);
  const scrub = (s: string) => {
    const pw = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^:@/]*:([^@/]*)@/.exec(s)?.[1];
    return pw ? s.split(pw).join("***") : s;
  };
  if (!m) {
    throw new ConfigError(
      `${flag} "${scrub(text)}" must start with redis:// or rediss:// and name a host ` +
        `(redis://[:password@]host[:port]/run-id)`,
    );
  }
  const [, scheme, user, pass, host, portText, path, query] = m;
  const port = portText ? Number(portText) : 6379;
  if (!(port >= 1 && port <= 65535)) {
    throw new ConfigError(`${flag}: port ${portText} is not in 1..65535`);
  }
  let db = 0;
  for (const kv of (query ?? "").split("&").filter(Boolean)) {
    const [k, v] = kv.split("=");
    if (k !== "db" || !/^\d+$/.test(v ?? "")) {
      throw new ConfigError(`${flag}: unknown query "${kv}" (only ?db=N is understood)`);
    }
    db = Number(v);
  }
  const runId = path ? decodeURIComponent(path) : undefined;
  if (o.runId === "required" && !runId) {
    throw new ConfigError(
      `${flag} ${scrub(text)} names no run id: add it as the path, e.g. redis://host:6379/mnist-1`,
    );
  }
  if (o.runId === "none" && runId) {
    throw new ConfigError(
      `${flag}: a worker serves every run: give the server without a run id ("/${runId}")`,
    );
  }
  if (runId !== undefined && !RUN_ID.test(runId)) {
    throw new ConfigError(
      `${flag}: run id "${runId}" must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
  const password = pass !== undefined && pass !== "" ? decodeURIComponent(pass) : undefined;
  const username = user ? decodeURIComponent(user) : undefined;
  const auth = username || password ? `${user ?? ""}${password ? ":***" : ""}@` : "";
  const server = `${scheme}://${auth}${host}:${port}`;
  const q = db ? `?db=${db}` : "";
  const redact = (s: string) => (password ? s.split(password).join("***") : s);
  return {
    tls: scheme === "rediss",
    host: host.replace(/^\[|\]$/g, ""),
    port,
    username,
    password,
    db,
    runId,
    server: server + q,
    shown: `${server}${runId ? `/${runId}` : ""}${q}`,
    redact,
  };
}
