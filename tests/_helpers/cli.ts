/**
 * Runs one of the project's command-line tools in a child Deno process from the repository root
 * (no colours), for the tests of `tools/*.ts`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runTool } from "./cli.ts";
 * const r = await runTool("tools/train.ts", ["--help"]);
 * assert.equal(r.code, 0);
 * assert.ok(r.stdout.includes("--overwrite"));
 * ```
 * @module
 */

/** Where the tools are run from. */
export const REPO: string = new URL("../../", import.meta.url).pathname;

/** What a tool printed and returned. */
export interface ToolRun {
  /** Exit status. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/**
 * `deno run <permissions> <script> <args>` from the repository root; `permissions` defaults to
 * `-A`. Resolves when the process exits.
 */
export async function runTool(
  script: string,
  args: string[],
  permissions: string[] = ["-A"],
): Promise<ToolRun> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, script, ...args],
    cwd: REPO,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: o.code, stdout: dec.decode(o.stdout), stderr: dec.decode(o.stderr) };
}
