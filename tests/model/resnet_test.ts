/**
 * The ResNet backbones (`src/model/backbone.ts`, `src/model/resnet.ts`) in the DT block and the
 * CT/FM network: architecture (conv count, channels, strides, parameter counts against
 * PyTorch), output shapes, parameter names, BatchNorm only in DT, training updates the backbone,
 * and the paper block's names unchanged.
 */
import { assert, assertEquals, assertNotEquals, assertThrows } from "../assert.ts";
import { tf } from "../../src/deps_tf.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { convOutSize, type ResNetPlan, resnetPlan } from "../../src/model/backbone.ts";
import { blockForward, blockSpec, createBlock, imageFeatureSize } from "../../src/model/block.ts";
import { continuousForward } from "../../src/model/continuous.ts";
import { createContinuousModel } from "../../src/model/continuous_model.ts";
import { evalContext, type ForwardContext } from "../../src/model/layers.ts";
import { createNoPropDT } from "../../src/model/noprop.ts";
import { ParamSet } from "../../src/model/params.ts";
import { addResNet, resnetForward } from "../../src/model/resnet.ts";
import { Rng } from "../../src/rng.ts";
import { defaultConfig } from "../../src/config.ts";
import { trainerHyper } from "../../src/train/dt/setup.ts";
import { trainBlockStep } from "../../src/train/dt/step.ts";
import { createTrainState } from "../../src/train/dt/trainer.ts";

await initBackend("wasm");

/** Trainable scalars of a plan: conv weights and biases, BN γ and β. */
function planSize(plan: ResNetPlan): number {
  return plan.convs.reduce(
    (n, c) => n + c.k * c.k * c.inCh * c.outCh + c.outCh + (c.bn ? 2 * c.outCh : 0),
    0,
  );
}

Deno.test("resnet18 / resnet50 have torchvision's conv counts and PyTorch's parameter counts", () => {
  const r18 = resnetPlan({ backbone: "resnet18", backboneWidth: 1 }, 3, true);
  const r50 = resnetPlan({ backbone: "resnet50", backboneWidth: 1 }, 3, true);
  // 1 stem + 8·2 + 3 shortcuts; 1 stem + 16·3 + 4 shortcuts (as torchvision's resnet18/50).
  assertEquals([r18.convs.length, r50.convs.length], [20, 53]);
  assertEquals([r18.outCh, r50.outCh], [512, 2048]);
  // `python3 tools/torch_backbone_bench.py --backbone resnet18|resnet50 --count-params` (the
  // CIFAR ResNets' 11,168,832 and 23,500,352 without the classifier, plus one bias per conv channel).
  assertEquals(planSize(r18), 11_173_632);
  assertEquals(planSize(r50), 23_526_912);
  // Stage strides 1, 2, 2, 2 on the first block of each stage; Bottleneck strides its 3×3.
  assertEquals(r18.units.map((u) => u.main[0].stride), [1, 1, 2, 1, 2, 1, 2, 1]);
  assertEquals(r50.units.filter((u) => u.main[1].stride === 2).map((u) => u.name), [
    "img.res.s2.b0",
    "img.res.s3.b0",
    "img.res.s4.b0",
  ]);
  assertEquals(r50.units.map((u) => u.main.map((c) => c.k).join("")), Array(16).fill("131"));
  // Projection shortcuts exactly where the shape changes.
  assertEquals(r18.units.filter((u) => u.shortcut).map((u) => u.name), [
    "img.res.s2.b0",
    "img.res.s3.b0",
    "img.res.s4.b0",
  ]);
  assertEquals(r50.units.filter((u) => u.shortcut).length, 4);
});

Deno.test("the width multiplier scales every stage, rounded and at least one channel", () => {
  const chans = (w: number) =>
    resnetPlan({ backbone: "resnet18", backboneWidth: w }, 1, true).units.map((u) =>
      u.main[0].outCh
    );
  assertEquals(chans(1 / 16), [4, 4, 8, 8, 16, 16, 32, 32]);
  assertEquals(chans(0.3), [19, 19, 38, 38, 77, 77, 154, 154]);
  assertEquals(chans(1e-4), [1, 1, 1, 1, 1, 1, 1, 1]);
  assertThrows(() => resnetPlan({ backbone: "resnet18", backboneWidth: 0 }, 1, true), /> 0/);
});

