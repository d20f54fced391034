/**
 * Classify images with an exported NoProp model (`@noprop/infer` on onnxruntime).
 *
 * ```sh
 * deno run --allow-read=models/mnist,digit.png --allow-ffi infer.ts digit.png
 * deno run --allow-read=models/mnist,a.png,b.jpg,<npm cache>/registry.npmjs.org/onnxruntime-web/1.30.0/dist \
 *   --deny-env infer.ts a.png b.jpg --provider wasm --top 3
 * deno run … infer.ts digit.png --model models/<name> --provider auto|cpu|cuda|webgpu|wasm \
 *   [--sampler dt|euler|heun] [--steps N] [--noise] [--seed N] [--top K] [--threads N] \
 *   [--precision fp32|int8] [--batch N] [--json]
 * ```
 *
 * Output: per image the class name, its probability and the top-k, printed batch by batch
 * (`--batch`, default 64: images are read, decoded and classified that many at a time, so
 * memory stays bounded however many are given); then the provider used and the time per image,
 * reading and decoding included. Any bad input — a missing file, not an image, a truncated
 * PNG/JPEG, an image above the pixel limit or whose data inflates past its header, a model
 * folder with a missing or corrupt graph or a manifest pointing outside its folder, an unknown
 * provider — is one line `error: …` and a non-zero exit status (2 for usage errors, 1
 * otherwise). An image that cannot be used is reported on its own line and the others are still
 * classified; the exit status is then 1.
 *
 * `--deny-env` with `wasm`/`webgpu-web`: onnxruntime-web's threaded wasm starts its workers
 * with `node:worker_threads`, whose Deno implementation reads the whole environment for each
 * worker; in a terminal that stops the run at a permission prompt. Denying it up front answers
 * "no" without asking; the workers run without the environment.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { main } from "./infer.ts";
 * // A hand-drawn "0": a white ring on black, as a 28×28 grey PNG file.
 * const pixels = new Uint8Array(28 * 28);
 * for (let i = 0; i < 28 * 28; i++) {
 *   const r = Math.hypot(i % 28 - 13.5, (Math.floor(i / 28) - 13.5) * 0.8);
 *   if (r > 6 && r < 9) pixels[i] = 255;
 * }
 * const dir = await Deno.makeTempDir();
 * const png = encode({ width: 28, height: 28, channels: 1, data: pixels });
 * await Deno.writeFile(`${dir}/digit.png`, png);
 * // The shipped model (models/mnist: run from the repository root), one JSON line out.
 * const out: string[] = [];
 * const log = console.log;
 * console.log = (line: string) => out.push(line);
 * try {
 *   assert.equal(await main([`${dir}/digit.png`, "--provider", "cpu", "--json"]), 0);
 * } finally {
 *   console.log = log;
 * }
 * assert.equal(JSON.parse(out[0]).results[0].label, "0");
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import {
  type Classification,
  classifyStream,
  createClassifier,
  DEFAULT_MAX_PIXELS,
  DEFAULT_STREAM_BATCH,
  InferError,
  parseProvider,
  type Precision,
  PRECISIONS,
} from "@noprop/infer";

/**
 * The model used without `--model` (relative to the working directory).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_MODEL } from "./infer.ts";
 * assert.equal(DEFAULT_MODEL, "models/mnist");
 * ```
 */
export const DEFAULT_MODEL = "models/mnist";

/**
 * Largest image file read (bytes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_FILE_BYTES } from "./infer.ts";
 * assert.equal(MAX_FILE_BYTES, 64 * 1024 * 1024);
 * ```
 */
export const MAX_FILE_BYTES = 64 * 2 ** 20;

const USAGE =
  `usage: deno run --allow-read=<model folder>,<images> [--allow-ffi] infer.ts IMAGE... [options]

  --model DIR        exported model folder (default ${DEFAULT_MODEL})
  --provider NAME    auto | cpu | cuda | webgpu | wasm (also webgpu-node, webgpu-web); default auto
  --sampler NAME     dt | euler | heun (default: the model's, dt)
  --steps N          sampler steps (dt: exactly T)
  --noise            add the sampler's noise term (default: the model's setting)
  --seed N           seed of the sampler's noise (default 0)
  --top K            classes listed per image (default 3)
  --threads N        CPU threads for cpu/wasm (default: all cores)
  --precision P      fp32 (default) or int8: the quantized graphs of \`deno task export
                     --quantize int8\` (faster on CPUs with int8 dot products, e.g. VNNI)
  --max-pixels N     refuse larger images (default ${DEFAULT_MAX_PIXELS})
  --batch N          images read, decoded and classified at a time (default ${DEFAULT_STREAM_BATCH})
  --json             print one JSON object instead of text

With --provider wasm or webgpu-web, add --deny-env (and read access to onnxruntime-web's
dist folder in the npm cache): onnxruntime-web's worker threads would ask for the environment.`;

class UsageError extends Error {}

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) {
    throw new UsageError(`--${name} must be a positive integer`);
  }
  return Number(v);
}

async function readImageFile(path: string): Promise<Uint8Array> {
  try {
    const st = await Deno.stat(path);
    if (!st.isFile) throw new InferError("missing-file", `${path}: not a file`);
    if (st.size > MAX_FILE_BYTES) {
      throw new InferError(
        "image-too-large",
        `${path}: file is larger than ${MAX_FILE_BYTES} bytes`,
      );
    }
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof InferError) throw e;
    if (e instanceof Deno.errors.NotFound) {
      throw new InferError("missing-file", `${path}: no such file`);
    }
    if (e instanceof Deno.errors.NotCapable) { // Deno refuses before looking
      throw new InferError(
        "missing-file",
        `${path}: cannot be read: it does not exist, or it is not in --allow-read (add it there)`,
      );
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new InferError("missing-file", `${path}: the operating system denies reading it`);
    }
    throw new InferError("missing-file", `${path}: ${(e as Error).message}`);
  }
}

