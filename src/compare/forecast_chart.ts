/**
 * The chart of a forecast (`deno task forecast`): per output channel, the last rows of the
 * history, the noise-free forecast, the mean of the samples and the central 80% and 90%
 * intervals as bands, against time; one panel per channel with its own y scale. Rendered to SVG
 * with the charting code of the training charts (`charts.ts`, Vega-Lite).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderForecastChart } from "./forecast_chart.ts";
 * const t = (h: number) => Date.UTC(2020, 0, 1, h);
 * const svg = await renderForecastChart({
 *   title: "demo",
 *   history: [{ channel: "OT", times: [t(0), t(1)], values: [1, 2] }],
 *   forecast: [{
 *     channel: "OT", times: [t(2), t(3)], point: [2.5, 3], mean: [2.4, 2.9], lower80: [2, 2],
 *     upper80: [3, 4], lower90: [1.5, 1.5], upper90: [3.5, 4.5],
 *   }],
 * });
 * assert.ok(svg.startsWith("<svg") && svg.includes("demo"));
 * ```
 * @module
 */
import { writeFileAtomic } from "../atomic.ts";
import { renderVegaLite } from "./charts.ts";

/** History of one channel: times (ms UTC) and values. */
export interface ChartHistory {
  /** Column name. */
  channel: string;
  /** Times, ms UTC. */
  times: number[];
  /** Values. */
  values: number[];
}

/** The forecast of one channel (raw units); null series are left out. */
export interface ChartForecast {
  /** Column name. */
  channel: string;
  /** Times of the forecast steps, ms UTC. */
  times: number[];
  /** Noise-free forecast. */
  point: ArrayLike<number>;
  /** Mean of the samples. */
  mean: ArrayLike<number> | null;
  /** 80% interval. */
  lower80: ArrayLike<number> | null;
  /** 80% interval. */
  upper80: ArrayLike<number> | null;
  /** 90% interval. */
  lower90: ArrayLike<number> | null;
  /** 90% interval. */
  upper90: ArrayLike<number> | null;
}

/**
 * The SVG of the chart (module doc).
 *
 * @example
 * ```ts
 * import { renderForecastChart } from "./forecast_chart.ts";
 * const empty = () => renderForecastChart({ title: "nothing", history: [], forecast: [] });
 * ```
 */
export async function renderForecastChart(o: {
  title: string;
  history: ChartHistory[];
  forecast: ChartForecast[];
}): Promise<string> {
  const rows: object[] = []; // one table: the facet splits it by channel, each layer filters it
  const lines = rows, bands = rows;
  for (const h of o.history) {
    h.times.forEach((t, i) =>
      lines.push({ channel: h.channel, time: t, value: h.values[i], series: "history" })
    );
  }
  for (const f of o.forecast) {
    f.times.forEach((t, i) => {
      lines.push({
        channel: f.channel,
        time: t,
        value: f.point[i],
        series: "forecast (noise-free)",
      });
      if (f.mean) {
        lines.push({ channel: f.channel, time: t, value: f.mean[i], series: "mean of samples" });
      }
      if (f.lower80 && f.upper80) {
        bands.push({
          channel: f.channel,
          time: t,
          lo: f.lower80[i],
          hi: f.upper80[i],
          band: "80% interval",
        });
      }
      if (f.lower90 && f.upper90) {
        bands.push({
          channel: f.channel,
          time: t,
          lo: f.lower90[i],
          hi: f.upper90[i],
          band: "90% interval",
        });
      }
    });
  }
  const time = { field: "time", type: "temporal", title: "time (UTC)" } as const;
  const spec = {
    title: {
      text: o.title,
      subtitle:
        "grey: history · red: noise-free forecast · orange, dashed: mean of the samples · " +
        "bands: central 80% and 90% of the samples",
    },
    data: { values: rows },
    facet: {
      row: {
        field: "channel",
        type: "nominal",
        title: null,
        sort: [...new Set([...o.history, ...o.forecast].map((c) => c.channel))],
      },
    },
    spec: {
      width: 640,
      height: 160,
      layer: [
        {
          transform: [{ filter: "isValid(datum.band)" }],
          mark: { type: "area", opacity: 0.35 },
          encoding: {
            x: time,
            y: { field: "lo", type: "quantitative", title: "value", scale: { zero: false } },
            y2: { field: "hi" },
            color: {
              field: "band",
              type: "nominal",
              title: "samples",
              scale: { domain: ["90% interval", "80% interval"], range: ["#9ecae1", "#4292c6"] },
            },
          },
        },
        {
          transform: [{ filter: "isValid(datum.series)" }],
          mark: { type: "line", strokeWidth: 1.5 },
          encoding: {
            x: time,
            y: { field: "value", type: "quantitative", scale: { zero: false } },
            strokeDash: {
              field: "series",
              type: "nominal",
              legend: null,
              scale: {
                domain: ["history", "forecast (noise-free)", "mean of samples"],
                range: [[1, 0], [1, 0], [4, 3]],
              },
            },
            stroke: {
              field: "series",
              type: "nominal",
              legend: null,
              scale: {
                domain: ["history", "forecast (noise-free)", "mean of samples"],
                range: ["#555555", "#d62728", "#ff7f0e"],
              },
            },
          },
        },
      ],
    },
    resolve: { scale: { y: "independent" } },
  };
  return await renderVegaLite(spec as unknown as Parameters<typeof renderVegaLite>[0]);
}

/**
 * Renders the chart and writes it to `path` (atomically).
 *
 * @example
 * ```ts
 * import { writeForecastChart } from "./forecast_chart.ts";
 * const save = (path: string) => writeForecastChart(path, { title: "x", history: [], forecast: [] });
 * ```
 */
export async function writeForecastChart(
  path: string,
  o: { title: string; history: ChartHistory[]; forecast: ChartForecast[] },
): Promise<void> {
  await writeFileAtomic(path, await renderForecastChart(o));
}
