/**
 * Command-line entry of the trainer (`deno task train`).
 *
 * Builds the effective {@linkcode Config} (defaults ← YAML ← flags), then hands it to
 * `train()` from `src/train/mod.ts`, which is imported only after the configuration is
 * valid, so `--help`, `--list-configs`, `--print-config` and bad input never load it.
 * Configuration errors print one line, `error: <message>`, and exit with status 2.
 *
 * @example
 * ```sh
 * deno task train --help
 * deno task train --list-configs
 * deno task train --config configs/mnist-quick.yaml --data-dir ../shared/data
 * deno task train --dataset cifar10 --epochs 3          # configs/cifar10.yaml as the base
 * deno task train --resume models/mnist-dt-20250102-030405 --epochs 120
 * deno task train --resume                              # the latest run in --out-dir
 * ```
 * @module
 */
import {
  type Config,
  ConfigError,
  CONFIGS_DIR,
  configToYaml,
  listConfigs,
  loadConfig,
  parseTrainArgs,
  resolveRunName,
  RUN_CONFIG_FILE,
  trainUsage,
} from "../src/config.ts";

/** Exit status for a configuration or usage error. */
export const EXIT_USAGE = 2;

/**
 * Runs the CLI with `argv` and returns the exit status (0 ok, 2 bad configuration).
 * Other errors (bad data, a missing checkpoint, a non-finite loss) print one line and return 1
 * (set `NOPROP_DEBUG=1` for the stack).
 *
 * @example
 * ```ts
 * import { main } from "./train.ts";
 * Deno.exit(await main(["--list-configs"]));
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  let config: Config;
  let resumeDir: string | undefined;
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
    if (args.resume !== undefined) {
      resumeDir = args.resume !== "" ? args.resume : await latestRun(
        (await loadConfig({ configPath, overrides: args.overrides })).outDir,
      );
      if (!(await isDir(resumeDir))) {
        throw new ConfigError(`--resume: "${resumeDir}" is not a run folder`);
      }
      const saved = `${resumeDir.replace(/\/+$/, "")}/${RUN_CONFIG_FILE}`;
      if (configPath === undefined && (await isFile(saved))) configPath = saved;
    }
    config = resolveRunName(await loadConfig({ configPath, overrides: args.overrides }));
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
  const { train } = await import("../src/train/mod.ts");
  try {
    await train(config, { resumeDir });
  } catch (err) {
    // Bad data, a missing checkpoint, a non-finite loss…: one line, non-zero exit.
    if (Deno.env.get("NOPROP_DEBUG")) throw err;
    console.error(`error: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}`);
    return 1;
  }
  return 0;
}

/** The most recently modified folder of `outDir` that holds a saved run config. */
async function latestRun(outDir: string): Promise<string> {
  let best: { path: string; mtime: number } | undefined;
  try {
    for await (const e of Deno.readDir(outDir)) {
      if (!e.isDirectory) continue;
      const path = `${outDir.replace(/\/+$/, "")}/${e.name}`;
      if (!(await isFile(`${path}/${RUN_CONFIG_FILE}`))) continue;
      const mtime = (await Deno.stat(path)).mtime?.getTime() ?? 0;
      if (!best || mtime > best.mtime) best = { path, mtime };
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (!best) {
    throw new ConfigError(`--resume: no run folder with ${RUN_CONFIG_FILE} in "${outDir}"`);
  }
  return best.path;
}

async function isDir(path: string): Promise<boolean> {
  return await Deno.stat(path).then((s) => s.isDirectory, () => false);
}

async function isFile(path: string): Promise<boolean> {
  return await Deno.stat(path).then((s) => s.isFile, () => false);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
