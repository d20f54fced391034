/**
 * What the demo server serves besides static files: the page's script bundled for the browser
 * (`deno bundle`, with onnxruntime-web left external: the page's import map loads it from
 * `/ort/`), and the folder of the onnxruntime-web version the inference package pins (its
 * `dist/` holds the ES modules and the `.wasm` files).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ortDistDir } from "./build.ts";
 * const dir = await ortDistDir();
 * assert.ok((await Deno.stat(`${dir}/ort.min.mjs`)).isFile);
 * ```
 * @module
 */

/** The repository root. */
const ROOT = new URL("../../", import.meta.url).pathname;

async function deno(args: string[]): Promise<{ ok: boolean; out: string; err: string }> {
  const o = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { ok: o.success, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
}

/** The first line of a Deno error output that says something (not the "experimental" notice). */
function firstError(err: string): string {
  return err.split("\n").map((l) => l.trim()).find((l) =>
    l !== "" && !/experimental/.test(l) && !/^Download /.test(l)
  ) ?? "no message";
}

/**
 * Bundles `entry` (a path from the repository root) for browsers into `outDir/app.js` (ES
 * module, linked source map), keeping `onnxruntime-web` and its sub-paths as bare imports.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bundleApp } from "./build.ts";
 * const dir = await Deno.makeTempDir();
 * const file = await bundleApp("examples/browser/main.ts", dir);
 * const js = await Deno.readTextFile(file);
 * assert.match(js, /import\("onnxruntime-web"\)/); // left to the page's import map
 * assert.doesNotMatch(js, /Deno\./);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function bundleApp(entry: string, outDir: string): Promise<string> {
  const out = `${outDir}/app.js`;
  const r = await deno([
    "bundle",
    "--platform=browser",
    "--format=esm",
    "--external=onnxruntime-web",
    "--external=onnxruntime-web/*",
    "--sourcemap=linked",
    "-o",
    out,
    entry,
  ]);
  if (!r.ok) throw new Error(`deno bundle ${entry} failed: ${firstError(r.err)}`);
  return out;
}

/**
 * The onnxruntime-web `dist/` folder of the version `src/infer/deno.json` pins, from
 * `deno info --json src/infer/web.ts` (which fetches the package into Deno's npm cache when it
 * is not there yet).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ortDistDir } from "./build.ts";
 * assert.match(await ortDistDir(), /onnxruntime-web[\\/]1\.30\.0[\\/]dist$/);
 * ```
 */
export async function ortDistDir(): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}src/infer/deno.json`));
  const pinned = /^npm:onnxruntime-web@(.+)$/.exec(config.imports?.["onnxruntime-web"] ?? "")?.[1];
  if (!pinned) throw new Error("src/infer/deno.json does not pin npm:onnxruntime-web@<version>");
  const r = await deno(["info", "--json", "src/infer/web.ts"]);
  if (!r.ok) throw new Error(`deno info src/infer/web.ts failed: ${firstError(r.err)}`);
  const pkgs: Record<string, { localPath?: string }> = JSON.parse(r.out).npmPackages ?? {};
  const local = pkgs[`onnxruntime-web@${pinned}`]?.localPath;
  if (!local) throw new Error(`onnxruntime-web@${pinned} is not in Deno's npm cache`);
  const dist = `${local}/dist`;
  try {
    await Deno.stat(`${dist}/ort.min.mjs`);
  } catch {
    throw new Error(`${dist}/ort.min.mjs is missing: is the onnxruntime-web package complete?`);
  }
  return dist;
}
