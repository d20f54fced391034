/**
 * The run-folder contract, in one place: the files a training run writes into
 * `<outDir>/<runName>/`, how the latest run is found, and the rules that keep a folder from
 * ever holding a mix of two runs or a torn state.
 *
 * | file                     | what                                                          |
 * | ------------------------ | ------------------------------------------------------------- |
 * | `config.yaml`            | the effective configuration                                   |
 * | `checkpoint.safetensors` | the source of truth: weights, optimizer moments, random       |
 * |                          | streams, position and every metrics line (`src/run/checkpoint.ts`) |
 * | `weights.safetensors`    | the weights and the model description, from the same state    |
 * | `metrics.jsonl`          | the metrics lines (`src/run/metrics.ts`), rewritten from the checkpoint |
 * | `confusion.svg`          | the confusion matrix of the latest evaluation (rows: true class) |
 * | `.lock`                  | present while a process writes the folder; holds its pid      |
 *
 * `weights.safetensors`, `metrics.jsonl` and `confusion.svg` are derived from the checkpoint
 * (which keeps the latest confusion counts): they are written right after it, and a resumed run
 * first rewrites them from it, so a crash between the writes is repaired before training
 * continues.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RUN_FILES } from "./folder.ts";
 * assert.equal(RUN_FILES.checkpoint, "checkpoint.safetensors");
 * assert.equal(RUN_FILES.lock, ".lock");
 * ```
 * @module
 */

/** The file names of a run folder. */
export const RUN_FILES = {
  config: "config.yaml",
  weights: "weights.safetensors",
  checkpoint: "checkpoint.safetensors",
  metrics: "metrics.jsonl",
  confusion: "confusion.svg",
  best: "best.safetensors",
  lock: ".lock",
} as const;

/** A problem with a run folder that the user must resolve (exit status 2 in the CLIs). */
export class RunFolderError extends Error {
  /** Creates the error with a one-line message. */
  constructor(message: string) {
    super(message);
    this.name = "RunFolderError";
  }
}

/**
 * `dir` without trailing slashes, joined with `name`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runFile } from "./folder.ts";
 * assert.equal(runFile("models/a/", "weights"), "models/a/weights.safetensors");
 * ```
 */
