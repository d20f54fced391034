/**
 * What `deno task eval` writes into its output folder, and prints:
 *
 * - `eval.md`: the accuracy table (one row per sampler and step count), then the per-class
 *   accuracy of the charted row and a link to its chart;
 * - `eval.json`: run, dataset, variant, engine, seed, class names, the charted row, and every
 *   row with its per-class accuracy and confusion counts (K·K, rows = true class);
 * - `confusion.svg`: the confusion matrix of the charted row, drawn like the training run's
 *   (`src/compare/confusion_chart.ts`; per-class numbers from `src/train/confusion.ts`).
 *
 * The charted row is the one with the highest accuracy (the first of equals, in table order).
 * Existing files are never replaced silently: {@linkcode writeEvalReport} refuses, naming the
 * file, unless told to overwrite; each file is written to a temporary file and renamed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type EvalReport, writeEvalReport } from "./eval_report.ts";
 * // Two test images per class; class "one" always right, class "zero" `right` times.
 * const row = (steps: number, right: number) => ({
 *   sampler: "euler", steps, accuracy: (right + 2) / 4, count: 4, msPerImage: 1,
 *   confusion: { classes: 2, counts: Uint32Array.of(right, 2 - right, 0, 2) },
 * });
 * const report: EvalReport = {
 *   run: "models/x", dataset: "mnist", variant: "fm", engine: "tfjs", seed: 1,
 *   classNames: ["zero", "one"], rows: [row(1, 0), row(10, 1)],
 * };
 * const dir = await Deno.makeTempDir();
 * const { charted } = await writeEvalReport(dir, report, { overwrite: false });
 * assert.equal(charted.steps, 10); // the best row is drawn
 * assert.ok((await Deno.readTextFile(`${dir}/confusion.svg`)).startsWith("<svg"));
 * const json = JSON.parse(await Deno.readTextFile(`${dir}/eval.json`));
 * assert.deepEqual(json.rows[1].perClassAcc, [0.5, 1]);
 * // A second report into the same folder is refused unless asked to overwrite.
 * await assert.rejects(writeEvalReport(dir, report, { overwrite: false }), /already exists/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import { writeFileAtomic } from "../src/atomic.ts";
import { writeConfusionSvg } from "../src/compare/confusion_chart.ts";
import { type Confusion, perClassAccuracy } from "../src/train/confusion.ts";

/** One evaluated sampler setting. */
export interface EvalRow {
  /** Sampler. */
  sampler: string;
  /** Steps. */
  steps: number;
  /** Test accuracy. */
  accuracy: number;
  /** Images evaluated. */
  count: number;
  /** Milliseconds per image. */
  msPerImage: number;
  /** Confusion counts of the row. */
  confusion: Confusion;
}

/** Everything an evaluation reports. */
export interface EvalReport {
  /** The run folder evaluated. */
  run: string;
  /** Dataset of its test split. */
  dataset: string;
  /** `ct` or `fm`. */
  variant: string;
  /** `tfjs` or `onnx`. */
  engine: string;
  /** Seed of z_0. */
  seed: number;
  /** Class names, in class order. */
  classNames: string[];
  /** The rows, in table order. */
  rows: EvalRow[];
}

/** The files {@linkcode writeEvalReport} writes into its folder. */
export const EVAL_FILES = ["eval.md", "eval.json", "confusion.svg"] as const;

/**
 * Formats rows as a Markdown table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTable } from "./eval_report.ts";
 * const table = formatTable([{ sampler: "euler", steps: 10, accuracy: 0.9, count: 100, msPerImage: 1.5 }]);
 * assert.equal(table.split("\n")[2], "| euler | 10 | 90.00% | 100 | 1.500 |");
 * ```
 */
export function formatTable(rows: Omit<EvalRow, "confusion">[]): string {
  const out = [
    "| sampler | steps | test accuracy | images | ms / image |",
    "| ------- | ----: | ------------: | -----: | ---------: |",
  ];
  for (const r of rows) {
    const acc = `${(100 * r.accuracy).toFixed(2)}%`;
    out.push(`| ${r.sampler} | ${r.steps} | ${acc} | ${r.count} | ${r.msPerImage.toFixed(3)} |`);
  }
  return out.join("\n");
}

/**
 * The per-class accuracy of a confusion table as Markdown: class, images, correct, accuracy
 * ("–" for a class without test images).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { perClassTable } from "./eval_report.ts";
 * const t = perClassTable({ classes: 2, counts: Uint32Array.of(3, 1, 0, 0) }, ["cat", "dog"]);
 * assert.deepEqual(t.split("\n").slice(2), ["| cat | 4 | 3 | 75.00% |", "| dog | 0 | 0 | – |"]);
 * ```
 */
