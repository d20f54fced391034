/**
 * Building a {@linkcode Config}: schema defaults, then a YAML file, then CLI string
 * overrides (later sources win). Every problem is a one-line {@linkcode ConfigError} naming
 * the file or flag and the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadConfig } from "./load.ts";
 * const configPath = await Deno.makeTempFile({ suffix: ".yaml" });
 * await Deno.writeTextFile(configPath, "dataset: mnist\nepochs: 100\nlr: 1.0e-3\n");
 * const config = await loadConfig({ configPath, overrides: { epochs: "5", widths: "16,32,64" } });
 * assert.equal(config.epochs, 5); // the flag wins over the file
 * assert.equal(config.lr, 1e-3);
 * assert.deepEqual(config.widths, [16, 32, 64]);
 * await Deno.remove(configPath);
 * ```
 * @module
 */
import { YAML } from "../deps.ts";
import { ConfigError, didYouMean } from "./errors.ts";
import {
  type Config,
  DATASETS,
  fieldByFlag,
  fieldByName,
  FIELDS,
  type FieldSpec,
  flagName,
} from "./schema.ts";
import { checkValue, parseFlagValue } from "./values.ts";

/** Where {@linkcode loadConfig} looks for `<dataset>.yaml` when no file is given. */
export const CONFIGS_DIR: URL = new URL("../../configs/", import.meta.url);

/** Options of {@linkcode loadConfig}. */
export interface LoadConfigOptions {
  /** YAML file to start from (after the defaults). */
  configPath?: string;
  /**
   * CLI values as strings, keyed by field name (`batchSize`) or flag name (`batch-size`);
   * undefined entries are ignored.
   */
  overrides?: Record<string, string | undefined>;
  /**
   * Folder of named configs. Without `configPath`, if `overrides.dataset` is set and
   * `<configsDir>/<dataset>.yaml` exists, that file is the base. Default {@linkcode CONFIGS_DIR}.
   */
  configsDir?: string | URL;
}

/**
 * The schema defaults (the paper's MNIST NoProp-DT settings), as a fresh object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "./load.ts";
 * assert.deepEqual(defaultConfig().widths, [32, 64, 128]);
 * ```
 */
export function defaultConfig(): Config {
  const out: Record<string, unknown> = {};
  for (const f of FIELDS as readonly FieldSpec[]) {
    out[f.name] = Array.isArray(f.default) ? [...f.default] : f.default;
  }
  return out as unknown as Config;
}

/**
 * Validates a plain object of typed values (e.g. parsed YAML) on top of the defaults.
 * Missing fields take their defaults; unknown fields and bad values throw a
 * {@linkcode ConfigError} prefixed with `source`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateConfig } from "./load.ts";
 * assert.equal(validateConfig({ dataset: "cifar10", epochs: 150 }, "inline").epochs, 150);
 * assert.throws(
 *   () => validateConfig({ epohcs: 1 }, "x.yaml"),
 *   { message: 'x.yaml: unknown field "epohcs" (did you mean "epochs"?)' },
 * );
 * ```
 */
export function validateConfig(obj: unknown, source: string): Config {
  return applyObject(defaultConfig(), obj, source);
}

/**
 * Loads the effective configuration: defaults ← YAML file ← CLI overrides.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadConfig } from "./load.ts";
 * // --dataset alone uses configs/cifar10.yaml as the base:
 * const c = await loadConfig({ overrides: { dataset: "cifar10" } });
 * assert.equal(c.epochs, 150);
 * ```
 */
export async function loadConfig(opts: LoadConfigOptions = {}): Promise<Config> {
  const overrides = opts.overrides ?? {};
  let path = opts.configPath;
  const dataset = overrides.dataset;
  if (path === undefined && dataset !== undefined && DATASETS.includes(dataset as never)) {
    const candidate = joinPath(opts.configsDir ?? CONFIGS_DIR, `${dataset}.yaml`);
    if (await exists(candidate)) path = candidate;
  }
  let config = defaultConfig();
  if (path !== undefined) config = applyObject(config, await readYaml(path), displayPath(path));
  return applyOverrides(config, overrides);
}

/**
 * Applies CLI string overrides (keyed by field or flag name) to a config.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyOverrides, defaultConfig } from "./load.ts";
 * assert.equal(applyOverrides(defaultConfig(), { "batch-size": "64" }).batchSize, 64);
 * assert.equal(applyOverrides(defaultConfig(), { batchSize: "32" }).batchSize, 32);
 * ```
 */
export function applyOverrides(
  base: Config,
  overrides: Record<string, string | undefined>,
): Config {
  const out: Record<string, unknown> = { ...base };
  for (const [key, raw] of Object.entries(overrides)) {
    if (raw === undefined) continue;
    const f = fieldByFlag(key);
    if (!f) {
      const flags = (FIELDS as readonly FieldSpec[]).map(flagName);
      throw new ConfigError(
        `--${key}: unknown option${didYouMean(key, flags, (s) => `--${s}`)}`,
      );
    }
    out[f.name] = parseFlagValue(f, raw, `--${flagName(f)}`);
  }
  return out as unknown as Config;
}

function applyObject(base: Config, obj: unknown, source: string): Config {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    throw new ConfigError(`${source}: expected a mapping of field: value, got ${kind(obj)}`);
  }
  const out: Record<string, unknown> = { ...base };
  const names = (FIELDS as readonly FieldSpec[]).map((f) => f.name);
  for (const [key, value] of Object.entries(obj)) {
    const f = fieldByName(key);
    if (!f) throw new ConfigError(`${source}: unknown field "${key}"${didYouMean(key, names)}`);
    out[key] = checkValue(f, value, `${source}: ${key}`);
  }
  return out as unknown as Config;
}

async function readYaml(path: string): Promise<unknown> {
  const shown = displayPath(path);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new ConfigError(`${shown}: config file not found`);
    }
    throw new ConfigError(`${shown}: cannot read: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = YAML.parse(text);
  } catch (err) {
    const first = String((err as Error).message).split("\n")[0];
    throw new ConfigError(`${shown}: invalid YAML: ${first}`);
  }
  return parsed ?? {}; // an empty (or comment-only) file means "all defaults"
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

function joinPath(dir: string | URL, name: string): string {
  if (dir instanceof URL) return decodeURIComponent(new URL(name, dir).pathname);
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

/** A path as shown in messages: relative to the working directory when inside it. */
function displayPath(path: string): string {
  try {
    const cwd = Deno.cwd() + "/";
    return path.startsWith(cwd) ? path.slice(cwd.length) : path;
  } catch {
    return path;
  }
}

function kind(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "a list" : `a ${typeof v}`;
}
