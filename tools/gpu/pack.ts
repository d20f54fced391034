/**
 * `deno task gpu-pack [PART...]`: builds `gpu-kit/` (git-ignored), everything the GPU report
 * (`tools/gpu/run.sh`) needs on a host without network, Node.js or Deno, and nothing else:
 *
 * | file | what |
 * | --- | --- |
 * | `deno.xz` | this Deno's own binary (x86-64 Linux), xz-compressed with the x86 branch filter |
 * | `npm.tar.xz` | `deno_dir/`: the npm files the report loads (`npm_files.json`, found by `deno task gpu-trace`) in Deno's cache layout, for `--cached-only` (x86 filter too: onnxruntime-node's native library is most of it) |
 * | `data.tar.xz` | `data/mnist/`: the first images of MNIST (plain IDX); `anchors/torch_noprop_dt.py`: the PyTorch yardstick |
 * | `debs/*.deb` | the Vulkan loader (`libvulkan1`) and what NVIDIA's Vulkan driver loads beside it (`libglvnd0`), Debian's, from `apt-get download` |
 * | `kit.json` | what was packed: its parts, sizes, sha256, versions, the commit |
 *
 * The whole kit does not travel with the working tree within the limit, so it is packed for one
 * or more of the kit parts of `kit_parts.ts` at a time ({@linkcode PACK_PARTS},
 * {@linkcode npmFileFilter}): `train` (tfjs and vega, no onnxruntime, 10,240 + 10,000 MNIST
 * images), `infer-node` (onnxruntime-node, 256 + 256 images) or `infer-web` (onnxruntime-web,
 * 256 + 256); the inference parts carry no tfjs (their chain is built with random weights by
 * `src/onnx/random_export.ts`). With no part, all (for rehearsals: too big to travel). Prints the
 * budget component by component — each packed file, and the working tree a device call carries
 * (tracked files and untracked ones git does not ignore, measured at pack time, with its largest
 * folders) — and fails with one line (exit 1) when the total exceeds the limit (default 60 MiB:
 * a device call carries 64 MiB).
 *
 * ```sh
 * deno task gpu-pack [train|infer-node|infer-web ...] [--out gpu-kit] [--level 9e]
 *                    [--data ../shared/data] [--train-images N] [--test-images N] [--debs DIR]
 *                    [--limit-mib 60] [--fast] [--synthetic-data]
 * ```
 *
 * `--fast` (xz level 0, size limit not enforced) is for rehearsals (`.ci/run`), not for the GPU
 * host; so is `--synthetic-data` (random pixels in MNIST's format, for a machine without
 * `../shared/data`). `--debs DIR` takes the `.deb` files from DIR instead of `apt-get download`.
 * `--train-images`/`--test-images` override the part's MNIST subset.
 *
 * @module
 */
import { parseArgs } from "../../src/deps.ts";
import { writeFileAtomic } from "../../src/atomic.ts";
import { writeRandomMnist } from "../bench.ts";
import { writeMnistSubset } from "./mnist_subset.ts";
import { KIT_PARTS, type KitPart } from "./kit_parts.ts";
import { NPM_FILES, npmCacheDir, type PackageEntry, type PackageFiles } from "./trace_npm.ts";

/** Debian packages of the Vulkan loader and of what NVIDIA's ICD (libGLX_nvidia) links against. */
export const DEBS = ["libvulkan1", "libglvnd0"] as const;

/** The `train` part's MNIST subset (see {@linkcode PACK_PARTS}). */
export const DEFAULT_IMAGES = { train: 10_240, test: 10_000 };

/** What a kit part packs besides the npm files (those are `npm_files.json`'s, see {@linkcode npmFileFilter}). */
export interface PackPart {
  /** How many MNIST images of each split. */
  images: { train: number; test: number };
}

