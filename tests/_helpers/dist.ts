/**
 * Worker processes for the distributed tests: `deno run tools/worker.ts <url>` children whose
 * stderr is collected, which a test can pause (SIGSTOP), kill (SIGKILL) or stop (SIGTERM).
 * @module
 */
import { REPO } from "./cli.ts";

/** A running worker process. */
export interface WorkerProcess {
  /** Its process. */
  child: Deno.ChildProcess;
  /** Its pid. */
  pid: number;
  /** Everything it printed to stderr so far. */
  log(): string;
  /** SIGTERM (finish the unit, then exit), then wait for it; resolves to the exit code. */
  stop(): Promise<number>;
}

/** Starts `deno run -A tools/worker.ts url ...args` from the repository root. */
export function startWorker(url: string, args: string[] = []): WorkerProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tools/worker.ts", url, ...args],
    cwd: REPO,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  const dec = new TextDecoder();
  const pump = (async () => {
    for await (const chunk of child.stderr) text += dec.decode(chunk, { stream: true });
  })();
  return {
    child,
    pid: child.pid,
    log: () => text,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const s = await child.status;
      await pump;
      return s.code;
    },
  };
}

/** Polls `f` every `ms` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  f: () => Promise<T | undefined>,
  timeoutMs = 180_000,
  ms = 20,
): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, ms));
  }
}

/** `tools/train.ts` flags for `tinyConfig(data, out, { runName })` (tests/_helpers/train.ts). */
export function tinyFlags(data: string, out: string, runName: string): string[] {
  return [
    "--dataset",
    "mnist",
    "--data-dir",
    data,
    "--out-dir",
    out,
    "--run-name",
    runName,
    "--T",
    "3",
    "--widths",
    "4,8,8",
    "--hidden",
    "32",
    "--batch-size",
    "32",
    "--epochs",
    "2",
    "--backend",
    "wasm",
    "--eval-batch",
    "200",
  ];
}