Deno.test("the ParamSet holds exactly the plan's tensors (PyTorch's counts at width 1/16)", () => {
  for (const [kind, want] of [["resnet18", 44_592], ["resnet50", 96_672]] as const) {
    const plan = resnetPlan({ backbone: kind, backboneWidth: 1 / 16 }, 3, true);
    const p = new ParamSet();
    addResNet(p, plan, new Rng(0));
    assertEquals(p.size(), want, kind); // tools/torch_backbone_bench.py --width 0.0625 --count-params
    assertEquals(p.size(), planSize(plan));
    assertEquals(p.buffers.size, 2 * plan.convs.length); // running mean and var per BN
    p.dispose();
  }
});

Deno.test("the backbone output is [N, outCh] and the spatial size halves at stages 2–4", () => {
  const plan = resnetPlan({ backbone: "resnet50", backboneWidth: 1 / 16 }, 3, true);
  const sizes = plan.units.filter((u) => u.shortcut).map((u) => u.shortcut!.stride);
  assertEquals(sizes, [1, 2, 2, 2]);
  let s = 16;
  for (const u of plan.units) for (const c of u.main) s = convOutSize(s, c.k, c.stride);
  assertEquals(s, 2);
  const p = new ParamSet();
  addResNet(p, plan, new Rng(0));
  const y = resnetForward(p, plan, tf.randomNormal([3, 16, 16, 3]) as tf.Tensor4D, evalContext());
  assertEquals(y.shape, [3, 128]);
  tf.dispose([y]);
  p.dispose();
});

Deno.test("a DT block with a ResNet backbone: img.res.* parameters with BatchNorm, [N, classes] logits", () => {
  const spec = blockSpec({
    height: 16,
    width: 16,
    channels: 3,
    classes: 10,
    embedDim: 10,
    hidden: 16,
    backbone: "resnet18",
    backboneWidth: 1 / 16,
  });
  const p = createBlock(spec, new Rng(0));
  assertEquals(p.get("img.res.s1.b0.conv1.w").shape, [3, 3, 4, 4]);
  assertEquals(p.get("img.res.s2.b0.short.conv.w").shape, [1, 1, 4, 8]);
  assert(p.buffers.has("img.res.stem.bn.mean") && p.buffers.has("img.res.s4.b1.bn2.var"));
  assert(![...p.trainable.keys()].some((k) => k.startsWith("img.conv")), "no paper convs");
  assertEquals(imageFeatureSize(spec), 32);
  assertEquals(p.get("img.fc.w").shape, [32, 16]);
  const out = blockForward(p, spec, tf.zeros([2, 16, 16, 3]), tf.zeros([2, 10]), evalContext());
  assertEquals(out.shape, [2, 10]);
  tf.dispose([out]);
  p.dispose();
});

Deno.test("the paper block keeps its parameter names (backbone: paper, the default)", () => {
  const spec = blockSpec({ height: 8, width: 8, channels: 1, classes: 3, embedDim: 3 });
  assertEquals([spec.backbone, spec.backboneWidth], ["paper", 1]);
  const p = createBlock(spec, new Rng(0));
  const bn = (n: string) => [`${n}.gamma`, `${n}.beta`];
  assertEquals([...p.trainable.keys()], [
    ...["img.conv1", "img.conv2", "img.conv3", "img.fc"].flatMap((n) => [`${n}.w`, `${n}.b`]),
    ...bn("img.bn"),
    ...["lab.fc1", "lab.bn1", "lab.fc2", "lab.bn2", "lab.fc3", "lab.bn3"].flatMap((n) =>
      n.includes("bn") ? bn(n) : [`${n}.w`, `${n}.b`]
    ),
    ...["head.fc1", "head.bn1", "head.fc2", "head.bn2", "head.fc3"].flatMap((n) =>
      n.includes("bn") ? bn(n) : [`${n}.w`, `${n}.b`]
    ),
  ]);
  p.dispose();
});

