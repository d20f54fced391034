/**
 * Command-line entry of the ONNX exporter (`deno task export`): turns a training run folder
 * into `block_01.onnx` … `block_TT.onnx`, `classifier.onnx` and `manifest.json` (see
 * `src/onnx/export.ts`), with `--fused` also `chain.onnx` (the whole DT chain in one graph,
 * `src/onnx/chain_graph.ts`), then opens every graph with onnxruntime-node to prove it loads
 * (skipped with `--no-verify`, or when FFI is not permitted). `--from-export DIR` adds
 * `chain.onnx` to an existing export whose run folder is gone (`src/onnx/export_chain.ts`).
 * With `--quantize int8` it then adds statically quantized block graphs, calibrated on training
 * images (`src/onnx/quantize/export.ts`), and, when the export has a `chain.onnx`, its int8
 * chain `chain.int8.onnx`, which the runtime then runs as one session at int8 (`withPrecision`).
 * With `--weights fp16` every graph's large weights are stored as float16, widened to float32 by
 * a `Cast` inside the graph (`src/onnx/fp16_weights.ts`, `src/onnx/fp16_folder.ts`): the files
 * are half the size, the arithmetic stays float32. `--run` may also name an already exported
 * folder (no weights, a manifest), which `--weights fp16` and `--quantize` then change in place
 * and `--eval` only measures.
 * A NoProp-DT forecaster's run folder exports to its block graphs, `decoder.onnx` in autoencoder
 * mode and a forecaster manifest (`src/onnx/forecast/export.ts`); it takes no `--fused`,
 * `--quantize` or `--eval`.
 *
 * ```sh
 * deno task export                                  # the newest run in models/, written into it
 * deno task export --run models/mnist-quick --out /tmp/mnist-onnx --fused
 * deno task export --from-export models/mnist       # add chain.onnx to the shipped model
 * deno task export --run models/mnist --quantize int8 --data-dir ../shared/data --eval
 * deno task export --run models/mnist --weights fp16 --eval --data-dir ../shared/data  # in place
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
import type { WeightStorage } from "@noprop/infer";
import type { QuantizeReport } from "../src/onnx/quantize/transform.ts";
import { loadSafetensors } from "../src/safetensors.ts";
import { failed, usageError } from "./cli_errors.ts";
import { latestRun, runFile, RunFolderError } from "../src/run/folder.ts";
import { decodeMetadata } from "../src/run/metadata.ts";

const USAGE =
  `usage: deno task export [--run models/<run>] [--out DIR] [--fused] [--noise] [--no-verify] [--weights fp32|fp16] [--quantize int8 [--calibration N] [--activations u8|s8] [--per-tensor] [--reduce-range]] [--eval [--data-dir DIR] [--eval-limit N]]
       deno task export --from-export DIR [--no-verify] [--weights fp16] [--quantize int8 …] [--eval [--dataset NAME] [--data-dir DIR] [--eval-limit N]]

  --run DIR        training run folder with weights.safetensors (default: the newest in models/),
                   or an exported folder: changed in place by --weights fp16 and --quantize,
                   only measured by --eval
  --out DIR        output folder (default: the run folder itself)
  --fused          DT models: also write chain.onnx, the whole chain (T blocks, the sampler's
                   steps, the classifier) in one graph; the runtime then runs it as one session
  --from-export DIR  add chain.onnx to the exported DT model folder DIR, built from its own block
                   graphs (for an export whose run folder is gone); rewrites DIR/manifest.json
  --dataset NAME   for an exported folder (--from-export, or --run with --quantize): the
                   dataset of --quantize and --eval (default: the one whose normalisation
                   the manifest carries)
  --noise          make the sampler's stochastic term the default in manifest.json
  --no-verify      do not load the graphs in onnxruntime-node after writing them
  --weights W      how the graphs store their large weights: fp32 (default) or fp16 (half the
                   size; each widened to float32 by a Cast in the graph, so the arithmetic stays
                   float32 and only the weights are rounded); sets "weights" in manifest.json
  --quantize int8  also write int8 block graphs (static QDQ quantization), and an int8
                   chain.int8.onnx when there is a chain.onnx, listed in the manifest (after
                   --weights fp16: quantized from the float16 weights); --run may then be an
                   exported folder, quantized in place
  --calibration N  training images calibrating the int8 ranges (default 300)
  --activations T  int8 activation type: u8 (default) or s8
  --per-tensor     one scale per weight tensor instead of per output channel
  --reduce-range   7-bit weights (for CPUs without VNNI)
  --eval           then measure test accuracy through the runtime (onnxruntime-node cpu);
                   with --quantize, for fp32 and int8
  --data-dir DIR   dataset folder for --quantize and --eval (default: $NOPROP_DATA_DIR or
                   the download cache)
  --eval-limit N   evaluate only the first N test images (a positive integer; needs --eval)`;

const DATASETS: readonly DatasetName[] = ["mnist", "fashion-mnist", "cifar10", "cifar100"];
/** The `--weights` values (`WEIGHT_STORAGES` of the runtime, which --help does not load). */
const WEIGHT_STORAGES: readonly WeightStorage[] = ["fp32", "fp16"];

