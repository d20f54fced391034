/**
 * `deno task gpu-trace`: finds the npm package files the GPU report really loads, for the kit
 * (`tools/gpu/npm_files.json`, read by `pack.ts`). It runs the report's rehearsal
 * (`driver.ts --dry-run`) once per kit part (`--kit-parts train`, `infer-node`, `infer-web`)
 * under `strace -f -e trace=%file` and keeps every path in Deno's npm cache that a process opened
 * or looked at successfully: each package's folder, the files read from it, its `registry.json`
 * where Deno read one, and which kit parts read its files (`parts`: a kit part packs the files of
 * those packages only, and of the others just the folder Deno's `--cached-only` start-up looks
 * for). Nothing else of the npm cache goes into the kit (the cache holds whole packages: every
 * build variant of tfjs and onnxruntime, 800 MB); the rehearsal from each packed part with
 * `--cached-only` then proves the list suffices.
 *
 * Needs `strace` (`apt-get install -y strace`), Mesa's Vulkan driver for the adapter, and takes a
 * while (strace slows the threaded wasm of onnxruntime-web a lot; the time limits are scaled).
 *
 * ```sh
 * deno task gpu-trace [--data DIR] [--from DIR]
 * ```
 *
 * `--from DIR` parses the traces written earlier (`DIR/strace-<part>.txt`, one per kit part)
 * instead of running them. `--data` is a data dir whose MNIST the rehearsal reads (default
 * `../shared/data`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { npmFilesFromTrace } from "./trace_npm.ts";
 * const cache = "/c/npm/registry.npmjs.org";
 * const trace = [
 *   `12 openat(AT_FDCWD, "${cache}/yaml/2.9.1/dist/index.js", O_RDONLY) = 3`,
 *   `12 statx(AT_FDCWD, "${cache}/long/4.0.0", 0, STATX_ALL, {}) = 0`,
 *   `12 openat(AT_FDCWD, "${cache}/yaml/registry.json", O_RDONLY) = 4`,
 *   `12 openat(AT_FDCWD, "${cache}/yaml/2.9.1/nope.js", O_RDONLY) = -1 ENOENT (No such file)`,
 * ].join("\n");
 * const files = npmFilesFromTrace(trace, cache, (p) => p.endsWith(".js"));
 * assert.deepEqual(files, {
 *   "long/4.0.0": { registry: false, files: [] },
 *   "yaml/2.9.1": { registry: true, files: ["dist/index.js"] },
 * });
 * ```
 * @module
 */
import { parseArgs } from "../../src/deps.ts";
import { writeFileAtomic } from "../../src/atomic.ts";
import { KIT_PARTS, type KitPart } from "./kit_parts.ts";

/** One package's entry: whether its `registry.json` is needed, and its files (relative). */
export interface PackageFiles {
  /** Deno read `<name>/registry.json`. */
  registry: boolean;
  /** Files read from `<name>/<version>/`, sorted. */
  files: string[];
}

/** An entry of `npm_files.json`: a package's files and the kit parts that read them. */
export interface PackageEntry extends PackageFiles {
  /** The kit parts whose rehearsal read files of the package (in {@linkcode KIT_PARTS} order). */
  parts: KitPart[];
}

/**
 * The per-part traces' packages as one list: each package's files (the union), whether any part
 * read its `registry.json`, and the parts that read any of its files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mergePartTraces } from "./trace_npm.ts";
 * const merged = mergePartTraces({
 *   train: { "yaml/2": { registry: true, files: ["a.js"] }, "bull/1": { registry: false, files: [] } },
 *   "infer-web": { "yaml/2": { registry: false, files: ["b.js"] } },
 * });
 * assert.deepEqual(merged, {
 *   "bull/1": { registry: false, files: [], parts: [] },
 *   "yaml/2": { registry: true, files: ["a.js", "b.js"], parts: ["train", "infer-web"] },
 * });
 * ```
 */
export function mergePartTraces(
  byPart: Partial<Record<KitPart, Record<string, PackageFiles>>>,
): Record<string, PackageEntry> {
  const out: Record<string, PackageEntry> = {};
  for (const part of KIT_PARTS) {
    for (const [key, e] of Object.entries(byPart[part] ?? {})) {
      const entry = out[key] ??= { registry: false, files: [], parts: [] };
      entry.registry ||= e.registry;
      for (const f of e.files) if (!entry.files.includes(f)) entry.files.push(f);
      if (e.files.length && !entry.parts.includes(part)) entry.parts.push(part);
    }
  }
  const sorted: Record<string, PackageEntry> = {};
  for (const key of Object.keys(out).sort()) {
    sorted[key] = { ...out[key], files: out[key].files.sort() };
  }
  return sorted;
}

/** The list file's path. */
export const NPM_FILES = new URL("./npm_files.json", import.meta.url);

/**
 * Parses strace output: the packages (`name/version`) and files under `registryDir`
 * (`<npm cache>/registry.npmjs.org`) that a successful call named. `isFile` tells files from
 * folders (folders inside a package are created by their files).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { npmFilesFromTrace } from "./trace_npm.ts";
 * const line = `1 openat(AT_FDCWD, "/r/@a/b/1.0.0/x.js", O_RDONLY) = 3`;
 * assert.deepEqual(npmFilesFromTrace(line, "/r", () => true), {
 *   "@a/b/1.0.0": { registry: false, files: ["x.js"] },
 * });
 * ```
 */
