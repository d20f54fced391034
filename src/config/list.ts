/**
 * Listing the named configurations of a folder (`configs/*.yaml`) with their one-line
 * descriptions: the first `# ` comment line of each file.
 *
 * @example
 * ```ts
 * import { listConfigs } from "../config.ts";
 * for (const c of await listConfigs("configs")) console.log(`${c.name}: ${c.description}`);
 * ```
 * @module
 */

/** One named configuration file. */
export interface ConfigEntry {
  /** File name without `.yaml`, e.g. `"mnist-quick"`. */
  name: string;
  /** Text of the file's first comment line ("" if it has none). */
  description: string;
  /** Path of the file. */
  path: string;
}

/**
 * The `*.yaml` / `*.yml` files of `dir`, sorted by name, with their descriptions.
 *
 * @example
 * ```ts
 * import { listConfigs } from "../config.ts";
 * (await listConfigs("configs")).map((c) => c.name); // ["cifar10", "cifar100", ...]
 * ```
 */
export async function listConfigs(dir: string | URL): Promise<ConfigEntry[]> {
  const base = dir instanceof URL ? decodeURIComponent(dir.pathname) : dir;
  const root = base.endsWith("/") ? base : base + "/";
  const out: ConfigEntry[] = [];
  for await (const e of Deno.readDir(root)) {
    const m = e.isFile ? /^(.+)\.ya?ml$/.exec(e.name) : null;
    if (!m) continue;
    const path = root + e.name;
    out.push({ name: m[1], description: firstComment(await Deno.readTextFile(path)), path });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function firstComment(text: string): string {
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (t.startsWith("#")) return t.replace(/^#+\s*/, "");
  }
  return "";
}
