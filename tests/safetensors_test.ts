import { assert, assertEquals, assertRejects, assertThrows } from "./assert.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  SafetensorsError,
  saveSafetensors,
  type Tensor,
} from "../src/safetensors.ts";
import { writeFileAtomic } from "../src/atomic.ts";

const ROOT = Deno.makeTempDirSync({ prefix: "noprop-safetensors-test-" });
globalThis.addEventListener("unload", () => Deno.removeSync(ROOT, { recursive: true }));

const enc = new TextEncoder();

/** A file with an arbitrary header object and data section. */
function build(header: unknown, data: number[] | Uint8Array = [], headerLen?: number): Uint8Array {
  const json = enc.encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function assertCorrupt(bytes: Uint8Array, fragment: string): void {
  assertThrows(() => decodeSafetensors(bytes), (err: unknown) => {
    assert(err instanceof SafetensorsError, String(err));
    assert(!err.message.includes("\n"), err.message);
    assert(err.message.includes(fragment), `"${err.message}" lacks "${fragment}"`);
    return true;
  });
}

Deno.test("byte layout of a tiny file matches the format by hand", () => {
  const bytes = encodeSafetensors(
    {
      b: { dtype: "U8", shape: [3], data: new Uint8Array([1, 2, 3]) },
      a: { dtype: "F32", shape: [1], data: new Float32Array([1.5]) },
    },
    { k: "v" },
  );
  const header = '{"__metadata__":{"k":"v"},' +
    '"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},' +
    '"b":{"dtype":"U8","shape":[3],"data_offsets":[4,7]}}';
  assertEquals(header.length, 131);
  const expected = [
    ...[136, 0, 0, 0, 0, 0, 0, 0], // u64 LE header length, 131 padded to a multiple of 8
    ...enc.encode(header),
    ...[0x20, 0x20, 0x20, 0x20, 0x20], // space padding
    ...[0x00, 0x00, 0xc0, 0x3f], // 1.5f as little-endian IEEE 754
    ...[1, 2, 3],
  ];
  assertEquals([...bytes], expected);
  assertEquals(bytes.length, 151);
});

Deno.test("round trip of several dtypes, shapes and metadata", () => {
  const tensors: Record<string, Tensor> = {
    "z.scalar": { dtype: "F32", shape: [], data: new Float32Array([3.25]) },
    "block0.w": { dtype: "F32", shape: [2, 3], data: new Float32Array([1, -2, 3.5, 4, 5, 6e-9]) },
    "a.bytes": { dtype: "U8", shape: [5], data: new Uint8Array([0, 1, 2, 254, 255]) },
    "i.labels": { dtype: "I32", shape: [2, 2], data: new Int32Array([-1, 0, 7, 2 ** 31 - 1]) },
    "d.f64": { dtype: "F64", shape: [2], data: new Float64Array([Math.PI, -0]) },
    "s.step": { dtype: "I64", shape: [1], data: new BigInt64Array([123456789012345n]) },
    "e.empty": { dtype: "F32", shape: [0, 4], data: new Float32Array(0) },
    "f.half": { dtype: "F16", shape: [2], data: new Uint16Array([0x3c00, 0xc000]) },
    "m.mask": { dtype: "BOOL", shape: [3], data: new Uint8Array([1, 0, 1]) },
  };
  const meta = { epoch: "3", config: "dataset: mnist\n" };
  const bytes = encodeSafetensors(tensors, meta);
  assertEquals((8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))) % 8, 0);
  const { tensors: back, metadata } = decodeSafetensors(bytes);
  assertEquals(metadata, meta);
  assertEquals(Object.keys(back), Object.keys(tensors).sort());
  for (const [name, t] of Object.entries(tensors)) {
    assertEquals(back[name].dtype, t.dtype, name);
    assertEquals(back[name].shape, t.shape, name);
    assertEquals(back[name].data.constructor, t.data.constructor, name);
    assertEquals([...back[name].data], [...t.data], name);
  }
  // "a.bytes" (5 bytes) precedes the F32 "block0.w": a misaligned offset is still read
  assertEquals([...back["block0.w"].data], [1, -2, 3.5, 4, 5, new Float32Array([6e-9])[0]]);
});

Deno.test("encoding a subarray writes only its elements; no metadata means no key", () => {
  const big = new Float32Array([9, 1, 2, 9]);
  const bytes = encodeSafetensors({ w: { dtype: "F32", shape: [2], data: big.subarray(1, 3) } });
  const { tensors, metadata } = decodeSafetensors(bytes);
  assertEquals([...tensors.w.data], [1, 2]);
  assertEquals(metadata, {});
  const json = new TextDecoder().decode(bytes.subarray(8, 8 + bytes[0]));
  assert(!json.includes("__metadata__"));
  // a view into a larger buffer decodes too
  const framed = new Uint8Array(bytes.length + 3);
  framed.set(bytes, 3);
  assertEquals([...decodeSafetensors(framed.subarray(3)).tensors.w.data], [1, 2]);
});

Deno.test("invalid tensors are refused when encoding", () => {
  const bad: [Tensor, string][] = [
    [{ dtype: "F32", shape: [3], data: new Float32Array(2) }, "3 elements but data has 2"],
    [{ dtype: "F32", shape: [2], data: new Int32Array(2) }, "needs a Float32Array"],
    [{ dtype: "Q8" as "U8", shape: [1], data: new Uint8Array(1) }, "unknown dtype"],
    [{ dtype: "U8", shape: [-1], data: new Uint8Array(0) }, "shape"],
  ];
  for (const [t, fragment] of bad) {
    assertThrows(() => encodeSafetensors({ x: t }), (err: unknown) => {
      assert(err instanceof SafetensorsError && err.message.includes(fragment), String(err));
      return true;
    });
  }
  assertThrows(
    () => encodeSafetensors({}, { n: 1 as unknown as string }),
    SafetensorsError,
  );
});

