/**
 * Image input of the runtime: PNG/JPEG decoding, channel conversion, the resize filter,
 * the pixel limit, one-line errors, and preprocessing bit-identical to the training pipeline.
 */
import { assert, assertEquals } from "../assert.ts";
import { encode as encodePng } from "fast-png";
import jpeg from "jpeg-js";
import {
  decodeImage,
  InferError,
  preprocess,
  type RawImage,
  readImageHeader,
  resize,
  toChannels,
} from "@noprop/infer";
import { NORMALIZATION, normalizeInto } from "../../src/data/normalize.ts";
import { Rng } from "../../src/rng.ts";
import { deflateSync } from "node:zlib";
import { pngChunk, pngFile, zeroBomb } from "../_helpers/png.ts";

const rng = new Rng(5);
const bytes = (n: number) => Uint8Array.from({ length: n }, () => rng.int(256));

function errorOf(f: () => unknown): InferError {
  try {
    f();
  } catch (e) {
    assert(e instanceof InferError, `expected an InferError, got ${e}`);
    assert(!e.message.includes("\n"), "message is not one line");
    return e;
  }
  throw new Error("no error thrown");
}

Deno.test("PNG: grey, grey+alpha, RGB, RGBA and 16-bit decode to the same 8-bit samples", () => {
  const w = 5, h = 3;
  for (const channels of [1, 2, 3, 4]) {
    const data = bytes(w * h * channels);
    const img = decodeImage(encodePng({ width: w, height: h, data, channels, depth: 8 }), "x.png");
    assertEquals(img, { width: w, height: h, channels, data });
    const wide = Uint16Array.from(data, (v) => v * 257);
    const img16 = decodeImage(
      encodePng({ width: w, height: h, data: wide, channels, depth: 16 }),
      "y.png",
    );
    assertEquals(img16.data, data);
  }
});

Deno.test("PNG: palette and 1-bit grey images are expanded", () => {
  const palette = [[255, 0, 0], [0, 255, 0], [0, 0, 255]];
  const idx = Uint8Array.from([0, 1, 2, 1]);
  const p = decodeImage(
    encodePng({ width: 2, height: 2, data: idx, channels: 1, depth: 8, palette }),
    "p.png",
  );
  assertEquals(p.channels, 3);
  assertEquals(Array.from(p.data), [255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 255, 0]);
  // 1-bit grey, width 10: rows of 2 packed bytes
  const packed = Uint8Array.from([0b10100000, 0b01000000, 0b00000000, 0b11000000]);
  const b = decodeImage(
    encodePng({ width: 10, height: 2, data: packed, channels: 1, depth: 1 }),
    "b.png",
  );
  assertEquals(Array.from(b.data.slice(0, 10)), [255, 0, 255, 0, 0, 0, 0, 0, 0, 255]);
  assertEquals(Array.from(b.data.slice(10)), [0, 0, 0, 0, 0, 0, 0, 0, 255, 255]);
});

Deno.test("JPEG decodes to RGB close to the encoded pixels", () => {
  const w = 16, h = 16, rgba = new Uint8Array(w * h * 4);
  for (let p = 0; p < w * h; p++) rgba.set([p % 16 * 16, 128, 255 - (p >> 4) * 16, 255], p * 4);
  const file = jpeg.encode({ width: w, height: h, data: rgba }, 95).data;
  const img = decodeImage(new Uint8Array(file), "x.jpg");
  assertEquals([img.width, img.height, img.channels], [16, 16, 3]);
  let worst = 0;
  for (let p = 0; p < w * h; p++) {
    for (let c = 0; c < 3; c++) {
      worst = Math.max(worst, Math.abs(img.data[p * 3 + c] - rgba[p * 4 + c]));
    }
  }
  assert(worst < 24, `JPEG error ${worst}`);
});

