/**
 * The time split of the long-horizon forecasting protocol (Informer, Autoformer, DLinear,
 * PatchTST): train = the first 12 months, validation = the next 4, test = the next 4, where a
 * month is 30 days of timestamps (so 8,640 / 2,880 / 2,880 rows of hourly ETTh1, and the rows
 * after the 20th month are not used). Borders are found on the timestamps, so the same split
 * applies to any sampling rate. A window's targets lie inside its split; its inputs are the
 * `lookback` rows before its first target, so validation and test inputs may start up to
 * `lookback` rows inside the previous split (the protocol's rule). Plain TypeScript, no tfjs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { monthBorders } from "./split.ts";
 * // 20 months of hourly rows (600 days): the ETTh1 borders.
 * const hours = Float64Array.from({ length: 600 * 24 }, (_, i) => i * 3600e3);
 * assert.deepEqual(monthBorders(hours, [12, 4, 4], "e.csv"), [0, 8640, 11520, 14400]);
 * ```
 * @module
 */
import { DatasetError } from "../errors.ts";
import { formatTimestamp } from "./timestamp.ts";

/** Milliseconds in the protocol's month (30 days). */
export const MONTH_MS = 30 * 24 * 3600e3;

/**
 * Row borders [0, b1, b2, b3] of the train / validation / test months: b_k is the first row
 * at or after `months[0] + … + months[k−1]` 30-day months from the first timestamp. Refuses
 * (one line naming the file) data that ends before the last split does or a split with no rows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { monthBorders } from "./split.ts";
 * const days = Float64Array.from({ length: 120 }, (_, i) => i * 86400e3); // 120 daily rows
 * assert.deepEqual(monthBorders(days, [2, 1, 1], "d.csv"), [0, 60, 90, 120]);
 * assert.throws(() => monthBorders(days, [3, 1, 1], "d.csv"), /d\.csv: the 3\/1\/1-month split/);
 * ```
 */
export function monthBorders(
  times: Float64Array,
  months: readonly number[],
  path: string,
): [number, number, number, number] {
  const t0 = times[0], last = times[times.length - 1];
  const step = times.length > 1 ? times[1] - times[0] : MONTH_MS;
  const borders: number[] = [0];
  let total = 0;
  for (const m of months) {
    total += m;
    const edge = t0 + total * MONTH_MS;
    let b = borders.at(-1)!;
    while (b < times.length && times[b] < edge) b++;
    // Past the last row: the data must reach the edge within one sampling step.
    if (b === times.length && edge - last > step) {
      throw new DatasetError(
        `${path}: the ${months.join("/")}-month split needs data until ` +
          `${formatTimestamp(edge - step)}, but the last timestamp is ${formatTimestamp(last)}`,
      );
    }
    if (b === borders.at(-1)) {
      throw new DatasetError(
        `${path}: the ${months.join("/")}-month split leaves split ${borders.length} without rows`,
      );
    }
    borders.push(b);
  }
  return borders as [number, number, number, number];
}
