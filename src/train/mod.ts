/**
 * Training: {@linkcode train} (the one loop, `loop.ts`, where the examples are) over the
 * methods of `methods.ts`.
 *
 * @module
 */
export { train, type TrainOptions, type TrainResult } from "./loop.ts";