Deno.test("corrupt and truncated files give clear errors", () => {
  const ok = { dtype: "F32", shape: [2], data_offsets: [0, 8] };
  const eight = new Array(8).fill(0);
  assertCorrupt(new Uint8Array(5), "file too short");
  assertCorrupt(build({ w: ok }, eight, 10_000), "header length 10000 runs past the end");
  assertCorrupt(build({ w: ok }, eight, 2 ** 40), "exceeds");
  const good = encodeSafetensors({ w: { dtype: "F32", shape: [2], data: new Float32Array(2) } });
  assertCorrupt(good.subarray(0, good.length - 1), "out of range");
  const notJson = new Uint8Array([4, 0, 0, 0, 0, 0, 0, 0, ...enc.encode("{no}")]);
  assertCorrupt(notJson, "not valid JSON");
  assertCorrupt(build([1, 2]), "must be a JSON object");
  assertCorrupt(build({ w: { ...ok, dtype: "F8" } }, eight), 'unknown dtype "F8"');
  assertCorrupt(build({ w: { ...ok, shape: [2, -1] } }, eight), "shape");
  assertCorrupt(build({ w: { ...ok, data_offsets: [8, 0] } }, eight), "data_offsets");
  assertCorrupt(build({ w: { ...ok, data_offsets: [0, 16] } }, eight), "out of range");
  assertCorrupt(
    build({ w: { ...ok, shape: [3] } }, eight),
    "needs 12 bytes but data_offsets span 8",
  );
  assertCorrupt(
    build({ a: { ...ok, data_offsets: [0, 8] }, b: { ...ok, data_offsets: [4, 12] } }, [
      ...eight,
      ...eight.slice(4),
    ]),
    "overlap",
  );
  assertCorrupt(
    build({ w: { ...ok, data_offsets: [4, 12] } }, [...eight, 0, 0, 0, 0]),
    "gap",
  );
  assertCorrupt(build({ w: ok }, [...eight, 1]), "trailing bytes");
  assertCorrupt(build({ __metadata__: { a: 1 }, w: ok }, eight), '"__metadata__"."a"');
  assertCorrupt(build({ w: 5 }, eight), "header entry must be an object");
});

Deno.test("save/load round trip is atomic and leaves no temporary file", async () => {
  const dir = `${ROOT}/save`;
  await Deno.mkdir(dir);
  const path = `${dir}/model.safetensors`;
  const w = { dtype: "F32" as const, shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) };
  await saveSafetensors(path, { w }, { step: "1" });
  await saveSafetensors(path, { w: { ...w, data: new Float32Array([5, 6, 7, 8]) } }, { step: "2" });
  const { tensors, metadata } = await loadSafetensors(path);
  assertEquals([...tensors.w.data], [5, 6, 7, 8]);
  assertEquals(metadata, { step: "2" });
  const names = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  assertEquals(names, ["model.safetensors"]);

  await Deno.writeFile(`${dir}/bad.safetensors`, new Uint8Array(3));
  await assertRejects(
    () => loadSafetensors(`${dir}/bad.safetensors`),
    (err: unknown) => err instanceof SafetensorsError && err.message.startsWith(`${dir}/bad`),
  );
});

Deno.test("writeFileAtomic cleans up its temporary file when the rename fails", async () => {
  const dir = `${ROOT}/atomic`;
  await Deno.mkdir(`${dir}/target`, { recursive: true }); // a directory cannot be replaced by a file
  await assertRejects(() => writeFileAtomic(`${dir}/target`, "x"));
  const names = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  assertEquals(names, ["target"]);
  await writeFileAtomic(`${dir}/note.txt`, "héllo");
  assertEquals(await Deno.readTextFile(`${dir}/note.txt`), "héllo");
  await assertRejects(() => writeFileAtomic(`${dir}/missing/x.txt`, "x"), Deno.errors.NotFound);
});

const python = await new Deno.Command("python3", {
  args: ["-c", "import numpy"],
  stdout: "null",
  stderr: "null",
}).output().then((o) => o.success, () => false);

Deno.test({
  name: "an independent reader (python + numpy) agrees with the writer",
  ignore: !python,
  async fn() {
    const path = `${ROOT}/py.safetensors`;
    await saveSafetensors(path, {
      w: { dtype: "F32", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6.5]) },
      l: { dtype: "I32", shape: [3], data: new Int32Array([-3, 0, 9]) },
      u: { dtype: "U8", shape: [1], data: new Uint8Array([200]) },
    }, { note: "hi" });
    const script = `
import json, struct, sys, numpy as np
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
d = b[8 + n:]
types = {"F32": "<f4", "I32": "<i4", "U8": "u1"}
out = {"__metadata__": h.pop("__metadata__")}
for k, v in h.items():
    s, e = v["data_offsets"]
    out[k] = np.frombuffer(d[s:e], dtype=types[v["dtype"]]).reshape(v["shape"]).tolist()
print(json.dumps(out, sort_keys=True))
`;
    const o = await new Deno.Command("python3", { args: ["-c", script, path] }).output();
    assert(o.success, new TextDecoder().decode(o.stderr));
    assertEquals(JSON.parse(new TextDecoder().decode(o.stdout)), {
      __metadata__: { note: "hi" },
      l: [-3, 0, 9],
      u: [200],
      w: [[1, 2, 3], [4, 5, 6.5]],
    });
  },
});
