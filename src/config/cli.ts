/**
 * The training CLI's argument handling, derived from the schema: one `--flag` per config
 * field (kebab-case, camelCase also accepted) plus the CLI-only options of
 * {@linkcode CLI_OPTIONS}, parsed with `node:util`'s `parseArgs`. Also the `--help` text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTrainArgs } from "./cli.ts";
 * const a = parseTrainArgs(["--dataset", "cifar10", "--epochs", "3"]);
 * assert.deepEqual(a.overrides, { dataset: "cifar10", epochs: "3" });
 * ```
 * @module
 */
import { parseArgs } from "../deps.ts";
import { ConfigError, didYouMean } from "./errors.ts";
import { FIELDS, type FieldSpec, flagName } from "./schema.ts";
import { describeConstraint } from "./values.ts";

/** A CLI option that is not a config field. */
export interface CliOption {
  /** Long name (`--name`). */
  name: string;
  /** Value kind: a string argument or a bare switch. */
  type: "string" | "boolean";
  /** Argument placeholder shown in help. */
  arg?: string;
  /** One-letter alias. */
  short?: string;
  /** One-line help. */
  help: string;
}

/** The CLI-only options of `tools/train.ts`. */
export const CLI_OPTIONS: readonly CliOption[] = [
  { name: "config", type: "string", arg: "FILE", help: "YAML config to start from" },
  {
    name: "resume",
    type: "string",
    arg: "[RUN_DIR]",
    help: "resume a run folder (its config.yaml is the base); no value: the latest run in outDir",
  },
  {
    name: "overwrite",
    type: "boolean",
    help: "start over in a run folder that already holds a run (its files are deleted)",
  },
  {
    name: "distributed",
    type: "string",
    arg: "URL",
    help: "train through the BullMQ/Redis engine: redis://[:password@]host:port/run-id " +
      "(rediss:// for TLS); workers: deno task worker redis://host:port",
  },
  {
    name: "store",
    type: "string",
    arg: "DIR",
    help: "with --distributed: move weights through this folder (mounted on every machine) " +
      "instead of Redis",
  },
  {
    name: "unit-checkpoint",
    type: "string",
    arg: "N",
    help: "with --distributed: batches between a work unit's checkpoints (default 50)",
  },
  { name: "list-configs", type: "boolean", help: "list configs/*.yaml with descriptions" },
  { name: "print-config", type: "boolean", help: "print the effective config as YAML and exit" },
  { name: "help", type: "boolean", short: "h", help: "show this help" },
];

/** The parsed command line of `tools/train.ts`. */
export interface TrainArgs {
  /** `--help` / `-h` given. */
  help: boolean;
  /** `--list-configs` given. */
  listConfigs: boolean;
  /** `--print-config` given. */
  printConfig: boolean;
  /** `--config FILE`. */
  configPath?: string;
  /** `--resume [RUN_DIR]`: the folder, `""` for "latest", undefined when absent. */
  resume?: string;
  /** `--overwrite` given. */
  overwrite: boolean;
  /** `--distributed URL`. */
  distributed?: string;
  /** `--store DIR`. */
  store?: string;
  /** `--unit-checkpoint N`, as given. */
  unitCheckpoint?: string;
  /** Config-field flags as strings, keyed by field name. */
  overrides: Record<string, string>;
}

type ParseOptions = Record<string, { type: "string" | "boolean"; short?: string }>;

/**
 * Parses argv. Unknown flags, missing values and stray arguments throw a one-line
 * {@linkcode ConfigError}. A negative number after a flag is taken as its value
 * (`--seed -1`), and `--resume` may be given without a folder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTrainArgs } from "./cli.ts";
 * const a = parseTrainArgs(["--batch-size", "64", "--resume"]);
 * assert.equal(a.resume, ""); // --resume without a folder: the latest run
 * assert.deepEqual(a.overrides, { batchSize: "64" });
 * assert.throws(() => parseTrainArgs(["--epohcs", "1"]), {
 *   name: "ConfigError",
 *   message: "--epohcs: unknown option (did you mean --epochs?); see --help",
 * });
 * ```
 */
