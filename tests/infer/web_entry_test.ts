/**
 * The browser entry `@noprop/infer/web` (src/infer/web.ts): its module graph (from
 * `deno info --json`) holds no Deno or Node API and never onnxruntime-node; under Deno (which
 * has `fetch` for file URLs, `ImageData` and `crypto.subtle`) it loads a model by URL, refuses a
 * corrupt one before any session exists, and gives the same probabilities as the Deno entry on
 * the same pixels — one preprocessing and one sampler for both. The real-browser run is
 * tests/tools/demo_browser_test.ts.
 */
import { decode as decodePng, encode as encodePng } from "fast-png";
import { assert, assertEquals } from "../assert.ts";
import { createClassifier } from "../../src/infer/mod.ts";
import {
  createWebClassifier,
  fetchModelFolder,
  InferError,
  toRawImage,
} from "../../src/infer/web.ts";

const PKG = new URL("../../src/infer/", import.meta.url);
const MODEL_URL = new URL("../../models/mnist/", import.meta.url);

/** The InferError `fn` rejects with (fails if it resolves or rejects with something else). */
async function rejection(fn: () => Promise<unknown>): Promise<InferError> {
  try {
    await fn();
  } catch (e) {
    assert(e instanceof InferError, `expected an InferError, got ${e}`);
    return e;
  }
  throw new Error("expected a rejection");
}

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier?: string }; type?: { specifier?: string } }[];
}

/** Every module of `entry`'s graph (code and type imports), from `deno info --json`. */
async function moduleGraph(entry: string): Promise<string[]> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: PKG.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(o.success, new TextDecoder().decode(o.stderr));
  const info = JSON.parse(new TextDecoder().decode(o.stdout)) as { modules: InfoModule[] };
  const all = new Set<string>();
  for (const m of info.modules) {
    all.add(m.specifier);
    for (const d of m.dependencies ?? []) {
      for (const s of [d.code?.specifier, d.type?.specifier]) if (s) all.add(s);
    }
  }
  return [...all].sort();
}

