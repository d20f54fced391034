/**
 * The image-branch backbones as plain data (no TensorFlow.js, so the ONNX exporter can use it):
 * the paper's three-conv stack (`paper`, Fig. 6) or a CIFAR-style ResNet (`resnet18`,
 * `resnet50`; He et al. 2016, arXiv:1512.03385, with the CIFAR stem). A ResNet is described by a
 * {@linkcode ResNetPlan}: every convolution with its parameter name, kernel, stride and channels,
 * in the order the parameters are created and applied, so that the tfjs model
 * (`src/model/resnet.ts`) and the ONNX graph (`src/onnx/resnet_graph.ts`) are built from the same
 * list.
 *
 * ResNet layout: 3×3 stem conv (stride 1, no max-pool) → BN → ReLU; four stages of 64, 128, 256,
 * 512 channels (× the width multiplier, rounded, at least 1) with strides 1, 2, 2, 2; BasicBlock
 * (two 3×3 convs, [2, 2, 2, 2] blocks) for resnet18, Bottleneck (1×1, 3×3, 1×1, expansion 4,
 * [3, 4, 6, 3] blocks, stride on the 3×3) for resnet50; a projection shortcut (1×1 conv with the
 * block's stride, + BN) where the shape changes; ReLU after the residual sum; global average pool.
 * Every conv has a bias (as the paper block's convs; redundant before BN, folded away on export).
 * Without BatchNorm (`norm: false`, the CT/FM network) the BN entries are absent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resnetPlan } from "./backbone.ts";
 * const plan = resnetPlan({ backbone: "resnet18", backboneWidth: 1 / 16 }, 3, true);
 * assert.equal(plan.convs[0].name, "img.res.stem.conv"); // 3×3, 3 → 4 channels
 * assert.deepEqual([plan.convs[0].inCh, plan.convs[0].outCh, plan.convs[0].k], [3, 4, 3]);
 * assert.equal(plan.units.length, 8); // [2, 2, 2, 2] BasicBlocks
 * assert.equal(plan.outCh, 32); // 512 / 16
 * ```
 * @module
 */

/** The backbones of the image branch. */
export const BACKBONES = ["paper", "resnet18", "resnet50"] as const;
/** A backbone name. */
export type BackboneName = (typeof BACKBONES)[number];

/**
 * Which backbone and how wide (the multiplier scales the ResNet's stage widths; `paper` ignores
 * it and takes its widths from the spec's `widths`).
 *
 * @example
 * ```ts
 * import type { BackboneChoice } from "./backbone.ts";
 * const quick: BackboneChoice = { backbone: "resnet18", backboneWidth: 0.25 };
 * ```
 */
export interface BackboneChoice {
  /** Backbone name. */
  backbone: BackboneName;
  /** Width multiplier (> 0) of the ResNet stages. */
  backboneWidth: number;
}

/** Prefix of every ResNet parameter name (inside a block or the `net.` of CT/FM). */
export const RESNET_PREFIX = "img.res";

/** Base stage widths of the ResNet (multiplied by the width multiplier). */
export const STAGE_WIDTHS = [64, 128, 256, 512] as const;
/** Stage strides (CIFAR-style: the first stage keeps the resolution). */
export const STAGE_STRIDES = [1, 2, 2, 2] as const;

const DEPTHS: Record<"resnet18" | "resnet50", readonly number[]> = {
  resnet18: [2, 2, 2, 2],
  resnet50: [3, 4, 6, 3],
};

/** One convolution of a ResNet, with the BatchNorm after it (if any). */
export interface ResConv {
  /** Parameter name prefix: `<name>.w` [k, k, in, out] (tfjs layout), `<name>.b` [out]. */
  name: string;
  /** BatchNorm parameter prefix (`.gamma`, `.beta`, `.mean`, `.var`), or null without BN. */
  bn: string | null;
  /** Kernel size (1 or 3). */
  k: number;
  /** Stride. */
  stride: number;
  /** Input channels. */
  inCh: number;
  /** Output channels. */
  outCh: number;
}

/** One residual block: main path convs (ReLU between them), optional projection shortcut. */
export interface ResUnit {
  /** Name prefix, e.g. `img.res.s1.b0`. */
  name: string;
  /** Main path: two (BasicBlock) or three (Bottleneck) convs. */
  main: ResConv[];
  /** Projection shortcut, or null for the identity. */
  shortcut: ResConv | null;
}

/** A whole ResNet backbone. */
export interface ResNetPlan {
  /** The stem conv (3×3, stride 1). */
  stem: ResConv;
  /** Residual blocks in order. */
  units: ResUnit[];
  /** Every conv in parameter-creation order (stem, then per unit main path and shortcut). */
  convs: ResConv[];
  /** Channels of the pooled output (the feature size fed to `img.fc`). */
  outCh: number;
}

