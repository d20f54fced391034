/**
 * The backbone a config asks for, checked across fields: `backboneWidth` scales only a ResNet,
 * so a paper backbone with a multiplier other than 1 is refused in one line rather than
 * silently ignored (the paper block's widths are `widths`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configBackbone, defaultConfig } from "../config.ts";
 * const cfg = { ...defaultConfig(), backbone: "resnet18" as const, backboneWidth: 0.25 };
 * assert.deepEqual(configBackbone(cfg), { backbone: "resnet18", backboneWidth: 0.25 });
 * assert.throws(
 *   () => configBackbone({ ...cfg, backbone: "paper" }),
 *   /^ConfigError: backboneWidth is 0.25, but it only scales a ResNet backbone/,
 * );
 * ```
 * @module
 */
import type { BackboneChoice } from "../model/backbone.ts";
import { ConfigError } from "./errors.ts";
import type { Config } from "./schema.ts";

/**
 * `{ backbone, backboneWidth }` of `cfg`; throws a {@linkcode ConfigError} for a paper backbone
 * with `backboneWidth` ≠ 1 (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configBackbone, defaultConfig } from "../config.ts";
 * assert.deepEqual(configBackbone(defaultConfig()), { backbone: "paper", backboneWidth: 1 });
 * ```
 */
export function configBackbone(cfg: Pick<Config, "backbone" | "backboneWidth">): BackboneChoice {
  if (cfg.backbone === "paper" && cfg.backboneWidth !== 1) {
    throw new ConfigError(
      `backboneWidth is ${cfg.backboneWidth}, but it only scales a ResNet backbone ` +
        `(--backbone resnet18|resnet50); the paper backbone takes its widths from --widths`,
    );
  }
  return { backbone: cfg.backbone, backboneWidth: cfg.backboneWidth };
}
