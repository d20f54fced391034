/**
 * The bytes a work unit starts from and ends with: one safetensors file holding parameters,
 * AdamW states and random-stream states. Parameters are `p.<name>`, optimizer moments
 * `opt.<name>.m.<i>` / `opt.<name>.v.<i>`, and the metadata has `kind` and `state` (JSON with
 * each optimizer's step count and every stream's state). The encoding is canonical (names
 * sorted, JSON keys sorted), so equal states are equal bytes and have the same sha256: a unit is
 * named by the sha256 of its input, and a state rebuilt from a run folder's checkpoint is
 * recognised as the one a worker produced.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeUnitState, encodeUnitState } from "./unit_state.ts";
 * const s = {
 *   params: { "head.w": { shape: [2], data: Float32Array.of(1, 2) } },
 *   optimizers: { block: { step: 3, m: [Float32Array.of(0.1, 0.2)], v: [Float32Array.of(1, 1)] } },
 *   rngs: { noise: { s: 42, spare: null } },
 * };
 * const bytes = encodeUnitState(s, "block");
 * assert.deepEqual(decodeUnitState(bytes, "block"), s);
 * assert.deepEqual(encodeUnitState(decodeUnitState(bytes, "block"), "block"), bytes); // canonical
 * assert.throws(() => decodeUnitState(bytes, "classifier"), /is a block state, not a classifier state/);
 * ```
 * @module
 */
import type { ParamArrays } from "../model/params.ts";
import type { RngState } from "../rng.ts";
import { decodeSafetensors, encodeSafetensors, type Tensor } from "../safetensors.ts";
import type { AdamWState } from "../train/adamw.ts";

/** A unit's state (see the module doc). */
export interface UnitState {
  /** Parameters by name. */
  params: ParamArrays;
  /** AdamW states by name. */
  optimizers: Record<string, AdamWState>;
  /** Random streams by name. */
  rngs: Record<string, RngState>;
}

const sorted = <T>(o: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));

/** Canonical safetensors bytes of `s`, tagged with `kind`. */
export function encodeUnitState(s: UnitState, kind: string): Uint8Array {
  const tensors: Record<string, Tensor> = {};
  for (const [name, a] of Object.entries(s.params)) {
    tensors[`p.${name}`] = {
      dtype: "F32",
      shape: a.shape.slice(),
      data: a.data as Float32Array<ArrayBuffer>,
    };
  }
  const optSteps: Record<string, number> = {};
  for (const [name, o] of Object.entries(s.optimizers)) {
    optSteps[name] = o.step;
    for (const [part, list] of [["m", o.m], ["v", o.v]] as const) {
      list.forEach((data, i) => {
        tensors[`opt.${name}.${part}.${i}`] = {
          dtype: "F32",
          shape: [data.length],
          data: data as Float32Array<ArrayBuffer>,
        };
      });
    }
  }
  const rngs: Record<string, RngState> = {};
  for (const [name, r] of Object.entries(s.rngs)) rngs[name] = { s: r.s, spare: r.spare };
  const state = JSON.stringify({ optSteps: sorted(optSteps), rngs: sorted(rngs) });
  return encodeSafetensors(tensors, { kind, state });
}

/** Decodes {@linkcode encodeUnitState}'s bytes, which must be of `kind`. */
export function decodeUnitState(bytes: Uint8Array, kind: string): UnitState {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.kind !== kind) {
    throw new Error(
      `unit state: this is a ${metadata.kind ?? "unknown"} state, not a ${kind} state`,
    );
  }
  const meta = JSON.parse(metadata.state ?? "{}") as {
    optSteps?: Record<string, number>;
    rngs?: Record<string, RngState>;
  };
  const params: ParamArrays = {};
  const optimizers: Record<string, AdamWState> = {};
  for (const [name, step] of Object.entries(meta.optSteps ?? {})) {
    optimizers[name] = { step, m: [], v: [] };
  }
  for (const name of Object.keys(tensors).sort(byIndex)) {
    const t = tensors[name];
    if (t.dtype !== "F32") throw new Error(`unit state: tensor ${name} is ${t.dtype}, not F32`);
    const data = t.data as Float32Array;
    if (name.startsWith("p.")) {
      params[name.slice(2)] = { shape: t.shape, data };
      continue;
    }
    const m = /^opt\.(.+)\.([mv])\.(\d+)$/.exec(name);
    const o = m && optimizers[m[1]];
    if (!o) throw new Error(`unit state: unexpected tensor ${name}`);
    o[m[2] as "m" | "v"][Number(m[3])] = data;
  }
  return { params, optimizers, rngs: meta.rngs ?? {} };
}

/** Orders `opt.x.m.10` after `opt.x.m.9`. */
function byIndex(a: string, b: string): number {
  const na = /\.(\d+)$/.exec(a), nb = /\.(\d+)$/.exec(b);
  if (na && nb && a.slice(0, na.index) === b.slice(0, nb.index)) {
    return Number(na[1]) - Number(nb[1]);
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
