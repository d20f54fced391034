/**
 * The runtime forecaster: an exported NoProp-DT forecaster folder (`manifest.json` of format
 * `noprop-onnx-forecaster`, `block_XX.onnx`, `decoder.onnx` in autoencoder mode) run on
 * onnxruntime. {@linkcode Forecaster.forecast} takes raw history (rows × columns, oldest first,
 * at least L rows), z-scores it with the training statistics, normalises each channel's last L
 * values per window (RevIN, `revin.ts`), runs the eq. 3 chain from z_0 ~ N(0, I) on S stochastic
 * copies and one noise-free copy (`chain.ts`, the trainer's own sampler code), decodes z_T when
 * there is a decoder, and maps everything back to raw units: the noise-free forecast, the mean
 * of the samples and the central 80% and 90% intervals of the samples. Never imports tfjs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createForecaster } from "./forecaster.ts";
 * const f = await createForecaster({ modelDir: "models/etth1", provider: "cpu", threads: 1 });
 * const { lookback, channels } = f.manifest;
 * // A flat history: every channel constant at 1 for L rows.
 * const history = { columns: channels, values: new Float64Array(lookback * channels.length).fill(1) };
 * const [first] = await f.forecast(history, { samples: 4, seed: 1 });
 * assert.equal(first.point.length, f.manifest.horizon);
 * assert.ok(first.lower90!.every((v, i) => v <= first.upper90![i]));
 * await f.close();
 * ```
 * @module
 */
import { InferError } from "../errors.ts";
import { readFolderGraph } from "../model_folder.ts";
import { selectEngine } from "../runtime/select.ts";
import type { ConcreteProvider, GraphSession, ProviderName } from "../runtime/types.ts";
import { type NoiseSource, SeededNormal } from "../sampler/random.ts";
import { forecastChain } from "./chain.ts";
import { INTERVALS, quantileSorted } from "./ensemble.ts";
import { type ForecastManifest, parseForecastManifest } from "./manifest.ts";
import { denormalizeRows, normalizeRows } from "./revin.ts";

/** Options of {@linkcode createForecaster}. */
export interface ForecasterOptions {
  /** An exported forecaster folder. */
  modelDir: string;
  /** Execution provider (default `auto`). */
  provider?: ProviderName | string;
  /** CPU threads for cpu/wasm (default: all cores). */
  threads?: number;
}

/** Raw history: `values` holds rows × columns numbers, row-major, oldest row first. */
export interface History {
  /** Column names (must include every channel of the model). */
  columns: readonly string[];
  /** The values, rows × columns. */
  values: ArrayLike<number>;
}

/** Options of {@linkcode Forecaster.forecast}. */
export interface ForecastOptions {
  /** Stochastic samples (default: the manifest's; 0: only the noise-free forecast). */
  samples?: number;
  /** Seed of z_0 and ε (default 0: repeatable). */
  seed?: number;
  /** Explicit noise instead of `seed` (order: z_0 of every sample, then ε_1 … ε_T). */
  noiseSource?: NoiseSource;
}

/** The forecast of one output channel, in raw units, H values each. */
export interface ChannelForecast {
  /** Column name. */
  channel: string;
  /** The noise-free eq. 3 sample (ε = 0). */
  point: Float64Array;
  /** Mean of the samples (null without samples). */
  mean: Float64Array | null;
  /** 10% quantile of the samples. */
  lower80: Float64Array | null;
  /** 90% quantile of the samples. */
  upper80: Float64Array | null;
  /** 5% quantile of the samples. */
  lower90: Float64Array | null;
  /** 95% quantile of the samples. */
  upper90: Float64Array | null;
}

/** The z-scored forecasts of n windows. */
export interface WindowForecasts {
  /** S stochastic forecasts, sample-major [S × n × H]. */
  samples: Float32Array;
  /** The noise-free forecasts [n × H], when asked for. */
  noiseFree: Float32Array | null;
}