export function npmFilesFromTrace(
  trace: string,
  registryDir: string,
  isFile: (path: string) => boolean,
): Record<string, PackageFiles> {
  const out: Record<string, PackageFiles> = {};
  const registries = new Set<string>();
  const prefix = registryDir.replace(/\/$/, "") + "/";
  for (const line of trace.split("\n")) {
    if (/= -1 /.test(line)) continue;
    for (const m of line.matchAll(/"([^"]+)"/g)) {
      if (!m[1].startsWith(prefix)) continue;
      const parts = m[1].slice(prefix.length).split("/").filter(Boolean);
      const n = parts[0]?.startsWith("@") ? 2 : 1;
      if (parts.length < n + 1) continue;
      const name = parts.slice(0, n).join("/");
      if (parts[n] === "registry.json" && parts.length === n + 1) {
        registries.add(name);
        continue;
      }
      const key = `${name}/${parts[n]}`;
      const entry = out[key] ??= { registry: false, files: [] };
      const rel = parts.slice(n + 1).join("/");
      if (rel && isFile(m[1]) && !entry.files.includes(rel)) entry.files.push(rel);
    }
  }
  const sorted: Record<string, PackageFiles> = {};
  for (const key of Object.keys(out).sort()) {
    const name = key.slice(0, key.lastIndexOf("/"));
    sorted[key] = { registry: registries.has(name), files: out[key].files.sort() };
  }
  return sorted;
}

function isFileSync(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Deno's npm cache folder (`deno info --json`'s `npmCache`). */
export async function npmCacheDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
  if (!out.success) throw new Error("`deno info --json` failed");
  return JSON.parse(new TextDecoder().decode(out.stdout)).npmCache;
}

/** Runs the rehearsal of kit part `part` under strace into `tracePath`. */
async function tracePart(part: KitPart, work: string, tracePath: string): Promise<void> {
  const xdg = `${work}/xdg-${part}`;
  await Deno.mkdir(xdg, { mode: 0o700 });
  console.error(`gpu-trace: the ${part} rehearsal under strace (${tracePath}); this takes a while`);
  const r = await new Deno.Command("strace", {
    args: [
      "-f",
      "-qq",
      "-e",
      "trace=%file",
      "-o",
      tracePath,
      Deno.execPath(),
      "run",
      "--cached-only",
      "-A",
      new URL("./driver.ts", import.meta.url).pathname,
      "--out",
      `${work}/out-${part}`,
      "--work",
      `${work}/work-${part}`,
      "--data",
      `${work}/data`,
      "--kit-parts",
      part,
      "--dry-run",
      "--time-scale",
      "5",
    ],
    env: { XDG_RUNTIME_DIR: xdg, DENO_WEBGPU_BACKEND: "vulkan" },
    stdout: "inherit",
    stderr: "inherit",
  }).output().catch((e) => {
    throw new Error(`strace could not be started (${e.message}): apt-get install -y strace`);
  });
  // A step stopped at its (scaled) limit under strace still loaded its modules.
  console.error(`gpu-trace: ${part} rehearsal exit status ${r.code}`);
}

/** Runs the CLI (see the module doc); returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      data: { type: "string", default: "../shared/data" },
      from: { type: "string" },
    },
  });
  const registryDir = `${await npmCacheDir()}/registry.npmjs.org`;
  let traces = o.from;
  if (!traces) {
    traces = await Deno.makeTempDir({ prefix: "noprop-gpu-trace-" });
    const { writeMnistSubset } = await import("./mnist_subset.ts");
    await writeMnistSubset(o.data!, `${traces}/data`, { train: 1000, test: 100 });
    for (const part of KIT_PARTS) await tracePart(part, traces, `${traces}/strace-${part}.txt`);
  }
  const byPart: Partial<Record<KitPart, Record<string, PackageFiles>>> = {};
  for (const part of KIT_PARTS) {
    const path = `${traces}/strace-${part}.txt`;
    const text = await Deno.readTextFile(path).catch(() => {
      throw new Error(`${path} is missing: --from names a folder of strace-<part>.txt files`);
    });
    byPart[part] = npmFilesFromTrace(text, registryDir, isFileSync);
  }
  const packages = mergePartTraces(byPart);
  const body = {
    comment: "The npm files the GPU report loads, by package folder (name/version) of Deno's " +
      "npm cache, and the kit parts that load each package's files; written by " +
      "`deno task gpu-trace` (tools/gpu/trace_npm.ts), read by `deno task gpu-pack`.",
    packages,
  };
  await writeFileAtomic(NPM_FILES.pathname, JSON.stringify(body, null, 2) + "\n");
  // In the project's JSON style, so `deno task check` stays clean.
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", NPM_FILES.pathname] }).output();
  const files = Object.values(packages).reduce((n, p) => n + p.files.length, 0);
  const per = KIT_PARTS.map((part) =>
    `${part} ${Object.values(packages).filter((p) => p.parts.includes(part)).length}`
  );
  console.error(
    `gpu-trace: ${Object.keys(packages).length} packages (with files read: ${per.join(", ")}), ` +
      `${files} files → ${NPM_FILES.pathname}`,
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
