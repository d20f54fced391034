/**
 * Training progress on stderr: a per-epoch bar (redrawn in place with `\r` on a terminal;
 * one line per 10 % of the epoch otherwise, so CI logs stay short) and the one-line summary
 * at the end of a run. The formatting is pure ({@linkcode formatProgress},
 * {@linkcode formatSummary}); {@linkcode ProgressBar} adds timing and output.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProgressBar } from "./progress.ts";
 * let ms = 0; // a fake clock: each batch takes 100 ms
 * const lines: string[] = [];
 * const bar = new ProgressBar({
 *   epoch: 1, epochs: 10, total: 469, batchSize: 128, tty: false, now: () => ms,
 *   write: (s) => lines.push(s), // default: stderr
 * });
 * for (let i = 1; i <= 469; i++) {
 *   ms += 100;
 *   bar.update(i, [0.9, 0.8, 0.7]); // per-block losses, averaged
 * }
 * bar.finish("test acc 97.12%");
 * assert.equal(
 *   lines.at(-1),
 *   "epoch  1/10 [####################] 469/469 batches  1280 samples/s  loss 0.8000  ETA 0:00" +
 *     " (run 7:02)  test acc 97.12%\n", // 9 more epochs of 46.9 s
 * );
 * ```
 * @module
 */

/** What one progress line shows. */
export interface ProgressState {
  /** Current epoch, 1-based. */
  epoch: number;
  /** Total epochs. */
  epochs: number;
  /** Batches done in this epoch. */
  done: number;
  /** Batches in this epoch. */
  total: number;
  /** Training throughput so far in this epoch. */
  samplesPerSec: number;
  /** Current loss (mean over blocks), or null before the first batch. */
  loss: number | null;
  /** Estimated seconds left in this epoch, or null when unknown. */
  etaSec: number | null;
  /** Estimated seconds left in the whole run, or null/absent when unknown. */
  runEtaSec?: number | null;
  /** Width of the bar in characters (default 20). */
  barWidth?: number;
}

/**
 * Formats one progress line (no newline, no `\r`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatProgress } from "./progress.ts";
 * const line = formatProgress({
 *   epoch: 3, epochs: 100, done: 120, total: 469, samplesPerSec: 1234.4, loss: 0.12345, etaSec: 42,
 * });
 * assert.equal(
 *   line,
 *   "epoch   3/100 [#####---------------] 120/469 batches  1234 samples/s  loss 0.1235  ETA 0:42",
 * );
 * ```
 */
export function formatProgress(s: ProgressState): string {
  const width = s.barWidth ?? 20;
  const frac = s.total > 0 ? Math.min(1, Math.max(0, s.done / s.total)) : 0;
  const filled = Math.floor(frac * width);
  const bar = "#".repeat(filled) + "-".repeat(width - filled);
  const ew = String(s.epochs).length;
  const bw = String(s.total).length;
  const parts = [
    `epoch ${String(s.epoch).padStart(ew)}/${s.epochs} [${bar}] ` +
    `${String(s.done).padStart(bw)}/${s.total} batches`,
    `${formatRate(s.samplesPerSec)} samples/s`,
    `loss ${s.loss === null || !Number.isFinite(s.loss) ? "-" : formatLoss(s.loss)}`,
    `ETA ${formatDuration(s.etaSec)}` +
    (s.runEtaSec == null ? "" : ` (run ${formatDuration(s.runEtaSec)})`),
  ];
  return parts.join("  ");
}

/** The numbers reported at the end of a run. */
export interface RunSummary {
  /** Epochs completed. */
  epochs: number;
  /** Best test accuracy in [0, 1] (with noise, i.e. the stochastic sampler), or null. */
  bestAcc: number | null;
  /** Epoch of {@linkcode RunSummary.bestAcc}. */
  bestEpoch?: number | null;
  /** Final test accuracy with noise, or null. */
  finalAcc: number | null;
  /** Best test accuracy without noise (deterministic sampler), if measured. */
  bestAccNoNoise?: number | null;
  /** Final test accuracy without noise, if measured. */
  finalAccNoNoise?: number | null;
  /** Wall-clock seconds of the whole run. */
  wallSec: number;
  /** Mean training throughput. */
  samplesPerSec: number;
}

/**
 * Formats the one-line end-of-run summary.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSummary } from "./progress.ts";
 * const line = formatSummary({
 *   epochs: 100, bestAcc: 0.9947, bestEpoch: 87, finalAcc: 0.9941,
 *   bestAccNoNoise: 0.995, finalAccNoNoise: 0.9945, wallSec: 3723, samplesPerSec: 1234,
 * });
 * assert.equal(
 *   line,
 *   "done: 100 epochs in 1:02:03, 1234 samples/s; " +
 *     "test acc best 99.47% (epoch 87), final 99.41%; " +
 *     "without noise best 99.50%, final 99.45%",
 * );
 * ```
 */
