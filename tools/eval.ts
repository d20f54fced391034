/**
 * `deno task eval`: test accuracy of a trained NoProp-CT / -FM run for every sampler and step
 * count, with time per image, through TensorFlow.js (`--engine tfjs`, the default: the
 * training-side network and the same Euler/Heun driver as the runtime,
 * `src/infer/sampler/continuous.ts`) or through ONNX (`--engine onnx`: the run is exported to a
 * temporary folder and sampled by `@noprop/infer` on onnxruntime-node's cpu provider). Prints a
 * Markdown table and the per-class accuracy of the best row, and writes `eval.md`, `eval.json`
 * (every row with its per-class accuracy and confusion counts) and `confusion.svg` (the best
 * row's confusion matrix) into `--out` (default `<run>/eval/`; see `eval_report.ts`). Files
 * already there are refused unless `--overwrite` is given.
 *
 * The same z_0 (seeded) is used for every sampler and step count, so rows differ only by the
 * integrator.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../src/backend/mod.ts";
 * import { continuousArrays, createContinuousModel } from "../src/model/continuous_model.ts";
 * import { dataMetadata, encodeMetadata } from "../src/run/metadata.ts";
 * import { saveSafetensors } from "../src/safetensors.ts";
 * import { f32Tensors } from "../src/train/named_tensors.ts";
 * import { main } from "./eval.ts";
 * await initBackend("cpu");
 * // An untrained toy NoProp-CT run for MNIST: weights.safetensors as training writes it.
 * const model = createContinuousModel({
 *   variant: "ct", image: { height: 28, width: 28, channels: 1 }, classes: 10, embedding: "onehot",
 *   embedDim: 10, widths: [2, 2, 2], hidden: 8, seed: 0, gamma0: -5, gamma1: 5, gammaHidden: 4,
 * });
 * const run = await Deno.makeTempDir();
 * const classNames = [..."0123456789"];
 * const md = encodeMetadata({
 *   format: "noprop-ct", variant: "ct", embedding: "onehot", spec: model.spec,
 *   ...dataMetadata({ name: "mnist", classNames, mean: [0.1307], std: [0.3081] }),
 * });
 * const weights = f32Tensors(await continuousArrays(model));
 * await saveSafetensors(`${run}/weights.safetensors`, weights, md);
 * // A data dir with a tiny MNIST in plain IDX files: 2 training and 4 test images.
 * const dataDir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dataDir}/mnist`);
 * const idx = (magic: number, dims: number[], byte: (i: number) => number) => {
 *   const head = 4 + 4 * dims.length, bytes = new Uint8Array(head + dims.reduce((a, b) => a * b));
 *   [magic, ...dims].forEach((v, i) => new DataView(bytes.buffer).setUint32(4 * i, v));
 *   for (let i = head; i < bytes.length; i++) bytes[i] = byte(i - head);
 *   return bytes;
 * };
 * for (const [split, n] of [["train", 2], ["t10k", 4]] as const) {
 *   const images = idx(2051, [n, 28, 28], (i) => (i * 37) % 256);
 *   await Deno.writeFile(`${dataDir}/mnist/${split}-images-idx3-ubyte`, images);
 *   const labels = idx(2049, [n], (i) => i % 10);
 *   await Deno.writeFile(`${dataDir}/mnist/${split}-labels-idx1-ubyte`, labels);
 * }
 * const argv = ["--run", run, "--data-dir", dataDir, "--steps", "1,2", "--sampler", "euler,heun"];
 * assert.equal(await main([...argv, "--backend", "cpu"]), 0); // prints the tables
 * const { rows } = JSON.parse(await Deno.readTextFile(`${run}/eval/eval.json`));
 * const which = rows.map((r: { sampler: string; steps: number }) => `${r.sampler} ${r.steps}`);
 * assert.deepEqual(which, ["euler 1", "euler 2", "heun 1", "heun 2"]);
 * assert.equal(rows[0].perClassAcc.length, 10); // and its confusion counts, 10 × 10
 * assert.ok((await Deno.readTextFile(`${run}/eval/confusion.svg`)).startsWith("<svg"));
 * // Run again: the files are there, so it stops (status 1) unless told to overwrite.
 * assert.equal(await main([...argv, "--backend", "cpu"]), 1);
 * assert.equal(await main([...argv, "--backend", "cpu", "--overwrite"]), 0);
 * await Deno.remove(run, { recursive: true });
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 * @module
 */
