/**
 * The training configuration as data: one {@linkcode FIELDS} entry per setting (name, type,
 * default, help text, constraints). Defaults, validation, the YAML format, the CLI flags and
 * the `--help` text are all derived from this table, so adding a setting means adding one
 * entry here and one property to {@linkcode Config}.
 *
 * Defaults are the paper's NoProp-DT settings for MNIST (Li, Teh, Pascanu,
 * arXiv:2503.24322, Table 3): T = 10, batch 128, AdamW lr 1e-3, weight decay 1e-3, η = 0.1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FIELDS } from "./schema.ts";
 * const epochs = FIELDS.find((f) => f.name === "epochs");
 * assert.equal(epochs?.default, 100);
 * ```
 * @module
 */

import { type BackboneName, BACKBONES } from "../model/backbone.ts";

/** Datasets the trainer can load. */
export const DATASETS = ["mnist", "fashion-mnist", "cifar10", "cifar100", "etth1"] as const;
/** A dataset name, e.g. `"cifar10"`. */
export type DatasetName = (typeof DATASETS)[number];

/** The image-classification datasets. */
export const IMAGE_DATASETS = ["mnist", "fashion-mnist", "cifar10", "cifar100"] as const;
/** An image dataset name. */
export type ImageDatasetName = (typeof IMAGE_DATASETS)[number];

/** The time-series datasets (forecasting, `src/data/series/`). */
export const SERIES_DATASETS = ["etth1"] as const;
/** A time-series dataset name. */
export type SeriesDatasetName = (typeof SERIES_DATASETS)[number];

/**
 * True for a time-series dataset (forecasting) rather than an image one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isSeriesDataset } from "./schema.ts";
 * assert.equal(isSeriesDataset("etth1"), true);
 * assert.equal(isSeriesDataset("mnist"), false);
 * ```
 */
export function isSeriesDataset(name: DatasetName): name is SeriesDatasetName {
  return (SERIES_DATASETS as readonly string[]).includes(name);
}

/** NoProp variants: discrete-time, continuous-time, flow matching. */
export const VARIANTS = ["dt", "ct", "fm"] as const;
/** A NoProp variant name. */
export type Variant = (typeof VARIANTS)[number];

/**
 * Training methods: NoProp (no back-propagation between blocks) or the backprop baseline; for
 * the time-series datasets also the forecasting baselines DLinear (backprop) and repeat-last.
 */
export const METHODS = ["noprop", "backprop", "dlinear", "last"] as const;
/** A training method name. */
export type Method = (typeof METHODS)[number];

/** Initial classifier of the backprop baseline: W_Embed's read-out, or PyTorch's default. */
export const BACKPROP_CLASSIFIER_INITS = ["embedding", "default"] as const;
/** A backprop-baseline classifier initialisation. */
export type BackpropClassifierInit = (typeof BACKPROP_CLASSIFIER_INITS)[number];

/** Noise schedules (see `src/schedule.ts`). */
export const SCHEDULES = ["cosine", "linear"] as const;
/** A noise schedule name. */
export type ScheduleKind = (typeof SCHEDULES)[number];

/** Label embeddings (see `src/model/embedding.ts`). */
export const EMBEDDINGS = ["onehot", "learned", "prototype"] as const;
/** A label embedding kind. */
export type EmbeddingName = (typeof EMBEDDINGS)[number];

/**
 * Training-data augmentations (`src/data/augment.ts`): pad-4 random crop, random horizontal
 * flip. Off by default: the paper trains without augmentation.
 */
export const AUGMENTATIONS = ["crop", "flip"] as const;
/** An augmentation name. */
export type Augmentation = (typeof AUGMENTATIONS)[number];

/**
 * How `fuseBlocks` updates the shared parameters (classifier, learned W_Embed) per batch: T times,
 * once with each block's gradient (as separate steps do), or once from the summed loss of all T
 * blocks.
 */
export const FUSE_SHARED = ["per-block", "summed"] as const;
/** A `fuseShared` choice. */
export type FuseShared = (typeof FUSE_SHARED)[number];

/** Forecasting feature modes (Informer's `--features`): M, S, MS (`src/data/series/dataset.ts`). */
export const FEATURES = ["M", "S", "MS"] as const;
/** A feature mode. */
export type Features = (typeof FEATURES)[number];

