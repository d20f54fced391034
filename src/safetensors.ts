/**
 * Reader and writer for the safetensors format (https://github.com/huggingface/safetensors):
 *
 *     [u64 little-endian N][N bytes of JSON header, space-padded][raw little-endian data]
 *
 * The header maps each tensor name to `{ dtype, shape, data_offsets: [begin, end] }` (offsets
 * relative to the start of the data section) plus an optional `"__metadata__"` object of
 * string → string. This writer sorts tensors by name, packs them contiguously and pads the
 * header with spaces so that the data section starts at a multiple of 8 bytes. The reader
 * checks everything a corrupt or truncated file could get wrong and copies every tensor into
 * its own (aligned) typed array. Byte order: data is little-endian, as on every host Deno
 * runs on; a big-endian host is refused rather than silently misread.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors(
 *   { "block0.w": { dtype: "F32", shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } },
 *   { epoch: "3" },
 * );
 * const { tensors, metadata } = decodeSafetensors(bytes);
 * assert.deepEqual(tensors["block0.w"].data, Float32Array.of(1, 2, 3, 4));
 * assert.deepEqual(tensors["block0.w"].shape, [2, 2]);
 * assert.equal(metadata.epoch, "3");
 * ```
 * @module
 */

import { writeFileAtomic } from "./atomic.ts";

/** Element types of the safetensors format and the typed array that holds each. */
export const DTYPES = {
  F64: Float64Array,
  F32: Float32Array,
  /** Raw IEEE half-precision bits. */
  F16: Uint16Array,
  /** Raw bfloat16 bits. */
  BF16: Uint16Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U64: BigUint64Array,
  U32: Uint32Array,
  U16: Uint16Array,
  U8: Uint8Array,
  /** One byte per element, 0 or 1. */
  BOOL: Uint8Array,
} as const;

/** A safetensors dtype name, e.g. `"F32"`. */
export type Dtype = keyof typeof DTYPES;

/** Any typed array a tensor's data may be held in. */
export type TensorData = InstanceType<(typeof DTYPES)[Dtype]>;

/** One named tensor: element type, shape (row-major) and flat data. */
export interface Tensor {
  /** Element type. */
  dtype: Dtype;
  /** Dimensions; `[]` is a scalar (one element). */
  shape: number[];
  /** Flat row-major data; its typed-array kind must match {@linkcode DTYPES}[dtype]. */
  data: TensorData;
}

/** A decoded file: tensors by name and the free-form string metadata. */
export interface SafetensorsFile {
  /** Tensors keyed by name, in name order. */
  tensors: Record<string, Tensor>;
  /** The `__metadata__` object ({} when absent). */
  metadata: Record<string, string>;
}

/**
 * A corrupt, truncated or inconsistent safetensors file (or an invalid tensor to write).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSafetensors, SafetensorsError } from "./safetensors.ts";
 * try {
 *   decodeSafetensors(new Uint8Array(3));
 *   assert.fail("decoded a 3-byte file");
 * } catch (err) {
 *   assert.ok(err instanceof SafetensorsError);
 *   assert.match(err.message, /^file too short/);
 * }
 * ```
 */
export class SafetensorsError extends Error {
  /** Creates the error; the message says what is wrong and where. */
  constructor(message: string) {
    super(message);
    this.name = "SafetensorsError";
  }
}

/** The largest header accepted (the reference implementation's limit: 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = "__metadata__";

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error("safetensors.ts: big-endian hosts are not supported");
}

/**
 * Serializes tensors (written in name order) and optional string metadata.
 * Throws {@linkcode SafetensorsError} if a tensor's data length or array kind does not
 * match its dtype and shape.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeSafetensors } from "./safetensors.ts";
 * const b = { dtype: "I32" as const, shape: [3], data: new Int32Array([1, 2, 3]) };
 * const bytes = encodeSafetensors({ b });
 * const headerBytes = Number(new DataView(bytes.buffer).getBigUint64(0, true));
 * assert.equal(headerBytes % 8, 0); // the JSON header is padded so the data is 8-byte aligned
 * assert.equal(bytes.length, 8 + headerBytes + 12); // length, header, 3 × 4 data bytes
 * ```
 */
