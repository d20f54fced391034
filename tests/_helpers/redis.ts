/**
 * A throw-away `redis-server` for the distributed tests: started on a free port of 127.0.0.1 in
 * a temp folder (no persistence, optional password), stopped and removed by `stop()`. When
 * Debian's `redis-server` is not installed the tests that need it are ignored, and say so
 * (`.ci/run` installs it).
 * @module
 */

/** The redis-server binary, or null when it is not installed. */
export const REDIS_SERVER: string | null = await (async () => {
  for (const p of ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]) {
    if (await Deno.stat(p).then((s) => s.isFile, () => false)) return p;
  }
  return null;
})();

if (!REDIS_SERVER) {
  console.error(
    "redis-server is not installed: the distributed tests are ignored (apt-get install redis-server)",
  );
}

/** A running test server. */
export interface TestRedis {
  /** Its port on 127.0.0.1. */
  port: number;
  /** `redis://[:password@]127.0.0.1:port`. */
  url: string;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/** A port nobody listens on right now. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Starts a server (see the module doc); resolves once it accepts connections. */
export async function startRedis(o: { password?: string } = {}): Promise<TestRedis> {
  if (!REDIS_SERVER) throw new Error("redis-server is not installed");
  const dir = await Deno.makeTempDir({ prefix: "noprop-redis-" });
  const port = freePort();
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
    "--logfile",
    `${dir}/redis.log`,
    ...(o.password ? ["--requirepass", o.password] : []),
  ];
  const child = new Deno.Command(REDIS_SERVER, { args, stdout: "null", stderr: "null" }).spawn();
  const t0 = Date.now();
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch {
      if (Date.now() - t0 > 10_000) {
        child.kill("SIGKILL");
        throw new Error(`redis-server did not start on port ${port}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port,
    url: `redis://${o.password ? `:${o.password}@` : ""}127.0.0.1:${port}`,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