/** What the NoProp forecaster's blocks denoise: the future window itself or an autoencoder's latent. */
export const FORECAST_MODES = ["direct", "autoencoder"] as const;
/** A forecast target mode. */
export type ForecastMode = (typeof FORECAST_MODES)[number];

/** TensorFlow.js backends; `auto` picks the fastest available. */
export const BACKENDS = ["auto", "webgpu", "wasm", "cpu"] as const;
/** A backend name. */
export type BackendChoice = (typeof BACKENDS)[number];

/** A complete, validated training configuration (YAML keys are these camelCase names). */
export interface Config {
  /** Dataset to train on. */
  dataset: DatasetName;
  /** NoProp variant. */
  variant: Variant;
  /** NoProp or the backprop baseline. */
  method: Method;
  /** Backprop baseline: initial classifier (see `src/train/backprop_model.ts`). */
  backpropClassifierInit: BackpropClassifierInit;
  /** Training epochs. */
  epochs: number;
  /** Mini-batch size. */
  batchSize: number;
  /** Number of blocks / diffusion steps T. */
  T: number;
  /** η, the weight of the denoising loss. */
  eta: number;
  /** AdamW learning rate. */
  lr: number;
  /** AdamW (decoupled) weight decay. */
  weightDecay: number;
  /** AdamW β1. */
  beta1: number;
  /** AdamW β2. */
  beta2: number;
  /** AdamW ε. */
  adamEps: number;
  /** Noise schedule. */
  schedule: ScheduleKind;
  /** Label embedding kind. */
  embedding: EmbeddingName;
  /** Embedding dimension d (used by `learned`). */
  embeddingDim: number;
  /** Conv channel widths of the image branch (3 entries). */
  widths: number[];
  /** Width of the dense layers. */
  hidden: number;
  /** Image-branch backbone: the paper's conv stack or a CIFAR-style ResNet. */
  backbone: BackboneName;
  /** Width multiplier of a ResNet backbone's stages (> 0). */
  backboneWidth: number;
  /** Dropout rate in [0, 1). */
  dropout: number;
  /** Batch-norm momentum of the running statistics. */
  bnMomentum: number;
  /** TensorFlow.js backend. */
  backend: BackendChoice;
  /** Worker threads. */
  workers: number;
  /** Random seed. */
  seed: number;
  /** Evaluate every this many epochs. */
  evalEvery: number;
  /** Test images per evaluation (0 = the full test set). */
  evalSamples: number;
  /** Evaluation batch size. */
  evalBatch: number;
  /** Steps between synchronisations of shared parameters across workers (and loss read-backs on webgpu). */
  syncEvery: number;
  /** DT: train all T blocks in one step per batch (`src/train/dt/fused_trainer.ts`). */
  fuseBlocks: boolean;
  /** With `fuseBlocks`: how the shared parameters are updated per batch. */
  fuseShared: FuseShared;
  /** Data directory (null: `NOPROP_DATA_DIR`, else download). */
  dataDir: string | null;
  /** Parent folder of run folders. */
  outDir: string;
  /** Run folder name (null: `<dataset>-<variant>-<yyyymmdd-hhmmss>`). */
  runName: string | null;
  /** CT: initial γ_0 = γ(1), the clean end of the learnable schedule (eq. 67). */
  ctGamma0: number;
  /** CT: initial γ_1 = γ(0), the noise end of the learnable schedule (eq. 67). */
  ctGamma1: number;
  /** CT: hidden width of the schedule network γ̃ (eq. 66). */
  ctGammaHidden: number;
  /** FM: σ of the extra Gaussian noise on z_t (eq. 10). */
  fmSigma: number;
  /** CT/FM: ODE sampler used by the training-time evaluation. */
  sampler: "euler" | "heun";
  /** CT/FM: sampler steps used by the training-time evaluation. */
  sampleSteps: number;
  /** Stop after this many optimisation steps (0 = no limit). */
  maxSteps: number;
  /** Stop once this many seconds of training have passed in this process (0 = no limit). */
  maxSeconds: number;
  /** Use only the first N training images (0 = all). */
  trainLimit: number;
  /** Augmentations of the training batches, in {@linkcode AUGMENTATIONS} order (empty: none). */
  augment: Augmentation[];
  /** Series: a CSV to use instead of the dataset's file (null: the dataset's). */
  dataFile: string | null;
  /** Series: input rows per window (L). */
  lookback: number;
  /** Series: forecast rows per window (H). */
  horizon: number;
  /** Series: feature mode. */
  features: Features;
  /** Series: target column of S and MS. */
  target: string;
  /** Series: months (30 days) of train, validation and test. */
  splitMonths: number[];
  /** NoProp forecaster: denoise the future window (direct) or an autoencoder's latent. */
  forecastMode: ForecastMode;
  /** NoProp forecaster, autoencoder mode: latent size per channel. */
  latentDim: number;
  /** DLinear: moving-average kernel of the trend/seasonal decomposition. */
  dlinearKernel: number;
  /** Series: stop after this many evaluations without a better validation score (0 = never). */
  patience: number;
  /** Forecasters: multiply the learning rate by this every epoch (1 = constant). */
  lrDecay: number;
}

