/**
 * The seam between the one training loop (`loop.ts`) and the training methods: NoProp-DT
 * (`dt/method.ts`), NoProp-CT/-FM (`continuous/method.ts`) and the backprop baseline
 * (`backprop/method.ts`). The loop owns everything a run does around the method: the run
 * folder, the lock, resume, Ctrl-C, the epoch bar, checkpoint-before-evaluate, the evaluation
 * cadence, the metrics line and the closing line. A method owns its model, optimizers and
 * random streams: it trains ranges of batches, hands over its state for the checkpoint, and
 * evaluates.
 *
 * @example
 * ```ts
 * import type { TrainMethod } from "./method.ts";
 * const banner = (m: TrainMethod) => `${m.description} (${m.lossParts} loss parts)`;
 * ```
 * @module
 */
import type { Config } from "../config/schema.ts";
import type { AdamWState } from "./adamw.ts";
import type { RngState } from "../rng.ts";
import type { Tensor } from "../safetensors.ts";
import type { CheckpointFile } from "../run/checkpoint.ts";
import type { RunMetadata } from "../run/metadata.ts";
import type { ForecastScores, MetricsMethod } from "../run/metrics.ts";
import type { RangeRunner, RunData } from "./batches.ts";
import type { Confusion } from "./confusion.ts";

/**
 * What an evaluation on the test images measured.
 *
 * @example
 * ```ts
 * import type { Evaluation } from "./method.ts";
 * import { emptyConfusion } from "./confusion.ts";
 * const e: Evaluation = { acc: 0.98, accNoiseFree: 0.99, count: 10000, confusion: emptyConfusion(10) };
 * ```
 */
export interface Evaluation {
  /** Accuracy of the method's sampler (DT: stochastic eq. 3; CT/FM: the ODE sampler; backprop: the chain). */
  acc: number;
  /** DT: accuracy of the noise-free eq. 3 sampler (ε = 0); null for the others. */
  accNoiseFree: number | null;
  /** Images evaluated. */
  count: number;
  /** Confusion counts of the sampler of `acc` (rows: true class, columns: predicted). */
  confusion: Confusion;
}

/**
 * What a forecaster's evaluation measured: its scores on the validation split (training never
 * touches the test split; `deno task eval` does, once).
 *
 * @example
 * ```ts
 * import type { ForecastEvaluation } from "./method.ts";
 * const e: ForecastEvaluation = {
 *   kind: "forecast",
 *   scores: {
 *     split: "val", mse: 0.7, mae: 0.55, mseNoiseFree: null, maeNoiseFree: null, windows: 2785,
 *     select: 0.7,
 *   },
 * };
 * ```
 */
export interface ForecastEvaluation {
  /** Discriminant. */
  kind: "forecast";
  /** The validation scores, with the model-selection score `select` (lower is better). */
  scores: ForecastScores;
}

/** What {@linkcode TrainMethod.evaluate} returns: a classifier's or a forecaster's evaluation. */
export type MethodEvaluation = Evaluation | ForecastEvaluation;

/**
 * True for a forecaster's evaluation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isForecastEvaluation } from "./method.ts";
 * assert.equal(isForecastEvaluation({ acc: 1, accNoiseFree: null, count: 1 } as never), false);
 * ```
 */
export function isForecastEvaluation(e: MethodEvaluation): e is ForecastEvaluation {
  return "kind" in e && e.kind === "forecast";
}

/**
 * A method's whole training state, for the checkpoint.
 *
 * @example
 * ```ts
 * import type { MethodState } from "./method.ts";
 * const empty: MethodState = { weights: {}, optimizers: {}, rngs: {} };
 * ```
 */
export interface MethodState {
  /** Every weight by its `weights.safetensors` name. */
  weights: Record<string, Tensor>;
  /** AdamW states by name. */
  optimizers: Record<string, AdamWState>;
  /** Random streams by name. */
  rngs: Record<string, RngState>;
}

/**
 * A training method behind the loop (see the module doc).
 *
 * @example
 * ```ts
 * import type { TrainMethod } from "./method.ts";
 * async function oneRange(m: TrainMethod) {
 *   const r = await m.run(0, 0, m.rangeSize, () => {});
 *   return r.lossSum[0] / r.batches;
 * }
 * ```
 */
export interface TrainMethod {
  /** The method, as recorded in the metrics lines. */
  readonly name: MetricsMethod;
  /** The model description written with the weights (its `format` guards resume). */
  readonly meta: RunMetadata;
  /** One line for the run's banner: the model and where it trains. */
  readonly description: string;
  /** Trainable scalars (every block, classifier, learnable W_Embed, schedule, …). */
  readonly params: number;
  /** Entries of the ranges' `lossSum` (DT: T, one per block; others: 1). */
  readonly lossParts: number;
  /** Batches per call of {@linkcode TrainMethod.run}: Ctrl-C and memory are checked between calls. */
  readonly rangeSize: number;
  /** The sampler of {@linkcode Evaluation.acc} and its steps, for the metrics line. */
  readonly sampler: { name: string; steps: number };
  /** Trains batches [from, to) of `epoch`; `onBatch` gets each batch's mean loss. */
  run: RangeRunner;
  /** The whole training state (brings weights trained elsewhere, e.g. in workers, home first). */
  state(): Promise<MethodState>;
  /** Accuracy on the run's test images; a forecaster's scores on the validation split. */
  evaluate(): Promise<MethodEvaluation>;
  /** Extra numbers for the metrics line (backprop: the learned α_t). */
  extra(): Promise<Record<string, number | number[]>>;
  /** Frees tensors and stops workers. */
  close(): void;
}

/**
 * What a method is built from: the config, the run's data and, when resuming, the checkpoint
 * (already checked to be of the method's format).
 *
 * @example
 * ```ts
 * import type { MethodContext } from "./method.ts";
 * const resuming = (c: MethodContext) => c.checkpoint !== undefined;
 * ```
 */
export interface MethodContext {
  /** The effective config. */
  cfg: Config;
  /** The data. */
  run: RunData;
  /** The checkpoint to continue from. */
  checkpoint?: CheckpointFile;
}
