/**
 * Fixtures for the ONNX export and inference tests: run folders with non-trivial weights
 * (random BatchNorm statistics, so folding is really exercised), the TensorFlow.js reference
 * model loaded back from a run folder, and the reference ONNX checker.
 * @module
 */
import { tf } from "../../src/deps_tf.ts";
import { type BackboneName, backboneOf } from "../../src/model/backbone.ts";
import type { EmbeddingKind } from "../../src/model/embedding.ts";
import { createNoPropDT, type NoPropDT } from "../../src/model/noprop.ts";
import { assignModel, dtMetadata, saveWeights } from "../../src/train/dt/weights.ts";
import { decodeMetadata, type DtMetadata } from "../../src/run/metadata.ts";
import { loadSafetensors } from "../../src/safetensors.ts";
import { Rng } from "../../src/rng.ts";
import { createClassifier, FixedNoise, SeededNormal } from "@noprop/infer";

/** Shape and kind of a fixture model. */
export interface FixtureOptions {
  /** Image shape. */
  image: { height: number; width: number; channels: number };
  /** Embedding kind (default onehot). */
  embedding?: EmbeddingKind;
  /** Embedding dim for `learned` (default 16). */
  embedDim?: number;
  /** Blocks (default 3). */
  T?: number;
  /** Conv widths (default [4, 8, 8]). */
  widths?: [number, number, number];
  /** FC width (default 32). */
  hidden?: number;
  /** Seed (default 7). */
  seed?: number;
  /** Image backbone (default paper). */
  backbone?: BackboneName;
  /** ResNet width multiplier (default 1). */
  backboneWidth?: number;
}

/** Builds a model with randomised BatchNorm statistics and learned parameters. */
export function fixtureModel(o: FixtureOptions): NoPropDT {
  const { height, width, channels } = o.image;
  const rng = new Rng(o.seed ?? 7);
  const kind = o.embedding ?? "onehot";
  const d = height * width * channels;
  const model = createNoPropDT({
    image: o.image,
    classes: 10,
    T: o.T ?? 3,
    schedule: "cosine",
    embedding: kind,
    embedDim: o.embedDim ?? 16,
    widths: o.widths ?? [4, 8, 8],
    hidden: o.hidden ?? 32,
    backbone: o.backbone,
    backboneWidth: o.backboneWidth,
    seed: o.seed ?? 7,
    prototypeData: kind === "prototype"
      ? {
        features: rng.fillNormal(new Float32Array(20 * d)),
        labels: Uint8Array.from({ length: 20 }, (_, i) => i % 10),
      }
      : undefined,
  });
  for (const b of model.blocks) {
    for (const [name, v] of [...b.trainable, ...b.buffers]) {
      const n = v.size;
      let data: Float32Array;
      if (name.endsWith(".var")) data = Float32Array.from({ length: n }, () => 0.2 + rng.uniform());
      else if (name.endsWith(".gamma")) {
        data = Float32Array.from({ length: n }, () => 0.5 + rng.uniform());
      } else if (name.endsWith(".mean") || name.endsWith(".beta")) {
        data = Float32Array.from({ length: n }, () => 0.3 * rng.normal());
      } else continue;
      tf.tidy(() => v.assign(tf.tensor(data, v.shape as number[])));
    }
  }
  return model;
}

/** Metadata like the trainer's `runMetadata`, for a fixture model. */
export function fixtureMetadata(model: NoPropDT): DtMetadata {
  const c = model.spec.channels;
  const classNames = Array.from({ length: 10 }, (_, i) => `class ${i}`);
  return dtMetadata(
    model,
    c === 1 ? { name: "mnist", classNames, mean: [0.1307], std: [0.3081] } : {
      name: "cifar10",
      classNames,
      mean: [0.4914, 0.4822, 0.4465],
      std: [0.2470, 0.2435, 0.2616],
    },
  );
}

/** Writes a fixture run folder (weights.safetensors) and returns its path and model. */
export async function writeFixtureRun(
  o: FixtureOptions,
): Promise<{ runDir: string; model: NoPropDT }> {
  const runDir = await Deno.makeTempDir({ prefix: "noprop-onnx-run-" });
  const model = fixtureModel(o);
  await saveWeights(runDir, model, fixtureMetadata(model));
  return { runDir, model };
}