/** Fields common to every schema entry. */
interface FieldBase {
  /** Property name in {@linkcode Config} and key in YAML. */
  name: keyof Config;
  /** Help-text section. */
  group: string;
  /** One-line help text. */
  help: string;
}

/** An integer field with optional inclusive bounds. */
export interface IntField extends FieldBase {
  /** Discriminant. */
  type: "int";
  /** Default value. */
  default: number;
  /** Inclusive lower bound. */
  min?: number;
  /** Inclusive upper bound. */
  max?: number;
}

/** A finite number with optional inclusive (`min`/`max`) or exclusive (`gt`/`lt`) bounds. */
export interface FloatField extends FieldBase {
  /** Discriminant. */
  type: "float";
  /** Default value. */
  default: number;
  /** Inclusive lower bound. */
  min?: number;
  /** Inclusive upper bound. */
  max?: number;
  /** Exclusive lower bound. */
  gt?: number;
  /** Exclusive upper bound. */
  lt?: number;
}

/** A string field; `nullable` ones may be null (meaning "derive it"). */
export interface StringField extends FieldBase {
  /** Discriminant. */
  type: "string";
  /** Default value. */
  default: string | null;
  /** Whether null is allowed (CLI: `--flag null` or `--flag ""`). */
  nullable?: boolean;
}

/** One of a fixed list of strings. */
export interface EnumField extends FieldBase {
  /** Discriminant. */
  type: "enum";
  /** Default value. */
  default: string;
  /** Allowed values. */
  values: readonly string[];
}

/** A boolean (CLI: `--flag`, or `--flag=true|false`). */
export interface BoolField extends FieldBase {
  /** Discriminant. */
  type: "bool";
  /** Default value. */
  default: boolean;
}

/** A list of integers (CLI: comma-separated, e.g. `16,32,64`). */
export interface IntListField extends FieldBase {
  /** Discriminant. */
  type: "int-list";
  /** Default value. */
  default: readonly number[];
  /** Required number of entries. */
  length?: number;
  /** Inclusive lower bound of every entry. */
  min?: number;
}

/**
 * A set of names from a fixed list, held as a list in the list's order (CLI: comma-separated,
 * e.g. `crop,flip`; `none` or empty for no names).
 */
export interface NameListField extends FieldBase {
  /** Discriminant. */
  type: "name-list";
  /** Default value. */
  default: readonly string[];
  /** Allowed names, in the order a value is kept in. */
  values: readonly string[];
}

/** One schema entry. */
export type FieldSpec =
  | IntField
  | FloatField
  | StringField
  | EnumField
  | BoolField
  | IntListField
  | NameListField;