/**
 * The dataset of an exported folder (an export has no metadata): `--dataset` when given, else
 * the one whose normalisation its manifest carries.
 */
async function datasetOfExport(dir: string, given: string | undefined): Promise<DatasetName> {
  if (given !== undefined) {
    if (!(DATASETS as readonly string[]).includes(given)) {
      throw new ExportError(`--dataset must be one of ${DATASETS.join(", ")}, got "${given}"`);
    }
    return given as DatasetName;
  }
  const { loadModelFolder } = await import("@noprop/infer");
  const { NORMALIZATION } = await import("../src/data/normalize.ts");
  const m = (await loadModelFolder(dir)).manifest;
  const same = (a: readonly number[], b: readonly number[]) =>
    a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) < 1e-9);
  const hit = (Object.keys(NORMALIZATION) as DatasetName[]).find((d) =>
    same(NORMALIZATION[d].mean, m.normalization.mean) &&
    same(NORMALIZATION[d].std, m.normalization.std)
  );
  if (!hit) {
    throw new ExportError(
      `${dir}/manifest.json: its normalisation matches no known dataset; name it with --dataset`,
    );
  }
  return hit;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

function positive(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) {
    throw new ExportError(`${flag} must be a positive integer, got "${v}"`);
  }
  return n;
}

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

