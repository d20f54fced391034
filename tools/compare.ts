/**
 * Command-line entry of `deno task compare`: NoProp-DT vs the backprop baseline under
 * identical settings (see `src/compare/mod.ts`). It takes the same flags as `deno task train`
 * (`--config FILE`, `--dataset`, `--epochs`, `--backend`, `--data-dir`, any config field)
 * except `--method`, `--resume`, `--list-configs`, `--print-config` and `--workers` > 1.
 * Bad arguments print one line, `error: <message>`, and exit with status 2; a failed run
 * prints one line and exits with 1.
 *
 * @example
 * ```sh
 * deno task compare --dataset mnist --epochs 3 --data-dir ../shared/data
 * deno task compare --config configs/mnist-quick.yaml --backend wasm
 * ```
 * @module
 */
import { ConfigError, parseTrainArgs } from "../src/config.ts";

/** Exit status for a usage error. */
export const EXIT_USAGE = 2;

/** `--help` text. */
export const COMPARE_USAGE =
  `usage: deno task compare --dataset NAME [--config FILE] [--epochs N] [--backend B]
                         [--data-dir DIR] [--<config field> VALUE ...]
Trains NoProp-DT and the backprop baseline with the same settings (each in its own process)
and writes <outDir>/compare-<dataset>-<date>/ with report.md, SVG charts and epochs.jsonl.
Config fields: see deno task train --help (all except --method, --resume, --workers > 1).`;

/**
 * Runs the CLI with `argv`; returns the exit status (0 ok, 1 failed run, 2 bad arguments).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EXIT_USAGE, main } from "./compare.ts";
 * assert.equal(await main(["--help"]), 0); // prints the usage
 * // Bad arguments are refused before anything trains: one line, exit status 2.
 * assert.equal(await main(["--dataset", "mnist", "--method", "backprop"]), EXIT_USAGE);
 * assert.equal(await main(["--epochs", "1"]), EXIT_USAGE); // give --dataset or --config
 * ```
 */
export async function main(argv: string[], opts: { quiet?: boolean } = {}): Promise<number> {
  const { runCompare, compareConfig } = await import("../src/compare/mod.ts");
  let args;
  try {
    args = parseTrainArgs(argv);
    if (args.help) {
      console.log(COMPARE_USAGE);
      return 0;
    }
    if (args.resume !== undefined) throw new ConfigError("--resume: compare starts fresh runs");
    if (args.listConfigs || args.printConfig) {
      throw new ConfigError("--list-configs / --print-config: use deno task train");
    }
    if (args.configPath === undefined && args.overrides.dataset === undefined) {
      throw new ConfigError("give --dataset NAME or --config FILE");
    }
    await compareConfig(args.configPath, args.overrides);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`error: ${err.message}`);
      return EXIT_USAGE;
    }
    throw err;
  }
  try {
    const command = ["deno task compare", ...argv.map(quote)].join(" ");
    const { dir } = await runCompare({
      configPath: args.configPath,
      overrides: args.overrides,
      command,
      quiet: opts.quiet,
    });
    if (!opts.quiet) console.error(`compare: report → ${dir}/report.md`);
    return 0;
  } catch (err) {
    if (Deno.env.get("NOPROP_DEBUG")) throw err;
    console.error(`error: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}`);
    return 1;
  }
}

function quote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'"'"'`)}'`;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
