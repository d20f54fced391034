/**
 * Training configuration: the schema table ({@linkcode FIELDS}) and everything derived from
 * it — defaults, validation, YAML loading and saving, CLI flags and help text.
 *
 * Precedence: schema defaults ← YAML file (`--config FILE`, or `configs/<dataset>.yaml`
 * when only `--dataset` is given) ← CLI flags.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CONFIGS_DIR, configToYaml, loadConfig, resolveRunName } from "./config.ts";
 * const configPath = new URL("mnist-quick.yaml", CONFIGS_DIR).pathname;
 * const config = resolveRunName(await loadConfig({ configPath, overrides: { seed: "1" } }));
 * assert.equal(config.epochs, 5); // from the file
 * assert.equal(config.seed, 1); // from the override
 * const yaml = configToYaml(config, `effective config of run ${config.runName}`);
 * assert.ok(yaml.startsWith(`# effective config of run mnist-dt-`));
 * ```
 * @module
 */
export * from "./config/schema.ts";
export * from "./config/errors.ts";
export * from "./config/values.ts";
export * from "./config/load.ts";
export * from "./config/yaml.ts";
export * from "./config/list.ts";
export * from "./config/resolve.ts";
export * from "./config/cli.ts";
export * from "./config/backbone.ts";
export * from "./config/series.ts";
