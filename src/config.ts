/**
 * Training configuration: the schema table ({@linkcode FIELDS}) and everything derived from
 * it — defaults, validation, YAML loading and saving, CLI flags and help text.
 *
 * Precedence: schema defaults ← YAML file (`--config FILE`, or `configs/<dataset>.yaml`
 * when only `--dataset` is given) ← CLI flags.
 *
 * @example
 * ```ts
 * import { configToYaml, loadConfig, resolveRunName } from "./config.ts";
 * const config = resolveRunName(
 *   await loadConfig({ configPath: "configs/mnist-quick.yaml", overrides: { seed: "1" } }),
 * );
 * console.log(configToYaml(config, `effective config of run ${config.runName}`));
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