async function modelExists(dir: string): Promise<boolean> {
  try {
    await Deno.stat(dir);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    return true; // let the loader report permission problems
  }
}

function line(file: string, width: number, r: Classification): string {
  return `${file.padEnd(width)}  ${r.label}  p=${r.probability.toFixed(4)}   top-${r.top.length}: ${
    r.top.map((t) => `${t.label} ${t.probability.toFixed(4)}`).join(", ")
  }`;
}

/**
 * Runs the CLI with `argv`; returns the exit status (0 ok, 1 error, 2 usage error).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./infer.ts";
 * assert.equal(await main(["--help"]), 0); // prints the usage
 * assert.equal(await main([]), 2); // "error: no image given (see --help)"
 * assert.equal(await main(["no-such-file.png", "--provider", "cpu"]), 1);
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  try {
    const { values: o, positionals: files } = parseArgs({
      args: argv,
      options: {
        model: { type: "string" },
        provider: { type: "string", default: "auto" },
        sampler: { type: "string" },
        steps: { type: "string" },
        noise: { type: "boolean" },
        seed: { type: "string" },
        top: { type: "string", default: "3" },
        threads: { type: "string" },
        precision: { type: "string", default: "fp32" },
        "max-pixels": { type: "string" },
        batch: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: true,
    });
    if (o.help) {
      console.log(USAGE);
      return 0;
    }
    if (files.length === 0) throw new UsageError("no image given");
    const provider = parseProvider(o.provider!);
    const steps = int(o.steps, "steps"),
      top = int(o.top, "top"),
      threads = int(o.threads, "threads");
    const maxPixels = int(o["max-pixels"], "max-pixels") ?? DEFAULT_MAX_PIXELS;
    const batch = int(o.batch, "batch") ?? DEFAULT_STREAM_BATCH;
    const seed = o.seed === undefined ? 0 : Number(o.seed);
    if (!Number.isSafeInteger(seed)) throw new UsageError("--seed must be an integer");
    if (!(PRECISIONS as readonly string[]).includes(o.precision!)) {
      throw new UsageError(`--precision must be fp32 or int8, got "${o.precision}"`);
    }
    const precision = o.precision as Precision;
    const modelDir = o.model ?? DEFAULT_MODEL;
    if (o.model === undefined && !(await modelExists(modelDir))) {
      throw new InferError(
        "missing-file",
        `the default model folder ${DEFAULT_MODEL} is absent; pass --model DIR (a folder written by \`deno task export\`)`,
      );
    }
    const t0 = performance.now();
    const clf = await createClassifier({
      modelDir,
      provider,
      threads,
      maxPixels,
      sampler: o.sampler,
      steps,
      precision,
    });
    const t1 = performance.now();
    // Images are read, decoded and classified `batch` at a time; an unreadable one is reported
    // and skipped, and the exit status says so at the end.
    const width = Math.max(...files.map((f) => f.length));
    const sources = files.map((f) => ({ label: f, read: () => readImageFile(f) }));
    const results: { file: string; r: Classification }[] = [];
    const errors: { file: string; error: string }[] = [];
    try {
      const opts = { batch, maxPixels, noise: o.noise, seed, top };
      for await (const part of classifyStream(clf, sources, opts)) {
        for (const { label, result, error } of part) {
          if (error) {
            errors.push({ file: label, error: error.message });
            console.error(`error: ${error.message}`);
          } else if (o.json) results.push({ file: label, r: result });
          else console.log(line(label, width, result));
        }
      }
    } finally {
      await clf.close();
    }
    const msPerImage = (performance.now() - t1) / files.length; // reading and decoding included
    if (o.json) {
      console.log(JSON.stringify({
        model: modelDir,
        provider: clf.provider,
        providerNote: clf.providerNote,
        precision: clf.precision,
        loadMs: Math.round(t1 - t0),
        msPerImage,
        results: results.map(({ file, r }) => ({
          file,
          label: r.label,
          index: r.index,
          probability: r.probability,
          top: r.top,
        })),
        errors,
      }));
    } else {
      console.log(
        `provider: ${clf.providerNote}${
          clf.precision === "int8" ? " · int8" : ""
        } · ${files.length} image(s)${errors.length ? `, ${errors.length} failed` : ""}, ${
          msPerImage.toFixed(2)
        } ms per image (read, decoded and classified); model load ${(t1 - t0).toFixed(0)} ms`,
      );
    }
    return errors.length === 0 ? 0 : 1;
  } catch (e) {
    const usage = e instanceof UsageError ||
      (e instanceof InferError && e.code === "bad-provider") ||
      (e as { code?: string }).code?.startsWith?.("ERR_PARSE_ARGS");
    const env = Deno.permissions.querySync({ name: "env", variable: "NOPROP_DEBUG" });
    if (env.state === "granted" && Deno.env.get("NOPROP_DEBUG") === "1") console.error(e);
    const msg = (e as Error).message?.split("\n")[0] ?? String(e);
    console.error(`error: ${msg}${usage ? " (see --help)" : ""}`);
    return usage ? 2 : 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