export function parseTrainArgs(argv: readonly string[]): TrainArgs {
  const options: ParseOptions = {};
  const fieldOf = new Map<string, FieldSpec>();
  for (const f of FIELDS as readonly FieldSpec[]) {
    for (const name of new Set([flagName(f), f.name])) {
      options[name] = { type: f.type === "bool" ? "boolean" : "string" };
      fieldOf.set(name, f);
    }
  }
  for (const o of CLI_OPTIONS) {
    options[o.name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  }

  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: normalizeArgv(argv, options),
      options,
      strict: true,
      allowPositionals: false,
    }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    const e = err as Error & { code?: string };
    if (!e.code?.startsWith("ERR_PARSE_ARGS_")) throw err;
    throw new ConfigError(describeParseError(e, options));
  }
  const overrides: Record<string, string> = {};
  for (const [name, v] of Object.entries(values)) {
    const f = fieldOf.get(name);
    if (f && v !== undefined) overrides[f.name] = String(v);
  }
  return {
    help: values.help === true,
    listConfigs: values["list-configs"] === true,
    printConfig: values["print-config"] === true,
    configPath: values.config as string | undefined,
    resume: values.resume as string | undefined,
    overwrite: values.overwrite === true,
    distributed: values.distributed as string | undefined,
    store: values.store as string | undefined,
    unitCheckpoint: values["unit-checkpoint"] as string | undefined,
    overrides,
  };
}

/**
 * Help text for every config field, grouped, with its type, constraint and default.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configHelp } from "./cli.ts";
 * assert.ok(configHelp().includes("--batch-size <int>"));
 * ```
 */
export function configHelp(): string {
  const rows: [string, string][] = [];
  let group = "";
  for (const f of FIELDS as readonly FieldSpec[]) {
    if (f.group !== group) {
      group = f.group;
      rows.push([`${group}:`, ""]);
    }
    const constraint = describeConstraint(f).replace(/^an? /, "");
    rows.push([
      `  --${flagName(f)}${placeholder(f)}`,
      `${f.help} (${constraint}; default ${showDefault(f.default)})`,
    ]);
  }
  return table(rows);
}

/**
 * The full `--help` text of `tools/train.ts`: usage, CLI options and every config field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainUsage } from "./cli.ts";
 * const usage = trainUsage();
 * assert.ok(usage.includes("--resume") && usage.includes("--batch-size <int>"));
 * ```
 */
export function trainUsage(): string {
  const cli = table(
    CLI_OPTIONS.map((o) => [
      `  ${o.short ? `-${o.short}, ` : ""}--${o.name}${o.arg ? ` ${o.arg}` : ""}`,
      o.help,
    ]),
  );
  return [
    "Train a NoProp network (Li, Teh, Pascanu, arXiv:2503.24322) with TensorFlow.js.",
    "",
    "Usage: deno task train [--config FILE | --dataset NAME] [--resume [RUN_DIR]] [--field value ...]",
    "",
    "Settings are taken from the defaults, then the YAML file (--config FILE; or",
    "configs/<dataset>.yaml when only --dataset is given), then the flags below.",
    "YAML keys are the camelCase names of the flags (--batch-size -> batchSize).",
    "",
    "Options:",
    cli,
    "",
    "Config fields:",
    configHelp(),
  ].join("\n");
}

function placeholder(f: FieldSpec): string {
  switch (f.type) {
    case "int":
      return " <int>";
    case "float":
      return " <num>";
    case "enum":
      return " <name>";
    case "string":
      return " <str>";
    case "int-list":
      return " <n,n,...>";
    case "name-list":
      return " <name,...>";
    case "bool":
      return "";
  }
}

function showDefault(v: unknown): string {
  return Array.isArray(v) ? (v.length ? v.join(",") : "none") : String(v);
}

function table(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.filter((r) => r[1]).map((r) => r[0].length)) + 2;
  return rows.map(([l, r]) => (r ? l.padEnd(width) + r : l)).join("\n");
}

/** Joins `--flag -3` into `--flag=-3`, and turns a bare `--resume` into `--resume=`. */
function normalizeArgv(argv: readonly string[], options: ParseOptions): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = argv[i + 1];
    const name = a.startsWith("--") && !a.includes("=") ? a.slice(2) : undefined;
    if (name === "resume" && (next === undefined || next.startsWith("-"))) {
      out.push("--resume=");
    } else if (
      name !== undefined && options[name]?.type === "string" && next !== undefined &&
      /^-(\d|\.\d)/.test(next)
    ) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

function describeParseError(err: Error & { code?: string }, options: ParseOptions): string {
  const quoted = /'([^']*)'/.exec(err.message)?.[1] ?? "";
  const flag = quoted.split(/[ =]/)[0].replace(/^-h, /, "");
  switch (err.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
      const names = Object.keys(options).filter((n) => !/[A-Z]/.test(n) || n === "T");
      const hint = didYouMean(flag.replace(/^-+/, ""), names, (s) => `--${s}`);
      return `${flag}: unknown option${hint}; see --help`;
    }
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /does not take/.test(err.message)
        ? `${quoted.split(", ").pop()}: takes no value`
        : `${flag}: missing value`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument "${quoted}" (options look like --name value); see --help`;
    default:
      return err.message.split("\n")[0];
  }
}