Deno.test("CT/FM with a ResNet backbone has no BatchNorm and sees its backbone", async () => {
  for (const backbone of ["resnet18", "resnet50"] as const) {
    const m = createContinuousModel({
      variant: "fm",
      image: { height: 8, width: 8, channels: 1 },
      classes: 3,
      embedding: "onehot",
      embedDim: 3,
      widths: [2, 2, 2],
      hidden: 8,
      backbone,
      backboneWidth: 1 / 32,
      seed: 0,
      gamma0: -3,
      gamma1: 3,
      gammaHidden: 4,
    });
    assertEquals(m.net.buffers.size, 0, `${backbone}: no running statistics`);
    const names = [...m.net.trainable.keys()];
    assert(!names.some((k) => /\.bn\d*\./.test(k)), names.join(", "));
    assert(names.includes("img.res.s1.b0.conv1.w") && !names.includes("img.conv1.w"));
    const x = tf.randomNormal([2, 8, 8, 1], 0, 1, "float32", 1) as tf.Tensor4D;
    const z = tf.zeros([2, 3]) as tf.Tensor2D;
    const a = continuousForward(m.net, m.spec, x, z, tf.tensor1d([0.5, 0.5]), evalContext());
    assertEquals(a.shape, [2, 3]);
    // The image branch reaches the output: other images, other logits.
    const b = continuousForward(
      m.net,
      m.spec,
      tf.mul(x, 3),
      z,
      tf.tensor1d([0.5, 0.5]),
      evalContext(),
    );
    assertNotEquals(await a.data(), await b.data());
  }
});

Deno.test("one DT training step trains the backbone and moves its BatchNorm running statistics", async () => {
  const model = createNoPropDT({
    image: { height: 8, width: 8, channels: 3 },
    classes: 2,
    T: 2,
    schedule: "cosine",
    embedding: "onehot",
    embedDim: 2,
    widths: [2, 2, 2],
    hidden: 8,
    backbone: "resnet50",
    backboneWidth: 1 / 32,
    seed: 0,
  });
  const block = model.blocks[0];
  const read = (n: string) => block.get(n).data();
  const names = ["img.res.stem.conv.w", "img.res.s4.b2.conv3.w", "img.res.s1.b0.short.bn.gamma"];
  const before = await Promise.all(names.map(read));
  const meanBefore = await read("img.res.s3.b0.bn2.mean");
  const state = createTrainState(model, trainerHyper(defaultConfig()), [1, 2]);
  const x = tf.randomNormal([4, 8, 8, 3], 1, 1, "float32", 2) as tf.Tensor4D;
  const y = tf.tensor1d([0, 1, 0, 1], "int32");
  const eps = () => tf.randomNormal([4, 2], 0, 1, "float32", 3) as tf.Tensor2D;
  tf.dispose(trainBlockStep(state, 1, x, y, eps(), eps(), 0));
  const after = await Promise.all(names.map(read));
  names.forEach((n, i) => assertNotEquals(after[i], before[i], `${n} did not change`));
  assertNotEquals(await read("img.res.s3.b0.bn2.mean"), meanBefore);
});

Deno.test("BatchNorm in the backbone: training mode uses batch statistics, eval the running ones", async () => {
  const plan = resnetPlan({ backbone: "resnet18", backboneWidth: 1 / 64 }, 1, true);
  const p = new ParamSet();
  addResNet(p, plan, new Rng(0));
  const x = tf.randomNormal([4, 8, 8, 1], 2, 1, "float32", 5) as tf.Tensor4D;
  const train: ForwardContext = { training: true, dropout: 0, bnMomentum: 0.1, updates: [] };
  const a = await resnetForward(p, plan, x, train).data();
  const b = await resnetForward(p, plan, x, evalContext()).data();
  assertNotEquals(a, b);
  assertEquals(train.updates.length, 2 * plan.convs.length);
  tf.dispose(train.updates.map((u) => u.value));
  p.dispose();
});
