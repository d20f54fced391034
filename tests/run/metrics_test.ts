import { assertEquals, assertThrows } from "../assert.ts";
import {
  decodeMetricsLine,
  formatMetrics,
  meanLoss,
  METRICS_SCHEMA,
  type MetricsLine,
  parseMetrics,
} from "../../src/run/metrics.ts";

const line: MetricsLine = {
  schema: METRICS_SCHEMA,
  method: "dt",
  epoch: 1,
  step: 20,
  trainLoss: [0.5, 0.25],
  testAcc: 0.9,
  testAccNoiseFree: 0.95,
  testCount: 100,
  sampler: "dt",
  sampleSteps: 2,
  samplesPerSec: 10,
  epochSeconds: 2,
  wallSeconds: 3,
  peakRssMB: 100,
  tensorMB: 5,
  extra: {},
};

Deno.test("a metrics file round-trips through formatMetrics and parseMetrics", () => {
  assertEquals(parseMetrics(formatMetrics([line, { ...line, step: 40 }]), "m"), [
    line,
    { ...line, step: 40 },
  ]);
});

Deno.test("pre-schema DT, CT and backprop lines are read as version 1", () => {
  const dt = decodeMetricsLine({
    epoch: 1,
    step: 20,
    trainLoss: [0.5],
    testAccNoisy: 0.8,
    testAccClean: 0.9,
    samplesPerSec: 1,
    epochSeconds: 1,
    wallSeconds: 1,
    peakRssMB: 1,
    tensorMB: 1,
  }, "old");
  assertEquals([dt.method, dt.testAcc, dt.testAccNoiseFree], ["dt", 0.8, 0.9]);
  const ct = decodeMetricsLine({ epoch: 1, step: 2, trainLoss: 0.3, testAcc: 0.7 }, "old");
  assertEquals([ct.method, ct.testAcc, ct.testAccNoiseFree, ct.trainLoss], ["ct", 0.7, null, [
    0.3,
  ]]);
  const bp = decodeMetricsLine({ epoch: 1, step: 2, trainLoss: [1], alpha: [0.5] }, "old");
  assertEquals(bp.extra, { alpha: [0.5] });
});

Deno.test("a malformed metrics line is refused naming the place and the field", () => {
  assertThrows(() => parseMetrics('{"schema":"noprop.metrics/9"}\n', "r/m.jsonl"), {
    message: 'r/m.jsonl:1: schema "noprop.metrics/9" is not noprop.metrics/1',
  });
  assertThrows(() => parseMetrics("\nnot json\n", "r/m.jsonl"), {
    message: "r/m.jsonl:2: not valid JSON",
  });
  assertThrows(() => decodeMetricsLine({ ...line, step: 1.5 }, "x"), {
    message: "x: step is not an integer ≥ 0",
  });
  assertThrows(() => decodeMetricsLine({ ...line, trainLoss: ["a"] }, "x"), {
    message: "x: trainLoss is not a list of numbers or nulls",
  });
});

Deno.test("meanLoss averages the parts that ran", () => {
  assertEquals(meanLoss({ trainLoss: [1, null, 2] }), 1.5);
  assertEquals(meanLoss({ trainLoss: [null] }), null);
});

Deno.test("perClassAcc: optional, round-trips, and must hold accuracies in [0, 1] or nulls", () => {
  const withPerClass = { ...line, perClassAcc: [1, 0.5, null] };
  assertEquals(parseMetrics(formatMetrics([withPerClass]), "m"), [withPerClass]);
  assertEquals(decodeMetricsLine(line, "x").perClassAcc, undefined); // lines without it
  for (const bad of [[1.5], ["a"], 0.5, [Number.NaN]]) {
    assertThrows(() => decodeMetricsLine({ ...line, perClassAcc: bad }, "x"), {
      message: "x: perClassAcc is not a list of accuracies in [0, 1] or nulls",
    });
  }
});
