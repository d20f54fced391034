/**
 * The project's module graph as `deno info --json` reports it, for the import tests
 * (tests/import_graph_test.ts): which modules an entry loads at start-up (its static runtime
 * imports, without `import type` and without `await import(…)`), and the import cycles among a
 * set of modules.
 *
 * @example
 * ```ts
 * import { importGraph, staticClosure } from "./import_graph.ts";
 * const g = await importGraph(["src/config/load.ts"]);
 * const loaded = staticClosure(g, g.roots);
 * [...loaded].some((s) => s.includes("@tensorflow/")); // false
 * ```
 * @module
 */

/** How one module imports another. */
export type EdgeKind = "static" | "type" | "dynamic";

/** One import of a module. */
export interface Edge {
  /** The imported module's specifier (a `file:`, `npm:` or `node:` URL, redirects resolved). */
  to: string;
  /** `static`: a runtime import; `type`: `import type` only; `dynamic`: `await import(…)`. */
  kind: EdgeKind;
}

/** A module graph: every module reached from `roots`, with its imports. */
export interface ImportGraph {
  /** The specifiers (file URLs) of the entry modules. */
  roots: string[];
  /** Imports of every module in the graph (npm and node modules have none). */
  edges: Map<string, Edge[]>;
}

const ROOT = new URL("../../", import.meta.url);

/** A project path ("src/onnx/export.ts") as the file URL `deno info` uses. */
export function fileUrl(path: string): string {
  return new URL(path, ROOT).href;
}

/** The project path of a file URL (other specifiers unchanged). */
export function projectPath(specifier: string): string {
  return specifier.startsWith(ROOT.href) ? specifier.slice(ROOT.href.length) : specifier;
}

interface InfoDependency {
  code?: { specifier?: string };
  type?: { specifier?: string };
  isDynamic?: boolean;
}

interface InfoJson {
  modules: { specifier: string; dependencies?: InfoDependency[] }[];
  redirects: Record<string, string>;
}

/**
 * The module graph of the project files `paths` (relative to the repository root), from one
 * `deno info --json` run over a temporary module that imports them all.
 */
export async function importGraph(paths: string[]): Promise<ImportGraph> {
  const dir = await Deno.makeTempDir({ prefix: "noprop-graph-" });
  try {
    const roots = paths.map(fileUrl);
    const entry = `${dir}/entry.ts`;
    await Deno.writeTextFile(entry, roots.map((r) => `import ${JSON.stringify(r)};\n`).join(""));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", new URL("deno.json", ROOT).pathname, entry],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`deno info failed: ${new TextDecoder().decode(out.stderr).split("\n")[0]}`);
    }
    const info: InfoJson = JSON.parse(new TextDecoder().decode(out.stdout));
    const resolve = (s: string) => info.redirects[s] ?? s;
    const edges = new Map<string, Edge[]>();
    for (const m of info.modules) {
      if (m.specifier.startsWith("file://") && m.specifier.endsWith("/entry.ts")) continue;
      const list: Edge[] = [];
      for (const d of m.dependencies ?? []) {
        const code = d.code?.specifier, type = d.type?.specifier;
        if (code) list.push({ to: resolve(code), kind: d.isDynamic ? "dynamic" : "static" });
        else if (type) list.push({ to: resolve(type), kind: "type" });
      }
      edges.set(resolve(m.specifier), list);
    }
    return { roots, edges };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Every module loaded, at start-up, by importing `from`: the closure over static runtime
 * imports (type-only and dynamic imports are not followed).
 */
export function staticClosure(g: ImportGraph, from: string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...from];
  while (stack.length) {
    const s = stack.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const e of g.edges.get(s) ?? []) if (e.kind === "static") stack.push(e.to);
  }
  return seen;
}

/**
 * A shortest chain of static imports from `from` to a module matching `target`, as project
 * paths (for error messages), or undefined when none is reached.
 */
export function staticPath(
  g: ImportGraph,
  from: string,
  target: (specifier: string) => boolean,
): string[] | undefined {
  const prev = new Map<string, string | null>([[from, null]]);
  const queue = [from];
  while (queue.length) {
    const s = queue.shift()!;
    if (target(s)) {
      const path = [];
      for (let p: string | null = s; p !== null; p = prev.get(p)!) path.unshift(projectPath(p));
      return path;
    }
    for (const e of g.edges.get(s) ?? []) {
      if (e.kind === "static" && !prev.has(e.to)) {
        prev.set(e.to, s);
        queue.push(e.to);
      }
    }
  }
  return undefined;
}

/**
 * The import cycles among the modules for which `within` holds, following every kind of
 * import (a type-only or dynamic import in a cycle still ties the modules together): the
 * strongly connected components with more than one module, or a module that imports itself,
 * each as a list of project paths.
 */
export function importCycles(g: ImportGraph, within: (specifier: string) => boolean): string[][] {
  const nodes = [...g.edges.keys()].filter(within);
  const index = new Map<string, number>(), low = new Map<string, number>();
  const onStack = new Set<string>(), stack: string[] = [];
  const cycles: string[][] = [];
  let next = 0;
  // Tarjan's strongly connected components.
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const { to: w } of g.edges.get(v) ?? []) {
      if (!within(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      const selfLoop = (g.edges.get(v) ?? []).some((e) => e.to === v);
      if (scc.length > 1 || selfLoop) cycles.push(scc.map(projectPath).sort());
    }
  };
  for (const v of nodes) if (!index.has(v)) visit(v);
  return cycles;
}

/** The project's `.ts` files under `dir` (recursively), as paths from the repository root. */
export async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(new URL(`${dir}/`, ROOT))) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...await tsFiles(p));
    else if (e.isFile && e.name.endsWith(".ts")) out.push(p);
  }
  return out.sort();
}
