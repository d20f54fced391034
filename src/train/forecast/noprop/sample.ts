/**
 * Forecasts of the tfjs NoProp-DT forecaster: RevIN-normalise the windows
 * (`src/infer/forecast/revin.ts`), run the eq. 3 chain from z_0 ~ N(0, I) on S stochastic copies
 * and optionally a noise-free one (`forecastChain`, the runtime's own code; only û_t comes from
 * the tfjs blocks here), decode z_T (autoencoder mode), and map each copy back to the z-scored
 * frame. Block t's window term b = x̃·W_x + c_x is computed once per batch and shared by the copies.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../../../backend/mod.ts";
 * import { createNoPropForecaster } from "../../../model/forecast/noprop.ts";
 * import { Rng } from "../../../rng.ts";
 * import { sampleForecasts } from "./sample.ts";
 * await initBackend("cpu");
 * const m = createNoPropForecaster({
 *   kind: "noprop-dt", lookback: 6, horizon: 3, T: 2, schedule: "cosine", alphaBar: [],
 *   hidden: 8, mode: "direct", latentDim: 2,
 * }, 0);
 * const x = Float32Array.from({ length: 2 * 6 }, (_, i) => Math.sin(i));
 * const f = await sampleForecasts(m, x, 2, { samples: 5, noiseFree: true }, new Rng(1));
 * assert.equal(f.samples.length, 5 * 2 * 3);
 * assert.equal(f.noiseFree!.length, 2 * 3);
 * assert.deepEqual(await sampleForecasts(m, x, 2, { samples: 5, noiseFree: true }, new Rng(1)), f);
 * ```
 * @module
 */
import { tf } from "../../../deps_tf.ts";
import { forecastChain } from "../../../infer/forecast/chain.ts";
import { denormalizeRows, normalizeRows } from "../../../infer/forecast/revin.ts";
import type { NoiseSource } from "../../../infer/sampler/random.ts";
import {
  blockBase,
  blockHead,
  decode,
  type NoPropForecaster,
} from "../../../model/forecast/noprop.ts";
import { latentSize } from "../../../model/forecast/spec.ts";
import { chainSchedule } from "../../dt/evaluate.ts";

/** The forecasts of n windows. */
export interface SampledForecasts {
  /** S stochastic forecasts, sample-major [S × n × H], z-scored. */
  samples: Float32Array;
  /** The noise-free forecast [n × H], z-scored, when asked for; else null. */
  noiseFree: Float32Array | null;
}

/**
 * Forecasts of the n z-scored windows `x` [n × L] (module doc); `noise` gives z_0 and ε.
 *
 * @example
 * ```ts
 * import type { NoPropForecaster } from "../../../model/forecast/noprop.ts";
 * import { Rng } from "../../../rng.ts";
 * import { sampleForecasts } from "./sample.ts";
 * const point = (m: NoPropForecaster, x: Float32Array, n: number) =>
 *   sampleForecasts(m, x, n, { samples: 0, noiseFree: true }, new Rng(0));
 * ```
 */
export async function sampleForecasts(
  model: NoPropForecaster,
  x: Float32Array,
  n: number,
  o: { samples: number; noiseFree: boolean },
  noise: NoiseSource,
): Promise<SampledForecasts> {
  const { lookback: L, horizon: H } = model.spec, d = latentSize(model.spec);
  const copies = o.samples + (o.noiseFree ? 1 : 0);
  const xn = x.slice(0, n * L);
  const stats = normalizeRows(xn, n, L);
  const xt = tf.tensor2d(xn, [n, L]);
  let zT: Float32Array;
  try {
    zT = await forecastChain({
      schedule: chainSchedule(model.schedule),
      rows: n,
      dim: d,
      samples: o.samples,
      noiseFree: o.noiseFree,
      noise,
      denoise: async (t, z) => {
        const u = tf.tidy(() => {
          const block = model.blocks[t - 1];
          const base = blockBase(block, xt);
          const tiled = copies === 1 ? base : tf.tile(base, [copies, 1]);
          return blockHead(block, tiled, tf.tensor2d(z, [copies * n, d]));
        });
        const out = await u.data() as Float32Array;
        u.dispose();
        return out;
      },
    });
  } finally {
    xt.dispose();
  }
  let y = zT;
  if (model.ae) {
    const ae = model.ae;
    const t = tf.tidy(() => decode(ae, tf.tensor2d(zT, [copies * n, d])));
    y = await t.data() as Float32Array;
    t.dispose();
  }
  denormalizeRows(y, n, H, stats, copies);
  const S = o.samples;
  return {
    samples: y.subarray(0, S * n * H),
    noiseFree: o.noiseFree ? y.subarray(S * n * H) : null,
  };
}
