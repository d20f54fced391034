/**
 * The GPU kit in parts. The whole kit (Deno, tfjs, onnxruntime-web and -node, MNIST) plus the
 * project's tracked tree is more than one device call carries, so `deno task gpu-pack <part>`
 * packs one {@linkcode KIT_PARTS} entry at a time and each runs in its own call, into the same
 * report folder (`merge.ts`):
 *
 * - `train`: tfjs training on webgpu (tfjs, MNIST; no onnxruntime): the adapter, the first
 *   losses, the PyTorch anchor, block-step speed, the fixed-time runs;
 * - `infer-node`: onnxruntime-node (its native library is most of the bytes; its cpu provider is
 *   the logits' reference, its native WebGPU where the binding offers it);
 * - `infer-web`: onnxruntime-web's webgpu build on Deno's WebGPU.
 *
 * The inference parts carry no tfjs: the paper-width chain they time is built on the host with
 * seeded random weights by the exporter's graph builders (`src/onnx/random_export.ts`; its ten
 * blocks' 80 MB of random floats would not compress, and its speed does not depend on the
 * values), and the logits check runs the shipped `models/mnist`, trained weights, on each
 * provider. The logits check and the inference table are filled provider by provider
 * ({@linkcode PROVIDER_KITS}): each inference part adds its providers' rows and keeps the other's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { partsFor, providersFor } from "./kit_parts.ts";
 * assert.deepEqual(partsFor(["infer-web"]), ["adapter", "logits", "inference"]);
 * assert.deepEqual(providersFor(["infer-node"]), ["cpu", "webgpu-node"]);
 * ```
 * @module
 */
import { PART_NAMES, type PartName } from "./plan.ts";

/** What a kit can be packed for (`deno task gpu-pack <part>...`; see the module doc). */
export const KIT_PARTS = ["train", "infer-node", "infer-web"] as const;

/** One of {@linkcode KIT_PARTS}. */
export type KitPart = (typeof KIT_PARTS)[number];

/**
 * The kit parts each report part runs with. The adapter runs with every one (a later run
 * replaces its entry). The PyTorch anchor runs with `train` only: the inference table takes its
 * chain figure from the report the train run left in the folder (same host).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PART_KITS } from "./kit_parts.ts";
 * assert.deepEqual(PART_KITS.inference, ["infer-node", "infer-web"]);
 * ```
 */
export const PART_KITS: Record<PartName, readonly KitPart[]> = {
  adapter: KIT_PARTS,
  losses: ["train"],
  logits: ["infer-node", "infer-web"],
  torch: ["train"],
  trainSpeed: ["train"],
  inference: ["infer-node", "infer-web"],
  endToEnd: ["train"],
};

/** The onnxruntime providers the inference parts measure, in the order they run. */
export const PROVIDERS = ["cpu", "webgpu-web", "webgpu-node"] as const;

/** One of {@linkcode PROVIDERS}. */
export type Provider = (typeof PROVIDERS)[number];

/** The kit part that carries each provider's runtime. */
export const PROVIDER_KITS: Record<Provider, KitPart> = {
  cpu: "infer-node",
  "webgpu-web": "infer-web",
  "webgpu-node": "infer-node",
};

/** The report parts a kit holding `kitParts` runs, in `PART_NAMES` order. */
export function partsFor(kitParts: readonly KitPart[]): PartName[] {
  return PART_NAMES.filter((p) => PART_KITS[p].some((k) => kitParts.includes(k)));
}

/** The providers a kit holding `kitParts` can run, in {@linkcode PROVIDERS} order. */
export function providersFor(kitParts: readonly KitPart[]): Provider[] {
  return PROVIDERS.filter((p) => kitParts.includes(PROVIDER_KITS[p]));
}

/**
 * The driver's choice of what to run: `kitParts` (comma-separated; default: all the kit holds)
 * and `parts` (comma-separated report parts; default: all those kit parts run), checked against
 * `kitHolds`, the parts the kit was packed for. Returns one line saying what is wrong instead when
 * a name is unknown, a kit part is not in the kit, or a report part needs a kit part not chosen.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectParts } from "./kit_parts.ts";
 * assert.deepEqual(selectParts({ kitHolds: ["train"] }), {
 *   kitParts: ["train"],
 *   only: ["adapter", "losses", "torch", "trainSpeed", "endToEnd"],
 * });
 * assert.equal(
 *   selectParts({ kitParts: "infer-web", kitHolds: ["train"] }),
 *   "--kit-parts infer-web: the kit holds train only (deno task gpu-pack infer-web packs it)",
 * );
 * assert.equal(
 *   selectParts({ parts: "inference", kitHolds: ["train"] }),
 *   "part inference needs kit part infer-node or infer-web; this run has train",
 * );
 * ```
 */
export function selectParts(o: {
  kitParts?: string;
  parts?: string;
  kitHolds: readonly string[];
}): { kitParts: KitPart[]; only: PartName[] } | string {
  const kitParts = o.kitParts === undefined
    ? [...o.kitHolds]
    : o.kitParts.split(",").filter(Boolean);
  const bad = kitParts.find((k) => !(KIT_PARTS as readonly string[]).includes(k));
  if (bad !== undefined || kitParts.length === 0) {
    return `--kit-parts "${o.kitParts ?? o.kitHolds.join(",")}": each must be one of ${
      KIT_PARTS.join(", ")
    }`;
  }
  const absent = kitParts.find((k) => !o.kitHolds.includes(k));
  if (absent) {
    return `--kit-parts ${absent}: the kit holds ${o.kitHolds.join(", ")} only ` +
      `(deno task gpu-pack ${absent} packs it)`;
  }
  const runnable = partsFor(kitParts as KitPart[]);
  const only = o.parts === undefined ? runnable : o.parts.split(",").filter(Boolean);
  const unknown = only.find((p) => !(PART_NAMES as readonly string[]).includes(p));
  if (unknown !== undefined) return `unknown part ${unknown} (--parts ${PART_NAMES.join(",")})`;
  const outside = (only as PartName[]).find((p) => !runnable.includes(p));
  if (outside) {
    return `part ${outside} needs kit part ${PART_KITS[outside].join(" or ")}; ` +
      `this run has ${kitParts.join(", ")}`;
  }
  return { kitParts: kitParts as KitPart[], only: only as PartName[] };
}
