/**
 * `deno task demo`: serves the browser demo (`examples/browser/`) on localhost — draw a digit or
 * drop images and see the top-3 classes, the provider and the latency, with the inference
 * package's browser entry (`@noprop/infer/web`) on onnxruntime-web. At start it bundles the
 * page's script (`deno bundle`) into a temporary folder, finds the pinned onnxruntime-web's
 * files in Deno's npm cache, and prints the URL; Ctrl-C stops it.
 *
 * ```sh
 * deno task demo [--port 8000] [--host 127.0.0.1] [--models models]
 * ```
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./demo.ts";
 * assert.equal(await main(["--help"]), 0); // prints the usage
 * assert.equal(await main(["--port", "x"]), 2); // "error: --port must be …", and the usage
 * ```
 * @module
 */
import { parseArgs } from "../src/deps.ts";
import { failed, usageError } from "./cli_errors.ts";
import { bundleApp, ortDistDir } from "./demo/build.ts";
import { demoHandler, listModels } from "./demo/serve.ts";

const USAGE = `usage: deno task demo [--port 8000] [--host 127.0.0.1] [--models models]

Serves the browser demo of @noprop/infer/web: the page (examples/browser/), its bundled script,
onnxruntime-web's files and the exported models of --models (every sub-folder with a
manifest.json). --port 0 picks a free port; the URL is printed on start.`;

const ROOT = new URL("../", import.meta.url).pathname;

interface DemoArgs {
  port: number;
  host: string;
  models: string;
}

function parse(argv: string[]): DemoArgs | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string", default: "8000" },
      host: { type: "string", default: "127.0.0.1" },
      models: { type: "string", default: `${ROOT}models` },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return "help";
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) {
    throw new Error(`--port must be an integer from 0 to 65535, got "${values.port}"`);
  }
  return { port, host: values.host, models: values.models };
}

/**
 * Runs the demo server until Ctrl-C or SIGTERM (see the module doc); returns the exit status
 * (2: bad arguments, 1: failure to start).
 */
export async function main(argv: string[]): Promise<number> {
  let args: DemoArgs | "help";
  try {
    args = parse(argv);
  } catch (e) {
    return usageError(e, USAGE);
  }
  if (args === "help") {
    console.log(USAGE);
    return 0;
  }
  let tmp: string | undefined;
  try {
    const models = await listModels(args.models).catch((e) => {
      throw new Error(`cannot read the models folder ${args.models}: ${(e as Error).message}`);
    });
    if (models.length === 0) throw new Error(`${args.models} holds no exported model`);
    tmp = await Deno.makeTempDir({ prefix: "noprop-demo-" });
    const [, ortDir] = await Promise.all([
      bundleApp("examples/browser/main.ts", tmp),
      ortDistDir(),
    ]);
    const handler = demoHandler({
      pageDir: `${ROOT}examples/browser`,
      bundleDir: tmp,
      ortDir,
      modelsDir: args.models,
    });
    const stopped = Promise.withResolvers<void>();
    const server = Deno.serve({
      hostname: args.host,
      port: args.port,
      onListen({ hostname, port }) {
        const host = hostname.includes(":") ? `[${hostname}]` : hostname;
        console.log(
          `demo: http://${host}:${port}/ (models: ${models.map((m) => m.name).join(", ")})`,
        );
      },
    }, handler);
    const stop = () => stopped.resolve();
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
    await stopped.promise;
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
    await server.shutdown();
    return 0;
  } catch (e) {
    return failed(e);
  } finally {
    if (tmp) await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
