/**
 * Parsing and checking of single configuration values against their schema entry, from
 * either source: typed YAML values ({@linkcode checkValue}) or CLI strings
 * ({@linkcode parseFlagValue}). Failures throw a one-line {@linkcode ConfigError} such as
 * `--epochs: must be an integer ≥ 1, got "-3"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fieldByName } from "./schema.ts";
 * import { describeConstraint, parseFlagValue } from "./values.ts";
 * const widths = fieldByName("widths")!;
 * assert.deepEqual(parseFlagValue(widths, "16,32,64", "--widths"), [16, 32, 64]);
 * assert.equal(describeConstraint(widths), "a comma-separated list of 3 integers ≥ 1");
 * ```
 * @module
 */
import { ConfigError } from "./errors.ts";
import type { FieldSpec } from "./schema.ts";

/** A value any field may hold. */
export type FieldValue = number | string | boolean | null | number[] | string[];

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Human-readable constraint of a field, as used in error and help messages.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fieldByName } from "./schema.ts";
 * import { describeConstraint } from "./values.ts";
 * assert.equal(describeConstraint(fieldByName("dropout")!), "a number ≥ 0 and < 1");
 * ```
 */
export function describeConstraint(f: FieldSpec): string {
  switch (f.type) {
    case "int":
      return "an integer" + bounds(f.min, f.max);
    case "float":
      return "a number" + bounds(f.min, f.max, f.gt, f.lt);
    case "enum":
      return `one of ${f.values.join(", ")}`;
    case "string":
      return f.nullable ? "a string or null" : "a non-empty string";
    case "bool":
      return "true or false";
    case "int-list": {
      const n = f.length === undefined ? "" : `${f.length} `;
      return `a comma-separated list of ${n}integers${bounds(f.min)}`;
    }
    case "name-list":
      return `a comma-separated list of ${f.values.join(", ")}, or none`;
  }
}

/**
 * Checks a typed value (from YAML or code) and returns it normalised (numeric strings are
 * accepted for numeric fields, a comma-separated string for int lists).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fieldByName } from "./schema.ts";
 * import { checkValue } from "./values.ts";
 * assert.equal(checkValue(fieldByName("epochs")!, 150, "configs/cifar10.yaml: epochs"), 150);
 * const epochs = fieldByName("epochs")!;
 * assert.throws(() => checkValue(epochs, 0, "x.yaml: epochs"), /^ConfigError: x\.yaml: epochs/);
 * ```
 */
export function checkValue(f: FieldSpec, value: unknown, where: string): FieldValue {
  const v = typeof value === "string" && f.type !== "string" && f.type !== "enum"
    ? fromString(f, value)
    : value;
  if (accepts(f, v)) return canonical(f, v as FieldValue);
  throw new ConfigError(
    `${where}: must be ${describeConstraint(f)}, got ${JSON.stringify(value) ?? String(value)}`,
  );
}

/**
 * Parses a CLI string for a field. Nullable string fields take `null` or `""` as null;
 * int lists are comma-separated.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fieldByName } from "./schema.ts";
 * import { parseFlagValue } from "./values.ts";
 * assert.equal(parseFlagValue(fieldByName("lr")!, "3e-4", "--lr"), 0.0003);
 * assert.equal(parseFlagValue(fieldByName("runName")!, "null", "--run-name"), null);
 * ```
 */
export function parseFlagValue(f: FieldSpec, raw: string, where: string): FieldValue {
  const v = f.type === "string"
    ? (f.nullable && (raw === "" || raw === "null") ? null : raw)
    : f.type === "enum"
    ? raw
    : fromString(f, raw);
  if (accepts(f, v)) return canonical(f, v as FieldValue);
  throw new ConfigError(`${where}: must be ${describeConstraint(f)}, got ${JSON.stringify(raw)}`);
}

function fromString(f: FieldSpec, raw: string): unknown {
  const s = raw.trim();
  switch (f.type) {
    case "int":
      return INT_RE.test(s) ? Number(s) : raw;
    case "float":
      return FLOAT_RE.test(s) ? Number(s) : raw;
    case "bool": {
      const l = s.toLowerCase();
      if (["true", "yes", "1", "on"].includes(l)) return true;
      if (["false", "no", "0", "off"].includes(l)) return false;
      return raw;
    }
    case "int-list": {
      const parts = s.replace(/^\[|\]$/g, "").split(",").map((p) => p.trim());
      return parts.every((p) => INT_RE.test(p)) ? parts.map(Number) : raw;
    }
    case "name-list": {
      const inner = s.replace(/^\[|\]$/g, "").trim();
      return inner === "" || inner === "none" ? [] : inner.split(",").map((p) => p.trim());
    }
    default:
      return raw;
  }
}

function accepts(f: FieldSpec, v: unknown): boolean {
  switch (f.type) {
    case "int":
      return Number.isSafeInteger(v) && inBounds(v as number, f.min, f.max);
    case "float":
      return typeof v === "number" && Number.isFinite(v) &&
        inBounds(v, f.min, f.max, f.gt, f.lt);
    case "enum":
      return typeof v === "string" && f.values.includes(v);
    case "string":
      return (typeof v === "string" && v !== "") || (v === null && f.nullable === true);
    case "bool":
      return typeof v === "boolean";
    case "int-list":
      return Array.isArray(v) && (f.length === undefined || v.length === f.length) &&
        v.every((x) => Number.isSafeInteger(x) && inBounds(x, f.min));
    case "name-list":
      return Array.isArray(v) && v.every((x) => typeof x === "string" && f.values.includes(x));
  }
}

/** A copy of an accepted value; a name list in the order of its field's names, once each. */
function canonical(f: FieldSpec, v: FieldValue): FieldValue {
  if (f.type === "name-list") return f.values.filter((n) => (v as string[]).includes(n));
  return Array.isArray(v) ? [...v] as FieldValue : v;
}

function inBounds(v: number, min?: number, max?: number, gt?: number, lt?: number): boolean {
  return (min === undefined || v >= min) && (max === undefined || v <= max) &&
    (gt === undefined || v > gt) && (lt === undefined || v < lt);
}

function bounds(min?: number, max?: number, gt?: number, lt?: number): string {
  const parts: string[] = [];
  if (min !== undefined) parts.push(`≥ ${min}`);
  if (gt !== undefined) parts.push(`> ${gt}`);
  if (max !== undefined) parts.push(`≤ ${max}`);
  if (lt !== undefined) parts.push(`< ${lt}`);
  return parts.length ? " " + parts.join(" and ") : "";
}
