/**
 * `deno task mutants`: mutation testing of the NoProp math. Each mutation of the table in
 * `tools/mutations.ts` is applied to a TEMPORARY COPY of the repository (src/, tests/, the
 * deno config and lock; the real tree is never written), and the fixed list of fast unit tests
 * is run there (`deno test --no-check --fail-fast`: the mutations are semantic, not type
 * errors). A mutation is killed when the tests fail. The list is the same for every mutant; only
 * its order differs: files that import the mutated module run first, so a kill is found after
 * one or two files instead of the whole list. The unmutated copy is run too: if it
 * fails, every "kill" would be meaningless, so the run fails.
 *
 * Exit status 1 when a mutation survives (one line each), when a mutation's text is not found
 * exactly once in its file (code drift; the line names the file and the text), or when the
 * baseline fails.
 *
 * Options: `--tests a.ts,b.ts` (another test list, e.g. `--old` for the tests before the math
 * tests), `--only id1,id2`, `--jobs N` (parallel mutants, default 2), `--timeout S` (per mutant,
 * default 300; a timeout counts as killed but is reported).
 *
 * @example
 * ```sh
 * deno task mutants            # all mutations, the fast unit tests
 * deno task mutants --old      # the same mutations against the tests of before issue 10
 * ```
 * @module
 */
import { MUTANT_TESTS, type Mutation, MUTATIONS, OLD_TESTS } from "./mutations.ts";

/**
 * Files and folders copied into each temporary tree (`examples` holds a workspace member named
 * in deno.json; without it Deno warns on every run).
 */
const COPY = ["deno.json", "deno.lock", "mod.ts", "infer.ts", "src", "tests", "examples"];

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** Result of one test run in a temporary tree. */
interface Outcome {
  /** Tests passed (mutant survived / baseline ok). */
  passed: boolean;
  /** Hit the timeout. */
  timedOut: boolean;
  /** Name of the first failing test, if found. */
  failing: string;
  /** Seconds. */
  seconds: number;
  /** Tail of the output (for the baseline). */
  tail: string;
}

function parseArgs(args: string[]) {
  const o = { tests: [...MUTANT_TESTS], only: [] as string[], jobs: 2, timeout: 300 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i],
      next = () => {
        const v = args[++i];
        if (v === undefined) throw new Error(`mutants: ${a} needs a value`);
        return v;
      };
    if (a === "--old") o.tests = [...OLD_TESTS];
    else if (a === "--tests") o.tests = next().split(",").filter(Boolean);
    else if (a === "--only") o.only = next().split(",").filter(Boolean);
    else if (a === "--jobs") o.jobs = Math.max(1, Number(next()) | 0);
    else if (a === "--timeout") o.timeout = Number(next());
    else throw new Error(`mutants: unknown option ${a}`);
  }
  return o;
}

/**
 * Checks every mutation's text against the tree at `dir` (default: this repository); returns
 * the problems, one line each (duplicate id, missing file, text not found or not unique).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { drift } from "./mutants.ts";
 * // A one-file tree and a table of three mutations, two of which have drifted.
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.ts`, "const snr = ab / (1 - ab);\n");
 * const m = { file: "a.ts", replace: "", description: "" };
 * const table = [
 *   { ...m, id: "snr", find: "ab / (1 - ab)" },
 *   { ...m, id: "gone", find: "1 + ab" },
 *   { ...m, id: "moved", file: "b.ts", find: "ab" },
 * ];
 * assert.deepEqual(await drift(table, dir), [
 *   'mutation gone: text "1 + ab" not found in a.ts',
 *   "mutation moved: file b.ts not found",
 * ]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function drift(ms: readonly Mutation[], dir = root): Promise<string[]> {
  const bad: string[] = [];
  const ids = new Set<string>();
  for (const m of ms) {
    if (ids.has(m.id)) bad.push(`mutation ${m.id}: duplicate id`);
    ids.add(m.id);
    let text: string;
    try {
      text = await Deno.readTextFile(`${dir}/${m.file}`);
    } catch {
      bad.push(`mutation ${m.id}: file ${m.file} not found`);
      continue;
    }
    const n = text.split(m.find).length - 1;
    if (n !== 1) {
      const what = n === 0 ? "not found" : `found ${n} times (must be unique)`;
      bad.push(`mutation ${m.id}: text ${JSON.stringify(m.find)} ${what} in ${m.file}`);
    }
  }
  return bad;
}

async function copyTree(from: string, to: string): Promise<void> {
  const info = await Deno.stat(from);
  if (info.isFile) return await Deno.copyFile(from, to);
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.name === "node_modules" || e.isSymlink) continue;
    await copyTree(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

/** `tests` with the files that mention `file` (i.e. import it) first, order otherwise kept. */
async function killersFirst(tests: string[], file: string): Promise<string[]> {
  const hits = await Promise.all(
    tests.map(async (t) => (await Deno.readTextFile(`${root}/${t}`)).includes(file)),
  );
  return [...tests.filter((_, i) => hits[i]), ...tests.filter((_, i) => !hits[i])];
}

