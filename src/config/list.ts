/**
 * Listing the named configurations of a folder (`configs/*.yaml`) with their one-line
 * descriptions: the first `# ` comment line of each file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CONFIGS_DIR, listConfigs } from "../config.ts";
 * const lines = (await listConfigs(CONFIGS_DIR)).map((c) => `${c.name}: ${c.description}`);
 * assert.ok(lines.some((l) => l.startsWith("mnist-quick: MNIST quick run")));
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
 * import assert from "node:assert/strict";
 * import { listConfigs } from "../config.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/b.yaml`, "# second\nepochs: 1\n");
 * await Deno.writeTextFile(`${dir}/a.yml`, "epochs: 2\n");
 * await Deno.writeTextFile(`${dir}/notes.txt`, "ignored");
 * const names = (await listConfigs(dir)).map((c) => [c.name, c.description]);
 * assert.deepEqual(names, [["a", ""], ["b", "second"]]);
 * await Deno.remove(dir, { recursive: true });
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
