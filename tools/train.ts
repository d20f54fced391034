/**
 * Command-line entry of the trainer (`deno task train`).
 *
 * Builds the effective {@linkcode Config} (defaults ← YAML ← flags), then hands it to
 * `train()` from `src/train/mod.ts`, which is imported only after the configuration is
 * valid, so `--help`, `--list-configs`, `--print-config` and bad input never load it.
 * Configuration and run-folder errors (a folder in use, an existing run without `--overwrite`,
 * a resume that changes the model or data) print one line, `error: <message>`, and exit with
 * status 2. A run stopped by Ctrl-C or SIGTERM saves its checkpoint and exits with status 130.
 *
 * @example
 * ```sh
 * deno task train --help
 * deno task train --list-configs
 * deno task train --config configs/mnist-quick.yaml --data-dir ../shared/data
 * deno task train --dataset cifar10 --epochs 3          # configs/cifar10.yaml as the base
 * deno task train --resume models/mnist-dt-20250102-030405 --epochs 120
 * deno task train --resume                              # the latest run in --out-dir
 * deno task train --config configs/mnist-quick.yaml --run-name a --overwrite  # start run a over
 * deno task train --config configs/mnist-quick.yaml --distributed redis://10.0.0.5:6379/mnist-a
 * ```
 * @module
 */
import {
  checkSeriesConfig,
  type Config,
  configBackbone,
  ConfigError,
  CONFIGS_DIR,
  configToYaml,
  listConfigs,
  loadConfig,
  parseTrainArgs,
  resolveRunName,
  trainUsage,
} from "../src/config.ts";
import { latestRun, runFile, RunFolderError } from "../src/run/folder.ts";

/** Exit status for a configuration or usage error. */
export const EXIT_USAGE = 2;

/** Exit status of a run stopped by Ctrl-C or SIGTERM (after saving its checkpoint): 128 + SIGINT. */
export const EXIT_INTERRUPTED = 130;

/**
 * Runs the CLI with `argv` and returns the exit status (0 ok, 2 bad configuration or run
 * folder, 130 interrupted).
 * Other errors (bad data, a missing checkpoint, a non-finite loss) print one line and return 1
 * (set `NOPROP_DEBUG=1` for the stack).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EXIT_USAGE, main } from "./train.ts";
 * assert.equal(await main(["--list-configs"]), 0); // one line per file in configs/
 * assert.equal(await main(["--dataset", "mnist", "--T", "3", "--print-config"]), 0);
 * assert.equal(await main(["--T", "0"]), EXIT_USAGE); // one line naming the field
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  let config: Config;
  let resumeDir: string | undefined;
  let overwrite = false;
  let dist: { url: string; store?: string; unitCheckpoint?: number } | undefined;
  try {
    const args = parseTrainArgs(argv);
    if (args.help) {
      console.log(trainUsage());
      return 0;
    }
    if (args.listConfigs) {
      const entries = await listConfigs(CONFIGS_DIR);
      const width = Math.max(0, ...entries.map((e) => e.name.length));
      for (const e of entries) console.log(`${e.name.padEnd(width)}  ${e.description}`);
      return 0;
    }
    let configPath = args.configPath;
    overwrite = args.overwrite;
    if (args.distributed !== undefined) {
      if (args.resume !== undefined) {
        throw new ConfigError(
          "--distributed continues a run by itself (same run id, same command): drop --resume",
        );
      }
      const n = args.unitCheckpoint;
      if (n !== undefined && !/^[1-9]\d*$/.test(n)) {
        throw new ConfigError(`--unit-checkpoint: must be an integer ≥ 1, got "${n}"`);
      }
      dist = {
        url: args.distributed,
        store: args.store,
        unitCheckpoint: n === undefined ? undefined : Number(n),
      };
    } else if (args.store !== undefined || args.unitCheckpoint !== undefined) {
      throw new ConfigError(
        `--${args.store !== undefined ? "store" : "unit-checkpoint"} needs --distributed`,
      );
    }
    if (args.resume !== undefined) {
      resumeDir = args.resume !== "" ? args.resume : await latestRun(
        (await loadConfig({ configPath, overrides: args.overrides })).outDir,
        "config",
      ).catch((e) => {
        throw e instanceof RunFolderError ? new ConfigError(`--resume: ${e.message}`) : e;
      });
      if (!(await isDir(resumeDir))) {
        throw new ConfigError(`--resume: "${resumeDir}" is not a run folder`);
      }
      const saved = runFile(resumeDir, "config");
      if (configPath === undefined && (await isFile(saved))) configPath = saved;
    }
    config = resolveRunName(await loadConfig({ configPath, overrides: args.overrides }));
    configBackbone(config); // cross-field checks, before tfjs and the data load
    checkSeriesConfig(config);
    if (args.printConfig) {
      console.log(configToYaml(config, `effective config of run ${config.runName}`).trimEnd());
      return 0;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`error: ${err.message}`);
      return EXIT_USAGE;
    }
    throw err;
  }
  try {
    let r;
    if (dist) {
      const { trainDistributed } = await import("../src/dist/submit.ts");
      r = await trainDistributed(config, { ...dist, overwrite });
    } else {
      const { train } = await import("../src/train/mod.ts");
      r = await train(config, { resumeDir, overwrite });
    }
    if (r.interrupted) return EXIT_INTERRUPTED;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof RunFolderError) {
      console.error(`error: ${err.message}`);
      return EXIT_USAGE;
    }
    // Bad data, a missing checkpoint, a non-finite loss…: one line, non-zero exit.
    if (Deno.env.get("NOPROP_DEBUG")) throw err;
    console.error(`error: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}`);
    return 1;
  }
  return 0;
}

async function isDir(path: string): Promise<boolean> {
  return await Deno.stat(path).then((s) => s.isDirectory, () => false);
}

async function isFile(path: string): Promise<boolean> {
  return await Deno.stat(path).then((s) => s.isFile, () => false);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
