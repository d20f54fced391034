/**
 * Connections to the engine's Redis: the options every client gets (BullMQ's queues and workers
 * open their own connections from them), and {@linkcode openChecked}, which connects once,
 * authenticates and pings before anything else happens, so that an unreachable server, a wrong
 * password or a TLS mismatch is one clear line ({@linkcode EngineError}) instead of the
 * client's endless reconnect loop. No message ever contains the password (`url.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clientOptions } from "./connect.ts";
 * import { parseEngineUrl } from "./url.ts";
 * const o = clientOptions(parseEngineUrl("rediss://:pw@h:6390", { runId: "none" }));
 * assert.deepEqual([o.host, o.port, o.password, o.maxRetriesPerRequest], ["h", 6390, "pw", null]);
 * assert.ok(o.tls); // rediss://
 * ```
 * @module
 */
import { Redis, type RedisOptions } from "./deps_bullmq.ts";
import type { EngineUrl } from "./url.ts";

/** A failure to reach or use the engine: the CLIs print it as one line and exit non-zero. */
export class EngineError extends Error {
  /** Creates the error from a one-line message (already free of the password). */
  constructor(message: string) {
    super(message);
    this.name = "EngineError";
  }
}

/**
 * ioredis options for `url`: BullMQ needs `maxRetriesPerRequest: null` (commands wait for a
 * reconnect instead of failing), and `rediss://` turns TLS on with the host as server name.
 */
export function clientOptions(url: EngineUrl): RedisOptions {
  return {
    host: url.host,
    port: url.port,
    username: url.username,
    password: url.password,
    db: url.db,
    maxRetriesPerRequest: null,
    ...(url.tls ? { tls: { servername: url.host } } : {}),
  };
}

/**
 * Connects to `url`, authenticates and pings, giving up after `timeoutMs`; resolves to a
 * client for the caller's own commands (reconnecting as usual from then on), or rejects with
 * one {@linkcode EngineError} line naming the server and what is wrong.
 */
export async function openChecked(url: EngineUrl, timeoutMs = 5000): Promise<Redis> {
  let last: Error | undefined;
  const probe = new Redis({
    ...clientOptions(url),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  probe.on("error", (e: Error) => last = e);
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    probe.disconnect();
    throw explain(url, (last ?? err) as Error, err as Error);
  }
  probe.disconnect();
  const client = new Redis({ ...clientOptions(url), connectTimeout: timeoutMs });
  client.on("error", () => {}); // reconnects; failing commands reject on their own
  return client;
}

function explain(url: EngineUrl, cause: Error, thrown: Error): EngineError {
  const msg = url.redact(`${thrown.message} ${cause.message}`);
  const code = (cause as Error & { code?: string }).code ?? "";
  if (/WRONGPASS|invalid password|invalid username-password/i.test(msg)) {
    return new EngineError(
      `Redis at ${url.server} refused the credentials (wrong password or user)`,
    );
  }
  if (/NOAUTH|Authentication required/i.test(msg)) {
    return new EngineError(
      `Redis at ${url.server} needs a password: give it as redis://:PASSWORD@host:port`,
    );
  }
  if (/without any password configured/i.test(msg)) {
    return new EngineError(`Redis at ${url.server} has no password set, but the address gives one`);
  }
  const why = code || url.redact(cause.message).split("\n")[0];
  return new EngineError(
    `cannot reach Redis at ${url.server}${url.tls ? " over TLS" : ""}: ${why}` +
      (url.tls ? "" : " (is redis-server running there, and is the port open?)"),
  );
}