Deno.test("bad images are one-line errors: not an image, truncated PNG, truncated JPEG", () => {
  assertEquals(
    errorOf(() => decodeImage(new TextEncoder().encode("hello world"), "a.txt")).message,
    "a.txt: not a PNG or JPEG image",
  );
  const png = encodePng({ width: 20, height: 20, data: bytes(400), channels: 1, depth: 8 });
  const e1 = errorOf(() => decodeImage(png.subarray(0, png.length - 30), "cut.png"));
  assertEquals(e1.code, "bad-image");
  assert(e1.message.startsWith("cut.png: cannot decode PNG"), e1.message);
  assertEquals(errorOf(() => decodeImage(png.subarray(0, 20), "tiny.png")).code, "bad-image");
  const rgba = bytes(32 * 32 * 4);
  const jpg = new Uint8Array(jpeg.encode({ width: 32, height: 32, data: rgba }, 90).data);
  const e2 = errorOf(() => decodeImage(jpg.subarray(0, jpg.length >> 1), "cut.jpg"));
  assertEquals(e2.message, "cut.jpg: truncated JPEG (no end-of-image marker)");
  assertEquals(errorOf(() => decodeImage(jpg.subarray(0, 10), "head.jpg")).code, "bad-image");
});

Deno.test("the pixel limit is enforced from the header, before decoding", () => {
  // A PNG whose IHDR claims 30000×30000: refused without touching the (absent) pixel data.
  const png = encodePng({ width: 2, height: 2, data: bytes(4), channels: 1, depth: 8 });
  const big = png.slice();
  new DataView(big.buffer).setUint32(16, 30000);
  new DataView(big.buffer).setUint32(20, 30000);
  const e = errorOf(() => decodeImage(big, "big.png"));
  assertEquals(e.code, "image-too-large");
  assertEquals(e.message, "big.png: image is 30000×30000 = 900.0 MP, above the limit of 40.0 MP");
  const jpg = new Uint8Array(jpeg.encode({ width: 64, height: 48, data: bytes(64 * 48 * 4) }).data);
  assertEquals(readImageHeader(jpg, "j"), { format: "jpeg", width: 64, height: 48 });
  assertEquals(
    errorOf(() => decodeImage(jpg, "j.jpg", { maxPixels: 1000 })).code,
    "image-too-large",
  );
});

Deno.test("channels: RGB → grey is BT.601 luma (exact for grey pixels), grey → RGB repeats, alpha dropped", () => {
  const rgba: RawImage = {
    width: 3,
    height: 1,
    channels: 4,
    data: Uint8Array.from([255, 0, 0, 9, 7, 7, 7, 0, 10, 200, 30, 255]),
  };
  assertEquals(Array.from(toChannels(rgba, 1).data), [
    76,
    7,
    Math.round(0.299 * 10 + 0.587 * 200 + 0.114 * 30),
  ]);
  assertEquals(Array.from(toChannels(rgba, 3).data), [255, 0, 0, 7, 7, 7, 10, 200, 30]);
  const ga: RawImage = { width: 2, height: 1, channels: 2, data: Uint8Array.from([5, 0, 6, 255]) };
  assertEquals(Array.from(toChannels(ga, 3).data), [5, 5, 5, 6, 6, 6]);
  assertEquals(Array.from(toChannels(ga, 1).data), [5, 6]);
});

Deno.test("resize: same size is the identity, constants stay constant, enlarging interpolates", () => {
  const img: RawImage = { width: 7, height: 5, channels: 3, data: bytes(105) };
  assertEquals(resize(img, 5, 7), img);
  const flat: RawImage = {
    width: 50,
    height: 37,
    channels: 1,
    data: new Uint8Array(50 * 37).fill(93),
  };
  assert(resize(flat, 28, 28).data.every((v) => v === 93));
  assert(resize(flat, 64, 80).data.every((v) => v === 93));
  const ramp: RawImage = { width: 2, height: 1, channels: 1, data: Uint8Array.from([0, 200]) };
  assertEquals(Array.from(resize(ramp, 1, 4).data), [0, 50, 150, 200]);
});

const pil = await new Deno.Command("/usr/bin/python3", {
  args: ["-c", "import PIL, numpy"],
  stderr: "null",
})
  .output().then((o) => o.code === 0).catch(() => false);

