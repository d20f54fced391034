/**
 * `deno task worker redis://[:password@]host:port`: a worker of the distributed engine (BullMQ on
 * Redis). Start any number, on any machines that can reach Redis and hold the training data; each
 * trains one work unit at a time for whichever run submitted it (`src/dist/worker.ts`), until
 * Ctrl-C or SIGTERM (the current unit is finished first; press again to quit at once).
 *
 * Options: `--data-dir DIR` (the data folder here, if not the run's), `--store DIR` (the run's
 * `--store` folder as mounted here), `--backend NAME` (tfjs backend here, default the
 * submitter's), `--lock-seconds N` (how long a dead worker's unit stays
 * locked before another worker takes it over; default 30), `--max-units N` (exit after N units).
 * A bad address, an unreachable server or a wrong password is one line and exit status 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./worker.ts";
 * assert.equal(await main(["--help"]), 0);
 * assert.equal(await main(["redis://127.0.0.1:6379/run-1"]), 2); // a worker serves every run
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError } from "../src/config/errors.ts";
import { parseEngineUrl } from "../src/dist/url.ts";

const USAGE = `Train NoProp blocks for distributed runs (BullMQ on Redis).

Usage: deno task worker redis://[:password@]host:port [options]     (rediss:// for TLS)

Options:
  --data-dir DIR      the training data here (default: the run's dataDir)
  --store DIR         the run's --store folder as mounted here
  --backend NAME      tfjs backend here: webgpu, wasm or cpu (default: the submitter's,
                      which bit-identical results need)
  --lock-seconds N    a unit of a dead worker is taken over after N s (default 30)
  --max-units N       exit after N units (default: serve until Ctrl-C)
  -h, --help          show this help`;

/** Runs the worker CLI; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  let opts;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        "data-dir": { type: "string" },
        store: { type: "string" },
        backend: { type: "string" },
        "lock-seconds": { type: "string" },
        "max-units": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length !== 1) {
      throw new ConfigError(
        "give the Redis address: deno task worker redis://host:port (see --help)",
      );
    }
    const num = (name: string, v: string | undefined, d: number) => {
      if (v === undefined) return d;
      if (!/^\d+$/.test(v) || Number(v) < (name === "--max-units" ? 0 : 1)) {
        throw new ConfigError(
          `${name}: must be a whole number${name === "--max-units" ? "" : " ≥ 1"}, got "${v}"`,
        );
      }
      return Number(v);
    };
    const backend = values.backend;
    if (backend !== undefined && !["webgpu", "wasm", "cpu"].includes(backend)) {
      throw new ConfigError(`--backend: must be webgpu, wasm or cpu, got "${backend}"`);
    }
    opts = {
      url: parseEngineUrl(positionals[0], { runId: "none" }),
      backend: backend as "webgpu" | "wasm" | "cpu" | undefined,
      dataDir: values["data-dir"],
      store: values.store,
      lockSeconds: num("--lock-seconds", values["lock-seconds"], 30),
      maxUnits: num("--max-units", values["max-units"], 0),
      log: (s: string) => console.error(s),
    };
  } catch (err) {
    const e = err as Error & { code?: string };
    if (err instanceof ConfigError || e.code?.startsWith("ERR_PARSE_ARGS_")) {
      console.error(`error: ${e.message.split("\n")[0]}`);
      return 2;
    }
    throw err;
  }
  const { runWorker } = await import("../src/dist/worker.ts");
  try {
    return await runWorker(opts);
  } catch (err) {
    if (Deno.env.get("NOPROP_DEBUG")) throw err;
    const msg = opts.url.redact(err instanceof Error ? err.message : String(err));
    console.error(`error: ${msg.split("\n")[0]}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
