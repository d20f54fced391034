/**
 * Atomic file replacement: write the bytes to a temporary file in the same directory,
 * flush them to disk, then rename it over the destination. A reader (or a run resumed
 * after a crash) sees either the old file or the complete new one, never a torn write.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFileAtomic } from "./atomic.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/state.json`, JSON.stringify({ epoch: 3 }));
 * await writeFileAtomic(`${dir}/state.json`, JSON.stringify({ epoch: 4 })); // replaces it whole
 * assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/state.json`)), { epoch: 4 });
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */

/**
 * Writes `data` to `path` atomically (temp file in the same directory + `Deno.rename`).
 * Strings are written as UTF-8. On any failure the temporary file is removed and the
 * error is re-thrown; the destination is left untouched.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFileAtomic } from "./atomic.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/weights.bin`, new Uint8Array([1, 2, 3]));
 * assert.deepEqual(await Deno.readFile(`${dir}/weights.bin`), Uint8Array.of(1, 2, 3));
 * await assert.rejects(writeFileAtomic(`${dir}/no/such/dir/x.bin`, "x"), Deno.errors.NotFound);
 * assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["weights.bin"]); // no leftovers
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const tmp = tempPathFor(path);
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true });
    try {
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/**
 * The temporary sibling used by {@linkcode writeFileAtomic}: a hidden file next to `path`
 * whose name starts with `.<basename>.tmp-`, unique per process and call.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tempPathFor } from "./atomic.ts";
 * // A hidden sibling such as "models/a/.model.safetensors.tmp-1234-5f3a9c01":
 * const tmp = tempPathFor("models/a/model.safetensors");
 * assert.ok(tmp.startsWith(`models/a/.model.safetensors.tmp-${Deno.pid}-`));
 * assert.notEqual(tempPathFor("models/a/model.safetensors"), tmp); // unique per call
 * ```
 */
export function tempPathFor(path: string): string {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const dir = path.slice(0, slash + 1);
  const base = path.slice(slash + 1);
  const rand = Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, "0");
  return `${dir}.${base}.tmp-${Deno.pid}-${rand}`;
}