/**
 * The MNIST subset of each kit part (`kit_parts.ts` says which report parts it runs). `train`:
 * 10,240 training images, the 10 batches of 1024 the block-step speed part times (2 warm-up +
 * 8 timed, `plan.ts`; the 90 s runs cycle the subset epoch after epoch), and the whole test set,
 * 10,000 images, for the 90 s runs' test accuracy (MNIST's test set is two halves of different
 * writers, the first easier than the second: a prefix would not be a fair sample).
 * `infer-node` / `infer-web`: 256 test images for the logits check, and 256 training images (the
 * MNIST loader reads both splits).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PACK_PARTS } from "./pack.ts";
 * assert.deepEqual(PACK_PARTS.train.images, { train: 10_240, test: 10_000 });
 * ```
 */
export const PACK_PARTS: Record<KitPart, PackPart> = {
  train: { images: DEFAULT_IMAGES },
  "infer-node": { images: { train: 256, test: 256 } },
  "infer-web": { images: { train: 256, test: 256 } },
};

/**
 * Which npm files a kit holding `parts` packs: all listed files of the packages one of its parts
 * read (`npm_files.json` `parts`, traced per kit part by `deno task gpu-trace`), and of the other
 * packages only `package.json` (where listed) and the folder: Deno with `--cached-only` refuses
 * to start when a package of the lockfile is missing from its cache, imported or not. So the
 * inference parts carry neither tfjs nor vega, and `train` no onnxruntime; the rehearsal from
 * each packed part proves that it lacks nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { npmFileFilter } from "./pack.ts";
 * const ort = { registry: true, files: ["lib.so", "package.json"], parts: ["infer-node" as const] };
 * assert.ok(npmFileFilter(["infer-node"])(ort, "lib.so"));
 * assert.ok(!npmFileFilter(["train"])(ort, "lib.so"));
 * assert.ok(npmFileFilter(["train"])(ort, "package.json"));
 * ```
 */
export function npmFileFilter(
  parts: readonly KitPart[],
): (entry: PackageEntry, file: string) => boolean {
  return (entry, file) => file === "package.json" || entry.parts.some((p) => parts.includes(p));
}

/**
 * The MNIST subset of a kit holding `parts`: the largest of theirs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { imagesFor } from "./pack.ts";
 * assert.deepEqual(imagesFor(["train", "infer-web"]), { train: 10_240, test: 10_000 });
 * ```
 */
export function imagesFor(parts: readonly KitPart[]): { train: number; test: number } {
  const sel = parts.map((p) => PACK_PARTS[p].images);
  return {
    train: Math.max(...sel.map((i) => i.train)),
    test: Math.max(...sel.map((i) => i.test)),
  };
}

const REPO = new URL("../../", import.meta.url).pathname;
const MiB = 2 ** 20;