/** The source without comments (block comments, and line comments after a space or a line start). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|\s)\/\/.*$/gm, "$1");
}

/** What in a module's graph is not for browsers: Deno API uses, node: imports, onnxruntime-node. */
async function notForBrowsers(entry: string): Promise<string[]> {
  const found: string[] = [];
  for (const s of await moduleGraph(entry)) {
    if (s.startsWith("npm:")) {
      if (!/^npm:\/?onnxruntime-web@/.test(s)) found.push(s);
    } else if (s.startsWith("file:")) {
      const src = code(await Deno.readTextFile(new URL(s)));
      const path = s.slice(PKG.href.length);
      if (/\bDeno\b/.test(src)) found.push(`${path} uses Deno`);
      if (/["']node:/.test(src)) found.push(`${path} imports node:`);
      if (/\b(from|import)\s*\(?\s*["'](npm:)?onnxruntime-node/.test(src)) {
        found.push(`${path} imports onnxruntime-node`);
      }
      if (!s.startsWith(PKG.href)) found.push(`${s} is outside the package`);
    } else found.push(s); // node: and anything else
  }
  return found;
}

Deno.test("the web entry's module graph has no Deno API, no node: module, no onnxruntime-node", async () => {
  const graph = await moduleGraph("web.ts");
  assert(graph.some((s) => s.endsWith("/src/infer/sampler/dt.ts")), "the sampler is shared");
  assert(graph.some((s) => s.endsWith("/src/infer/image/pixels.ts")), "preprocessing is shared");
  assert(graph.some((s) => s.endsWith("/src/infer/classifier.ts")), "the classifier is shared");
  const npm = graph.filter((s) => s.startsWith("npm:"))
    .map((s) => s.replace(/^npm:\/?/, "").replace(/@[\d.]+.*$/, ""));
  assertEquals([...new Set(npm)], ["onnxruntime-web"]);
  assertEquals(await notForBrowsers("web.ts"), []);
});

Deno.test("the module-graph check finds the Deno entry's Deno and Node dependencies", async () => {
  // The same check on the Deno entry must fail: it proves the check can see what it looks for.
  const found = await notForBrowsers("mod.ts");
  assert(found.includes("model_folder.ts uses Deno"), found.join("\n"));
  assert(found.includes("runtime/ort_node.ts imports onnxruntime-node"), found.join("\n"));
  assert(
    found.some((s) => s.startsWith("npm:") && s.includes("onnxruntime-node")),
    found.join("\n"),
  );
  assert(found.some((s) => s.startsWith("npm:") && s.includes("fast-png")), found.join("\n"));
});

Deno.test("web entry: the same pixels give the same probabilities as the Deno entry", async () => {
  // A "7"-like stroke and a ring, as grey PNGs (Deno entry) and as RGBA ImageData (web entry).
  const seven = new Uint8Array(784), ring = new Uint8Array(784);
  for (let x = 6; x < 22; x++) for (let y = 5; y < 8; y++) seven[y * 28 + x] = 255;
  for (let y = 8; y < 24; y++) for (let d = 0; d < 3; d++) seven[y * 28 + 20 - (y >> 1) + d] = 255;
  for (let i = 0; i < 784; i++) {
    const r = Math.hypot(i % 28 - 13.5, (Math.floor(i / 28) - 13.5) * 0.8);
    if (r > 6 && r < 9) ring[i] = 220;
  }
  const pngs = [seven, ring].map((d) => encodePng({ width: 28, height: 28, channels: 1, data: d }));
  const rgba = pngs.map((p) => {
    const { data } = decodePng(p);
    const out = new ImageData(28, 28);
    for (let i = 0; i < 784; i++) out.data.set([data[i], data[i], data[i], 255], i * 4);
    return out;
  });
  const deno = await createClassifier({ modelDir: "models/mnist", provider: "wasm", threads: 1 });
  const web = await createWebClassifier({ modelUrl: MODEL_URL, provider: "wasm", threads: 1 });
  try {
    for (const noise of [false, true]) {
      const a = await deno.classify(pngs, { noise, seed: 3 });
      const b = await web.classify(rgba, { noise, seed: 3 });
      for (let i = 0; i < 2; i++) {
        assertEquals(b[i].label, a[i].label);
        const diff = a[i].probabilities.map((p, k) => Math.abs(p - b[i].probabilities[k]));
        assert(
          Math.max(...diff) < 1e-6,
          `noise ${noise}, image ${i}: max diff ${Math.max(...diff)}`,
        );
      }
    }
    assertEquals(web.manifest, deno.manifest);
  } finally {
    await Promise.all([deno.close(), web.close()]);
  }
});

Deno.test("web entry: a corrupt or unreachable model is refused before any provider starts", async () => {
  let fetched = 0;
  const damaging: typeof fetch = async (input) => {
    fetched++;
    const res = await fetch(input);
    if (!String(input).endsWith("classifier.onnx")) return res;
    const b = new Uint8Array(await res.arrayBuffer());
    b[b.length - 1] ^= 0x40;
    return new Response(b);
  };
  // "gpu-of-the-future" is not a provider: had a provider been chosen before the digests were
  // checked, the error would be about the provider.
  const err = await rejection(() =>
    createWebClassifier({ modelUrl: MODEL_URL, provider: "gpu-of-the-future", fetch: damaging })
  );
  assertEquals(err.code, "bad-model");
  assert(/mnist\/: classifier\.onnx is corrupt \(sha256 /.test(err.message), err.message);
  assertEquals(fetched, 1 + 10 + 1); // the manifest, 10 blocks, the classifier
  const refused = () => Promise.reject(new TypeError("connection refused"));
  const e2 = await rejection(() => fetchModelFolder("http://127.0.0.1:9/m", { fetch: refused }));
  assertEquals(
    [e2.code, e2.message],
    [
      "missing-file",
      "cannot fetch manifest http://127.0.0.1:9/m/manifest.json: connection refused",
    ],
  );
  // A graph name in the manifest that leaves the folder is refused by the manifest parser.
  const manifest = JSON.parse(await Deno.readTextFile("models/mnist/manifest.json"));
  manifest.classifier.file = "../secret.onnx";
  const evil = () => Promise.resolve(new Response(JSON.stringify(manifest)));
  const e3 = await rejection(() => fetchModelFolder(MODEL_URL, { fetch: evil }));
  assertEquals(e3.code, "bad-model");
  assert(e3.message.includes("classifier.file"), e3.message);
});

Deno.test("web entry: image sources that cannot be read are one-line errors naming the image", async () => {
  const short = { width: 2, height: 2, data: new Uint8ClampedArray(15) };
  assertEquals(
    (await rejection(() => toRawImage(short, "drawing"))).message,
    "drawing: ImageData of 2×2 must hold 16 bytes (RGBA), got 15",
  );
  assertEquals(
    (await rejection(() => toRawImage({ width: 0, height: 0 }, "img#3"))).message,
    "img#3: image has no pixels (0×0; not loaded yet?)",
  );
  const garbage = new Blob([new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])]);
  const e = await rejection(() => toRawImage(garbage, "notes.txt"));
  assert(e.message.startsWith("notes.txt: the browser cannot decode it: "), e.message);
  const png = encodePng({ width: 4, height: 4, channels: 1, data: new Uint8Array(16) }).slice();
  const cut = await rejection(() => toRawImage(new Blob([png.slice(0, 20)]), "cut.png"));
  assert(cut.message.startsWith("cut.png: truncated PNG"), cut.message);
  // Deno decodes a Blob (createImageBitmap) but has no 2D canvas to read the pixels back.
  const no2d = await rejection(() => toRawImage(new Blob([png]), "ok.png"));
  assert(no2d.message.startsWith("ok.png: this runtime has no 2D canvas"), no2d.message);
});
