/**
 * One task of the GPU report in its own process: `deno run -A tools/gpu/child.ts TASK PARAMS_JSON
 * RESULT_FILE`. The task's result is written to RESULT_FILE as JSON (atomically); a failure exits
 * non-zero with one line on stderr. The driver (`driver.ts`) starts one such process per task, so
 * a tfjs backend is chosen once per process and a crash or a hang (stopped at the part's time
 * limit) costs only that task.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runTask, TASKS } from "./child.ts";
 * assert.ok(Object.keys(TASKS).includes("losses"));
 * const dir = await Deno.makeTempDir();
 * await runTask("flag", { flag: "--max-seconds", value: "1" }, `${dir}/r.json`);
 * assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/r.json`)), { accepted: true });
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import { writeFileAtomic } from "../../src/atomic.ts";
import type { TrainSetup } from "./plan.ts";

type Params = Record<string, unknown>;

const str = (p: Params, k: string): string => {
  if (typeof p[k] !== "string") throw new Error(`task parameter ${k}: expected a string`);
  return p[k] as string;
};
const num = (p: Params, k: string): number => {
  if (typeof p[k] !== "number") throw new Error(`task parameter ${k}: expected a number`);
  return p[k] as number;
};
const strings = (p: Params, k: string): string[] => (p[k] ?? []) as string[];

async function config(p: Params) {
  const { trainConfig } = await import("./task_train.ts");
  return await trainConfig(p.setup as TrainSetup, strings(p, "extra"), str(p, "dataDir"));
}

/**
 * The tasks by name: each takes the JSON parameters and returns the JSON result.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TASKS } from "./child.ts";
 * assert.deepEqual(await TASKS.flag({ flag: "--no-such-flag" }), { accepted: false });
 * ```
 */
export const TASKS: Record<string, (p: Params) => Promise<unknown>> = {
  /** (1) The adapter. */
  async adapter() {
    const { describeAdapter } = await import("./task_adapter.ts");
    return await describeAdapter();
  },
  /** Whether train accepts a flag. */
  async flag(p) {
    const { flagAccepted } = await import("./task_train.ts");
    return { accepted: flagAccepted(str(p, "flag"), p.value as string | undefined) };
  },
  /** (2) The first losses: {setup, extra, dataDir, batches}. */
  async losses(p) {
    const { firstLosses } = await import("./task_train.ts");
    return await firstLosses(await config(p), num(p, "batches"));
  },
  /** (2) An exported chain's logits: {modelDir, provider, images, dataDir, threads}. */
  async logits(p) {
    const { chainLogits } = await import("./task_onnx.ts");
    return await chainLogits({
      modelDir: str(p, "modelDir"),
      provider: str(p, "provider"),
      images: num(p, "images"),
      dataDir: str(p, "dataDir"),
      threads: num(p, "threads"),
    });
  },
  /** (3) Block-step speed: {setup, extra, dataDir, warmup, timed}. */
  async speed(p) {
    const { measureBlockSteps } = await import("../bench.ts");
    return await measureBlockSteps(await config(p), {
      warmup: num(p, "warmup"),
      timed: num(p, "timed"),
    });
  },
  /** (4) A fixed-time run: {setup, extra, dataDir, seconds, outDir, name}. */
  async train(p) {
    const { fixedTimeRun } = await import("./task_train.ts");
    return await fixedTimeRun(
      await config(p),
      num(p, "seconds"),
      str(p, "outDir"),
      str(p, "name"),
    );
  },
  /** (5) Export the chain: {spec, outDir}. */
  async export(p) {
    const { exportChain } = await import("./task_onnx.ts");
    return { modelDir: await exportChain(p.spec as never, str(p, "outDir")) };
  },
  /** (5) Chain speed: {modelDir, provider, batches, threads, minSeconds}. */
  async inference(p) {
    const { chainSpeed } = await import("./task_onnx.ts");
    return await chainSpeed({
      modelDir: str(p, "modelDir"),
      provider: str(p, "provider"),
      batches: p.batches as number[],
      threads: num(p, "threads"),
      minSeconds: num(p, "minSeconds"),
    });
  },
};

/**
 * Runs task `name` with `params` and writes its result to `resultFile`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runTask } from "./child.ts";
 * await assert.rejects(runTask("nope", {}, "/tmp/x.json"), /unknown task "nope"/);
 * ```
 */
export async function runTask(name: string, params: Params, resultFile: string): Promise<void> {
  const task = Object.hasOwn(TASKS, name) ? TASKS[name] : undefined;
  if (!task) throw new Error(`unknown task "${name}" (${Object.keys(TASKS).join(", ")})`);
  const result = await task(params);
  await writeFileAtomic(resultFile, JSON.stringify(result));
}

if (import.meta.main) {
  const [name, params, resultFile] = Deno.args;
  try {
    if (!resultFile) throw new Error("usage: child.ts TASK PARAMS_JSON RESULT_FILE");
    await runTask(name, JSON.parse(params), resultFile);
  } catch (e) {
    if (Deno.env.get("NOPROP_DEBUG")) console.error(e);
    console.error(`error: ${(e instanceof Error ? e.message : String(e)).split("\n")[0]}`);
    Deno.exit(1);
  }
  // Native engines (onnxruntime's thread pools, a WebGPU device) can keep the process alive.
  Deno.exit(0);
}