/** The schema: every configuration field, in help order. */
export const FIELDS = [
  // data
  {
    name: "dataset",
    group: "data",
    type: "enum",
    values: DATASETS,
    default: "mnist",
    help: "dataset to train on; `--dataset X` alone starts from configs/X.yaml",
  },
  {
    name: "dataDir",
    group: "data",
    type: "string",
    nullable: true,
    default: null,
    help: "folder with the dataset files (null: $NOPROP_DATA_DIR, else download)",
  },
  {
    name: "trainLimit",
    group: "data",
    type: "int",
    min: 0,
    default: 0,
    help: "use only the first N training images (0 = all; for quick tests)",
  },
  {
    name: "augment",
    group: "data",
    type: "name-list",
    values: AUGMENTATIONS,
    default: [],
    help: "augment the training batches: crop = zero-pad 4 pixels (the channel mean) and crop " +
      "back at a random offset, flip = mirror half the images; a deviation from the paper, " +
      "which trains without (README)",
  },
  // time series (forecasting)
  {
    name: "dataFile",
    group: "series",
    type: "string",
    nullable: true,
    default: null,
    help: "series: a CSV to use instead of the dataset's file (a date column and numeric " +
      "columns, as ETTh1.csv); null: <data dir>/ett/ETTh1.csv or the download cache",
  },
  {
    name: "lookback",
    group: "series",
    type: "int",
    min: 1,
    default: 336,
    help: "series: input rows per window (L)",
  },
  {
    name: "horizon",
    group: "series",
    type: "int",
    min: 1,
    default: 96,
    help: "series: forecast rows per window (H; the protocol's 96, 192, 336, 720)",
  },
  {
    name: "features",
    group: "series",
    type: "enum",
    values: FEATURES,
    default: "M",
    help: "series: M = every column to every column, S = the target from itself, MS = the " +
      "target from every column (channel-independent models train on every column, evaluate " +
      "the target)",
  },
  {
    name: "target",
    group: "series",
    type: "string",
    default: "OT",
    help: "series: target column of --features S and MS",
  },
  {
    name: "splitMonths",
    group: "series",
    type: "int-list",
    length: 3,
    min: 1,
    default: [12, 4, 4],
    help: "series: months (30 days of timestamps) of train, validation and test (the protocol: " +
      "12,4,4 = 8640/2880/2880 hourly rows)",
  },
  {
    name: "patience",
    group: "series",
    type: "int",
    min: 0,
    default: 0,
    help: "series: stop after this many evaluations without a lower validation MSE (0 = never); " +
      "the best one is kept in best.safetensors either way",
  },
  // method and model
  {
    name: "variant",
    group: "model",
    type: "enum",
    values: VARIANTS,
    default: "dt",
    help: "NoProp variant: discrete-time, continuous-time or flow matching",
  },
  {
    name: "method",
    group: "model",
    type: "enum",
    values: METHODS,
    default: "noprop",
    help: "train each block locally (noprop) or end to end (backprop baseline); series " +
      "datasets also: dlinear (DLinear, backprop) and last (repeat the last value, no training)",
  },
  {
    name: "backpropClassifierInit",
    group: "model",
    type: "enum",
    values: BACKPROP_CLASSIFIER_INITS,
    default: "embedding",
    help: "backprop baseline: initial classifier; embedding = nearest-embedding read-out " +
      "(every class reachable from the simplex-valued z_T), default = PyTorch's random init, " +
      "which can leave classes unreachable (README, 'NoProp vs backprop')",
  },
  {
    name: "forecastMode",
    group: "model",
    type: "enum",
    values: FORECAST_MODES,
    default: "direct",
    help: "NoProp forecaster: the blocks denoise the RevIN-normalised future window (direct) or " +
      "the latent of an autoencoder of it (autoencoder)",
  },
  {
    name: "latentDim",
    group: "model",
    type: "int",
    min: 1,
    default: 32,
    help: "NoProp forecaster, autoencoder mode: latent size per channel",
  },
  {
    name: "dlinearKernel",
    group: "model",
    type: "int",
    min: 1,
    default: 25,
    help: "DLinear: moving-average kernel of the trend/seasonal decomposition (odd; paper 25)",
  },
  {
    name: "T",
    group: "model",
    type: "int",
    min: 1,
    default: 10,
    help: "number of blocks / diffusion steps",
  },
  {
    name: "schedule",
    group: "model",
    type: "enum",
    values: SCHEDULES,
    default: "cosine",
    help: "noise schedule of ᾱ_t",
  },
  {
    name: "embedding",
    group: "model",
    type: "enum",
    values: EMBEDDINGS,
    default: "onehot",
    help: "label embedding W_Embed",
  },
  {
    name: "embeddingDim",
    group: "model",
    type: "int",
    min: 1,
    default: 20,
    help: "embedding dimension d (used by the learned embedding)",
  },
  {
    name: "widths",
    group: "model",
    type: "int-list",
    length: 3,
    min: 1,
    default: [32, 64, 128],
    help: "conv channel widths of the image branch (the paper backbone)",
  },
  {
    name: "backbone",
    group: "model",
    type: "enum",
    values: BACKBONES,
    default: "paper",
    help: "image-branch backbone: paper = the paper's 3-conv stack (widths), resnet18 / " +
      "resnet50 = CIFAR-style ResNet (3×3 stem, no max-pool; with BatchNorm for dt, without for " +
      "ct/fm; README 'Backbones')",
  },
  {
    name: "backboneWidth",
    group: "model",
    type: "float",
    gt: 0,
    default: 1,
    help: "width multiplier of the ResNet stages 64/128/256/512 (rounded, ≥ 1 channel; e.g. " +
      "0.25 for quick runs); must stay 1 with the paper backbone, which uses widths",
  },
  {
    name: "hidden",
    group: "model",
    type: "int",
    min: 1,
    default: 256,
    help: "width of the dense layers",
  },
  {
    name: "dropout",
    group: "model",
    type: "float",
    min: 0,
    lt: 1,
    default: 0.2,
    help: "dropout rate",
  },
  {
    name: "bnMomentum",
    group: "model",
    type: "float",
    min: 0,
    max: 1,
    default: 0.1,
    help: "batch-norm momentum of the running mean/variance",
  },
  // optimisation
  {
    name: "epochs",
    group: "training",
    type: "int",
    min: 1,
    default: 100,
    help: "training epochs",
  },
  {
    name: "batchSize",
    group: "training",
    type: "int",
    min: 1,
    default: 128,
    help: "mini-batch size",
  },
  {
    name: "eta",
    group: "training",
    type: "float",
    gt: 0,
    default: 0.1,
    help: "η, weight of the denoising (SNR) loss",
  },
  {
    name: "lr",
    group: "training",
    type: "float",
    gt: 0,
    default: 1e-3,
    help: "AdamW learning rate",
  },
  {
    name: "lrDecay",
    group: "training",
    type: "float",
    gt: 0,
    max: 1,
    default: 1,
    help: "forecasters: learning rate of epoch e = lr · lrDecay^e (1 = constant; DLinear's " +
      "paper halves it every epoch: 0.5)",
  },
  {
    name: "weightDecay",
    group: "training",
    type: "float",
    min: 0,
    default: 1e-3,
    help: "AdamW decoupled weight decay",
  },
  {
    name: "beta1",
    group: "training",
    type: "float",
    min: 0,
    lt: 1,
    default: 0.9,
    help: "AdamW β1",
  },
  {
    name: "beta2",
    group: "training",
    type: "float",
    min: 0,
    lt: 1,
    default: 0.999,
    help: "AdamW β2",
  },
  {
    name: "adamEps",
    group: "training",
    type: "float",
    gt: 0,
    default: 1e-8,
    help: "AdamW ε",
  },
  {
    name: "seed",
    group: "training",
    type: "int",
    default: 0,
    help: "random seed (initialisation, shuffling, noise)",
  },
  {
    name: "maxSteps",
    group: "training",
    type: "int",
    min: 0,
    default: 0,
    help: "stop after this many optimisation steps (0 = no limit; for tests/benchmarks)",
  },
  {
    name: "maxSeconds",
    group: "training",
    type: "float",
    min: 0,
    default: 0,
    help:
      "stop after the batch range that passes this many seconds of training in this process, then evaluate (0 = no limit; fixed-time benchmarks)",
  },
  // evaluation
  {
    name: "evalEvery",
    group: "evaluation",
    type: "int",
    min: 1,
    default: 1,
    help: "evaluate on the test set every N epochs",
  },
  {
    name: "evalSamples",
    group: "evaluation",
    type: "int",
    min: 0,
    default: 0,
    help: "test images per evaluation (0 = the full test set)",
  },
  {
    name: "evalBatch",
    group: "evaluation",
    type: "int",
    min: 1,
    default: 500,
    help: "evaluation batch size",
  },
  // runtime
  {
    name: "backend",
    group: "runtime",
    type: "enum",
    values: BACKENDS,
    default: "auto",
    help: "TensorFlow.js backend (auto: fastest available)",
  },
  {
    name: "workers",
    group: "runtime",
    type: "int",
    min: 1,
    default: 1,
    help: "worker threads training blocks in parallel",
  },
  {
    name: "syncEvery",
    group: "runtime",
    type: "int",
    min: 1,
    default: 20,
    help: "steps between synchronisations of shared parameters across workers; on webgpu " +
      "also the batches between read-backs of the training losses",
  },
  {
    name: "fuseBlocks",
    group: "runtime",
    type: "bool",
    default: false,
    help: "DT: train all T blocks in one step per batch (one forward and backward over every " +
      "block, for GPUs); the same block weights as separate steps; one process and the paper " +
      "backbone only (README 'Fused block steps')",
  },
  {
    name: "fuseShared",
    group: "runtime",
    type: "enum",
    values: FUSE_SHARED,
    default: "per-block",
    help: "--fuse-blocks: update the classifier and a learned W_Embed T times per batch, once " +
      "with each block's gradient (per-block, as many updates as separate steps), or once from " +
      "the summed loss of all blocks (summed: the classifier trains slower; README 'Fused block " +
      "steps')",
  },
  // continuous time (variants ct, fm)
  {
    name: "ctGamma0",
    group: "continuous",
    type: "float",
    default: -3,
    help:
      "CT: initial γ_0 = γ(1) = −log SNR(1); −3 gives ᾱ(1) = 0.953 (the paper gives no value; " +
      "a wider range starves the image branch, README 'Choosing γ_0, γ_1')",
  },
  {
    name: "ctGamma1",
    group: "continuous",
    type: "float",
    default: 3,
    help: "CT: initial γ_1 = γ(0) = −log SNR(0), must exceed ctGamma0; 3 gives ᾱ(0) = 0.047 " +
      "(the paper gives no value)",
  },
  {
    name: "ctGammaHidden",
    group: "continuous",
    type: "int",
    min: 1,
    default: 16,
    help: "CT: hidden width of the positive-weight schedule network γ̃ (the paper gives none; " +
      "16 sigmoids are ample for a monotone curve on [0, 1])",
  },
  {
    name: "fmSigma",
    group: "continuous",
    type: "float",
    min: 0,
    default: 0,
    help: "FM: σ of the Gaussian noise added to z_t = t·u_y + (1 − t)·z_0 (paper: 0)",
  },
  {
    name: "sampler",
    group: "continuous",
    type: "enum",
    values: ["euler", "heun"],
    default: "euler",
    help: "CT/FM: ODE sampler of the training-time evaluation (CT: DDIM step; heun: 2nd order)",
  },
  {
    name: "sampleSteps",
    group: "continuous",
    type: "int",
    min: 1,
    default: 10,
    help: "CT/FM: sampler steps of the training-time evaluation (10 keeps it cheap; the paper " +
      "reports 1000, see deno task eval)",
  },
  // output
  {
    name: "outDir",
    group: "output",
    type: "string",
    default: "models",
    help: "parent folder of run folders",
  },
  {
    name: "runName",
    group: "output",
    type: "string",
    nullable: true,
    default: null,
    help: "run folder name (null: <dataset>-<variant>-<yyyymmdd-hhmmss>)",
  },
] as const satisfies readonly FieldSpec[];

