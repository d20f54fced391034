/**
 * Ctrl-C (SIGINT) and SIGTERM for the training loop: while an {@linkcode Interrupt} is open,
 * either signal does not kill the process but sets a flag that the loop polls between batches;
 * the loop then stops, saves its checkpoint and returns `interrupted: true` (the CLI exits with
 * status 130). The first signal prints "stopping after this batch…" at once (to stderr, unless
 * quiet), so a second Ctrl-C is not needed; later ones are acknowledged the same way.
 *
 * Deno delivers a signal only when the event loop gets a turn, and a loop that awaits only
 * already-settled promises (tfjs reads on the wasm backend) never gives it one, so polling
 * yields to the event loop (a zero-delay timer) at most every `everyMs` milliseconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Interrupt } from "./interrupt.ts";
 * const stop = new Interrupt();
 * let steps = 0;
 * try {
 *   for (; steps < 3 && !(await stop.requested()); steps++) {
 *     // one batch; on Ctrl-C the loop ends here and the caller saves a checkpoint
 *   }
 * } finally {
 *   stop.close();
 * }
 * assert.equal(steps, 3); // nobody pressed Ctrl-C
 * ```
 * @module
 */

/** The signals that stop training gracefully. */
const SIGNALS: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];

/** A stop flag with SIGINT/SIGTERM listeners installed from construction until {@linkcode Interrupt.close}. */
export class Interrupt {
  #seen = false;
  #lastTurn = performance.now();
  readonly #onSignal = () => {
    this.#seen = true;
    this.notice?.("stopping after this batch… (the checkpoint is saved before exiting)");
  };

  /**
   * Starts listening; the event loop gets a turn at most every `everyMs` ms. `notice` (e.g.
   * `console.error`) is told at once when a signal arrives.
   */
  constructor(readonly everyMs = 100, readonly notice?: (message: string) => void) {
    for (const s of SIGNALS) Deno.addSignalListener(s, this.#onSignal);
  }

  /**
   * Whether SIGINT has arrived, after giving the event loop a turn when `everyMs` have passed
   * since the last one.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Interrupt } from "./interrupt.ts";
   * const stop = new Interrupt(0); // give the event loop a turn on every call
   * assert.equal(await stop.requested(), false);
   * stop.close();
   * ```
   */
  async requested(): Promise<boolean> {
    if (!this.#seen && performance.now() - this.#lastTurn >= this.everyMs) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      this.#lastTurn = performance.now();
    }
    return this.#seen;
  }

  /**
   * Whether SIGINT has arrived, as far as the event loop has delivered it (no turn given).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Interrupt } from "./interrupt.ts";
   * const stop = new Interrupt();
   * assert.equal(stop.seen, false); // else: console.error("interrupted: checkpoint saved")
   * stop.close();
   * ```
   */
  get seen(): boolean {
    return this.#seen;
  }

  /**
   * Removes the listeners: SIGINT and SIGTERM kill the process again.
   *
   * @example
   * ```ts
   * import { Interrupt } from "./interrupt.ts";
   * const stop = new Interrupt();
   * try {
   *   await stop.requested();
   * } finally {
   *   stop.close(); // Ctrl-C kills the process again
   * }
   * ```
   */
  close(): void {
    for (const s of SIGNALS) Deno.removeSignalListener(s, this.#onSignal);
  }
}
