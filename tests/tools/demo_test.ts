/**
 * The demo server (`deno task demo`, tools/demo.ts) without a browser: what it serves, what it
 * refuses (paths out of its folders in every spelling), the headers multi-threaded wasm needs,
 * and its command line. The page itself is tested in Chromium in demo_browser_test.ts.
 */
import { assert, assertEquals } from "../assert.ts";
import { runTool } from "../_helpers/cli.ts";
import { demoHandler, listModels } from "../../tools/demo/serve.ts";
import { ortDistDir } from "../../tools/demo/build.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function withDemo(
  fn: (get: (path: string, method?: string) => Promise<Response>, tmp: string) => Promise<void>,
) {
  const tmp = await Deno.makeTempDir({ prefix: "noprop-demo-test-" });
  try {
    const models = `${tmp}/models`;
    await Deno.mkdir(`${models}/mnist`, { recursive: true });
    for (const f of ["manifest.json", "block_01.onnx"]) {
      await Deno.copyFile(`${ROOT}models/mnist/${f}`, `${models}/mnist/${f}`);
    }
    await Deno.writeTextFile(`${tmp}/secret.txt`, "secret");
    await Deno.writeTextFile(`${models}/mnist/.hidden`, "hidden");
    await Deno.symlink(`${tmp}/secret.txt`, `${models}/mnist/link.onnx`);
    await Deno.mkdir(`${models}/not-a-model`);
    await Deno.writeTextFile(`${tmp}/app.js`, "console.log(1);");
    const handle = demoHandler({
      pageDir: `${ROOT}examples/browser`,
      bundleDir: tmp,
      ortDir: await ortDistDir(),
      modelsDir: models,
    });
    await fn(
      (path, method = "GET") => handle(new Request(`http://127.0.0.1${path}`, { method })),
      tmp,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

Deno.test("demo server: page, bundle, onnxruntime-web files and model files, cross-origin isolated", async () => {
  await withDemo(async (get) => {
    const page = await get("/");
    assertEquals(page.status, 200);
    const html = await page.text();
    assert(html.includes('"onnxruntime-web/wasm": "/ort/ort.wasm.min.mjs"'), "import map");
    assertEquals(page.headers.get("cross-origin-opener-policy"), "same-origin");
    assertEquals(page.headers.get("cross-origin-embedder-policy"), "require-corp");
    // Every file the import map names is served, and the .wasm each loads.
    for (const f of [...html.matchAll(/"\/ort\/([^"]+)"/g)].map((m) => m[1])) {
      const r = await get(`/ort/${f}`, "HEAD");
      assertEquals([f, r.status, r.headers.get("content-type")], [
        f,
        200,
        "text/javascript; charset=utf-8",
      ]);
    }
    const wasm = await get("/ort/ort-wasm-simd-threaded.wasm", "HEAD");
    assertEquals(wasm.headers.get("content-type"), "application/wasm");
    assert(Number(wasm.headers.get("content-length")) > 1e6);
    assertEquals(await (await get("/app.js")).text(), "console.log(1);");
    const graph = await get("/models/mnist/block_01.onnx");
    assertEquals(graph.status, 200);
    const bytes = new Uint8Array(await graph.arrayBuffer());
    assertEquals(bytes, await Deno.readFile(`${ROOT}models/mnist/block_01.onnx`));
    const index = await (await get("/models/index.json")).json();
    assertEquals(index, [{
      name: "mnist",
      variant: "dt",
      T: 10,
      classes: 10,
      input: { channels: 1, height: 28, width: 28 },
    }]);
    assertEquals((await get("/favicon.ico")).status, 204);
  });
});

Deno.test("demo server: nothing outside its folders, however the path is spelled", async () => {
  await withDemo(async (get) => {
    for (
      const path of [
        "/models/../secret.txt",
        "/models/%2e%2e/secret.txt",
        "/models/mnist/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/models/mnist/..%5c..%5csecret.txt",
        "/models/mnist/.hidden",
        "/models/mnist/link.onnx", // a symbolic link out of the folder
        "/models/mnist/",
        "/models/mnist",
        "/models/not-a-model/manifest.json",
        "/ort/../package.json",
        "/ort/%2e%2e%2fpackage.json",
        "/app.js/../secret.txt",
        "/secret.txt",
        "/main.ts",
        "/%zz",
      ]
    ) {
      const r = await get(path);
      await r.body?.cancel();
      assertEquals([path, r.status], [path, 404]);
    }
    const post = await get("/models/mnist/block_01.onnx", "PUT");
    assertEquals(post.status, 405);
  });
});

Deno.test("demo server lists only folders with a readable manifest", async () => {
  const names = (await listModels(`${ROOT}models`)).map((m) => m.name);
  assert(names.includes("mnist") && names.includes("cifar10"), names.join(", "));
  assert(!names.includes("compare-mnist"), "a run folder without an export is not a model");
});

Deno.test("deno task demo: bad options are one line and exit 2; a missing models folder exits 1", async () => {
  const port = await runTool("tools/demo.ts", ["--port", "http"]);
  assertEquals(port.code, 2);
  assert(port.stderr.startsWith('error: --port must be an integer from 0 to 65535, got "http"'));
  const unknown = await runTool("tools/demo.ts", ["--bogus"]);
  assertEquals(unknown.code, 2);
  const missing = await runTool("tools/demo.ts", ["--models", "no/such/dir"]);
  assertEquals(missing.code, 1);
  assertEquals(
    missing.stderr.split("\n")[0].replace(/: No such file.*$/, ""),
    "error: cannot read the models folder no/such/dir",
  );
});