/** Name of a schema field. */
export type FieldName = (typeof FIELDS)[number]["name"];

// Compile-time check: every Config property has a schema entry.
const _everyConfigKeyHasAField: [Exclude<keyof Config, FieldName>] extends [never] ? true
  : never = true;
void _everyConfigKeyHasAField;

/**
 * Looks up a field by its camelCase name (the YAML key).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fieldByName } from "./schema.ts";
 * assert.equal(fieldByName("batchSize")?.type, "int");
 * assert.equal(fieldByName("epohcs"), undefined);
 * ```
 */
export function fieldByName(name: string): FieldSpec | undefined {
  return (FIELDS as readonly FieldSpec[]).find((f) => f.name === name);
}

/**
 * Looks up a field by CLI flag: its kebab-case flag name or its camelCase name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fieldByFlag } from "./schema.ts";
 * assert.equal(fieldByFlag("batch-size")?.name, "batchSize");
 * assert.equal(fieldByFlag("batchSize")?.name, "batchSize");
 * ```
 */
export function fieldByFlag(flag: string): FieldSpec | undefined {
  return (FIELDS as readonly FieldSpec[]).find((f) => f.name === flag || flagName(f) === flag);
}

/**
 * The CLI flag name of a field: kebab-case of the camelCase name, except all-caps names
 * (like `T`), which are kept as they are.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flagName } from "./schema.ts";
 * assert.equal(flagName({ name: "batchSize" }), "batch-size");
 * ```
 */
export function flagName(field: Pick<FieldSpec, "name">): string {
  const n = field.name;
  if (n === n.toUpperCase()) return n;
  return n.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}
