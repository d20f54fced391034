import { assertEquals, assertThrows } from "../assert.ts";
import { decodeMetadata, encodeMetadata, type RunMetadata } from "../../src/run/metadata.ts";

const dt: RunMetadata = {
  format: "noprop-dt",
  variant: "dt",
  dataset: "mnist",
  classNames: ["a", "b"],
  normalization: { mean: [0.1], std: [0.3], scale: 1 / 255 },
  embedding: "onehot",
  T: 2,
  schedule: "cosine",
  alphaBar: [0.001, 0.5, 0.99],
  embedDim: 2,
  spec: {
    height: 4,
    width: 4,
    channels: 1,
    classes: 2,
    embedDim: 2,
    widths: [1, 1, 1],
    hidden: 2,
    zAsImage: false,
  },
};

Deno.test("DT and backprop metadata round-trip through the safetensors strings", () => {
  assertEquals(decodeMetadata(encodeMetadata(dt), "w"), dt);
  const bp = { ...dt, format: "noprop-backprop" } as const;
  assertEquals(encodeMetadata(bp).method, "backprop");
  assertEquals(decodeMetadata(encodeMetadata(bp), "w"), bp);
});

Deno.test("metadata problems are one line naming the file and the field", () => {
  const md = encodeMetadata(dt);
  const bad = (over: Record<string, string | undefined>, message: string) =>
    assertThrows(() => decodeMetadata({ ...md, ...over } as Record<string, string>, "r/w"), {
      message: `r/w: metadata ${message}`,
    });
  bad(
    { format: "noprop-xy" },
    'format "noprop-xy" is not noprop-dt, noprop-backprop, noprop-ct, noprop-fm, forecast-dt, ' +
      "forecast-dlinear or forecast-last",
  );
  bad({ T: undefined }, '"T" is missing');
  bad({ alphaBar: "[0.1" }, '"alphaBar" is not valid JSON');
  bad({ T: "3" }, "T = 3 and 3 ᾱ values do not match");
  bad({ classNames: '["a"]' }, "has 1 class names for 2 classes");
  bad({ variant: "ct" }, '"variant" of a noprop-dt model must be dt');
  bad({ embedding: "x" }, '"embedding" "x" is not onehot, learned or prototype');
});

Deno.test("forecaster metadata round-trips; a spec that contradicts the series is refused", () => {
  const f: RunMetadata = {
    format: "forecast-dt",
    variant: "forecast",
    dataset: "etth1",
    series: {
      file: "ETTh1.csv",
      features: "M",
      channels: ["a", "OT"],
      outputs: [0, 1],
      target: null,
      mean: [1, 2],
      std: [3, 4],
      lookback: 336,
      horizon: 96,
      splitMonths: [12, 4, 4],
    },
    spec: {
      kind: "noprop-dt",
      lookback: 336,
      horizon: 96,
      T: 2,
      schedule: "cosine",
      alphaBar: [1e-4, 0.5, 0.9999],
      hidden: 8,
      mode: "direct",
      latentDim: 32,
    },
  };
  const md = encodeMetadata(f);
  assertEquals(decodeMetadata(md, "w"), f);
  assertThrows(
    () => decodeMetadata({ ...md, spec: md.spec.replace('"horizon":96', '"horizon":48') }, "r/w"),
    {
      message: 'r/w: metadata "spec" lookback/horizon do not match "series"',
    },
  );
  assertThrows(() => decodeMetadata({ ...md, format: "forecast-last" }, "r/w"), {
    message: 'r/w: metadata "spec" kind noprop-dt does not match format forecast-last',
  });
});