/** A loaded forecaster. */
export interface Forecaster {
  /** The model description. */
  readonly manifest: ForecastManifest;
  /** The provider the sessions run on. */
  readonly provider: ConcreteProvider;
  /** How the provider was chosen (one line). */
  readonly providerNote: string;
  /** Forecasts every output channel from raw history (module doc). */
  forecast(history: History, opts?: ForecastOptions): Promise<ChannelForecast[]>;
  /** Forecasts n z-scored windows x [n × L] in the z-scored frame (the trainer's `sampleForecasts`). */
  sample(
    x: Float32Array,
    n: number,
    o: { samples: number; noiseFree: boolean },
    noise: NoiseSource,
  ): Promise<WindowForecasts>;
  /** Releases the sessions. */
  close(): Promise<void>;
}

async function readManifest(dir: string): Promise<ForecastManifest> {
  const path = `${dir}/manifest.json`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new InferError(
        "bad-model",
        `${dir} is not an exported forecaster folder: manifest.json is missing (create one ` +
          `with \`deno task export --run <run folder> --out ${dir}\`)`,
      );
    }
    throw new InferError("missing-file", `cannot read ${path}: ${(e as Error).message}`);
  }
  return parseForecastManifest(text, path);
}

function checkIo(s: GraphSession, label: string, inputs: string[], output: string) {
  if (!inputs.every((i) => s.inputNames.includes(i)) || !s.outputNames.includes(output)) {
    throw new InferError(
      "bad-model",
      `${label}: expected inputs ${inputs.join(", ")} and output ${output}, got ` +
        `${s.inputNames.join(", ")} → ${s.outputNames.join(", ")}`,
    );
  }
}

/**
 * Opens an exported forecaster (module doc); every problem is one {@linkcode InferError} line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createForecaster } from "./forecaster.ts";
 * await assert.rejects(
 *   createForecaster({ modelDir: "models/mnist", provider: "cpu" }),
 *   /"format" must be "noprop-onnx-forecaster", got "noprop-onnx"/,
 * );
 * ```
 */
