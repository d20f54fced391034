/**
 * Real-browser tests: Debian's Chromium (`/usr/bin/chromium`, installed by `.ci/run`; never a
 * downloaded browser) driven headless by Playwright, and the demo server (`deno task demo`)
 * started on a free port with the task's own permissions. Contains no tests itself.
 * @module
 */
import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** The flags Chromium runs with: no sandbox (containers), no GPU, no network side traffic. */
export const CHROMIUM_ARGS: readonly string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Whether `/usr/bin/chromium` exists. */
export function haveChromium(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}

/** Launches headless Chromium. */
export async function launchChromium(): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS],
    headless: true,
  });
}

const ROOT = new URL("../../", import.meta.url).pathname;

/** A running demo server. */
export interface DemoServer {
  /** Its URL (`http://127.0.0.1:<port>/`). */
  url: string;
  /** Stops it (SIGTERM) and waits for it to exit; returns its exit code. */
  stop(): Promise<number>;
}

/**
 * Starts `tools/demo.ts` with the permissions of `deno task demo` (read from `deno.json`) and
 * `--port 0`, and waits (at most `timeoutMs`) for the URL it prints.
 */
export async function startDemo(timeoutMs = 60_000): Promise<DemoServer> {
  const task: string = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks.demo;
  const [deno, ...args] = task.split(/\s+/);
  if (deno !== "deno") throw new Error(`unexpected demo task: ${task}`);
  const child = new Deno.Command(Deno.execPath(), {
    args: [...args, "--port", "0"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const errDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (s) => void (stderr += s) }),
  );
  let stdout = "";
  const url = Promise.withResolvers<string>();
  const outDone = child.stdout.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({
      write(s) {
        stdout += s;
        const m = /^demo: (http:\/\/\S+\/)/m.exec(stdout);
        if (m) url.resolve(m[1]);
      },
    }),
  );
  const timer = setTimeout(
    () => url.reject(new Error(`the demo server printed no URL in ${timeoutMs} ms`)),
    timeoutMs,
  );
  child.status.then((s) =>
    url.reject(new Error(`the demo server exited (${s.code}): ${stdout}${stderr}`))
  );
  try {
    const u = await url.promise;
    return {
      url: u,
      async stop() {
        try {
          child.kill("SIGTERM");
        } catch {
          // already exited
        }
        const { code } = await child.status;
        await Promise.all([outDone, errDone]);
        return code;
      },
    };
  } catch (e) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await child.status;
    await Promise.all([outDone, errDone]);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
