/**
 * The demo server's request handler (`deno task demo`): the page (`examples/browser/`), its
 * bundled script, onnxruntime-web's files under `/ort/`, and the exported models under
 * `/models/<name>/<file>`, with `/models/index.json` listing the folders that hold a
 * `manifest.json`. Only plain file names are served (no `..`, no sub-folders, nothing that
 * resolves outside its folder); every response carries the cross-origin isolation headers that
 * multi-threaded wasm needs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { demoHandler } from "./serve.ts";
 * const handle = demoHandler({
 *   pageDir: "examples/browser",
 *   bundleDir: "examples/browser", // any folder: app.js is looked up there
 *   ortDir: "models/mnist",
 *   modelsDir: "models",
 * });
 * const res = await handle(new Request("http://localhost/models/index.json"));
 * const names = (await res.json()).map((m: { name: string }) => m.name);
 * assert.ok(names.includes("mnist") && names.includes("cifar10"));
 * assert.equal(res.headers.get("cross-origin-opener-policy"), "same-origin");
 * assert.equal((await handle(new Request("http://localhost/models/../deno.json"))).status, 404);
 * ```
 * @module
 */

/** Where the demo's files are. */
export interface DemoDirs {
  /** The page's folder (`index.html`). */
  pageDir: string;
  /** The folder holding the bundled `app.js` (and its source map). */
  bundleDir: string;
  /** onnxruntime-web's `dist/` folder. */
  ortDir: string;
  /** The folder of exported models (`<name>/manifest.json`, graphs). */
  modelsDir: string;
}

/** One model in `/models/index.json`. */
export interface ModelEntry {
  /** The folder name. */
  name: string;
  /** `dt`, `ct` or `fm`. */
  variant: string;
  /** Number of blocks. */
  T: number;
  /** Number of classes. */
  classes: number;
  /** The input shape. */
  input: { channels: number; height: number; width: number };
}

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  map: "application/json; charset=utf-8",
  json: "application/json; charset=utf-8",
  wasm: "application/wasm",
  onnx: "application/octet-stream",
  svg: "image/svg+xml",
  md: "text/markdown; charset=utf-8",
  png: "image/png",
};

const HEADERS = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
  "cross-origin-resource-policy": "same-origin",
  "cache-control": "no-cache",
  "x-content-type-options": "nosniff",
};

function notFound(what: string): Response {
  return new Response(`not found: ${what}\n`, {
    status: 404,
    headers: { ...HEADERS, "content-type": "text/plain; charset=utf-8" },
  });
}

/** A plain file name: no separators, no `.`/`..`, no control characters, not hidden. */
function plainName(s: string): boolean {
  // deno-lint-ignore no-control-regex
  return /^[^/\\\x00-\x1f]+$/.test(s) && !s.startsWith(".");
}

async function serveFile(dir: string, name: string, method: string): Promise<Response> {
  if (!plainName(name)) return notFound(name);
  try {
    const root = await Deno.realPath(dir);
    const path = await Deno.realPath(`${dir}/${name}`);
    if (!path.startsWith(`${root}/`)) return notFound(name);
    const info = await Deno.stat(path);
    if (!info.isFile) return notFound(name);
    const ext = name.slice(name.lastIndexOf(".") + 1).toLowerCase();
    const headers = {
      ...HEADERS,
      "content-type": TYPES[ext] ?? "application/octet-stream",
      "content-length": String(info.size),
    };
    if (method === "HEAD") return new Response(null, { headers });
    const file = await Deno.open(path);
    return new Response(file.readable, { headers });
  } catch {
    return notFound(name);
  }
}

/**
 * The models in `modelsDir` that hold a `manifest.json`, sorted by name (folders whose manifest
 * cannot be read are left out).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listModels } from "./serve.ts";
 * const mnist = (await listModels("models")).find((m) => m.name === "mnist");
 * assert.deepEqual(mnist?.input, { channels: 1, height: 28, width: 28 });
 * ```
 */
export async function listModels(modelsDir: string): Promise<ModelEntry[]> {
  const out: ModelEntry[] = [];
  for await (const e of Deno.readDir(modelsDir)) {
    if (!e.isDirectory || !plainName(e.name)) continue;
    try {
      const m = JSON.parse(await Deno.readTextFile(`${modelsDir}/${e.name}/manifest.json`));
      const { channels, height, width } = m.input;
      out.push({
        name: e.name,
        variant: m.variant,
        T: m.T,
        classes: m.classNames.length,
        input: { channels, height, width },
      });
    } catch {
      // not an exported model folder
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The request handler (see the module doc). GET and HEAD only.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { demoHandler } from "./serve.ts";
 * const handle = demoHandler({
 *   pageDir: "examples/browser",
 *   bundleDir: "examples/browser",
 *   ortDir: "examples/browser",
 *   modelsDir: "models",
 * });
 * const page = await handle(new Request("http://localhost/"));
 * assert.match(await page.text(), /<canvas id="pad"/);
 * const graph = await handle(new Request("http://localhost/models/mnist/block_01.onnx"));
 * assert.equal(graph.headers.get("content-type"), "application/octet-stream");
 * await graph.body?.cancel();
 * const post = await handle(new Request("http://localhost/", { method: "POST" }));
 * assert.equal(post.status, 405);
 * ```
 */
export function demoHandler(dirs: DemoDirs): (req: Request) => Promise<Response> {
  return async (req) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405, headers: HEADERS });
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url).pathname);
    } catch {
      return notFound("bad path");
    }
    if (path === "/" || path === "/index.html") {
      return await serveFile(dirs.pageDir, "index.html", req.method);
    }
    if (path === "/app.js" || path === "/app.js.map") {
      return await serveFile(dirs.bundleDir, path.slice(1), req.method);
    }
    if (path === "/favicon.ico") return new Response(null, { status: 204, headers: HEADERS });
    if (path === "/models/index.json") {
      const body = JSON.stringify(await listModels(dirs.modelsDir));
      return new Response(req.method === "HEAD" ? null : body, {
        headers: { ...HEADERS, "content-type": TYPES.json },
      });
    }
    const ort = /^\/ort\/([^/]+)$/.exec(path);
    if (ort) return await serveFile(dirs.ortDir, ort[1], req.method);
    const model = /^\/models\/([^/]+)\/([^/]+)$/.exec(path);
    if (model && plainName(model[1])) {
      return await serveFile(`${dirs.modelsDir}/${model[1]}`, model[2], req.method);
    }
    return notFound(path);
  };
}
