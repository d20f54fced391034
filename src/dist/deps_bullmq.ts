/**
 * The one place the project imports the distributed job engine: BullMQ (`npm:bullmq`) and the
 * Redis client it runs on (`npm:ioredis`, the same version BullMQ depends on), both pinned in
 * `deno.json`. Only `src/dist/` imports this module, and only the distributed commands
 * (`deno task train --distributed`, `deno task worker`, `deno task status`) load it.
 *
 * `Buffer` is re-exported because ioredis stores a `Uint8Array` as its decimal text: binary
 * values must be passed as Node buffers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Queue, Redis, UnrecoverableError } from "./deps_bullmq.ts";
 * assert.equal(typeof Queue, "function");
 * assert.equal(typeof Redis, "function");
 * assert.ok(new UnrecoverableError("x") instanceof Error);
 * ```
 * @module
 */
export { Job, Queue, UnrecoverableError, Worker } from "bullmq";
export type { ConnectionOptions, JobsOptions, WorkerOptions } from "bullmq";
export { Redis } from "ioredis";
export type { RedisOptions } from "ioredis";
export { Buffer } from "node:buffer";
