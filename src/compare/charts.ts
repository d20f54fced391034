/**
 * The comparison's charts as SVG, drawn by vega-lite + vega (npm) headlessly: a vega-lite spec
 * is compiled to vega and rendered with `renderer: "none"` + `toSVG()`, no DOM or canvas.
 * This is the only module that imports vega.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderCharts } from "./charts.ts";
 * const charts = await renderCharts([
 *   { method: "noprop", epoch: 1, step: 10, wallSeconds: 2, testAcc: 0.9, loss: 1.2 },
 * ], [{ method: "noprop", measure: "peak RSS", mb: 300 }]);
 * assert.deepEqual(Object.keys(charts), [
 *   "acc_vs_epoch.svg", "acc_vs_time.svg", "loss_vs_step.svg", "memory.svg",
 * ]);
 * assert.ok(Object.values(charts).every((svg) => svg.startsWith("<svg")));
 * ```
 * @module
 */
import * as vega from "vega";
import * as vl from "vega-lite";

/** One per-epoch point of one method. */
export interface EpochPoint {
  /** `noprop` or `backprop`. */
  method: string;
  /** Epochs done. */
  epoch: number;
  /** Batches done. */
  step: number;
  /** Seconds since the run started. */
  wallSeconds: number;
  /** Test accuracy (null when not evaluated this epoch). */
  testAcc: number | null;
  /** Mean training loss over the epoch. */
  loss: number | null;
}

/** One memory figure of one method. */
export interface MemoryBar {
  /** `noprop` or `backprop`. */
  method: string;
  /** What was measured (e.g. `peak RSS`). */
  measure: string;
  /** Mebibytes. */
  mb: number;
}

/**
 * Renders one vega-lite spec to an SVG string.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderVegaLite } from "./charts.ts";
 * const svg = await renderVegaLite({
 *   data: { values: [{ a: 1 }] },
 *   mark: "point",
 *   encoding: { x: { field: "a", type: "quantitative" } },
 * });
 * assert.ok(svg.startsWith("<svg"));
 * ```
 */
export async function renderVegaLite(spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const COLOR = { field: "method", type: "nominal", title: "method" } as const;

function line(
  title: string,
  values: object[],
  x: { field: string; title: string },
  y: { field: string; title: string },
  independentY = false,
): vl.TopLevelSpec {
  const layer = {
    mark: { type: "line", point: true },
    encoding: {
      x: { field: x.field, type: "quantitative", title: x.title },
      y: { field: y.field, type: "quantitative", title: y.title, scale: { zero: false } },
      color: COLOR,
    },
  } as const;
  if (!independentY) {
    return { title, width: 420, height: 260, data: { values }, ...layer } as vl.TopLevelSpec;
  }
  return {
    title,
    data: { values },
    facet: { column: { field: "method", type: "nominal", title: null } },
    spec: { width: 300, height: 240, ...layer },
    resolve: { scale: { y: "independent" } },
  } as vl.TopLevelSpec;
}

/**
 * The four charts of the report, by file name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderCharts } from "./charts.ts";
 * const points = [1, 2].flatMap((epoch) => [
 *   { method: "noprop", epoch, step: 10 * epoch, wallSeconds: epoch, testAcc: 0.9, loss: 0.5 },
 *   { method: "backprop", epoch, step: 10 * epoch, wallSeconds: epoch, testAcc: null, loss: 0.1 },
 * ]);
 * const files = await renderCharts(points, [{ method: "backprop", measure: "peak RSS", mb: 900 }]);
 * assert.ok(files["acc_vs_epoch.svg"].includes("noprop")); // the legend
 * assert.ok(!files["acc_vs_epoch.svg"].includes("backprop")); // not evaluated: no accuracy points
 * ```
 */
export async function renderCharts(
  points: EpochPoint[],
  memory: MemoryBar[],
): Promise<Record<string, string>> {
  const evaluated = points.filter((p) => p.testAcc !== null);
  const withLoss = points.filter((p) => p.loss !== null);
  const acc = { field: "testAcc", title: "test accuracy" };
  return {
    "acc_vs_epoch.svg": await renderVegaLite(
      line("Test accuracy vs epoch", evaluated, { field: "epoch", title: "epoch" }, acc),
    ),
    "acc_vs_time.svg": await renderVegaLite(
      line(
        "Test accuracy vs wall-clock time",
        evaluated,
        { field: "wallSeconds", title: "wall-clock seconds" },
        acc,
      ),
    ),
    "loss_vs_step.svg": await renderVegaLite(
      line(
        "Training loss vs step (epoch means; NoProp: mean block loss, eq. 8; backprop: CE)",
        withLoss,
        { field: "step", title: "step (batches)" },
        { field: "loss", title: "training loss" },
        true,
      ),
    ),
    "memory.svg": await renderVegaLite({
      title: "Peak memory (measured)",
      data: { values: memory },
      facet: { column: { field: "measure", type: "nominal", title: null } },
      spec: {
        width: 160,
        height: 240,
        mark: "bar",
        encoding: {
          x: { field: "method", type: "nominal", title: null },
          y: { field: "mb", type: "quantitative", title: "MiB" },
          color: COLOR,
        },
      },
      resolve: { scale: { y: "independent" } },
    } as vl.TopLevelSpec),
  };
}
