/**
 * Atomic file replacement: write the bytes to a temporary file in the same directory,
 * flush them to disk, then rename it over the destination. A reader (or a run resumed
 * after a crash) sees either the old file or the complete new one, never a torn write.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./atomic.ts";
 * await writeFileAtomic("models/run/state.json", JSON.stringify({ epoch: 3 }));
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
 * import { writeFileAtomic } from "./atomic.ts";
 * await writeFileAtomic("/tmp/weights.bin", new Uint8Array([1, 2, 3]));
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
 * import { tempPathFor } from "./atomic.ts";
 * tempPathFor("models/a/model.safetensors"); // "models/a/.model.safetensors.tmp-1234-5f3a9c"
 * ```
 */
export function tempPathFor(path: string): string {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const dir = path.slice(0, slash + 1);
  const base = path.slice(slash + 1);
  const rand = Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, "0");
  return `${dir}.${base}.tmp-${Deno.pid}-${rand}`;
}
