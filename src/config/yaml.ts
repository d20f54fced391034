/**
 * Writing a {@linkcode Config} back as YAML: the effective configuration saved in each run
 * folder, one `field: value` line per schema entry with its help text as a comment. The
 * output parses back (with {@linkcode loadConfig}) to the same config.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parse } from "yaml";
 * import { configToYaml, defaultConfig, validateConfig } from "../config.ts";
 * const text = configToYaml(defaultConfig(), "effective config of run mnist-dt-20250101-120000");
 * assert.equal(text.split("\n")[0], "# effective config of run mnist-dt-20250101-120000");
 * assert.deepEqual(validateConfig(parse(text), "config.yaml"), defaultConfig()); // round trip
 * ```
 * @module
 */
import { YAML } from "../deps.ts";
import { type Config, FIELDS, type FieldSpec } from "./schema.ts";

/**
 * Serialises a config as commented YAML, fields in schema order. `header` (one line or
 * several) becomes the leading `# ` comment.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configToYaml, defaultConfig } from "../config.ts";
 * assert.ok(configToYaml(defaultConfig()).includes("widths: [32, 64, 128]"));
 * ```
 */
export function configToYaml(config: Config, header?: string): string {
  const lines: string[] = [];
  if (header) { for (const h of header.split("\n")) lines.push(`# ${h}`.trimEnd()); }
  const fields = FIELDS as readonly FieldSpec[];
  const rows = fields.map((f) => `${f.name}: ${scalar(config[f.name])}`);
  const width = Math.max(...rows.map((r) => r.length));
  fields.forEach((f, i) => lines.push(`${rows[i].padEnd(width)}  # ${f.help}`));
  return lines.join("\n") + "\n";
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return `[${v.map(scalar).join(", ")}]`;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return YAML.stringify(v).trimEnd();
}