export function runFile(dir: string, name: keyof typeof RUN_FILES): string {
  return `${dir.replace(/\/+$/, "")}/${RUN_FILES[name]}`;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/**
 * The most recently modified sub-folder of `outDir` that holds the run file `needs`
 * (`config` for `--resume`, `weights` for export); hidden folders (`.name`, such as an export
 * being written beside its run folder) are skipped. Throws a one-line {@linkcode RunFolderError}
 * when there is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { latestRun } from "./folder.ts";
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/a`);
 * await Deno.writeTextFile(`${root}/a/config.yaml`, "");
 * await Deno.mkdir(`${root}/empty`);
 * assert.equal(await latestRun(root, "config"), `${root}/a`);
 * await assert.rejects(latestRun(root, "weights"), /^RunFolderError: no run folder with weights/);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function latestRun(outDir: string, needs: keyof typeof RUN_FILES): Promise<string> {
  const root = outDir.replace(/\/+$/, "");
  let best: { path: string; mtime: number } | undefined;
  try {
    for await (const e of Deno.readDir(root)) {
      if (!e.isDirectory || e.name.startsWith(".")) continue; // hidden: e.g. an export's staging
      const file = runFile(`${root}/${e.name}`, needs);
      const st = await Deno.stat(file).catch(() => null);
      if (!st?.isFile) continue;
      const mtime = st.mtime?.getTime() ?? 0;
      if (!best || mtime > best.mtime) best = { path: `${root}/${e.name}`, mtime };
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (!best) throw new RunFolderError(`no run folder with ${RUN_FILES[needs]} in "${root}"`);
  return best.path;
}

/**
 * Whether `dir` already holds a trained run (weights or a checkpoint). A folder with only
 * `config.yaml` (a run that stopped before its first checkpoint, e.g. on bad data) holds
 * nothing to lose and may be started again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { holdsRun } from "./folder.ts";
 * const dir = await Deno.makeTempDir();
 * assert.equal(await holdsRun(dir), false);
 * await Deno.writeTextFile(`${dir}/weights.safetensors`, "");
 * assert.equal(await holdsRun(dir), true);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function holdsRun(dir: string): Promise<boolean> {
  for (const f of ["weights", "checkpoint"] as const) {
    if (await exists(runFile(dir, f))) return true;
  }
  return false;
}

function pidAlive(pid: number): boolean {
  if (pid === Deno.pid) return true;
  if (Deno.build.os === "linux") {
    try {
      Deno.statSync(`/proc/${pid}`);
      return true;
    } catch {
      return false;
    }
  }
  try {
    Deno.kill(pid, "SIGCONT"); // harmless to a live process; throws when there is none
    return true;
  } catch {
    return false;
  }
}

/**
 * An exclusive lock on a run folder: the file `.lock` created with `createNew`, holding the
 * owner's pid. A second writer is refused in one line naming that pid; a lock left by a
 * process that no longer exists (killed with SIGKILL) is taken over.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RunLock } from "./folder.ts";
 * const dir = await Deno.makeTempDir();
 * const lock = await RunLock.acquire(dir);
 * // A second writer is refused, naming the owner.
 * const mine = `is in use by another training process (pid ${Deno.pid}, lock file`;
 * await assert.rejects(RunLock.acquire(dir), (e) => String(e).includes(mine));
 * await lock.release();
 * await (await RunLock.acquire(dir)).release(); // free again
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class RunLock {
  private constructor(readonly path: string) {}

  /** Takes the lock of `dir` (which must exist); throws {@linkcode RunFolderError} if held. */
  static async acquire(dir: string): Promise<RunLock> {
    const path = runFile(dir, "lock");
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const f = await Deno.open(path, { write: true, createNew: true });
        await f.write(new TextEncoder().encode(`${Deno.pid}\n`));
        f.close();
        return new RunLock(path);
      } catch (err) {
        if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      }
      const pid = Number((await Deno.readTextFile(path).catch(() => "")).trim());
      if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) {
        throw new RunFolderError(
          `${dir} is in use by another training process (pid ${pid}, lock file ${path})`,
        );
      }
      await Deno.remove(path).catch(() => {}); // stale: its process is gone
    }
    throw new RunFolderError(`${path}: could not take the lock`);
  }

  /** Removes the lock file. */
  async release(): Promise<void> {
    await Deno.remove(this.path).catch(() => {});
  }
}

/**
 * Removes the temporary files that killed atomic writes left in `dir` (`.<name>.tmp-<pid>-…`,
 * see `src/atomic.ts`); returns their names. Call it only while holding the folder's lock.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { removeStaleTemps } from "./folder.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/.weights.safetensors.tmp-1-abc`, "torn");
 * await Deno.writeTextFile(`${dir}/weights.safetensors`, "kept");
 * assert.deepEqual(await removeStaleTemps(dir), [".weights.safetensors.tmp-1-abc"]);
 * assert.equal(await Deno.readTextFile(`${dir}/weights.safetensors`), "kept");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && /^\..+\.tmp-\d+-[0-9a-f]+$/.test(e.name)) {
      await Deno.remove(`${dir}/${e.name}`);
      removed.push(e.name);
    }
  }
  return removed;
}

/**
 * Deletes a previous run's files from `dir` (for `--overwrite`; call it holding the lock).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clearRun, holdsRun } from "./folder.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/config.yaml`, "");
 * await Deno.writeTextFile(`${dir}/notes.txt`, "mine");
 * await clearRun(dir);
 * assert.equal(await holdsRun(dir), false);
 * assert.equal(await Deno.readTextFile(`${dir}/notes.txt`), "mine"); // only run files go
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function clearRun(dir: string): Promise<void> {
  for (const f of ["checkpoint", "weights", "best", "metrics", "confusion", "config"] as const) {
    await Deno.remove(runFile(dir, f)).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }
}