import { initBackend } from "../src/backend/mod.ts";
import { type BackendChoice, BACKENDS } from "../src/config/schema.ts";
import { batches } from "../src/data/batches.ts";
import { loadDataset } from "../src/data/mod.ts";
import { NORMALIZATION } from "../src/data/normalize.ts";
import { parseArgs } from "../src/deps.ts";
import {
  checkContinuousSampler,
  type CONTINUOUS_SAMPLERS,
} from "../src/infer/sampler/continuous.ts";
import { evaluateContinuous } from "../src/train/continuous/evaluate.ts";
import { loadContinuousRun } from "../src/train/continuous/weights.ts";
import { limitSet } from "../src/train/batches.ts";
import { exportRun } from "../src/onnx/export.ts";
import { evaluateExported } from "../src/onnx/evaluate.ts";
import { failed, usageError } from "./cli_errors.ts";
import { runFile } from "../src/run/folder.ts";
import { loadSafetensors } from "../src/safetensors.ts";
import {
  EVAL_FILES,
  type EvalRow,
  formatTable,
  refuseExisting,
  writeEvalReport,
} from "./eval_report.ts";

const USAGE =
  `usage: deno task eval --run models/<run> [--steps 1,2,5,10,20,50,100,1000] [--sampler euler,heun]
                      [--data-dir DIR] [--limit N] [--batch N] [--seed N] [--engine tfjs|onnx]
                      [--backend auto|webgpu|wasm|cpu] [--out DIR] [--overwrite]

  --run DIR       a ct/fm training run folder (weights.safetensors); a forecasting run is
                  scored on the test split instead (deno task eval --run <it> --help)
  --steps LIST    sampler step counts (integers ≥ 1)
  --sampler LIST  euler and/or heun
  --data-dir DIR  dataset folder (default: $NOPROP_DATA_DIR or the download cache)
  --limit N       evaluate only the first N test images (0 = all)
  --batch N       evaluation batch size (default 1000)
  --seed N        seed of z_0 (default 1)
  --engine E      tfjs (default; --backend picks its backend) or onnx (onnxruntime-node cpu)
  --out DIR       folder for eval.md, eval.json and confusion.svg (default: <run>/eval)
  --overwrite     replace those files when they exist (otherwise: refused before evaluating)`;

/**
 * True when the first `--run` folder holds a forecaster (its weights' format is `forecast-*`):
 * `deno task eval` then scores it on the test split (`eval_forecast.ts`).
 */
async function forecastRun(argv: string[]): Promise<boolean> {
  const i = argv.findIndex((a) => a === "--run" || a.startsWith("--run="));
  if (i < 0) return false;
  const dir = argv[i].startsWith("--run=") ? argv[i].slice(6) : argv[i + 1];
  if (!dir) return false;
  for (const f of ["best", "weights"] as const) {
    const path = runFile(dir, f);
    const file = await loadSafetensors(path).catch(() => null);
    if (file) return (file.metadata.format ?? "").startsWith("forecast-");
  }
  return false;
}

function list(s: string): string[] {
  return s.split(",").map((x) => x.trim()).filter((x) => x !== "");
}

