/**
 * An export replaces the previous one whole, or not at all. The new export is written into a
 * hidden sibling of the output folder (`.<name>.export-<pid>-<random>`); only when every file
 * is written is it swapped in: the old folder is renamed aside, the new one renamed into its
 * place, and the old one removed. A re-export that fails or is killed half-way therefore leaves
 * the previous export exactly as it was (a killed one leaves its hidden staging folder behind).
 *
 * When the output folder holds more than an export — by default the export goes into the run
 * folder, next to `weights.safetensors`, `config.yaml`, … — everything in it that is not part
 * of the old export (the files its manifest lists, and `manifest.json`) is carried into the
 * new folder before the swap, as hard links (copies where the file system has none), so the run
 * loses nothing. A run folder locked by a training process (`.lock`, `src/run/folder.ts`) is
 * refused, and a run folder is locked during the export.
 *
 * Between the two renames the folder is absent for an instant; a process killed exactly there
 * leaves the previous export in `.<name>.export-old-…` beside it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publishExport } from "./export_folder.ts";
 * const root = await Deno.makeTempDir();
 * const out = `${root}/model`;
 * const write = (text: string) => async (stage: string) => {
 *   await Deno.writeTextFile(`${stage}/manifest.json`, text);
 *   return { files: ["manifest.json"] };
 * };
 * await publishExport(out, write("first"));
 * await assert.rejects(publishExport(out, async (stage) => {
 *   await Deno.writeTextFile(`${stage}/manifest.json`, "half");
 *   throw new Error("killed half-way");
 * }));
 * assert.equal(await Deno.readTextFile(`${out}/manifest.json`), "first"); // untouched
 * await publishExport(out, write("second"));
 * assert.equal(await Deno.readTextFile(`${out}/manifest.json`), "second");
 * assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name), ["model"]); // nothing left
 * await Deno.remove(root, { recursive: true });
 * ```
 * @module
 */
import { firstLine } from "@noprop/infer";
import { holdsRun, RunLock } from "../run/folder.ts";
import { ExportError } from "./export_types.ts";

function split(path: string): { parent: string; base: string } {
  const p = path.replace(/[\\/]+$/, "") || path;
  const i = Math.max(p.lastIndexOf("/"), p.lastIndexOf("\\"));
  return i < 0 ? { parent: ".", base: p } : { parent: p.slice(0, i) || "/", base: p.slice(i + 1) };
}

function suffix(): string {
  const rand = Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, "0");
  return `${Deno.pid}-${rand}`;
}

async function existingDir(path: string): Promise<string | undefined> {
  try {
    const real = await Deno.realPath(path);
    if (!(await Deno.stat(real)).isDirectory) {
      throw new ExportError(`output folder ${path} is not a folder`);
    }
    return real;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/** Every `file` value naming a graph in a manifest (blocks, classifier, schedule, and any other). */
function graphFiles(manifestText: string): Set<string> {
  const files = new Set<string>();
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "file" && typeof x === "string") files.add(x);
        else walk(x);
      }
    }
  };
  try {
    walk(JSON.parse(manifestText));
  } catch { /* not JSON: nothing of it is an export's graph */ }
  return files;
}

/** Hard-links (or copies) `from` to `to`, recursing into folders and recreating symbolic links. */
async function carry(from: string, to: string): Promise<void> {
  const st = await Deno.lstat(from);
  if (st.isSymlink) await Deno.symlink(await Deno.readLink(from), to);
  else if (st.isDirectory) {
    await Deno.mkdir(to);
    for await (const e of Deno.readDir(from)) await carry(`${from}/${e.name}`, `${to}/${e.name}`);
  } else {
    await Deno.link(from, to).catch(() => Deno.copyFile(from, to));
  }
}

/** Carries what `real` holds besides its old export into `stage` (see the module doc). */
async function carryOver(real: string, stage: string, written: Set<string>): Promise<void> {
  const old = await Deno.readTextFile(`${real}/manifest.json`).then(graphFiles, () => new Set());
  for await (const e of Deno.readDir(real)) {
    const n = e.name;
    if (written.has(n) || old.has(n) || n === "manifest.json" || n === ".lock") continue;
    if (/^\..+\.tmp-\d+-[0-9a-f]+$/.test(n)) continue; // a killed atomic write's leftover
    try {
      await carry(`${real}/${n}`, `${stage}/${n}`);
    } catch (err) {
      throw new ExportError(`cannot carry ${real}/${n} into the new export: ${firstLine(err)}`);
    }
  }
}

/**
 * Runs `write` on a fresh hidden sibling of `outDir` and swaps the result in (see the module
 * doc); returns what `write` returned. `write` gets the staging folder and returns the names of
 * the files it wrote there. On any failure the staging folder is removed, `outDir` is left as
 * it was, and the error is re-thrown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publishExport } from "./export_folder.ts";
 * // A run folder: its own files stay, the export's files are replaced.
 * const run = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${run}/config.yaml`, "kept");
 * await publishExport(run, async (stage) => {
 *   await Deno.writeTextFile(`${stage}/manifest.json`, "{}");
 *   return { files: ["manifest.json"] };
 * });
 * assert.deepEqual([...Deno.readDirSync(run)].map((e) => e.name).sort(), [
 *   "config.yaml",
 *   "manifest.json",
 * ]);
 * await Deno.remove(run, { recursive: true });
 * ```
 */
export async function publishExport<R extends { files: string[] }>(
  outDir: string,
  write: (stage: string) => Promise<R>,
): Promise<R> {
  const given = outDir.replace(/[\\/]+$/, "") || outDir;
  const found = await existingDir(given); // a symbolic link: the folder it points to is swapped
  const path = found ?? given;
  const cwd = Deno.cwd();
  if (found && (cwd === found || cwd.startsWith(`${found}/`))) {
    throw new ExportError(`cannot export into ${outDir}: it holds the current folder`);
  }
  const { parent, base } = split(path);
  await Deno.mkdir(parent, { recursive: true });
  // A run folder is locked against a training process writing it meanwhile (a killed export
  // leaves the lock, which the next writer takes over); a plain export folder is not touched.
  const lock = found && await holdsRun(found) ? await RunLock.acquire(found) : undefined;
  const stage = `${parent}/.${base}.export-${suffix()}`;
  try {
    try {
      await Deno.mkdir(stage);
    } catch (e) {
      throw new ExportError(
        `cannot create ${stage} (the new export is written there, beside ${outDir}): ${
          firstLine(e)
        }`,
      );
    }
    const result = await write(stage);
    if (!found) {
      await Deno.rename(stage, path);
      return result;
    }
    await carryOver(found, stage, new Set(result.files));
    const aside = `${parent}/.${base}.export-old-${suffix()}`;
    await Deno.rename(found, aside);
    try {
      await Deno.rename(stage, found);
    } catch (e) {
      await Deno.rename(aside, found);
      throw e;
    }
    await Deno.remove(aside, { recursive: true }); // the old export, and the lock with it
    return result;
  } catch (e) {
    await lock?.release();
    await Deno.remove(stage, { recursive: true }).catch(() => {});
    throw e;
  }
}
