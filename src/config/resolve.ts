/**
 * Filling in the config fields whose null means "derive it": the run name and the data
 * directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig, resolveDataDir, resolveRunName } from "../config.ts";
 * const c = resolveRunName(defaultConfig(), new Date(2025, 0, 2, 3, 4, 5));
 * assert.equal(c.runName, "mnist-dt-20250102-030405");
 * assert.equal(resolveDataDir({ ...c, dataDir: "/data" }), "/data"); // else $NOPROP_DATA_DIR, null
 * ```
 * @module
 */
import { type Config, isSeriesDataset } from "./schema.ts";

/** Environment variable consulted when `dataDir` is null. */
export const DATA_DIR_ENV = "NOPROP_DATA_DIR";

/**
 * Returns a copy of `config` whose `runName` is set: kept if given, else
 * `<dataset>-<variant>-<yyyymmdd-hhmmss>` in local time; for a series dataset
 * `<dataset>-<method>-h<horizon>-<yyyymmdd-hhmmss>` with the NoProp forecaster's method written
 * `dt-direct` or `dt-autoencoder`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig, resolveRunName } from "../config.ts";
 * assert.equal(resolveRunName({ ...defaultConfig(), runName: "mine" }).runName, "mine");
 * const at = new Date(2025, 0, 2, 3, 4, 5);
 * const ts = { ...defaultConfig(), dataset: "etth1" as const, horizon: 192 };
 * assert.equal(resolveRunName(ts, at).runName, "etth1-dt-direct-h192-20250102-030405");
 * ```
 */
export function resolveRunName(config: Config, now: Date = new Date()): Config {
  if (config.runName !== null) return { ...config };
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-` +
    `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  const what = !isSeriesDataset(config.dataset)
    ? config.variant
    : `${
      config.method === "noprop" ? `dt-${config.forecastMode}` : config.method
    }-h${config.horizon}`;
  return { ...config, runName: `${config.dataset}-${what}-${stamp}` };
}

/**
 * The data directory to use: `config.dataDir`, else `$NOPROP_DATA_DIR`, else null
 * (meaning: download into the default cache).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig, resolveDataDir } from "../config.ts";
 * assert.equal(resolveDataDir({ ...defaultConfig(), dataDir: "/data" }), "/data");
 * ```
 */
export function resolveDataDir(config: Config): string | null {
  if (config.dataDir !== null) return config.dataDir;
  try {
    return Deno.env.get(DATA_DIR_ENV) || null;
  } catch {
    return null; // no --allow-env
  }
}
