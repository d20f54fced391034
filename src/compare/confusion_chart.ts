/**
 * `confusion.svg`: a confusion table drawn as a heat map with vega-lite (through
 * `renderVegaLite` in `charts.ts`, the project's one vega import). Rows are the true classes,
 * columns the predicted ones, both in class order and named; a cell's colour is the share of
 * its row (so every class reads on the same scale whatever its size) and, for up to 20
 * classes, its count is written in it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderConfusion } from "./confusion_chart.ts";
 * const svg = await renderConfusion(
 *   { classes: 2, counts: Uint32Array.of(9, 1, 2, 8) },
 *   ["cat", "dog"],
 *   "Confusion",
 * );
 * assert.ok(svg.startsWith("<svg") && svg.includes("cat") && svg.includes("dog"));
 * ```
 * @module
 */
import { writeFileAtomic } from "../atomic.ts";
import type { Confusion } from "../train/confusion.ts";
import { renderVegaLite } from "./charts.ts";

/** Up to this many classes, each cell shows its count. */
const MAX_LABELLED = 20;

/**
 * The SVG of `c` with the class names `names` (one per class) and the chart title `title`.
 * Throws a RangeError when the names do not match the table's classes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderConfusion } from "./confusion_chart.ts";
 * await assert.rejects(
 *   renderConfusion({ classes: 2, counts: new Uint32Array(4) }, ["one"], "t"),
 *   /1 class names for 2 classes/,
 * );
 * ```
 */
export async function renderConfusion(
  c: Confusion,
  names: readonly string[],
  title: string,
): Promise<string> {
  const K = c.classes;
  if (names.length !== K || c.counts.length !== K * K) {
    throw new RangeError(`confusion chart: ${names.length} class names for ${K} classes`);
  }
  const values = [];
  for (let t = 0; t < K; t++) {
    let row = 0;
    for (let p = 0; p < K; p++) row += c.counts[t * K + p];
    for (let p = 0; p < K; p++) {
      const count = c.counts[t * K + p];
      values.push({ truth: names[t], predicted: names[p], count, share: row ? count / row : 0 });
    }
  }
  const side = Math.max(240, 16 * K);
  const axis = (field: string, title: string) => ({
    field,
    type: "nominal",
    sort: [...names],
    title,
  });
  const cells = {
    mark: "rect",
    encoding: {
      x: axis("predicted", "predicted class"),
      y: axis("truth", "true class"),
      color: {
        field: "share",
        type: "quantitative",
        title: "share of the row",
        scale: { domain: [0, 1], scheme: "blues" },
      },
    },
  };
  const counts = {
    mark: { type: "text", fontSize: 9 },
    encoding: {
      x: axis("predicted", "predicted class"),
      y: axis("truth", "true class"),
      text: { field: "count", type: "quantitative" },
      color: { condition: { test: "datum.share > 0.5", value: "white" }, value: "black" },
    },
  };
  const layer = K <= MAX_LABELLED ? [cells, counts] : [cells];
  const spec = { title, width: side, height: side, data: { values }, layer };
  return await renderVegaLite(spec as Parameters<typeof renderVegaLite>[0]);
}

/**
 * Renders `c` ({@linkcode renderConfusion}) and writes it to `path` atomically.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeConfusionSvg } from "./confusion_chart.ts";
 * const dir = await Deno.makeTempDir();
 * const c = { classes: 2, counts: Uint32Array.of(1, 0, 0, 1) };
 * await writeConfusionSvg(`${dir}/confusion.svg`, c, ["a", "b"], "t");
 * assert.ok((await Deno.readTextFile(`${dir}/confusion.svg`)).startsWith("<svg"));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeConfusionSvg(
  path: string,
  c: Confusion,
  names: readonly string[],
  title: string,
): Promise<void> {
  await writeFileAtomic(path, await renderConfusion(c, names, title));
}