export function encodeSafetensors(
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") {
        throw new SafetensorsError(`metadata "${k}": value must be a string, got ${typeof v}`);
      }
    }
    header[METADATA_KEY] = metadata;
  }
  let offset = 0;
  for (const name of names) {
    if (name === METADATA_KEY) throw new SafetensorsError(`tensor name "${name}" is reserved`);
    const t = tensors[name];
    checkTensor(name, t);
    const end = offset + t.data.byteLength;
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, end] };
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let pos = 8 + headerLen;
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}

/**
 * Parses a safetensors file. Throws {@linkcode SafetensorsError} with a one-line reason for
 * truncated files, bad JSON, unknown dtypes, offsets out of range, overlapping or gapped
 * tensors, and dtype/shape/size mismatches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * const w = { dtype: "F32" as const, shape: [1], data: Float32Array.of(0.5) };
 * const bytes = encodeSafetensors({ "block0.conv1.bias": w, "block0.conv1.w": w });
 * const { tensors } = decodeSafetensors(bytes);
 * assert.deepEqual(Object.keys(tensors), ["block0.conv1.bias", "block0.conv1.w"]);
 * assert.throws(() => decodeSafetensors(bytes.subarray(0, bytes.length - 1)), /SafetensorsError/);
 * ```
 */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) {
    throw new SafetensorsError(
      `file too short: ${bytes.length} bytes, need at least 8 for the header length`,
    );
  }
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const headerLen = Number(n);
  if (8 + headerLen > bytes.length) {
    throw new SafetensorsError(
      `truncated file: header length ${headerLen} runs past the end of the ${bytes.length}-byte file`,
    );
  }
  const header = parseHeader(bytes.subarray(8, 8 + headerLen));
  const data = bytes.subarray(8 + headerLen);

  let metadata: Record<string, string> = {};
  const spans: { name: string; begin: number; end: number }[] = [];
  const tensors: Record<string, Tensor> = {};
  for (const name of Object.keys(header).sort()) {
    const entry = header[name];
    if (name === METADATA_KEY) {
      metadata = parseMetadata(entry);
      continue;
    }
    const { dtype, shape, begin, end } = parseEntry(name, entry);
    const numel = shape.reduce((a, b) => a * b, 1);
    const size = DTYPES[dtype].BYTES_PER_ELEMENT;
    if (end > data.length) {
      throw new SafetensorsError(
        `tensor "${name}": data_offsets [${begin}, ${end}] out of range (data section has ${data.length} bytes; file truncated?)`,
      );
    }
    if (end - begin !== numel * size) {
      throw new SafetensorsError(
        `tensor "${name}": ${dtype} shape [${shape}] needs ${
          numel * size
        } bytes but data_offsets span ${end - begin}`,
      );
    }
    spans.push({ name, begin, end });
    const copy = data.slice(begin, end);
    tensors[name] = { dtype, shape, data: new DTYPES[dtype](copy.buffer, 0, numel) };
  }
  checkLayout(spans, data.length);
  return { tensors, metadata };
}

/**
 * Encodes and writes a safetensors file atomically (see {@linkcode writeFileAtomic}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSafetensors, saveSafetensors } from "./safetensors.ts";
 * const dir = await Deno.makeTempDir();
 * await saveSafetensors(`${dir}/m.safetensors`, {
 *   w: { dtype: "F32", shape: [2], data: new Float32Array([0.5, -1]) },
 * }, { format: "noprop-dt" });
 * const { tensors, metadata } = await loadSafetensors(`${dir}/m.safetensors`);
 * assert.deepEqual(tensors.w.data, Float32Array.of(0.5, -1));
 * assert.equal(metadata.format, "noprop-dt");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function saveSafetensors(
  path: string,
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/**
 * Reads and decodes a safetensors file; decoding errors are prefixed with the path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSafetensors } from "./safetensors.ts";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await Deno.writeFile(path, new Uint8Array(3));
 * await assert.rejects(loadSafetensors(path), {
 *   name: "SafetensorsError",
 *   message: new RegExp(`^${path}: file too short`),
 * });
 * await Deno.remove(path);
 * ```
 */
