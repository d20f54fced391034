/**
 * Opening a run folder for writing, with the rules of the run-folder contract (`folder.ts`):
 * an exclusive lock first; then either a fresh start, refused over an existing run unless
 * `overwrite` (which deletes the old run's files), or a resumption, whose config may differ
 * from the saved one only in the resumable fields (`resume.ts`). Temp files of killed writes
 * are removed either way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../config.ts";
 * import { openRunFolder } from "./open.ts";
 * const outDir = await Deno.makeTempDir();
 * const cfg = { ...defaultConfig(), outDir, runName: "r" };
 * const run = await openRunFolder(cfg, {});
 * assert.equal(run.dir, `${outDir}/r`);
 * assert.equal(run.resumed, false);
 * assert.ok((await Deno.stat(`${outDir}/r/config.yaml`)).isFile); // the effective config
 * await run.close();
 * // Once the folder holds trained weights, a fresh start over it is refused.
 * await Deno.writeFile(`${outDir}/r/weights.safetensors`, new Uint8Array(8));
 * await assert.rejects(openRunFolder(cfg, {}), /already holds a run: continue it with --resume/);
 * await Deno.remove(outDir, { recursive: true });
 * ```
 * @module
 */
import { type Config, ConfigError, configToYaml, loadConfig } from "../config.ts";
import { writeFileAtomic } from "../atomic.ts";
import {
  clearRun,
  holdsRun,
  removeStaleTemps,
  runFile,
  RunFolderError,
  RunLock,
} from "./folder.ts";
import { checkResumeConfig } from "./resume.ts";

/**
 * A run folder held for writing.
 *
 * @example
 * ```ts
 * import type { OpenRun } from "./open.ts";
 * const where = (r: OpenRun) => r.dir;
 * ```
 */
export interface OpenRun {
  /** The folder. */
  dir: string;
  /** Continuing a checkpoint (else a fresh start). */
  resumed: boolean;
  /** Names of stale temp files removed on opening. */
  removedTemps: string[];
  /** Releases the lock. */
  close(): Promise<void>;
}

/**
 * Opens `<outDir>/<runName>` of `cfg` (or `opts.resumeDir` to resume) for writing (see the
 * module doc). Errors are one line: {@linkcode RunFolderError} for a folder in use or an
 * existing run, {@linkcode ConfigError} for a config that may not change on resume.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../config.ts";
 * import { openRunFolder } from "./open.ts";
 * const outDir = await Deno.makeTempDir();
 * const cfg = { ...defaultConfig(), outDir, runName: "r" };
 * await (await openRunFolder(cfg, {})).close();
 * // Resuming may train longer, but not change the model.
 * const run = await openRunFolder({ ...cfg, epochs: 200 }, { resumeDir: `${outDir}/r` });
 * try {
 *   assert.equal(run.resumed, true);
 *   await assert.rejects(openRunFolder(cfg, { resumeDir: run.dir }), /is in use by another/);
 * } finally {
 *   await run.close();
 * }
 * await assert.rejects(
 *   openRunFolder({ ...cfg, T: 3 }, { resumeDir: `${outDir}/r` }),
 *   /^ConfigError: --resume: T is 3, but the run in .* was trained with T = 10/,
 * );
 * await Deno.remove(outDir, { recursive: true });
 * ```
 */
export async function openRunFolder(
  cfg: Config,
  opts: { resumeDir?: string; overwrite?: boolean },
): Promise<OpenRun> {
  const resumed = opts.resumeDir !== undefined;
  if (resumed && opts.overwrite) {
    throw new ConfigError("--resume and --overwrite exclude each other");
  }
  const dir = (opts.resumeDir ?? `${cfg.outDir}/${cfg.runName}`).replace(/\/+$/, "");
  if (resumed) {
    if (!(await Deno.stat(dir).then((s) => s.isDirectory, () => false))) {
      throw new RunFolderError(`--resume: "${dir}" is not a run folder`);
    }
  } else await Deno.mkdir(dir, { recursive: true });
  const lock = await RunLock.acquire(dir);
  try {
    const removedTemps = await removeStaleTemps(dir);
    if (resumed) {
      const savedPath = runFile(dir, "config");
      if (await Deno.stat(savedPath).then(() => true, () => false)) {
        checkResumeConfig(await loadConfig({ configPath: savedPath }), cfg, dir);
      }
    } else {
      if (await holdsRun(dir)) {
        if (!opts.overwrite) {
          throw new RunFolderError(
            `${dir} already holds a run: continue it with --resume ${dir}, or start it over ` +
              `with --overwrite`,
          );
        }
        await clearRun(dir);
      }
      await writeFileAtomic(runFile(dir, "config"), configToYaml(cfg));
    }
    return { dir, resumed, removedTemps, close: () => lock.release() };
  } catch (err) {
    await lock.release();
    throw err;
  }
}