export async function createForecaster(o: ForecasterOptions): Promise<Forecaster> {
  const dir = o.modelDir.replace(/[\\/]+$/, "") || o.modelDir;
  const m = await readManifest(dir);
  const blockBytes: Uint8Array[] = [];
  for (const b of m.blocks) blockBytes.push(await readFolderGraph(dir, b));
  const decBytes = m.decoder ? await readFolderGraph(dir, m.decoder) : null;
  const { engine, note } = await selectEngine(o.provider ?? "auto", { threads: o.threads });
  const blocks: GraphSession[] = [];
  for (const [i, bytes] of blockBytes.entries()) {
    const label = `${dir}/${m.blocks[i].file}`;
    const s = await engine.open(bytes, label);
    blocks.push(s);
    checkIo(s, label, ["x", "z"], "uhat");
  }
  let decoder: GraphSession | null = null;
  if (decBytes && m.decoder) {
    decoder = await engine.open(decBytes, `${dir}/${m.decoder.file}`);
    checkIo(decoder, `${dir}/${m.decoder.file}`, ["z"], "y");
  }
  const { lookback: L, horizon: H, latentDim: d } = m;

  async function sample(
    x: Float32Array,
    n: number,
    s: { samples: number; noiseFree: boolean },
    noise: NoiseSource,
  ): Promise<WindowForecasts> {
    if (x.length < n * L) {
      throw new InferError(
        "bad-option",
        `input holds ${x.length} floats, ${n} windows need ${n * L}`,
      );
    }
    const copies = s.samples + (s.noiseFree ? 1 : 0);
    const xn = x.slice(0, n * L);
    const stats = normalizeRows(xn, n, L, m.revinEps);
    const tiled = new Float32Array(copies * n * L);
    for (let k = 0; k < copies; k++) tiled.set(xn, k * n * L);
    const xFeed = { data: tiled, dims: [copies * n, L] };
    const zT = await forecastChain({
      schedule: m.schedule,
      rows: n,
      dim: d,
      samples: s.samples,
      noiseFree: s.noiseFree,
      noise,
      denoise: async (t, z) =>
        (await blocks[t - 1].run({ x: xFeed, z: { data: z, dims: [copies * n, d] } })).uhat,
    });
    const y = decoder
      ? (await decoder.run({ z: { data: zT, dims: [copies * n, d] } })).y.slice()
      : zT;
    denormalizeRows(y, n, H, stats, copies);
    return {
      samples: y.subarray(0, s.samples * n * H),
      noiseFree: s.noiseFree ? y.subarray(s.samples * n * H) : null,
    };
  }

  async function forecast(h: History, opts: ForecastOptions = {}): Promise<ChannelForecast[]> {
    const S = opts.samples ?? m.samples;
    if (!(Number.isSafeInteger(S) && S >= 0)) {
      throw new InferError("bad-option", `samples must be an integer ≥ 0, got ${S}`);
    }
    const C = h.columns.length, rows = Math.floor(h.values.length / Math.max(1, C));
    if (rows * C !== h.values.length) {
      throw new InferError(
        "bad-option",
        `history holds ${h.values.length} values, not rows × ${C} columns`,
      );
    }
    if (rows < L) {
      throw new InferError("bad-option", `history has ${rows} rows; the model needs the last ${L}`);
    }
    const outs = m.outputs, n = outs.length;
    const x = new Float32Array(n * L);
    outs.forEach((ch, r) => {
      const col = h.columns.indexOf(m.channels[ch]);
      if (col < 0) {
        throw new InferError(
          "bad-option",
          `history has no column "${m.channels[ch]}" (the model's channels: ${
            m.channels.join(", ")
          })`,
        );
      }
      const mu = m.normalization.mean[ch], sd = m.normalization.std[ch];
      for (let i = 0; i < L; i++) {
        const v = Number(h.values[(rows - L + i) * C + col]);
        if (!Number.isFinite(v)) {
          throw new InferError(
            "bad-option",
            `history column "${m.channels[ch]}" row ${rows - L + i + 1} is not a finite number`,
          );
        }
        x[r * L + i] = (v - mu) / sd;
      }
    });
    const noise = opts.noiseSource ?? new SeededNormal(opts.seed ?? 0);
    const f = await sample(x, n, { samples: S, noiseFree: true }, noise);
    const raw = (z: number, ch: number) => z * m.normalization.std[ch] + m.normalization.mean[ch];
    return outs.map((ch, r) => {
      const point = Float64Array.from({ length: H }, (_, i) => raw(f.noiseFree![r * H + i], ch));
      if (S === 0) {
        return {
          channel: m.channels[ch],
          point,
          mean: null,
          lower80: null,
          upper80: null,
          lower90: null,
          upper90: null,
        };
      }
      const mean = new Float64Array(H);
      const bounds = INTERVALS.map(() => ({ lo: new Float64Array(H), hi: new Float64Array(H) }));
      const col = new Float64Array(S);
      for (let i = 0; i < H; i++) {
        for (let s = 0; s < S; s++) col[s] = raw(f.samples[(s * n + r) * H + i], ch);
        col.sort();
        mean[i] = col.reduce((a, b) => a + b, 0) / S;
        INTERVALS.forEach((iv, k) => {
          bounds[k].lo[i] = quantileSorted(col, iv.lo);
          bounds[k].hi[i] = quantileSorted(col, iv.hi);
        });
      }
      return {
        channel: m.channels[ch],
        point,
        mean,
        lower80: bounds[0].lo,
        upper80: bounds[0].hi,
        lower90: bounds[1].lo,
        upper90: bounds[1].hi,
      };
    });
  }

  return {
    manifest: m,
    provider: engine.provider,
    providerNote: note,
    forecast,
    sample,
    async close() {
      await Promise.all([...blocks, ...(decoder ? [decoder] : [])].map((s) => s.release()));
    },
  };
}
