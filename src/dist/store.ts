/**
 * Where a distributed run's weights travel: content-addressed blobs (safetensors bytes) named
 * by their sha256, either in Redis itself ({@linkcode RedisBlobStore}) or in a folder every
 * machine mounts (`--store DIR`, {@linkcode FolderBlobStore}). Every read is checked against its
 * sha256 before use, so a truncated or altered blob is an error, never silently trained on.
 * Both count the bytes they move and the seconds they wait ({@linkcode Traffic}), which the
 * README's overhead figures come from.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FolderBlobStore } from "./store.ts";
 * const dir = await Deno.makeTempDir();
 * const store = new FolderBlobStore(dir, "run-1");
 * const sha = await store.put(Uint8Array.of(1, 2, 3));
 * assert.deepEqual(await store.get(sha), Uint8Array.of(1, 2, 3));
 * await Deno.writeFile(`${dir}/run-1/${sha}.safetensors`, Uint8Array.of(9)); // corrupted
 * await assert.rejects(store.get(sha), /fails its sha256 check/);
 * assert.equal(store.traffic.bytesUp, 3);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import { writeFileAtomic } from "../atomic.ts";
import { Buffer, type Redis } from "./deps_bullmq.ts";
import { keys } from "./keys.ts";

/** Bytes moved and seconds spent by a store (or a process, summed). */
export interface Traffic {
  /** Bytes written. */
  bytesUp: number;
  /** Bytes read. */
  bytesDown: number;
  /** Seconds spent waiting on the store. */
  seconds: number;
}

/** A content-addressed store of blobs (see the module doc). */
export interface BlobStore {
  /** Stores `bytes` (unless already there); resolves to their sha256 in hex. */
  put(bytes: Uint8Array): Promise<string>;
  /** The blob `sha`, checked against its sha256. */
  get(sha: string): Promise<Uint8Array>;
  /** Whether the blob `sha` is stored. */
  has(sha: string): Promise<boolean>;
  /** Deletes blobs (missing ones are ignored). */
  remove(shas: string[]): Promise<void>;
  /** What this store object moved so far. */
  readonly traffic: Traffic;
  /** Where the blobs are, for messages. */
  readonly where: string;
}

/**
 * The sha256 of `bytes` in hex.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Hex } from "./store.ts";
 * assert.equal((await sha256Hex(new Uint8Array())).slice(0, 8), "e3b0c442");
 * ```
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function verified(sha: string, bytes: Uint8Array, where: string): Promise<Uint8Array> {
  const got = await sha256Hex(bytes);
  if (got !== sha) {
    throw new Error(
      `blob ${
        sha.slice(0, 12)
      } from ${where} fails its sha256 check (${bytes.length} bytes hash to ${got.slice(0, 12)})`,
    );
  }
  return bytes;
}

abstract class CountingStore {
  readonly traffic: Traffic = { bytesUp: 0, bytesDown: 0, seconds: 0 };
  protected async timed<T>(f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      this.traffic.seconds += (performance.now() - t0) / 1000;
    }
  }
}

/** Blobs in Redis, under the run's keys (`keys.ts`). */
export class RedisBlobStore extends CountingStore implements BlobStore {
  readonly where: string;
  readonly #keys: ReturnType<typeof keys>;

  /** Blobs of run `runId` through `client`. */
  constructor(readonly client: Redis, runId: string) {
    super();
    this.#keys = keys(runId);
    this.where = "Redis";
  }

  /** See {@linkcode BlobStore.put}. */
  async put(bytes: Uint8Array): Promise<string> {
    const sha = await sha256Hex(bytes);
    await this.timed(async () => {
      const k = this.#keys.blob(sha);
      // NX: a blob already there (same bytes, by its name) is not sent again.
      if (await this.client.exists(k)) return;
      await this.client.multi().set(k, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length))
        .sadd(this.#keys.blobs, sha).exec();
      this.traffic.bytesUp += bytes.length;
    });
    return sha;
  }

  /** See {@linkcode BlobStore.get}. */
  async get(sha: string): Promise<Uint8Array> {
    const buf = await this.timed(() => this.client.getBuffer(this.#keys.blob(sha)));
    if (!buf) {
      throw new Error(`blob ${sha.slice(0, 12)} is not in Redis (deleted, or never stored)`);
    }
    this.traffic.bytesDown += buf.length;
    return verified(sha, new Uint8Array(buf.buffer, buf.byteOffset, buf.length), this.where);
  }

  /** See {@linkcode BlobStore.has}. */
  async has(sha: string): Promise<boolean> {
    return await this.timed(() => this.client.exists(this.#keys.blob(sha))) === 1;
  }

  /** See {@linkcode BlobStore.remove}. */
  async remove(shas: string[]): Promise<void> {
    if (!shas.length) return;
    await this.timed(() =>
      this.client.multi().del(...shas.map(this.#keys.blob)).srem(this.#keys.blobs, ...shas).exec()
    );
  }
}

/** Blobs as files `<dir>/<run id>/<sha>.safetensors` in a folder every machine mounts. */
export class FolderBlobStore extends CountingStore implements BlobStore {
  readonly where: string;
  readonly #dir: string;

  /** Blobs of run `runId` under `dir`. */
  constructor(dir: string, runId: string) {
    super();
    this.#dir = `${dir.replace(/\/+$/, "")}/${runId}`;
    this.where = this.#dir;
  }

  #path(sha: string): string {
    return `${this.#dir}/${sha}.safetensors`;
  }

  /** See {@linkcode BlobStore.put}. */
  async put(bytes: Uint8Array): Promise<string> {
    const sha = await sha256Hex(bytes);
    await this.timed(async () => {
      if (await this.has(sha)) return;
      await Deno.mkdir(this.#dir, { recursive: true });
      await writeFileAtomic(this.#path(sha), bytes);
      this.traffic.bytesUp += bytes.length;
    });
    return sha;
  }

  /** See {@linkcode BlobStore.get}. */
  async get(sha: string): Promise<Uint8Array> {
    const bytes = await this.timed(() => Deno.readFile(this.#path(sha))).catch((e) => {
      if (e instanceof Deno.errors.NotFound) {
        throw new Error(
          `blob ${this.#path(sha)} does not exist (is --store the same folder on every machine?)`,
        );
      }
      throw e;
    });
    this.traffic.bytesDown += bytes.length;
    return verified(sha, bytes, this.#dir);
  }

  /** See {@linkcode BlobStore.has}. */
  has(sha: string): Promise<boolean> {
    return Deno.stat(this.#path(sha)).then(() => true, () => false);
  }

  /** See {@linkcode BlobStore.remove}. */
  async remove(shas: string[]): Promise<void> {
    for (const sha of shas) await Deno.remove(this.#path(sha)).catch(() => {});
  }
}
