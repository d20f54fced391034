/**
 * Running a command with a time limit for the GPU report's driver: its output is copied to one
 * log file (`gpu-run.log`), and at the limit it gets SIGTERM (the training loop saves its
 * checkpoint on it), then SIGKILL 5 s later.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Log, runLogged } from "./limited.ts";
 * const dir = await Deno.makeTempDir();
 * const log = new Log(`${dir}/run.log`);
 * const r = await runLogged(log, "bash", ["-c", "echo hi; exit 3"], 10);
 * log.close();
 * assert.deepEqual([r.code, r.stdout], [3, "hi\n"]);
 * assert.equal(await Deno.readTextFile(`${dir}/run.log`), "hi\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */

/**
 * An append-only log file (truncated when opened, unless `append`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Log } from "./limited.ts";
 * const path = await Deno.makeTempFile();
 * const log = new Log(path);
 * log.line("=== part 1");
 * log.close();
 * assert.equal(await Deno.readTextFile(path), "=== part 1\n");
 * ```
 */
export class Log {
  #file: Deno.FsFile;
  /** Opens `path`, truncated or (`append`) kept. */
  constructor(path: string, append = false) {
    this.#file = Deno.openSync(path, { write: true, create: true, truncate: !append, append });
  }
  /** Appends `s` and a newline. */
  line(s: string): void {
    this.#file.writeSync(new TextEncoder().encode(s + "\n"));
  }
  /** Closes the file. */
  close(): void {
    this.#file.close();
  }
}

/**
 * The line of a command's stderr that says what went wrong: the last `error:` or `Error` line,
 * else the last line (at most 400 characters).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { oneLine } from "./limited.ts";
 * assert.equal(oneLine("warming up\nerror: no adapter\n  at x\n"), "error: no adapter");
 * assert.equal(oneLine("a\nb\n"), "b");
 * ```
 */
export function oneLine(s: string): string {
  const lines = s.trim().split("\n").map((l) => l.trim()).filter(Boolean);
  return (lines.findLast((l) => /^error:|Error/.test(l)) ?? lines.at(-1) ?? "").slice(0, 400);
}

/** What {@linkcode runLogged} returns. */
export interface LimitedRun {
  /** Exit status; null when the command was stopped at the limit. */
  code: number | null;
  /** Its standard output (the last 200 chunks). */
  stdout: string;
  /** Its standard error (the last 200 chunks). */
  stderr: string;
}

/**
 * Runs `cmd args` (stdin closed) for at most `limitSeconds` (at least 1), copying its output to
 * `log`. Rejects when the command cannot be started.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Log, runLogged } from "./limited.ts";
 * const log = new Log(await Deno.makeTempFile());
 * const t0 = performance.now();
 * const r = await runLogged(log, "sleep", ["30"], 1); // stopped at the limit
 * log.close();
 * assert.equal(r.code, null);
 * assert.ok(performance.now() - t0 < 20_000);
 * ```
 */
export async function runLogged(
  log: Log,
  cmd: string,
  args: string[],
  limitSeconds: number,
): Promise<LimitedRun> {
  const child = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", stdin: "null" })
    .spawn();
  const limit = Math.max(1, limitSeconds);
  let stopped = false;
  const signal = (s: Deno.Signal) => {
    try {
      child.kill(s);
    } catch { /* already exited */ }
  };
  const term = setTimeout(() => {
    stopped = true;
    signal("SIGTERM");
  }, limit * 1000);
  const kill = setTimeout(() => signal("SIGKILL"), (limit + 5) * 1000);
  const tee = async (s: ReadableStream<Uint8Array>, keep: string[]) => {
    for await (const chunk of s.pipeThrough(new TextDecoderStream())) {
      keep.push(chunk);
      if (keep.length > 200) keep.splice(0, keep.length - 200);
      log.line(chunk.replace(/\n$/, ""));
    }
  };
  const out: string[] = [], err: string[] = [];
  const [status] = await Promise.all([
    child.status,
    tee(child.stdout, out),
    tee(child.stderr, err),
  ]);
  clearTimeout(term);
  clearTimeout(kill);
  return { code: stopped ? null : status.code, stdout: out.join(""), stderr: err.join("") };
}