export function perClassTable(c: Confusion, names: readonly string[]): string {
  const K = c.classes, acc = perClassAccuracy(c);
  const out = [
    "| class | images | correct | accuracy |",
    "| ----- | -----: | ------: | -------: |",
  ];
  for (let k = 0; k < K; k++) {
    let images = 0;
    for (let p = 0; p < K; p++) images += c.counts[k * K + p];
    const a = acc[k] === null ? "–" : `${(100 * acc[k]!).toFixed(2)}%`;
    out.push(`| ${names[k]} | ${images} | ${c.counts[k * K + k]} | ${a} |`);
  }
  return out.join("\n");
}

/**
 * The row drawn in `confusion.svg`: the highest accuracy, the first of equals.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chartedRow } from "./eval_report.ts";
 * const c = { classes: 1, counts: Uint32Array.of(1) };
 * const rows = [0.5, 0.9, 0.9].map((accuracy, steps) => ({
 *   sampler: "heun", steps, accuracy, count: 1, msPerImage: 1, confusion: c,
 * }));
 * assert.equal(chartedRow(rows).steps, 1);
 * ```
 */
export function chartedRow(rows: EvalRow[]): EvalRow {
  if (rows.length === 0) throw new Error("eval report: no rows");
  return rows.reduce((best, r) => r.accuracy > best.accuracy ? r : best);
}

/**
 * The Markdown of `eval.md` (and of what the tool prints): heading, accuracy table, per-class
 * table of the charted row, and the chart's link.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reportMarkdown } from "./eval_report.ts";
 * const md = reportMarkdown({
 *   run: "models/x", dataset: "mnist", variant: "ct", engine: "onnx", seed: 1, classNames: ["a"],
 *   rows: [{
 *     sampler: "euler", steps: 5, accuracy: 1, count: 2, msPerImage: 1,
 *     confusion: { classes: 1, counts: Uint32Array.of(2) },
 *   }],
 * });
 * assert.ok(md.includes("Per-class accuracy, euler sampler, 5 steps") && md.includes("| a | 2 | 2 | 100.00% |"));
 * ```
 */
export function reportMarkdown(r: EvalReport): string {
  const c = chartedRow(r.rows);
  return [
    `NoProp-${r.variant.toUpperCase()} ${r.dataset} (${r.run}, ${r.engine}, seed ${r.seed}):`,
    "",
    formatTable(r.rows),
    "",
    `Per-class accuracy, ${c.sampler} sampler, ${c.steps} steps (the best row; ` +
    `its confusion matrix: [confusion.svg](confusion.svg)):`,
    "",
    perClassTable(c.confusion, r.classNames),
  ].join("\n");
}

/**
 * Throws a one-line error naming the first of {@linkcode EVAL_FILES} that exists in `dir`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refuseExisting } from "./eval_report.ts";
 * const dir = await Deno.makeTempDir();
 * await refuseExisting(dir); // nothing there yet
 * await Deno.writeTextFile(`${dir}/eval.json`, "[]");
 * await assert.rejects(refuseExisting(dir), /eval\.json already exists: pass --out/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function refuseExisting(dir: string): Promise<void> {
  for (const f of EVAL_FILES) {
    const path = `${dir}/${f}`;
    const there = await Deno.lstat(path).then(() => true, () => false);
    if (there) {
      throw new Error(`${path} already exists: pass --out with another folder, or --overwrite`);
    }
  }
}

/**
 * Writes `eval.md`, `eval.json` and `confusion.svg` of `r` into `dir` (created if missing);
 * refuses existing files unless `overwrite`. Returns the Markdown and the charted row.
 * (Example: the module doc.)
 */
export async function writeEvalReport(
  dir: string,
  r: EvalReport,
  o: { overwrite: boolean },
): Promise<{ markdown: string; charted: EvalRow }> {
  await Deno.mkdir(dir, { recursive: true });
  if (!o.overwrite) await refuseExisting(dir);
  const charted = chartedRow(r.rows);
  const markdown = reportMarkdown(r);
  const title = `${r.dataset}, NoProp-${r.variant.toUpperCase()}, ${charted.sampler} sampler, ` +
    `${charted.steps} steps (${r.engine}): confusion of ${charted.count} test images ` +
    "(rows: true class)";
  await writeConfusionSvg(`${dir}/confusion.svg`, charted.confusion, r.classNames, title);
  const json = {
    ...r,
    charted: { sampler: charted.sampler, steps: charted.steps },
    rows: r.rows.map(({ confusion, ...row }) => ({
      ...row,
      perClassAcc: perClassAccuracy(confusion),
      confusion: Array.from(confusion.counts),
    })),
  };
  await writeFileAtomic(`${dir}/eval.json`, JSON.stringify(json, null, 2) + "\n");
  await writeFileAtomic(`${dir}/eval.md`, markdown + "\n");
  return { markdown, charted };
}
