/**
 * Command-line entry of the ONNX exporter (`deno task export`): turns a training run folder
 * into `block_01.onnx` … `block_TT.onnx`, `classifier.onnx` and `manifest.json` (see
 * `src/onnx/export.ts`), then opens every graph with onnxruntime-node to prove it loads
 * (skipped with `--no-verify`, or when FFI is not permitted).
 *
 * ```sh
 * deno task export                                  # the newest run in models/, written into it
 * deno task export --run models/mnist --out /tmp/mnist-onnx
 * ```
 *
 * Errors print one line, `error: <message>`; exit status 2 for usage errors, 1 otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../src/backend/mod.ts";
 * import { createNoPropDT } from "../src/model/noprop.ts";
 * import { dtMetadata, saveWeights } from "../src/train/dt/weights.ts";
 * import { main } from "./export.ts";
 * await initBackend("cpu");
 * // A run folder with only weights.safetensors, as training writes it (an untrained toy model).
 * const model = createNoPropDT({
 *   image: { height: 8, width: 8, channels: 1 }, classes: 2, T: 2,
 *   schedule: "cosine", embedding: "onehot", embedDim: 2, widths: [2, 2, 2], hidden: 8, seed: 0,
 * });
 * const run = await Deno.makeTempDir();
 * const info = { name: "mnist" as const, classNames: ["a", "b"], mean: [0.1307], std: [0.3081] };
 * await saveWeights(run, model, dtMetadata(model, info));
 * // Prints "exported … 2 block graphs …; every graph loads in onnxruntime-node".
 * assert.equal(await main(["--run", run, "--out", `${run}/onnx`]), 0);
 * const manifest = JSON.parse(await Deno.readTextFile(`${run}/onnx/manifest.json`));
 * assert.deepEqual(manifest.blocks.map((b: { file: string }) => b.file), [
 *   "block_01.onnx", "block_02.onnx",
 * ]);
 * assert.equal(await main(["--run", `${run}/onnx`]), 1); // error: weights.safetensors is missing
 * await Deno.remove(run, { recursive: true });
 * ```
 * @module
 */
import { parseArgs } from "../src/deps.ts";
import type { DatasetName } from "../src/data/types.ts";
import { ExportError } from "../src/onnx/export_types.ts";
import { loadSafetensors } from "../src/safetensors.ts";
import { failed, usageError } from "./cli_errors.ts";
import { latestRun, runFile, RunFolderError } from "../src/run/folder.ts";
import { decodeMetadata } from "../src/run/metadata.ts";

const USAGE =
  `usage: deno task export [--run models/<run>] [--out DIR] [--noise] [--no-verify] [--eval [--data-dir DIR] [--eval-limit N]]

  --run DIR        training run folder with weights.safetensors (default: the newest in models/)
  --out DIR        output folder (default: the run folder itself)
  --noise          make the sampler's stochastic term the default in manifest.json
  --no-verify      do not load the graphs in onnxruntime-node after writing them
  --eval           then measure test accuracy through the runtime (onnxruntime-node cpu)
  --data-dir DIR   dataset folder for --eval (default: $NOPROP_DATA_DIR or the download cache)
  --eval-limit N   evaluate only the first N test images`;

async function datasetOf(runDir: string): Promise<DatasetName> {
  const path = runFile(runDir, "weights");
  const md = decodeMetadata((await loadSafetensors(path)).metadata, path);
  if (md.variant === "forecast") {
    throw new Error(
      `${path}: --eval measures image accuracy; evaluate a forecaster with deno task eval`,
    );
  }
  return md.dataset;
}

async function newestRunOrFail(root: string): Promise<string> {
  try {
    return await latestRun(root, "weights");
  } catch (e) {
    throw e instanceof RunFolderError ? new ExportError(`${e.message}; pass --run`) : e;
  }
}

async function verify(outDir: string, files: string[]): Promise<string> {
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    return "not verified with onnxruntime (no --allow-ffi)";
  }
  const { nodeEngine } = await import("@noprop/infer");
  const engine = await nodeEngine("cpu", { threads: 1 });
  for (const f of files.filter((f) => f.endsWith(".onnx"))) {
    const s = await engine.open(await Deno.readFile(`${outDir}/${f}`), `${outDir}/${f}`);
    await s.release();
  }
  return "every graph loads in onnxruntime-node";
}

/**
 * Runs the exporter CLI with `argv`; returns the exit status.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./export.ts";
 * assert.equal(await main(["--help"]), 0); // prints the usage
 * assert.equal(await main(["--bogus"]), 2); // one error line, and the usage
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        run: { type: "string" },
        out: { type: "string" },
        noise: { type: "boolean", default: false },
        "no-verify": { type: "boolean", default: false },
        eval: { type: "boolean", default: false },
        "data-dir": { type: "string" },
        "eval-limit": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    return usageError(e, USAGE);
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    const { exportAnyRun } = await import("../src/onnx/export.ts"); // not loaded for --help
    const runDir = args.run ?? await newestRunOrFail("models");
    const t0 = performance.now();
    const { kind, result: r } = await exportAnyRun(runDir, { outDir: args.out, noise: args.noise });
    const checked = args["no-verify"] ? "not verified" : await verify(r.outDir, r.files);
    const ms = (performance.now() - t0).toFixed(0);
    const rest = kind === "forecaster"
      ? `${r.files.includes("decoder.onnx") ? "decoder.onnx, " : ""}manifest.json (forecaster)`
      : "classifier.onnx, manifest.json";
    console.log(
      `exported ${runDir} → ${r.outDir}: ${r.manifest.T} block graphs (${
        r.blockNodes[0]
      } nodes each), ${rest} in ${ms} ms; ${checked}`,
    );
    if (args.eval && kind === "forecaster") {
      throw new Error(
        `--eval measures image accuracy; score a forecaster with deno task eval --run ${runDir}`,
      );
    }
    if (args.eval) {
      const { evaluateExported } = await import("../src/onnx/evaluate.ts");
      const limit = args["eval-limit"] === undefined ? undefined : Number(args["eval-limit"]);
      const dataset = await datasetOf(runDir);
      const a = await evaluateExported(r.outDir, { dataset, dataDir: args["data-dir"], limit });
      console.log(
        `test accuracy through onnxruntime: ${
          (100 * a.accuracy).toFixed(2)
        }% of ${a.count} ${dataset} test images (${
          a.imagesPerS.toFixed(0)
        } images/s, ${a.provider})`,
      );
    }
    return 0;
  } catch (e) {
    return failed(e);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