async function run(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd: opts.cwd, stdout: "piped", stderr: "piped" })
    .output().catch((e) => {
      throw new Error(`${cmd} could not be started: ${e.message}`);
    });
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1);
    throw new Error(`${cmd} ${args.join(" ")} failed: ${err}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/**
 * `xz -T0` at `level` of `src` into `dest` (through a shell, streaming); `x86`: with the x86
 * branch/call filter first, which makes x86-64 machine code (Deno, onnxruntime's library)
 * compress about 8% smaller.
 */
async function xz(
  src: string[],
  dest: string,
  o: { level: string; x86: boolean; tarFrom?: string },
): Promise<void> {
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const input = o.tarFrom
    ? `tar --owner=0 --group=0 --numeric-owner -C ${q(o.tarFrom)} -cf - ${src.map(q).join(" ")}`
    : `cat ${src.map(q).join(" ")}`;
  const filters = o.x86 ? `--x86 --lzma2=preset=${o.level}` : `-${o.level}`;
  await run("bash", ["-o", "pipefail", "-c", `${input} | xz -T0 ${filters} > ${q(dest)}`]);
}

async function sha256(path: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What a device call carries besides the kit: the working tree's files, by folder. */
export interface TreeSize {
  /** Bytes of every file git tracks, and of untracked files it does not ignore. */
  bytes: number;
  /** Of those, untracked ones. */
  untracked: number;
  /** Bytes by folder (`models/mnist`, `src`, …: two levels under `models/`, one elsewhere). */
  byFolder: Map<string, number>;
}

/**
 * The folder a tree file is counted under in {@linkcode TreeSize} `byFolder`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { treeFolder } from "./pack.ts";
 * assert.equal(treeFolder("models/mnist/chain.onnx"), "models/mnist");
 * assert.equal(treeFolder("src/onnx/graph.ts"), "src");
 * assert.equal(treeFolder("README.md"), "(top level)");
 * ```
 */
export function treeFolder(path: string): string {
  const parts = path.split("/");
  if (parts.length === 1) return "(top level)";
  return parts[0] === "models" && parts.length > 2 ? parts.slice(0, 2).join("/") : parts[0];
}

/** The working tree a device call carries, measured now (see {@linkcode TreeSize}). */
async function treeSize(): Promise<TreeSize> {
  const list = async (args: string[]) =>
    (await run("git", ["ls-files", "-z", ...args], { cwd: REPO })).split("\0").filter(Boolean);
  const tracked = await list([]);
  const untracked = new Set(await list(["--others", "--exclude-standard"]));
  const size: TreeSize = { bytes: 0, untracked: 0, byFolder: new Map() };
  for (const f of [...tracked, ...untracked]) {
    const n = await Deno.lstat(`${REPO}${f}`).then((s) => s.size, () => 0);
    size.bytes += n;
    if (untracked.has(f)) size.untracked += n;
    const k = treeFolder(f);
    size.byFolder.set(k, (size.byFolder.get(k) ?? 0) + n);
  }
  return size;
}

/** Copies the listed npm files into `<denoDir>/npm/registry.npmjs.org`; returns bytes copied. */
async function copyNpm(
  list: Record<string, PackageFiles>,
  registry: string,
  denoDir: string,
): Promise<number> {
  const dest = `${denoDir}/npm/registry.npmjs.org`;
  let bytes = 0;
  for (const [pkg, entry] of Object.entries(list)) {
    const src = `${registry}/${pkg}`;
    if (!(await Deno.stat(src).then((s) => s.isDirectory, () => false))) {
      throw new Error(
        `npm package ${pkg} is not in Deno's cache (${src}): run the tests once to cache it, ` +
          "or refresh tools/gpu/npm_files.json with `deno task gpu-trace`",
      );
    }
    await Deno.mkdir(`${dest}/${pkg}`, { recursive: true });
    for (const f of entry.files) {
      const to = `${dest}/${pkg}/${f}`;
      await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
      await Deno.copyFile(`${src}/${f}`, to).catch((e) => {
        throw new Error(`${src}/${f}: ${e.message} (refresh the list: deno task gpu-trace)`);
      });
      bytes += (await Deno.stat(to)).size;
    }
    if (entry.registry) {
      const name = pkg.slice(0, pkg.lastIndexOf("/"));
      await Deno.copyFile(`${registry}/${name}/registry.json`, `${dest}/${name}/registry.json`);
    }
  }
  return bytes;
}

/** Refuses to clear a folder that does not look like a kit. */
async function clearOut(out: string): Promise<void> {
  const entries: string[] = [];
  try {
    for await (const e of Deno.readDir(out)) entries.push(e.name);
  } catch {
    return;
  }
  if (entries.length && !entries.includes("kit.json")) {
    throw new Error(`--out ${out} exists and is not a GPU kit (no kit.json): not overwritten`);
  }
  await Deno.remove(out, { recursive: true });
}

/** Runs the CLI (see the module doc); returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const t0 = performance.now();
  const { values: o, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: "string", default: `${REPO}gpu-kit` },
      level: { type: "string", default: "9e" },
      data: { type: "string", default: `${REPO}../shared/data` },
      "train-images": { type: "string" },
      "test-images": { type: "string" },
      debs: { type: "string" },
      "limit-mib": { type: "string", default: "60" },
      fast: { type: "boolean", default: false },
      "synthetic-data": { type: "boolean", default: false },
    },
  });
  const badPart = positionals.find((p, i) =>
    !(KIT_PARTS as readonly string[]).includes(p) || positionals.indexOf(p) !== i
  );
  if (badPart !== undefined) {
    throw new Error(
      `the parts to pack are some of ${
        KIT_PARTS.join(", ")
      } (none: all), each once; got ${badPart}`,
    );
  }
  const parts = (positionals.length ? positionals : [...KIT_PARTS]) as KitPart[];
  const keep = npmFileFilter(parts);
  const level = o.fast ? "0" : o.level!;
  if (!/^[0-9]e?$/.test(level)) {
    throw new Error(`--level must be 0..9 (optionally 9e), got ${level}`);
  }
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
    throw new Error(
      `the GPU host is x86-64 Linux: pack on such a machine (this is ${Deno.build.target})`,
    );
  }
  const images = {
    train: Number(o["train-images"] ?? imagesFor(parts).train),
    test: Number(o["test-images"] ?? imagesFor(parts).test),
  };
  for (const [k, v] of Object.entries(images)) {
    if (!(Number.isSafeInteger(v) && v > 0)) {
      throw new Error(
        `--${k}-images must be a positive integer, got ${o[`${k}-images` as "train-images"]}`,
      );
    }
  }
  if (!(Number(o["limit-mib"]) > 0)) throw new Error(`--limit-mib must be a positive number`);
  const out = o.out!;
  await clearOut(out);
  await Deno.mkdir(`${out}/debs`, { recursive: true });
  const stage = await Deno.makeTempDir({ prefix: "noprop-gpu-kit-" });
  try {
    // npm files of the parts, in Deno's cache layout.
    const all = JSON.parse(await Deno.readTextFile(NPM_FILES)).packages as Record<
      string,
      PackageEntry
    >;
    const untraced = Object.keys(all).find((pkg) => !Array.isArray(all[pkg].parts));
    if (untraced !== undefined) {
      throw new Error(
        `${NPM_FILES.pathname}: package ${untraced} has no "parts" (a list traced before kit ` +
          "parts): refresh it with `deno task gpu-trace`",
      );
    }
    const list: Record<string, PackageFiles> = Object.fromEntries(
      Object.entries(all).map((
        [pkg, e],
      ) => [pkg, { registry: e.registry, files: e.files.filter((f) => keep(e, f)) }]),
    );
    const npmBytes = await copyNpm(
      list,
      `${await npmCacheDir()}/registry.npmjs.org`,
      `${stage}/deno_dir`,
    );
    await xz(["deno_dir"], `${out}/npm.tar.xz`, { level, x86: true, tarFrom: stage });
    // Data and the PyTorch anchor.
    if (o["synthetic-data"]) {
      // Rehearsals without ../shared/data: random pixels in MNIST's format (speed is the same).
      const src = `${stage}/random`;
      await writeRandomMnist(src, images.train, images.test);
      await writeMnistSubset(src, `${stage}/data`, images);
      await Deno.remove(src, { recursive: true });
    } else await writeMnistSubset(o.data!, `${stage}/data`, images);
    const anchor = `${REPO}../shared/anchors/torch_noprop_dt.py`;
    const dataParts = ["data"];
    if (await Deno.stat(anchor).then(() => true, () => false)) {
      await Deno.mkdir(`${stage}/anchors`);
      await Deno.copyFile(anchor, `${stage}/anchors/torch_noprop_dt.py`);
      dataParts.push("anchors");
    } else console.error(`gpu-pack: ${anchor} not found; the report will skip PyTorch`);
    await xz(dataParts, `${out}/data.tar.xz`, { level, x86: false, tarFrom: stage });
    // Deno itself.
    const deno = await Deno.realPath(Deno.execPath());
    await xz([deno], `${out}/deno.xz`, { level, x86: true });
    // The Vulkan loader's .deb files.
    if (o.debs) {
      for await (const e of Deno.readDir(o.debs)) {
        if (e.name.endsWith(".deb")) {
          await Deno.copyFile(`${o.debs}/${e.name}`, `${out}/debs/${e.name}`);
        }
      }
    } else {
      await run("apt-get", ["download", ...DEBS], { cwd: `${out}/debs` });
    }
    const debs = [];
    for await (const e of Deno.readDir(`${out}/debs`)) debs.push(e.name);
    for (const d of DEBS) {
      if (!debs.some((f) => f.startsWith(`${d}_`))) throw new Error(`debs: ${d}_*.deb is missing`);
    }
    // The manifest, then the size check.
    const files: Record<string, { bytes: number; sha256: string }> = {};
    const packed = ["deno.xz", "npm.tar.xz", "data.tar.xz", ...debs.sort().map((d) => `debs/${d}`)];
    for (const f of packed) {
      files[f] = {
        bytes: (await Deno.stat(`${out}/${f}`)).size,
        sha256: await sha256(`${out}/${f}`),
      };
    }
    const kitBytes = Object.values(files).reduce((s, f) => s + f.bytes, 0);
    const commit = (await run("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO })).trim();
    const packSeconds = (performance.now() - t0) / 1000;
    const manifest = {
      schema: "noprop.gpu-kit/2",
      parts,
      created: new Date().toISOString(),
      commit,
      deno: Deno.version.deno,
      xzLevel: level,
      packSeconds: +packSeconds.toFixed(1),
      bytes: kitBytes,
      files,
      npm: { packages: Object.keys(list).length, bytes: npmBytes },
      data: images,
      debs: debs.sort(),
    };
    await writeFileAtomic(`${out}/kit.json`, JSON.stringify(manifest, null, 2) + "\n");
    const tree = await treeSize();
    const kitJson = (await Deno.stat(`${out}/kit.json`)).size;
    const total = kitBytes + kitJson + tree.bytes;
    const limit = Number(o["limit-mib"]) * MiB;
    const mib = (n: number) => `${(n / MiB).toFixed(2)} MiB`;
    const debBytes = debs.reduce((n, d) => n + files[`debs/${d}`].bytes, 0);
    const folders = [...tree.byFolder].sort((a, b) => b[1] - a[1]);
    const big = folders.slice(0, 4).map(([k, n]) => `${k} ${mib(n)}`).join(", ");
    const pad = (k: string) => k.padEnd(14);
    // The budget, component by component (printed whether or not it fits).
    console.log(
      [
        `gpu-pack ${parts.join("+")}: budget ${o["limit-mib"]} MiB${
          o.fast ? " (not enforced with --fast)" : ""
        }`,
        `  ${pad("deno.xz")}${mib(files["deno.xz"].bytes)}  (Deno ${Deno.version.deno})`,
        `  ${pad("npm.tar.xz")}${mib(files["npm.tar.xz"].bytes)}  (${mib(npmBytes)} unpacked, ${
          Object.values(list).filter((e) => e.files.some((f) => f !== "package.json")).length
        } of ${Object.keys(list).length} packages with files)`,
        `  ${pad("data.tar.xz")}${
          mib(files["data.tar.xz"].bytes)
        }  (MNIST ${images.train} + ${images.test} images${
          dataParts.includes("anchors") ? ", torch_noprop_dt.py" : ""
        })`,
        `  ${pad("debs")}${mib(debBytes)}  (${debs.join(", ")})`,
        `  ${pad("kit.json")}${mib(kitJson)}`,
        `  ${pad("working tree")}${mib(tree.bytes)}  (measured now${
          tree.untracked ? `, ${mib(tree.untracked)} untracked` : ""
        }; largest: ${big})`,
        `  ${pad("total")}${mib(total)}  (${
          total <= limit ? `${mib(limit - total)} left` : `${mib(total - limit)} over`
        }; xz -${level}, ${packSeconds.toFixed(0)} s → ${out})`,
      ].join("\n"),
    );
    if (total > limit && !o.fast) {
      console.error(
        `error: gpu-kit (${parts.join("+")}) ${mib(kitBytes)} + working tree ${
          mib(tree.bytes)
        } = ` +
          `${mib(total)}, over the ${o["limit-mib"]} MiB limit (${out})`,
      );
      return 1;
    }
    return 0;
  } finally {
    await Deno.remove(stage, { recursive: true });
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`error: ${(e instanceof Error ? e.message : String(e)).split("\n")[0]}`);
    Deno.exit(1);
  }
}