/** Loads a run folder back into a tfjs model (the reference for parity). */
export async function loadReference(runDir: string): Promise<NoPropDT> {
  const path = `${runDir}/weights.safetensors`;
  const { tensors, metadata } = await loadSafetensors(path);
  const meta = decodeMetadata(metadata, path);
  if (meta.variant !== "dt") throw new Error(`${path}: not a DT model`);
  const { spec, embedding: kind } = meta;
  const d = spec.height * spec.width * spec.channels;
  const model = createNoPropDT({
    image: { height: spec.height, width: spec.width, channels: spec.channels },
    classes: spec.classes,
    T: meta.T,
    schedule: meta.schedule,
    embedding: kind,
    embedDim: spec.embedDim,
    widths: spec.widths,
    hidden: spec.hidden,
    ...backboneOf(spec),
    seed: 0,
    prototypeData: kind === "prototype"
      ? {
        features: new Float32Array(spec.classes * d).map((_, i) => i % 7),
        labels: Uint8Array.from({ length: spec.classes }, (_, i) => i),
      }
      : undefined,
  });
  assignModel(model, tensors);
  return model;
}

/** NHWC → NCHW copy of a batch. */
export function nhwcToNchw(x: Float32Array, n: number, h: number, w: number, c: number) {
  const out = new Float32Array(x.length);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < h * w; p++) {
      for (let ch = 0; ch < c; ch++) out[(i * c + ch) * h * w + p] = x[(i * h * w + p) * c + ch];
    }
  }
  return out;
}

/** Largest |a − b|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths ${a.length} and ${b.length} differ`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * The largest |fused chain − per-block graphs| over the logits of `dir`'s model for `x` (n images),
 * with the same fixed draws for z_0 and the T ε_t (`T`, `d` from its manifest), noise-free and
 * stochastic: `[noise-free, stochastic]`. Both classifiers are opened on cpu, 1 thread.
 */
export async function chainVsBlocks(
  dir: string,
  x: Float32Array,
  n: number,
  T: number,
  d: number,
): Promise<[number, number]> {
  const rng = new SeededNormal(6);
  const draws = Array.from({ length: T + 1 }, () => rng.fill(new Float32Array(n * d)));
  const open = (fused: boolean) =>
    createClassifier({ modelDir: dir, provider: "cpu", threads: 1, fused });
  const fused = await open(true), blocks = await open(false);
  try {
    if (!fused.fused || blocks.fused) throw new Error(`${dir}: no fused chain to compare`);
    const diff = async (noise: boolean) =>
      maxAbsDiff(
        await fused.logits(x, n, { noise, noiseSource: new FixedNoise(draws) }),
        await blocks.logits(x, n, { noise, noiseSource: new FixedNoise(draws) }),
      );
    return [await diff(false), await diff(true)];
  } finally {
    await fused.close();
    await blocks.close();
  }
}

/** Debian's python3 with the `onnx` package, or undefined when it is not installed. */
export async function onnxChecker(): Promise<string | undefined> {
  try {
    const { code } = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", "import onnx"],
      stdout: "null",
      stderr: "null",
    }).output();
    return code === 0 ? "/usr/bin/python3" : undefined;
  } catch {
    return undefined;
  }
}

/** Runs the reference checker with full shape inference on `files`; returns failures. */
export async function checkOnnx(python: string, files: string[]): Promise<string[]> {
  const script = [
    "import onnx, sys",
    "bad = []",
    "for f in sys.argv[1:]:",
    "    try:",
    "        onnx.checker.check_model(onnx.load(f), full_check=True)",
    "    except Exception as e:",
    "        bad.append(f + ': ' + str(e).splitlines()[0])",
    "print('\\n'.join(bad))",
  ].join("\n");
  const { stdout, code, stderr } = await new Deno.Command(python, {
    args: ["-c", script, ...files],
  }).output();
  const text = new TextDecoder().decode(stdout).trim();
  if (code !== 0) return [`checker exited with ${code}: ${new TextDecoder().decode(stderr)}`];
  return text ? text.split("\n") : [];
}

/** A fixture run exported to ONNX; returns the model folder. */
export async function exportedFixture(o: FixtureOptions): Promise<string> {
  const { exportRun } = await import("../../src/onnx/export.ts");
  const { runDir } = await writeFixtureRun(o);
  return (await exportRun(runDir)).outDir;
}