export async function loadSafetensors(path: string): Promise<SafetensorsFile> {
  const bytes = await Deno.readFile(path);
  try {
    return decodeSafetensors(bytes);
  } catch (err) {
    if (err instanceof SafetensorsError) throw new SafetensorsError(`${path}: ${err.message}`);
    throw err;
  }
}

function checkTensor(name: string, t: Tensor): void {
  const ctor = DTYPES[t.dtype];
  if (!ctor) {
    throw new SafetensorsError(
      `tensor "${name}": unknown dtype "${t.dtype}" (allowed: ${Object.keys(DTYPES).join(", ")})`,
    );
  }
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(
      `tensor "${name}": shape must be non-negative integers, got ${JSON.stringify(t.shape)}`,
    );
  }
  if (!(t.data instanceof ctor)) {
    throw new SafetensorsError(
      `tensor "${name}": dtype ${t.dtype} needs a ${ctor.name}, got ${
        t.data?.constructor?.name ?? typeof t.data
      }`,
    );
  }
  const numel = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== numel) {
    throw new SafetensorsError(
      `tensor "${name}": shape [${t.shape}] has ${numel} elements but data has ${t.data.length}`,
    );
  }
}

function parseHeader(raw: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    throw new SafetensorsError("header is not valid UTF-8");
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(`header is not valid JSON: ${(err as Error).message}`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw new SafetensorsError("header must be a JSON object");
  }
  return header as Record<string, unknown>;
}

function parseMetadata(entry: unknown): Record<string, string> {
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
    throw new SafetensorsError(`"${METADATA_KEY}" must be an object of strings`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(entry)) {
    if (typeof v !== "string") {
      throw new SafetensorsError(`"${METADATA_KEY}"."${k}" must be a string, got ${typeof v}`);
    }
    out[k] = v;
  }
  return out;
}

function parseEntry(
  name: string,
  entry: unknown,
): { dtype: Dtype; shape: number[]; begin: number; end: number } {
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
    throw new SafetensorsError(`tensor "${name}": header entry must be an object`);
  }
  const { dtype, shape, data_offsets: offs } = entry as Record<string, unknown>;
  if (typeof dtype !== "string" || !Object.hasOwn(DTYPES, dtype)) {
    throw new SafetensorsError(
      `tensor "${name}": unknown dtype ${JSON.stringify(dtype)} (supported: ${
        Object.keys(DTYPES).join(", ")
      })`,
    );
  }
  const isIndex = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
  if (!Array.isArray(shape) || !shape.every(isIndex)) {
    throw new SafetensorsError(
      `tensor "${name}": shape must be an array of non-negative integers, got ${
        JSON.stringify(shape)
      }`,
    );
  }
  if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isIndex) || offs[0] > offs[1]) {
    throw new SafetensorsError(
      `tensor "${name}": data_offsets must be [begin, end] with 0 ≤ begin ≤ end, got ${
        JSON.stringify(offs)
      }`,
    );
  }
  return { dtype: dtype as Dtype, shape, begin: offs[0], end: offs[1] };
}

function checkLayout(spans: { name: string; begin: number; end: number }[], dataLen: number) {
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev = "";
  for (const s of spans) {
    if (s.begin < pos) {
      throw new SafetensorsError(
        `tensors "${prev}" and "${s.name}" overlap (byte ${s.begin} < ${pos})`,
      );
    }
    if (s.begin > pos) {
      throw new SafetensorsError(
        `gap in data section: bytes ${pos}..${s.begin} before tensor "${s.name}" belong to no tensor`,
      );
    }
    pos = s.end;
    prev = s.name;
  }
  if (pos !== dataLen) {
    throw new SafetensorsError(
      `data section has ${dataLen} bytes but the tensors cover only ${pos} (trailing bytes)`,
    );
  }
}