/** True when the run folder's weights are a forecaster's (`variant: forecast`). */
async function holdsForecaster(runDir: string): Promise<boolean> {
  const path = runFile(runDir, "weights");
  return decodeMetadata((await loadSafetensors(path)).metadata, path).variant === "forecast";
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
 * `--weights fp32` on an exported folder: refused, before anything is written, when the folder
 * stores fp16 weights (the rounding cannot be undone); nothing to do otherwise.
 */
async function refuseFp32(dir: string): Promise<void> {
  const { parseManifest } = await import("@noprop/infer");
  const path = `${dir}/manifest.json`;
  if (parseManifest(await Deno.readTextFile(path), path).weights === "fp16") {
    throw new ExportError(
      `${dir} stores fp16 weights (${path} "weights"): the float32 values they were rounded from are gone; export again from the run folder for fp32`,
    );
  }
}

/** `--weights fp16`: converts `outDir` to fp16 storage (a no-op when it is already). */
async function storeFp16(outDir: string, noVerify: boolean): Promise<void> {
  const { storeExportFp16 } = await import("../src/onnx/fp16_folder.ts");
  const t0 = performance.now();
  const r = await storeExportFp16(outDir);
  if (!r.changed) {
    console.log(`${outDir} stores fp16 weights already: nothing converted`);
    return;
  }
  const checked = noVerify ? "not verified" : await verify(outDir, r.files);
  const tensors = Object.values(r.reports).reduce((a, x) => a + x.converted.length, 0);
  const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
  console.log(
    `stored ${outDir}'s weights as float16: ${tensors} tensors in ${
      r.files.length - 1
    } graphs (each widened to float32 by a Cast), ${mb(r.bytesBefore)} → ${
      mb(r.bytesAfter)
    } of graphs, manifest.json, in ${(performance.now() - t0).toFixed(0)} ms; ${checked}`,
  );
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
        fused: { type: "boolean", default: false },
        "from-export": { type: "string" },
        dataset: { type: "string" },
        "no-verify": { type: "boolean", default: false },
        eval: { type: "boolean", default: false },
        "data-dir": { type: "string" },
        "eval-limit": { type: "string" },
        quantize: { type: "string" },
        weights: { type: "string" },
        calibration: { type: "string" },
        activations: { type: "string" },
        "per-tensor": { type: "boolean", default: false },
        "reduce-range": { type: "boolean", default: false },
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
  const from = args["from-export"];
  if (from !== undefined && (args.run || args.out || args.noise || args.fused)) {
    return usageError(
      new Error(
        "--from-export takes no --run, --out, --noise or --fused (it adds chain.onnx in place)",
      ),
      USAGE,
    );
  }
  const weights = args.weights as WeightStorage | undefined;
  if (weights !== undefined && !WEIGHT_STORAGES.includes(weights)) {
    return usageError(
      new Error(`--weights takes ${WEIGHT_STORAGES.join(" or ")}, got "${weights}"`),
      USAGE,
    );
  }
  if (args.quantize !== undefined && args.quantize !== "int8") {
    return usageError(new Error(`--quantize takes int8, got "${args.quantize}"`), USAGE);
  }
  if (args.activations !== undefined && !["u8", "s8"].includes(args.activations)) {
    return usageError(new Error(`--activations takes u8 or s8, got "${args.activations}"`), USAGE);
  }
  const limitArg = args["eval-limit"];
  let limit: number | undefined;
  if (limitArg !== undefined) {
    if (!args.eval) return usageError(new Error("--eval-limit needs --eval"), USAGE);
    if (!/^\d+$/.test(limitArg) || Number(limitArg) < 1) {
      const e = new Error(`--eval-limit must be a positive integer, got "${limitArg}"`);
      return usageError(e, USAGE);
    }
    limit = Number(limitArg);
  }
  try {
    const calibration = positive(args.calibration, "--calibration");
    const t0 = performance.now();
    let outDir: string, datasetFor: () => Promise<DatasetName>;
    if (from !== undefined) {
      if (weights === "fp32") await refuseFp32(from);
      const { addChainToExport } = await import("../src/onnx/export_chain.ts");
      const r = await addChainToExport(from);
      const checked = args["no-verify"] ? "not verified" : await verify(r.outDir, r.files);
      const ms = (performance.now() - t0).toFixed(0);
      console.log(
        `exported ${from} → ${r.outDir}: chain.onnx (${r.chainNodes} nodes) added from its block graphs, manifest.json in ${ms} ms; ${checked}`,
      );
      outDir = r.outDir;
      datasetFor = () => datasetOfExport(from, args.dataset);
    } else {
      const runDir = args.run ?? await newestRunOrFail("models");
      const exported = !(await isFile(`${runDir}/weights.safetensors`)) &&
        await isFile(`${runDir}/manifest.json`);
      if ((args.quantize || weights || args.eval) && exported) {
        if (args.out !== undefined && args.out !== runDir) {
          throw new ExportError(
            `${runDir} is an exported folder: it is changed in place, leave out --out`,
          );
        }
        if (args.fused) {
          throw new ExportError(
            `${runDir} is an exported folder: add its chain with --from-export, not --fused`,
          );
        }
        if (weights === "fp32") {
          await refuseFp32(runDir);
          if (!args.quantize && !args.eval) {
            console.log(`${runDir} stores fp32 weights: nothing to do`);
          }
        }
        outDir = runDir;
        datasetFor = () => datasetOfExport(runDir, args.dataset);
      } else {
        if ((args.eval || args.quantize) && await holdsForecaster(runDir)) {
          const flag = args.eval
            ? "--eval measures image accuracy"
            : "--quantize calibrates on images";
          throw new ExportError(
            `${runDir} holds a forecaster: ${flag}; export it without, and score it with ` +
              `deno task eval --run ${runDir}`,
          );
        }
        const { exportAnyRun } = await import("../src/onnx/export.ts"); // not loaded for --help
        const { kind, result: r } = await exportAnyRun(runDir, {
          outDir: args.out,
          noise: args.noise,
          fused: args.fused,
        });
        const checked = args["no-verify"] ? "not verified" : await verify(r.outDir, r.files);
        const ms = (performance.now() - t0).toFixed(0);
        const rest = kind === "forecaster"
          ? `${r.files.includes("decoder.onnx") ? "decoder.onnx, " : ""}manifest.json (forecaster)`
          : `classifier.onnx, ${
            r.chainNodes === undefined ? "" : `chain.onnx (${r.chainNodes} nodes), `
          }manifest.json`;
        console.log(
          `exported ${runDir} → ${r.outDir}: ${r.manifest.T} block graphs (${
            r.blockNodes[0]
          } nodes each), ${rest} in ${ms} ms; ${checked}`,
        );
        outDir = r.outDir;
        datasetFor = () => datasetOf(runDir);
      }
    }
    if (weights === "fp16") await storeFp16(outDir, args["no-verify"]);
    if (args.quantize) {
      const { int8File, quantizeExport } = await import("../src/onnx/quantize/export.ts");
      const dataset = await datasetFor();
      const t1 = performance.now();
      const q = await quantizeExport(outDir, {
        dataset,
        dataDir: args["data-dir"],
        images: calibration,
        quantize: {
          activations: args.activations as "u8" | "s8" | undefined,
          perChannel: !args["per-tensor"],
          reduceRange: args["reduce-range"],
        },
      });
      const checked = args["no-verify"] ? "not verified" : await verify(outDir, q.files);
      const what = (r: QuantizeReport) =>
        `${r.quantized.length} nodes: ${
          [...new Set(r.quantized.map((n) => n.split(":")[0]))].join(", ")
        }; ${r.pairs} Q/DQ pairs, ${r.foldedRelus} ReLUs folded`;
      const [first, ...rest] = Object.entries(q.reports);
      const chain = rest.find(([f]) => f === int8File(q.manifest.chain?.file ?? ""));
      console.log(
        `quantized ${outDir}: ${q.files.length} int8 graphs (blocks: ${what(first[1])} each${
          chain ? `; ${chain[0]}: ${what(chain[1])}` : ""
        }), calibrated on ${q.calibrationImages} ${dataset} training images, in ${
          (performance.now() - t1).toFixed(0)
        } ms; ${checked}`,
      );
    }
    if (args.eval) {
      const { evaluateExported } = await import("../src/onnx/evaluate.ts");
      const { parseManifest, withPrecision } = await import("@noprop/infer");
      const path = `${outDir}/manifest.json`;
      const manifest = parseManifest(await Deno.readTextFile(path), path);
      const dataset = await datasetFor();
      const acc: number[] = [];
      for (const precision of args.quantize ? ["fp32", "int8"] as const : ["fp32"] as const) {
        // With a chain at this precision, both paths: the fused graph (what the runtime uses)
        // and the block graphs. At int8 without an int8 chain only the block graphs run.
        const chain = withPrecision(manifest, precision, outDir).chain?.file;
        for (const fused of chain ? [true, false] : [undefined]) {
          const a = await evaluateExported(outDir, {
            dataset,
            dataDir: args["data-dir"],
            limit,
            fused,
            precision,
          });
          if (fused !== false) acc.push(a.accuracy);
          const via = fused === undefined ? "" : fused ? `, ${chain}` : ", block graphs";
          console.log(
            `test accuracy through onnxruntime (${precision}${via}): ${
              (100 * a.accuracy).toFixed(2)
            }% of ${a.count} ${dataset} test images (${
              a.imagesPerS.toFixed(0)
            } images/s, ${a.provider})`,
          );
        }
      }
      if (acc.length === 2) {
        console.log(`int8 − fp32: ${(100 * (acc[1] - acc[0])).toFixed(2)} points`);
      }
    }
    return 0;
  } catch (e) {
    return failed(e);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