/**
 * Runs the CLI; returns the exit status (2: bad arguments, 1: failure).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./eval.ts";
 * assert.equal(await main(["--help"]), 0); // prints the usage
 * assert.equal(await main(["--steps", "10"]), 2); // "error: --run is required", and the usage
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  if (await forecastRun(argv)) return (await import("./eval_forecast.ts")).main(argv);
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: {
        run: { type: "string" },
        steps: { type: "string", default: "1,2,5,10,20,50,100,1000" },
        sampler: { type: "string", default: "euler,heun" },
        "data-dir": { type: "string" },
        limit: { type: "string", default: "0" },
        batch: { type: "string", default: "1000" },
        seed: { type: "string", default: "1" },
        backend: { type: "string", default: "auto" },
        engine: { type: "string", default: "tfjs" },
        out: { type: "string" },
        overwrite: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
    if (a.help) {
      console.log(USAGE);
      return 0;
    }
    if (!a.run) throw new Error("--run is required");
    const samplers = list(a.sampler!);
    const steps = list(a.steps!).map(Number);
    if (!samplers.length || !steps.length) throw new Error("--steps and --sampler need values");
    for (const s of samplers) for (const n of steps) checkContinuousSampler(s, n);
    if (!(BACKENDS as readonly string[]).includes(a.backend!)) {
      throw new Error(`unknown backend "${a.backend}" (expected ${BACKENDS.join(", ")})`);
    }
    if (a.engine !== "tfjs" && a.engine !== "onnx") {
      throw new Error(`unknown engine "${a.engine}" (expected tfjs or onnx)`);
    }
    for (const k of ["limit", "batch", "seed"] as const) {
      const v = Number(a[k]);
      if (!Number.isInteger(v) || v < (k === "batch" ? 1 : 0)) {
        throw new Error(`--${k} must be an integer, got ${a[k]}`);
      }
    }
  } catch (e) {
    return usageError(e, USAGE);
  }
  try {
    const outDir = a.out ?? `${a.run}/eval`;
    if (!a.overwrite) await refuseExisting(outDir); // before the (long) evaluation
    await initBackend(a.backend as BackendChoice);
    const { model, dataset, classNames } = await loadContinuousRun(a.run!);
    const dataDir = a["data-dir"] ?? Deno.env.get("NOPROP_DATA_DIR");
    const data = await loadDataset(dataset, dataDir ? { dataDir } : {});
    const test = limitSet(data.test, Number(a.limit));
    const rows: EvalRow[] = [];
    const onnxDir = a.engine === "onnx" ? await Deno.makeTempDir({ prefix: "noprop-eval-" }) : "";
    if (onnxDir) await exportRun(a.run!, { outDir: onnxDir });
    for (const sampler of list(a.sampler!)) {
      for (const steps of list(a.steps!).map(Number)) {
        let row: EvalRow;
        if (onnxDir) {
          const r = await evaluateExported(onnxDir, {
            dataset,
            dataDir,
            limit: test.count,
            seed: Number(a.seed),
            sampler,
            steps,
            batch: Number(a.batch),
          });
          row = {
            sampler,
            steps,
            accuracy: r.accuracy,
            count: r.count,
            msPerImage: 1000 / r.imagesPerS,
            confusion: r.confusion,
          };
        } else {
          const r = await evaluateContinuous(
            model,
            batches(test, { batchSize: Number(a.batch), stats: NORMALIZATION[dataset] }),
            { seed: Number(a.seed), sampler: sampler as typeof CONTINUOUS_SAMPLERS[number], steps },
          );
          row = {
            sampler,
            steps,
            accuracy: r.acc,
            count: r.count,
            msPerImage: 1000 * r.seconds / r.count,
            confusion: r.confusion,
          };
        }
        rows.push(row);
        console.error(formatTable([row]).split("\n")[2]);
      }
    }
    if (onnxDir) await Deno.remove(onnxDir, { recursive: true });
    const report = {
      run: a.run!,
      dataset,
      variant: model.variant,
      engine: onnxDir ? "onnx (onnxruntime-node cpu)" : "tfjs",
      seed: Number(a.seed),
      classNames,
      rows,
    };
    const { markdown } = await writeEvalReport(outDir, report, { overwrite: a.overwrite! });
    console.log(`${markdown}\n\nwritten: ${EVAL_FILES.map((f) => `${outDir}/${f}`).join(", ")}`);
    return 0;
  } catch (e) {
    return failed(e);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
