/**
 * Training: {@linkcode train} (the one loop, `loop.ts`) over the methods of `methods.ts`.
 *
 * @example
 * ```ts
 * import { train } from "./mod.ts";
 * // await train(await loadConfig({ overrides: { dataset: "mnist", epochs: "1" } }));
 * ```
 * @module
 */
export { train, type TrainOptions, type TrainResult } from "./loop.ts";