export function formatSummary(s: RunSummary): string {
  const epoch = s.bestEpoch == null ? "" : ` (epoch ${s.bestEpoch})`;
  let line =
    `done: ${s.epochs} epoch${s.epochs === 1 ? "" : "s"} in ${formatDuration(s.wallSec)}, ` +
    `${formatRate(s.samplesPerSec)} samples/s; ` +
    `test acc best ${formatPercent(s.bestAcc)}${s.bestAcc === null ? "" : epoch}, ` +
    `final ${formatPercent(s.finalAcc)}`;
  if (s.bestAccNoNoise != null || s.finalAccNoNoise != null) {
    line += `; without noise best ${formatPercent(s.bestAccNoNoise ?? null)}, ` +
      `final ${formatPercent(s.finalAccNoNoise ?? null)}`;
  }
  return line;
}

/**
 * Formats seconds as `m:ss` or `h:mm:ss` (`?` when unknown or not finite).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDuration } from "./progress.ts";
 * assert.equal(formatDuration(42), "0:42");
 * assert.equal(formatDuration(3723), "1:02:03");
 * assert.equal(formatDuration(null), "?");
 * ```
 */
export function formatDuration(sec: number | null): string {
  if (sec === null || !Number.isFinite(sec) || sec < 0) return "?";
  const t = Math.round(sec);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const ss = String(t % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/**
 * Formats an accuracy in [0, 1] as a percentage with two decimals (`n/a` for null).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatPercent } from "./progress.ts";
 * assert.equal(formatPercent(0.98765), "98.77%");
 * assert.equal(formatPercent(null), "n/a");
 * ```
 */
export function formatPercent(acc: number | null): string {
  return acc === null || !Number.isFinite(acc) ? "n/a" : `${(acc * 100).toFixed(2)}%`;
}

/**
 * Mean of a loss or of per-block losses, ignoring non-finite entries (null if none left).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { meanLoss } from "./progress.ts";
 * assert.equal(meanLoss([0.5, 1.5]), 1);
 * assert.equal(meanLoss([0.5, NaN]), 0.5); // non-finite entries ignored
 * assert.equal(meanLoss(null), null);
 * ```
 */
export function meanLoss(loss: number | readonly number[] | null | undefined): number | null {
  if (loss === null || loss === undefined) return null;
  const xs = (typeof loss === "number" ? [loss] : loss).filter(Number.isFinite);
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

/** Options of {@linkcode ProgressBar}. */
export interface ProgressOptions {
  /** Current epoch, 1-based. */
  epoch: number;
  /** Total epochs. */
  epochs: number;
  /** Batches in this epoch. */
  total: number;
  /** Samples per batch (for samples/s when `update` is not told the sample count). */
  batchSize: number;
  /** Output sink (default: synchronous write to stderr). */
  write?: (text: string) => void;
  /** Redraw in place (default: whether stderr is a terminal). */
  tty?: boolean;
  /** Clock in milliseconds (default `performance.now`). */
  now?: () => number;
  /** Least time between two terminal redraws, ms (default 100). */
  minIntervalMs?: number;
}

/**
 * The progress bar of one epoch. On a terminal it redraws one line (throttled); otherwise it
 * prints a line each time another 10 % of the epoch is done (the last one from
 * {@linkcode ProgressBar.finish}, which must be called once at the end of the epoch).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProgressBar } from "./progress.ts";
 * const lines: string[] = [];
 * const bar = new ProgressBar({
 *   epoch: 1, epochs: 2, total: 100, batchSize: 32, tty: false, write: (s) => lines.push(s),
 * });
 * for (let i = 1; i <= 100; i++) bar.update(i, 0.5);
 * bar.finish();
 * assert.equal(lines.length, 10); // one per 10 %
 * ```
 */
export class ProgressBar {
  #o: Required<Omit<ProgressOptions, "write" | "tty" | "now">>;
  #write: (text: string) => void;
  #tty: boolean;
  #now: () => number;
  #start: number;
  #lastDraw = -Infinity;
  #lastDecile = 0;
  #state: ProgressState;
  #drawnWidth = 0;

  /** Starts the epoch's clock. */
  constructor(opts: ProgressOptions) {
    this.#o = {
      epoch: opts.epoch,
      epochs: opts.epochs,
      total: opts.total,
      batchSize: opts.batchSize,
      minIntervalMs: opts.minIntervalMs ?? 100,
    };
    this.#write = opts.write ?? writeStderr;
    this.#tty = opts.tty ?? isStderrTerminal();
    this.#now = opts.now ?? (() => performance.now());
    this.#start = this.#now();
    this.#state = {
      epoch: opts.epoch,
      epochs: opts.epochs,
      done: 0,
      total: opts.total,
      samplesPerSec: 0,
      loss: null,
      etaSec: null,
    };
  }

  /** The state of the last update (for tests and summaries). */
  get state(): ProgressState {
    return { ...this.#state };
  }

  /**
   * Records that `done` batches of this epoch are finished, with the current loss (a number
   * or per-block losses, averaged) and optionally the exact number of samples seen.
   */
  update(done: number, loss?: number | readonly number[] | null, samples?: number): void {
    const elapsed = (this.#now() - this.#start) / 1000;
    const { total, epoch, epochs, batchSize } = this.#o;
    const seen = samples ?? done * batchSize;
    const perBatch = done > 0 ? elapsed / done : NaN;
    const etaSec = done > 0 ? perBatch * Math.max(0, total - done) : null;
    const loss1 = meanLoss(loss);
    this.#state = {
      ...this.#state,
      done,
      samplesPerSec: elapsed > 0 ? seen / elapsed : 0,
      loss: loss1 ?? this.#state.loss,
      etaSec,
      runEtaSec: etaSec === null || epoch >= epochs
        ? null
        : etaSec + perBatch * total * (epochs - epoch),
    };
    if (this.#tty) {
      const now = this.#now();
      if (now - this.#lastDraw >= this.#o.minIntervalMs || done >= total) {
        this.#lastDraw = now;
        this.#redraw(formatProgress(this.#state));
      }
    } else {
      // Deciles 1..9 here; the 100 % line comes from finish(), with the epoch's extras.
      const decile = total > 0 ? Math.floor((10 * Math.min(done, total)) / total) : 0;
      if (decile > this.#lastDecile && decile < 10) {
        this.#lastDecile = decile;
        this.#write(formatProgress(this.#state) + "\n");
      }
    }
  }

  /** Prints a message line without garbling the bar (it is redrawn below on a terminal). */
  log(message: string): void {
    if (this.#tty && this.#drawnWidth > 0) {
      this.#write(`\r${" ".repeat(this.#drawnWidth)}\r${message}\n`);
      this.#drawnWidth = 0;
      this.#redraw(formatProgress(this.#state));
    } else {
      this.#write(message + "\n");
    }
  }

  /** Ends the epoch's line, appending `extra` (e.g. the test accuracy) if given. */
  finish(extra?: string): void {
    const line = formatProgress(this.#state) + (extra ? `  ${extra}` : "");
    if (this.#tty) {
      this.#redraw(line);
      this.#write("\n");
      this.#drawnWidth = 0;
    } else if (this.#lastDecile < 10) {
      this.#write(line + "\n");
      this.#lastDecile = 10;
    }
  }

  #redraw(line: string): void {
    const cols = terminalColumns();
    const text = cols > 0 && line.length >= cols ? line.slice(0, cols - 1) : line;
    const pad = Math.max(0, this.#drawnWidth - text.length);
    this.#write(`\r${text}${" ".repeat(pad)}`);
    this.#drawnWidth = text.length;
  }
}

function formatRate(r: number): string {
  return Number.isFinite(r) && r > 0 ? String(Math.round(r)) : "-";
}

function formatLoss(l: number): string {
  return Math.abs(l) >= 1000 || (l !== 0 && Math.abs(l) < 1e-3) ? l.toExponential(3) : l.toFixed(4);
}

const encoder = new TextEncoder();

function writeStderr(text: string): void {
  const bytes = encoder.encode(text);
  let n = 0;
  while (n < bytes.length) n += Deno.stderr.writeSync(bytes.subarray(n));
}

function isStderrTerminal(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}

function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 0;
  }
}

/**
 * The bar of the epoch a trainer is about to run: `epoch` is 0-based (a {@linkcode ProgressBar}
 * counts from 1), `total` the batches per epoch, and `quiet` discards the output.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { epochBar } from "./progress.ts";
 * const bar = epochBar(0, { epochs: 3, batchSize: 128 }, 468, true);
 * assert.equal(bar.state.epoch, 1);
 * assert.equal(bar.state.total, 468);
 * ```
 */
export function epochBar(
  epoch: number,
  cfg: { epochs: number; batchSize: number },
  total: number,
  quiet = false,
): ProgressBar {
  const { epochs, batchSize } = cfg;
  return new ProgressBar({
    epoch: epoch + 1,
    epochs,
    total,
    batchSize,
    ...(quiet ? { write: () => {} } : {}),
  });
}