Deno.test({
  name: pil
    ? "resize matches Pillow's BILINEAR resize to ±1 (Pillow rounds between passes)"
    : "SKIPPED: Pillow comparison (/usr/bin/python3 lacks PIL or numpy)",
  ignore: !pil,
  fn: async () => {
    const script = `
import sys, numpy as np
from PIL import Image
w, h, W, H = map(int, sys.argv[1:5])
a = np.frombuffer(sys.stdin.buffer.read(), np.uint8).reshape(h, w, 3)
sys.stdout.buffer.write(np.asarray(Image.fromarray(a).resize((W, H), Image.BILINEAR)).tobytes())`;
    for (
      const [w, h, W, H] of [[100, 80, 28, 28], [20, 17, 28, 28], [64, 64, 32, 32], [
        31,
        45,
        32,
        32,
      ]]
    ) {
      const img: RawImage = { width: w, height: h, channels: 3, data: bytes(w * h * 3) };
      const p = new Deno.Command("/usr/bin/python3", {
        args: ["-c", script, ...[w, h, W, H].map(String)],
        stdin: "piped",
        stdout: "piped",
      }).spawn();
      const wr = p.stdin.getWriter();
      await wr.write(img.data);
      await wr.close();
      const ref = (await p.output()).stdout;
      const ours = resize(img, H, W).data;
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ref[i] - ours[i]));
      assert(worst <= 1, `${w}×${h} → ${W}×${H}: differs from Pillow by ${worst}`);
    }
  },
});

Deno.test("preprocessing a PNG gives exactly the training pipeline's floats (MNIST and CIFAR shapes)", () => {
  for (const [name, h, w, c] of [["mnist", 28, 28, 1], ["cifar10", 32, 32, 3]] as const) {
    const n = 3, px = bytes(n * h * w * c);
    const set = {
      count: n,
      height: h,
      width: w,
      channels: c,
      images: px,
      labels: new Uint8Array(n),
    };
    const stats = NORMALIZATION[name];
    const train = normalizeInto(set, [0, 1, 2], stats, new Float32Array(n * h * w * c), "NCHW");
    const files = [0, 1, 2].map((i) =>
      encodePng({
        width: w,
        height: h,
        channels: c,
        depth: 8,
        data: px.subarray(i * h * w * c, (i + 1) * h * w * c),
      })
    );
    const spec = {
      input: {
        layout: "NCHW" as const,
        dtype: "float32" as const,
        channels: c,
        height: h,
        width: w,
      },
      normalization: { mean: [...stats.mean], std: [...stats.std] },
    };
    const ours = preprocess(files, spec);
    assert(ours.every((v, i) => Object.is(v, train[i])), `${name}: not bit-identical`);
  }
});

Deno.test("PNG decompression bomb: data inflating past what the header allows is refused, in bounded memory", async () => {
  // Header: 28×28 grey 8-bit, so the zlib data must inflate to exactly 28·(1 + 28) = 812 bytes.
  // This IDAT (≈ 0.8 MB) inflates to 128 MiB of zeros.
  const bomb = pngFile({ width: 28, height: 28 }, zeroBomb(1 + 258 * 520_226));
  const e = errorOf(() => decodeImage(bomb, "bomb.png"));
  assertEquals(e.code, "bad-image");
  assertEquals(
    e.message,
    "bomb.png: corrupt PNG (its pixel data inflates to more than the 812 bytes a 28×28 8-bit grey image holds)",
  );
  // Extra data that is not a bomb is refused too (a 2×1 image whose data has one byte more).
  const extra = pngFile({ width: 2, height: 1 }, deflateSync(Uint8Array.of(0, 1, 2, 3)));
  assert(/more than the 3 bytes/.test(errorOf(() => decodeImage(extra, "x.png")).message));
  // The iCCP profile is inflated by the decoder too: a bomb there is refused the same way.
  const icc = zeroBomb(1 + 258 * 520_226);
  const iccp = pngChunk("iCCP", new Uint8Array([...new TextEncoder().encode("p"), 0, 0, ...icc]));
  const good = deflateSync(new Uint8Array(28 * 29));
  const e2 = errorOf(() =>
    decodeImage(pngFile({ width: 28, height: 28 }, good, [iccp]), "icc.png")
  );
  assert(
    /^icc\.png: corrupt PNG \(its iCCP profile inflates to more than/.test(e2.message),
    e2.message,
  );
  // Memory: the decode is run in a child process that reports its peak resident memory.
  const file = await Deno.makeTempFile({ suffix: ".png" });
  await Deno.writeFile(file, bomb);
  const child = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../_helpers/decode_peak.ts", import.meta.url).pathname, file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(file);
  const out = new TextDecoder().decode(child.stdout);
  assertEquals(child.code, 0, new TextDecoder().decode(child.stderr));
  const { error, peakMiB } = JSON.parse(out);
  assertEquals(error, e.message);
  if (peakMiB !== null) {
    assert(peakMiB < 32, `decoding the bomb grew the peak memory by ${peakMiB} MiB`);
  }
});
