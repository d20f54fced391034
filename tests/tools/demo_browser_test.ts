/**
 * The browser entry (`@noprop/infer/web`) in a real browser: the demo page served by
 * `deno task demo`, in Debian's headless Chromium driven by Playwright. Ten real MNIST test
 * digits (one per class, among those the Deno runtime classifies correctly — chosen here, not
 * hard-coded) are given to the page as PNG files; each must get its true label through wasm, with
 * the probability the Deno runtime gives (same preprocessing, same sampler). A digit drawn with
 * the mouse goes through the canvas path. WebGPU is tried when the browser offers an adapter.
 * Skipped, visibly, without /usr/bin/chromium or without ../shared/data/mnist.
 */
import { Buffer } from "node:buffer";
import { encode as encodePng } from "fast-png";
import { assert, assertEquals } from "../assert.ts";
import { haveChromium, launchChromium, startDemo } from "../_helpers/browser.ts";
import { createClassifier } from "../../src/infer/mod.ts";
import { gunzipFile } from "../../src/data/gzip.ts";
import { parseIdxImages, parseIdxLabels } from "../../src/data/idx.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const mnistDir = new URL("../../../shared/data/mnist", import.meta.url).pathname;
const haveData = await Deno.stat(mnistDir).then(() => true, () => false);
const chromium = haveChromium();

if (!chromium) {
  console.log(
    "SKIPPED: demo page in a real browser (no /usr/bin/chromium here; .ci/run installs Debian's chromium)",
  );
} else if (!haveData) {
  console.log("SKIPPED: demo page in a real browser (no real MNIST at ../shared/data/mnist)");
}

interface Digit {
  name: string;
  label: number;
  png: Uint8Array;
  probability: number;
}

/** One test digit per class, among the first test images the Deno runtime gets right. */
async function pickDigits(): Promise<Digit[]> {
  const read = async (f: string) => gunzipFile(await Deno.readFile(`${mnistDir}/${f}`), f);
  const images = parseIdxImages(await read("t10k-images-idx3-ubyte.gz"), "t10k-images");
  const labels = parseIdxLabels(await read("t10k-labels-idx1-ubyte.gz"), "t10k-labels");
  const n = 200;
  const pngs = Array.from({ length: n }, (_, i) =>
    encodePng({
      width: 28,
      height: 28,
      channels: 1,
      data: images.pixels.slice(i * 784, (i + 1) * 784),
    }));
  const clf = await createClassifier({ modelDir: `${ROOT}models/mnist`, provider: "cpu" });
  try {
    const out = await clf.classify(pngs);
    const digits: Digit[] = [];
    for (let c = 0; c < 10; c++) {
      const i = out.findIndex((r, k) => labels[k] === c && r.index === c);
      assert(i >= 0, `no correctly classified ${c} among the first ${n} test digits`);
      digits.push({
        name: `t10k-${String(i).padStart(4, "0")}-label${c}.png`,
        label: c,
        png: pngs[i],
        probability: out[i].probability,
      });
    }
    return digits;
  } finally {
    await clf.close();
  }
}

Deno.test({
  name:
    "demo page in headless Chromium: 10 real MNIST digits classified right through wasm, as in Deno",
  ignore: !chromium || !haveData,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const t0 = performance.now();
    const digits = await pickDigits();
    const server = await startDemo();
    const browser = await launchChromium();
    const tmp = await Deno.makeTempDir({ prefix: "noprop-browser-test-" });
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
      const pageErrors: string[] = [];
      page.on("pageerror", (e) => pageErrors.push(e.message));
      const ready = async (timeout = 90_000) => {
        await page.waitForSelector('#status[data-state="ready"], #status[data-state="error"]', {
          timeout,
        });
        const state = await page.getAttribute("#status", "data-state");
        assertEquals(state, "ready", `the page says: ${await page.textContent("#status")}`);
      };
      const run = async (act: () => Promise<void>) => {
        const before = Number(await page.getAttribute("#results", "data-run"));
        await act();
        await page.waitForFunction(
          `Number(document.querySelector("#results").dataset.run) > ${before} ||
            document.querySelector("#status").dataset.state === "error"`,
          undefined,
          { timeout: 90_000 },
        );
        await ready();
        return await page.locator(".result").evaluateAll((els) =>
          els.map((e) => ({
            name: e.getAttribute("data-name")!,
            label: e.getAttribute("data-label")!,
            probability: Number(e.getAttribute("data-probability")),
          }))
        );
      };
      const files = digits.map((d) => ({
        name: d.name,
        mimeType: "image/png",
        buffer: Buffer.from(d.png),
      }));
      type Got = { name: string; label: string; probability: number }[];
      const checkDigits = (got: Got, tolerance: number) => {
        assertEquals(got.map((r) => r.name), digits.map((d) => d.name));
        for (const [i, d] of digits.entries()) {
          assertEquals(got[i].label, String(d.label), `${d.name}: wrong label`);
          const diff = Math.abs(got[i].probability - d.probability);
          assert(
            diff < tolerance,
            `${d.name}: p = ${got[i].probability} in the page, ${d.probability} in Deno`,
          );
        }
      };

      await page.goto(`${server.url}?model=mnist&provider=wasm`);
      await ready();
      const note = await page.textContent("#provider-note");
      assert(note?.startsWith("wasm (onnxruntime-web, "), `provider: ${note}`);
      const models = await page.locator("#model option").evaluateAll((os) =>
        os.map((o) => o.getAttribute("value"))
      );
      assert(models.includes("mnist") && models.includes("cifar10"), `models: ${models}`);

      await t.step("10 real MNIST digits as PNG files, wasm", async () => {
        checkDigits(await run(() => page.setInputFiles("#files", files)), 1e-4);
        const latency = await page.textContent("#latency");
        assert(/ms per image/.test(latency ?? ""), `latency: ${latency}`);
        console.log(`browser (wasm): ${note}; ${latency}`);
        const shot = `${tmp}/demo.png`;
        await page.screenshot({ path: shot, fullPage: true });
        assert((await Deno.stat(shot)).size > 10_000);
        console.log(`screenshot: ${shot}`);
      });

      await t.step("a digit drawn on the canvas with the mouse", async () => {
        const box = (await page.locator("#pad").boundingBox())!;
        const got = await run(async () => {
          await page.mouse.move(box.x + 140, box.y + 50);
          await page.mouse.down();
          await page.mouse.move(box.x + 140, box.y + 230, { steps: 12 });
          await page.mouse.up();
        });
        assertEquals(got.map((r) => [r.name, r.label]), [["drawing", "1"]]);
      });

      const adapter = await page.evaluate(async () => {
        // deno-lint-ignore no-explicit-any
        const gpu = (navigator as any).gpu;
        if (!gpu) return "no navigator.gpu";
        return (await gpu.requestAdapter()) ? "" : "navigator.gpu.requestAdapter() gave none";
      });
      if (adapter) {
        console.log(`SKIPPED: WebGPU in the page (${adapter}; Chromium runs with --disable-gpu)`);
      }
      await t.step({
        name: "the same digits through WebGPU",
        ignore: adapter !== "",
        fn: async () => {
          await page.selectOption("#provider", "webgpu");
          await ready();
          assert((await page.textContent("#provider-note"))?.startsWith("webgpu-web"));
          // GPU kernels round differently from the CPU's: a looser bound on the probability.
          checkDigits(await run(() => page.setInputFiles("#files", files)), 1e-3);
        },
      });
      assertEquals(pageErrors, []);
      console.log(`browser test took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } finally {
      await browser.close();
      assertEquals(await server.stop(), 0);
    }
  },
});
