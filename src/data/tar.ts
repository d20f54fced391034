/**
 * A minimal reader for (uncompressed) tar archives held in memory: POSIX ustar headers,
 * GNU long names (type `L`) and pax `path` records (type `x`). Enough to read the
 * official CIFAR binary archives; entries are views into the input, nothing is copied.
 *
 * A tar archive is a sequence of 512-byte headers, each followed by the entry's data
 * padded to a multiple of 512 bytes, ended by two all-zero blocks. Header fields used:
 * name (offset 0, 100 bytes), size (124, 12 bytes octal), checksum (148, 8 bytes octal),
 * type flag (156), magic `ustar` (257) and name prefix (345, 155 bytes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTar } from "./tar.ts";
 * // A one-file archive: a header block, the data padded to 512 bytes, two zero blocks.
 * const tar = new Uint8Array(4 * 512);
 * const put = (at: number, s: string) => tar.set(new TextEncoder().encode(s), at);
 * put(0, "cifar-10-batches-bin/readme.html"); // name
 * put(124, "00000000005"); // size, octal
 * put(156, "0"); // type: regular file
 * put(148, "        "); // the checksum counts its own field as spaces
 * put(148, tar.subarray(0, 512).reduce((a, b) => a + b).toString(8).padStart(6, "0") + "\0");
 * put(512, "hello");
 * const [entry] = readTar(tar, "cifar.tar");
 * assert.equal(entry.name, "cifar-10-batches-bin/readme.html");
 * assert.deepEqual([entry.type, entry.size], ["file", 5]);
 * assert.equal(new TextDecoder().decode(entry.data), "hello");
 * ```
 * @module
 */
import { DatasetError } from "./errors.ts";

const BLOCK = 512;
const decoder = new TextDecoder();

/**
 * One entry of a tar archive.
 *
 * @example
 * ```ts
 * import type { TarEntry } from "./tar.ts";
 * const e: TarEntry = { name: "a/b.txt", type: "file", size: 0, data: new Uint8Array(0) };
 * ```
 */
export interface TarEntry {
  /** Full path inside the archive (prefix, GNU long name or pax path applied). */
  name: string;
  /** Regular file, directory, or anything else (links, devices, ...). */
  type: "file" | "directory" | "other";
  /** Size of the entry's data in bytes. */
  size: number;
  /** The entry's data: a view into the archive bytes. */
  data: Uint8Array;
}

/**
 * Lists the entries of an uncompressed tar archive. `file` is used in error messages.
 * Throws a {@linkcode DatasetError} on a bad header checksum or a truncated archive.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTar } from "./tar.ts";
 * assert.deepEqual(readTar(new Uint8Array(1024), "empty.tar"), []); // just the end marker
 * assert.throws(() => readTar(new Uint8Array(100), "cut.tar"), /cut\.tar: truncated tar archive/);
 * ```
 */
export function readTar(bytes: Uint8Array, file: string): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | null = null;
  let paxPath: string | null = null;
  while (offset < bytes.length) {
    if (bytes.length - offset < BLOCK) {
      throw new DatasetError(
        `${file}: truncated tar archive (${bytes.length - offset} stray bytes at offset ${offset})`,
      );
    }
    const h = bytes.subarray(offset, offset + BLOCK);
    if (isZeroBlock(h)) return entries; // end-of-archive marker
    checkHeaderSum(h, file, offset);
    const size = readNumber(h, 124, 12, file, offset);
    const typeFlag = String.fromCharCode(h[156]);
    const start = offset + BLOCK;
    const end = start + size;
    if (end > bytes.length) {
      throw new DatasetError(
        `${file}: truncated tar archive (entry at offset ${offset} declares ${size} bytes, ` +
          `only ${bytes.length - start} remain)`,
      );
    }
    const data = bytes.subarray(start, end);
    offset = start + Math.ceil(size / BLOCK) * BLOCK;

    if (typeFlag === "L") {
      longName = cString(data, 0, data.length);
      continue;
    }
    if (typeFlag === "x") {
      paxPath = paxRecord(data, "path") ?? paxPath;
      continue;
    }
    if (typeFlag === "g") continue; // global pax header: nothing we need
    let name = cString(h, 0, 100);
    if (cString(h, 257, 5) === "ustar") {
      const prefix = cString(h, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    name = paxPath ?? longName ?? name;
    paxPath = longName = null;
    const type = typeFlag === "0" || typeFlag === "\0" || typeFlag === "7"
      ? "file"
      : typeFlag === "5"
      ? "directory"
      : "other";
    entries.push({ name, type, size, data });
  }
  return entries; // no end marker, but every entry was complete
}

/**
 * Finds the regular file whose last path component is `base` (so both
 * `dir/x.bin` and `./dir/x.bin` match `x.bin`), or undefined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findTarFile, type TarEntry } from "./tar.ts";
 * const data = new Uint8Array(0);
 * const entries: TarEntry[] = [
 *   { name: "./cifar-100-binary", type: "directory", size: 0, data },
 *   { name: "./cifar-100-binary/train.bin", type: "file", size: 0, data },
 * ];
 * assert.equal(findTarFile(entries, "train.bin"), entries[1]);
 * assert.equal(findTarFile(entries, "test.bin"), undefined);
 * ```
 */
export function findTarFile(entries: TarEntry[], base: string): TarEntry | undefined {
  return entries.find((e) => e.type === "file" && e.name.split("/").pop() === base);
}

function isZeroBlock(h: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (h[i] !== 0) return false;
  return true;
}

function checkHeaderSum(h: Uint8Array, file: string, offset: number): void {
  const stored = readNumber(h, 148, 8, file, offset);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
  if (sum !== stored) {
    throw new DatasetError(
      `${file}: corrupt tar header at offset ${offset} (checksum ${stored}, computed ${sum})`,
    );
  }
}

/** Octal (NUL/space terminated) or GNU base-256 (high bit set) numeric field. */
function readNumber(h: Uint8Array, at: number, len: number, file: string, offset: number): number {
  if (h[at] & 0x80) {
    let n = h[at] & 0x7f;
    for (let i = 1; i < len; i++) n = n * 256 + h[at + i];
    return n;
  }
  const text = cString(h, at, len).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) {
    throw new DatasetError(
      `${file}: corrupt tar header at offset ${offset} (bad numeric field "${text}")`,
    );
  }
  return parseInt(text, 8);
}

function cString(b: Uint8Array, at: number, len: number): string {
  let end = at;
  while (end < at + len && b[end] !== 0) end++;
  return decoder.decode(b.subarray(at, end));
}

/** Value of `key` in a pax extended header ("<len> key=value\n" records). */
function paxRecord(data: Uint8Array, key: string): string | null {
  const text = decoder.decode(data);
  let found: string | null = null;
  for (const line of text.split("\n")) {
    const m = /^\d+ ([^=]+)=(.*)$/.exec(line);
    if (m && m[1] === key) found = m[2];
  }
  return found;
}