/**
 * The channel count of a stage: `base · multiplier`, rounded, at least 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scaledWidth } from "./backbone.ts";
 * assert.equal(scaledWidth(64, 1), 64);
 * assert.equal(scaledWidth(64, 1 / 16), 4);
 * assert.equal(scaledWidth(64, 0.001), 1);
 * ```
 */
export function scaledWidth(base: number, multiplier: number): number {
  return Math.max(1, Math.round(base * multiplier));
}

/**
 * The {@linkcode ResNetPlan} of a `resnet18` / `resnet50` backbone for `inCh` input channels,
 * with BatchNorm after every conv when `norm` (DT) or none (CT/FM).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resnetPlan } from "./backbone.ts";
 * const plan = resnetPlan({ backbone: "resnet50", backboneWidth: 1 / 16 }, 1, false);
 * assert.equal(plan.units.length, 16); // [3, 4, 6, 3] Bottlenecks
 * assert.equal(plan.outCh, 4 * 32); // expansion 4 of 512 / 16
 * assert.equal(plan.units[0].shortcut?.name, "img.res.s1.b0.short.conv"); // 4 → 16 channels
 * assert.equal(plan.stem.bn, null); // CT/FM: no BatchNorm
 * ```
 */
export function resnetPlan(choice: BackboneChoice, inCh: number, norm: boolean): ResNetPlan {
  if (choice.backbone === "paper") throw new Error("resnetPlan: the paper backbone has no plan");
  if (!(choice.backboneWidth > 0)) {
    throw new Error(`backboneWidth must be a number > 0, got ${choice.backboneWidth}`);
  }
  const bottleneck = choice.backbone === "resnet50";
  const conv = (name: string, k: number, stride: number, i: number, o: number): ResConv => ({
    name,
    bn: norm ? name.replace(/conv(\d*)$/, "bn$1") : null,
    k,
    stride,
    inCh: i,
    outCh: o,
  });
  const stemCh = scaledWidth(STAGE_WIDTHS[0], choice.backboneWidth);
  const stem = conv(`${RESNET_PREFIX}.stem.conv`, 3, 1, inCh, stemCh);
  const units: ResUnit[] = [];
  let ch = stemCh;
  DEPTHS[choice.backbone].forEach((depth, s) => {
    const planes = scaledWidth(STAGE_WIDTHS[s], choice.backboneWidth);
    const out = bottleneck ? 4 * planes : planes;
    for (let b = 0; b < depth; b++) {
      const name = `${RESNET_PREFIX}.s${s + 1}.b${b}`;
      const stride = b === 0 ? STAGE_STRIDES[s] : 1;
      const main = bottleneck
        ? [
          conv(`${name}.conv1`, 1, 1, ch, planes),
          conv(`${name}.conv2`, 3, stride, planes, planes),
          conv(`${name}.conv3`, 1, 1, planes, out),
        ]
        : [
          conv(`${name}.conv1`, 3, stride, ch, planes),
          conv(`${name}.conv2`, 3, 1, planes, planes),
        ];
      const shortcut = stride !== 1 || ch !== out
        ? conv(`${name}.short.conv`, 1, stride, ch, out)
        : null;
      units.push({ name, main, shortcut });
      ch = out;
    }
  });
  const convs = [stem, ...units.flatMap((u) => [...u.main, ...(u.shortcut ? [u.shortcut] : [])])];
  return { stem, units, convs, outCh: ch };
}

/**
 * Spatial size after a conv of kernel `k`, padding (k − 1)/2 and `stride` (PyTorch's formula).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { convOutSize } from "./backbone.ts";
 * assert.equal(convOutSize(32, 3, 2), 16);
 * assert.equal(convOutSize(7, 3, 2), 4);
 * assert.equal(convOutSize(7, 1, 2), 4);
 * ```
 */
export function convOutSize(size: number, k: number, stride: number): number {
  const pad = (k - 1) / 2;
  return Math.floor((size + 2 * pad - k) / stride) + 1;
}

/**
 * The backbone of a model description, old files included: a spec without the fields (written
 * before backbones existed) is the paper's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backboneOf } from "./backbone.ts";
 * assert.deepEqual(backboneOf({}), { backbone: "paper", backboneWidth: 1 });
 * assert.equal(backboneOf({ backbone: "resnet50", backboneWidth: 0.5 }).backboneWidth, 0.5);
 * ```
 */
export function backboneOf(spec: Partial<BackboneChoice>): BackboneChoice {
  return { backbone: spec.backbone ?? "paper", backboneWidth: spec.backboneWidth ?? 1 };
}
