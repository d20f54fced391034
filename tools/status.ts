/**
 * `deno task status redis://[:password@]host:port/run-id`: prints where a distributed run stands
 * (`src/dist/status.ts`): its state, each block's and the classifier's unit, batch and worker,
 * and the workers' heartbeats. `--watch N` reprints every N seconds. A bad address, an
 * unreachable server or a wrong password is one line and exit status 1; an unknown run id, 3.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./status.ts";
 * assert.equal(await main(["--help"]), 0);
 * assert.equal(await main(["redis://127.0.0.1:6379"]), 2); // no run id
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError } from "../src/config/errors.ts";
import { parseEngineUrl } from "../src/dist/url.ts";

const USAGE = `Show a distributed NoProp run's progress.

Usage: deno task status redis://[:password@]host:port/run-id [--watch N]`;

/** Runs the status CLI; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  let url, watch = 0;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { watch: { type: "string" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length !== 1) throw new ConfigError("give the run's address (see --help)");
    url = parseEngineUrl(positionals[0], { runId: "required" });
    if (values.watch !== undefined) {
      if (!/^\d+$/.test(values.watch) || Number(values.watch) < 1) {
        throw new ConfigError(
          `--watch: must be a whole number of seconds ≥ 1, got "${values.watch}"`,
        );
      }
      watch = Number(values.watch);
    }
  } catch (err) {
    const e = err as Error & { code?: string };
    if (err instanceof ConfigError || e.code?.startsWith("ERR_PARSE_ARGS_")) {
      console.error(`error: ${e.message.split("\n")[0]}`);
      return 2;
    }
    throw err;
  }
  const { openChecked } = await import("../src/dist/connect.ts");
  const { formatStatus, readStatus } = await import("../src/dist/status.ts");
  let client;
  try {
    client = await openChecked(url);
    for (;;) {
      const s = await readStatus(client, url.runId!, url.server);
      console.log(formatStatus(s));
      if (!s.record.config) return 3;
      if (!watch) return 0;
      await new Promise((r) => setTimeout(r, watch * 1000));
      console.log("");
    }
  } catch (err) {
    console.error(
      `error: ${url.redact(err instanceof Error ? err.message : String(err)).split("\n")[0]}`,
    );
    return 1;
  } finally {
    client?.disconnect();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
