/**
 * `deno task gpu-trace`: finds the npm package files the GPU report really loads, for the kit
 * (`tools/gpu/npm_files.json`, read by `pack.ts`). It runs the report's rehearsal
 * (`driver.ts --dry-run`, every task) under `strace -f -e trace=%file` and keeps every path in
 * Deno's npm cache that a process opened or looked at successfully: each package's folder, the
 * files read from it, and its `registry.json` where Deno read one. Nothing else of the npm cache
 * goes into the kit (the cache holds whole packages: every build variant of tfjs and onnxruntime,
 * 800 MB); the rehearsal from the packed kit with `--cached-only` then proves the list suffices.
 *
 * Needs `strace` (`apt-get install -y strace`), Mesa's Vulkan driver for the adapter, and takes a
 * while (strace slows the threaded wasm of onnxruntime-web a lot; the time limits are scaled).
 *
 * ```sh
 * deno task gpu-trace [--data DIR] [--from STRACE_FILE]
 * ```
 *
 * `--from` parses a trace written earlier instead of running one. `--data` is a data dir whose
 * MNIST the rehearsal reads (default `../shared/data`).
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

/** One package's entry: whether its `registry.json` is needed, and its files (relative). */
export interface PackageFiles {
  /** Deno read `<name>/registry.json`. */
  registry: boolean;
  /** Files read from `<name>/<version>/`, sorted. */
  files: string[];
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
  let tracePath = o.from;
  if (!tracePath) {
    const work = await Deno.makeTempDir({ prefix: "noprop-gpu-trace-" });
    tracePath = `${work}/strace.txt`;
    const { writeMnistSubset } = await import("./mnist_subset.ts");
    await writeMnistSubset(o.data!, `${work}/data`, { train: 1000, test: 100 });
    const xdg = `${work}/xdg`;
    await Deno.mkdir(xdg, { mode: 0o700 });
    console.error(
      `gpu-trace: running the rehearsal under strace (${tracePath}); this takes a while`,
    );
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
        `${work}/out`,
        "--work",
        `${work}/work`,
        "--data",
        `${work}/data`,
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
    console.error(`gpu-trace: rehearsal exit status ${r.code}`);
  }
  const packages = npmFilesFromTrace(await Deno.readTextFile(tracePath), registryDir, isFileSync);
  const body = {
    comment: "The npm files the GPU report loads, by package folder (name/version) of Deno's " +
      "npm cache; written by `deno task gpu-trace` (tools/gpu/trace_npm.ts), read by " +
      "`deno task gpu-pack`.",
    packages,
  };
  await writeFileAtomic(NPM_FILES.pathname, JSON.stringify(body, null, 2) + "\n");
  // In the project's JSON style, so `deno task check` stays clean.
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", NPM_FILES.pathname] }).output();
  const files = Object.values(packages).reduce((n, p) => n + p.files.length, 0);
  console.error(
    `gpu-trace: ${Object.keys(packages).length} packages, ${files} files → ${NPM_FILES.pathname}`,
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
