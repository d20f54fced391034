/**
 * Confusion counts and per-class accuracy (src/train/confusion.ts), the confusion chart
 * (src/compare/confusion_chart.ts), and what a run records: every method's evaluation fills
 * the table of its own predictions, the metrics line holds the per-class accuracy and the run
 * folder `confusion.svg`.
 */
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { renderConfusion } from "../../src/compare/confusion_chart.ts";
import type { Config } from "../../src/config.ts";
import { MNIST_CLASSES } from "../../src/data/class_names.ts";
import { parseMetrics } from "../../src/run/metrics.ts";
import { countPredictions, emptyConfusion, perClassAccuracy } from "../../src/train/confusion.ts";
import { train } from "../../src/train/mod.ts";
import { checkSvg } from "../_helpers/svg.ts";
import { tinyConfig, writeSyntheticMnist } from "../_helpers/train.ts";

await initBackend("wasm");
const data = await Deno.makeTempDir({ prefix: "noprop-confusion-" });
await writeSyntheticMnist(data, 640, 200);

Deno.test("confusion: counts of known predictions (rows: true class) and the per-class accuracy", () => {
  const c = emptyConfusion(4);
  const truth = Uint8Array.of(0, 0, 0, 1, 1, 2, 2, 2, 2);
  const pred = Int32Array.of(0, 0, 2, 1, 0, 2, 2, 1, 2);
  countPredictions(c, truth, pred, 7); // the last two are not counted
  assertEquals(
    [[0, 1, 2, 3].map((p) => c.counts[p]), [...c.counts.subarray(4, 8)], [
      ...c.counts.subarray(8, 12),
    ], [...c.counts.subarray(12)]],
    [[2, 0, 1, 0], [1, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 0]],
  );
  assertEquals(perClassAccuracy(c), [2 / 3, 0.5, 1, null]); // class 3: no image
  assertThrows(() => countPredictions(c, [4], [0], 1), {
    name: "RangeError",
    message: "image 0: label 4 or prediction 0 is not a class 0..3",
  });
  assertThrows(() => countPredictions(c, [0], [-1], 1), RangeError);
});

Deno.test("confusion chart: a valid SVG naming every class, one cell per (true, predicted) pair with its count", async () => {
  const names = ["cat", "dog", "frog"];
  const c = { classes: 3, counts: Uint32Array.of(5, 1, 0, 2, 7, 1, 0, 0, 9) };
  const svg = await renderConfusion(c, names, "CIFAR-ish confusion");
  checkSvg("confusion.svg", svg, /class="mark-rect role-mark/);
  for (const n of names) {
    assertEquals(svg.split(`>${n}</text>`).length - 1, 2, `${n}: one label on each axis`);
  }
  assert(svg.includes(">CIFAR-ish confusion</text>"));
  // Each cell's count is drawn at its (predicted, true) position: vega labels the marks.
  for (let t = 0; t < 3; t++) {
    for (let p = 0; p < 3; p++) {
      const label = `predicted class: ${names[p]}; true class: ${names[t]}; count: ${
        c.counts[t * 3 + p]
      }`;
      assert(svg.includes(`aria-label="${label}"`), label);
    }
  }
  // 100 classes: cells without counts, still every name.
  const many = Array.from({ length: 100 }, (_, i) => `class${i}`);
  const big = await renderConfusion(emptyConfusion(100), many, "100");
  checkSvg("big", big, /mark-rect role-mark/);
  assert(!big.includes("; count: "));
  assert(many.every((n) => big.includes(`>${n}</text>`)));
});

const methods: [string, Partial<Config>][] = [
  ["NoProp-DT", {}],
  ["NoProp-CT", { variant: "ct" }],
  ["NoProp-FM", { variant: "fm" }],
  ["backprop", { method: "backprop" }],
];
for (const [name, over] of methods) {
  Deno.test(`confusion: a ${name} run records per-class accuracy that agrees with testAcc, and writes confusion.svg`, async () => {
    const out = await Deno.makeTempDir();
    const r = await train(
      tinyConfig(data, out, { ...over, epochs: 1, maxSteps: 10, evalSamples: 200, lr: 1e-2 }),
      { quiet: true },
    );
    const [line] = parseMetrics(await Deno.readTextFile(`${r.runDir}/metrics.jsonl`), "m");
    const perClass = line.perClassAcc!;
    assertEquals(perClass.length, 10);
    // The test labels (class sizes) come from the data: Σ_k acc_k · n_k / N must be testAcc.
    const labels = (await Deno.readFile(`${data}/mnist/t10k-labels-idx1-ubyte`)).subarray(8);
    const sizes = new Array(10).fill(0);
    for (const l of labels) sizes[l]++;
    const correct = perClass.reduce((s: number, a, k) => s + (a ?? 0) * sizes[k], 0);
    assert(Math.abs(correct / 200 - line.testAcc!) < 1e-9, `${correct} / 200 vs ${line.testAcc}`);
    perClass.forEach((a, k) => assertEquals(a === null, sizes[k] === 0, `class ${k}`));
    const svg = await Deno.readTextFile(`${r.runDir}/confusion.svg`);
    checkSvg("confusion.svg", svg, /mark-rect role-mark/);
    for (const n of MNIST_CLASSES) assert(svg.includes(`>${n}</text>`), n);
    const cells = [...svg.matchAll(/; count: (\d+)"/g)].map((m) => Number(m[1]));
    assertEquals(cells.length, 100);
    assertEquals(cells.reduce((a, b) => a + b, 0), 200); // every evaluated image, once
    const files = [...Deno.readDirSync(r.runDir)].map((e) => e.name);
    assert(!files.some((f) => f.includes(".tmp-")), `temp files left: ${files}`);
  });
}

Deno.test("confusion: charts off, the run records its confusion counts but draws no confusion.svg", async () => {
  const out = await Deno.makeTempDir();
  try {
    const cfg = tinyConfig(data, out, { epochs: 1, maxSteps: 2, evalSamples: 100 });
    const r = await train(cfg, { quiet: true, charts: false });
    const [line] = parseMetrics(await Deno.readTextFile(`${r.runDir}/metrics.jsonl`), "m");
    assertEquals(line.perClassAcc!.length, 10);
    const files = [...Deno.readDirSync(r.runDir)].map((e) => e.name);
    assert(!files.includes("confusion.svg"), `${files}`);
    assert(files.includes("checkpoint.safetensors"), `${files}`);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