/** Copies the tree, applies `m` (if any), runs the tests, removes the copy. */
async function runIn(m: Mutation | null, tests: string[], timeout: number): Promise<Outcome> {
  const dir = await Deno.makeTempDir({ prefix: `noprop-mutant-${m?.id ?? "baseline"}-` });
  const t0 = performance.now();
  try {
    for (const p of COPY) {
      try {
        await copyTree(`${root}/${p}`, `${dir}/${p}`);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
    }
    if (m) {
      const path = `${dir}/${m.file}`;
      const text = await Deno.readTextFile(path);
      await Deno.writeTextFile(path, text.replace(m.find, () => m.replace));
    }
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeout * 1000);
    const ordered = m ? await killersFirst(tests, m.file) : tests;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["test", "--allow-all", "--no-check", "--fail-fast", ...ordered],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
      signal: ac.signal,
    }).output();
    clearTimeout(timer);
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    const timedOut = ac.signal.aborted;
    const failing = /^(.+?) => \S+:\d+:\d+$/m.exec(text)?.[1] ??
      /^(.+?) \.\.\. FAILED/m.exec(text)?.[1] ?? "";
    return {
      passed: out.success && !timedOut,
      timedOut,
      failing,
      seconds: (performance.now() - t0) / 1000,
      tail: text.split("\n").slice(-15).join("\n"),
    };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Runs `work` over `items` with at most `jobs` at a time, results in input order. */
async function pool<T, R>(items: T[], jobs: number, work: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  return out;
}

async function main(): Promise<number> {
  const o = parseArgs(Deno.args);
  const ms = o.only.length ? MUTATIONS.filter((m) => o.only.includes(m.id)) : MUTATIONS;
  const unknown = o.only.filter((id) => !MUTATIONS.some((m) => m.id === id));
  if (unknown.length) {
    console.log(`mutants: unknown mutation id(s): ${unknown.join(", ")}`);
    return 1;
  }
  const problems = await drift(ms);
  for (const t of o.tests) {
    try {
      await Deno.stat(`${root}/${t}`);
    } catch {
      problems.push(`test file ${t} not found`);
    }
  }
  if (problems.length) {
    for (const p of problems) console.log(`mutants: ${p}`);
    return 1;
  }
  const t0 = performance.now();
  console.log(
    `mutants: ${ms.length} mutations × ${o.tests.length} test files, ${o.jobs} at a time`,
  );
  const jobs: (Mutation | null)[] = [null, ...ms];
  const results = await pool(jobs, o.jobs, async (m) => {
    const r = await runIn(m, o.tests, o.timeout);
    if (m) {
      const verdict = r.passed ? "SURVIVED" : r.timedOut ? "killed (timeout)" : "killed";
      const by = !r.passed && r.failing ? ` by "${r.failing}"` : "";
      console.log(`  ${verdict.padEnd(16)} ${m.id} (${r.seconds.toFixed(1)} s)${by}`);
    } else {
      console.log(`  baseline         ${r.passed ? "ok" : "FAILED"} (${r.seconds.toFixed(1)} s)`);
    }
    return r;
  });
  const [base, ...rest] = results;
  const survivors = ms.filter((_, i) => rest[i].passed);
  const secs = ((performance.now() - t0) / 1000).toFixed(0);
  if (!base.passed) {
    console.log(`mutants: the unmutated tree fails its tests, so no kill counts:\n${base.tail}`);
    return 1;
  }
  for (const m of survivors) {
    console.log(`mutants: SURVIVED ${m.id} (${m.file}): ${m.description}`);
  }
  console.log(
    `mutants: ${ms.length - survivors.length}/${ms.length} killed, ${survivors.length} survived ` +
      `(${secs} s)`,
  );
  return survivors.length ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
