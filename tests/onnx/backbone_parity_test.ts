/**
 * ONNX export of the ResNet backbones (`src/onnx/resnet_graph.ts`): BatchNorm folded into the
 * convs equals the unfolded conv → BN; the exported DT blocks hold no BatchNormalization node and,
 * run by the unchanged runtime, match the tfjs eval forward to 1e-4 (every block's û and the final
 * logits), as do the CT/FM networks (no BatchNorm at all); the metadata carries the backbone so
 * export and eval rebuild the same model; the reference checker accepts every graph. Tiny widths
 * (1/16), CIFAR-shaped 16×16×3 images, random BatchNorm statistics.
 */
import { assert, assertEquals } from "../assert.ts";
import { initBackend } from "../../src/backend/mod.ts";
import { tf } from "../../src/deps_tf.ts";
import { createClassifier, FixedNoise, nodeEngine } from "@noprop/infer";
import { resnetPlan } from "../../src/model/backbone.ts";
import { blockForward, flatSize } from "../../src/model/block.ts";
import {
  continuousForward,
  continuousSpec,
  createContinuousNet,
  velocity,
} from "../../src/model/continuous.ts";
import { continuousGraph } from "../../src/onnx/continuous_graph.ts";
import { WeightMap } from "../../src/onnx/weights.ts";
import { continuousArrays, createContinuousModel } from "../../src/model/continuous_model.ts";
import { denoised } from "../../src/model/embedding.ts";
import { batchNorm2d, evalContext, paddedConv } from "../../src/model/layers.ts";
import { ParamSet } from "../../src/model/params.ts";
import { exportRun } from "../../src/onnx/export.ts";
import { foldBatchNorm } from "../../src/onnx/layout.ts";
import { dataMetadata, encodeMetadata } from "../../src/run/metadata.ts";
import { Rng } from "../../src/rng.ts";
import { loadSafetensors, saveSafetensors } from "../../src/safetensors.ts";
import { onnx } from "../../src/deps_onnx.ts";
import { sampleDT } from "../../src/train/dt/evaluate.ts";
import { f32Tensors } from "../../src/train/named_tensors.ts";
import { loadContinuousRun } from "../../src/train/continuous/weights.ts";
import {
  checkOnnx,
  loadReference,
  maxAbsDiff,
  nhwcToNchw,
  onnxChecker,
  writeFixtureRun,
} from "../_helpers/onnx.ts";

const TOL = 1e-4;
const [H, W, C, N] = [16, 16, 3, 4];
const WIDTH = 1 / 16;
await initBackend("wasm");
const engine = await nodeEngine("cpu", { threads: 1 });
const python = await onnxChecker();
const exported: string[] = [];

/** Operator types of an .onnx file. */
async function opTypes(file: string): Promise<string[]> {
  const m = onnx.ModelProto.decode(await Deno.readFile(file));
  return (m.graph?.node ?? []).map((n) => n.opType ?? "");
}

Deno.test("a conv's BatchNorm folded into its kernel and bias equals conv → BatchNorm2d (eval)", async () => {
  const rng = new Rng(3);
  const [ci, co, k] = [3, 5, 3];
  const p = new ParamSet();
  p.conv("c", k, ci, co, rng);
  p.batchNorm("bn", co);
  const vec = (f: () => number) => tf.tensor1d(Float32Array.from({ length: co }, f));
  p.get("bn.gamma").assign(vec(() => 0.5 + rng.uniform()));
  p.get("bn.beta").assign(vec(() => rng.normal()));
  p.get("bn.mean").assign(vec(() => rng.normal()));
  p.get("bn.var").assign(vec(() => 0.2 + rng.uniform()));
  const a = await p.toArrays();
  const folded = foldBatchNorm(a["c.w"].data, a["c.b"].data, {
    gamma: a["bn.gamma"].data,
    beta: a["bn.beta"].data,
    mean: a["bn.mean"].data,
    variance: a["bn.var"].data,
  });
  const q = new ParamSet();
  q.add("c.w", [k, k, ci, co], folded.w);
  q.add("c.b", [co], folded.b);
  const x = tf.tensor4d(rng.fillNormal(new Float32Array(2 * 7 * 7 * ci)), [2, 7, 7, ci]);
  for (const stride of [1, 2]) {
    const want = batchNorm2d(p, "bn", paddedConv(p, "c", x, stride), evalContext());
    const got = paddedConv(q, "c", x, stride);
    const d = maxAbsDiff(await got.data(), await want.data());
    assert(d < 1e-5, `stride ${stride}: folded vs unfolded max diff ${d}`);
    // And the BatchNorm is not a no-op here, so the comparison can fail.
    assert(maxAbsDiff(await got.data(), await paddedConv(p, "c", x, stride).data()) > 0.1);
  }
  p.dispose();
  q.dispose();
});

for (const backbone of ["resnet18", "resnet50"] as const) {
  Deno.test(`DT ${backbone}: exported blocks have no BatchNormalization and match tfjs to 1e-4 (û_t, logits)`, async () => {
    const { runDir } = await writeFixtureRun({
      image: { height: H, width: W, channels: C },
      embedding: "learned",
      embedDim: 6,
      T: 2,
      hidden: 16,
      backbone,
      backboneWidth: WIDTH,
    });
    const r = await exportRun(runDir);
    const model = await loadReference(runDir); // rebuilt from the metadata alone
    assertEquals([model.spec.backbone, model.spec.backboneWidth], [backbone, WIDTH]);
    const plan = resnetPlan({ backbone, backboneWidth: WIDTH }, C, true);
    const rng = new Rng(11);
    const xh = rng.fillNormal(new Float32Array(N * H * W * C));
    const xn = nhwcToNchw(xh, N, H, W, C);
    const x = tf.tensor4d(xh, [N, H, W, C]);
    const d = model.embedding.dim;
    for (const [t, b] of r.manifest.blocks.entries()) {
      const file = `${r.outDir}/${b.file}`;
      exported.push(file);
      const ops = await opTypes(file);
      assert(!ops.includes("BatchNormalization"), `${b.file}: ${ops.join(",")}`);
      assertEquals(ops.filter((o) => o === "Conv").length, plan.convs.length);
      assertEquals(ops.filter((o) => o === "GlobalAveragePool").length, 1);
      const z = rng.fillNormal(new Float32Array(N * d));
      const session = await engine.open(await Deno.readFile(file), b.file);
      const { uhat } = await session.run({
        x: { data: xn, dims: [N, C, H, W] },
        z: { data: z, dims: [N, d] },
      });
      await session.release();
      const want = tf.tidy(() =>
        denoised(
          blockForward(model.blocks[t], model.spec, x, tf.tensor2d(z, [N, d]), evalContext()),
          model.embedding.W,
        ).dataSync()
      );
      const diff = maxAbsDiff(uhat, want);
      assert(diff < TOL, `block ${t + 1}: max |û_ONNX − û_tfjs| = ${diff}`);
    }
    exported.push(`${r.outDir}/classifier.onnx`);
    // The whole chain through the runtime (noise-free sampler, same z_0).
    const z0 = rng.fillNormal(new Float32Array(N * d));
    const ref = await sampleDT(model, x, new FixedNoise([z0, z0, z0]));
    const clf = await createClassifier({ modelDir: r.outDir, provider: "cpu" });
    const clean = await clf.logits(xn, N, { noise: false, noiseSource: new FixedNoise([z0]) });
    await clf.close();
    const diff = maxAbsDiff(clean, ref.clean);
    assert(diff < TOL, `max |logits_ONNX − logits_tfjs| = ${diff}`);
    x.dispose();
  });
}

for (const variant of ["ct", "fm"] as const) {
  for (const backbone of ["resnet18", "resnet50"] as const) {
    Deno.test(`${variant} ${backbone}: the exported network (no BatchNorm) matches tfjs to 1e-4`, async () => {
      const m = createContinuousModel({
        variant,
        image: { height: H, width: W, channels: C },
        classes: 4,
        embedding: "learned",
        embedDim: 5,
        widths: [2, 2, 2],
        hidden: 16,
        backbone,
        backboneWidth: WIDTH,
        seed: 3,
        gamma0: -3,
        gamma1: 3,
        gammaHidden: 4,
      });
      const runDir = await Deno.makeTempDir({ prefix: "noprop-backbone-ct-" });
      const info = { name: "cifar10" as const, classNames: ["a", "b", "c", "d"] };
      const md = encodeMetadata({
        format: variant === "ct" ? "noprop-ct" : "noprop-fm",
        variant,
        embedding: "learned",
        spec: m.spec,
        ...dataMetadata({ ...info, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }),
      });
      await saveSafetensors(
        `${runDir}/weights.safetensors`,
        f32Tensors(await continuousArrays(m)),
        md,
      );
      const saved = JSON.parse(
        (await loadSafetensors(`${runDir}/weights.safetensors`)).metadata.spec,
      );
      assertEquals([saved.backbone, saved.backboneWidth], [backbone, WIDTH]);
      // deno task eval (tfjs engine) rebuilds the same network from the run folder.
      const loaded = (await loadContinuousRun(runDir)).model;
      assertEquals(await continuousArrays(loaded), await continuousArrays(m));
      const r = await exportRun(runDir);
      exported.push(...r.files.filter((f) => f.endsWith(".onnx")).map((f) => `${r.outDir}/${f}`));
      const ops = await opTypes(`${r.outDir}/network.onnx`);
      assert(!ops.includes("BatchNormalization"));
      const plan = resnetPlan({ backbone, backboneWidth: WIDTH }, C, false);
      assertEquals(ops.filter((o) => o === "Conv").length, plan.convs.length);
      const rng = new Rng(4);
      const xh = rng.fillNormal(new Float32Array(N * H * W * C));
      const z = rng.fillNormal(new Float32Array(N * 5));
      const t = Float32Array.from({ length: N }, (_, i) => (i + 0.5) / N);
      const session = await engine.open(
        await Deno.readFile(`${r.outDir}/network.onnx`),
        "network.onnx",
      );
      const out = await session.run({
        x: { data: nhwcToNchw(xh, N, H, W, C), dims: [N, C, H, W] },
        z: { data: z, dims: [N, 5] },
        t: { data: t, dims: [N] },
      });
      await session.release();
      const want = tf.tidy(() => {
        const logits = continuousForward(
          m.net,
          m.spec,
          tf.tensor4d(xh, [N, H, W, C]),
          tf.tensor2d(z, [N, 5]),
          tf.tensor1d(t),
          evalContext(),
        );
        return (variant === "ct"
          ? denoised(logits, m.embedding.W)
          : velocity(logits, m.embedding.W)).dataSync();
      });
      const got = out[variant === "ct" ? "uhat" : "vhat"];
      const diff = maxAbsDiff(got, want);
      assert(diff < TOL, `max |ONNX − tfjs| = ${diff}`);
    });
  }
}

Deno.test({
  name: python
    ? "the reference ONNX checker (full_check) accepts every exported backbone graph"
    : "SKIPPED: reference ONNX checker (/usr/bin/python3 has no onnx module; apt-get install python3-onnx)",
  ignore: !python,
  fn: async () => {
    assert(exported.length >= 2 * 3 + 4 * 2, `only ${exported.length} graphs exported`);
    assertEquals(await checkOnnx(python!, exported), []);
  },
});

Deno.test("ct/fm with the prototype embedding and a resnet18 backbone: z keeps its own paper conv stack, and onnxruntime matches tfjs", async () => {
  const d = H * W * C;
  const spec = continuousSpec({
    height: H,
    width: W,
    channels: C,
    classes: 4,
    embedDim: d,
    widths: [2, 3, 4],
    hidden: 8,
    backbone: "resnet18",
    backboneWidth: WIDTH,
    zAsImage: true,
  });
  const net = createContinuousNet(spec, new Rng(6));
  const names = [...net.trainable.keys()];
  assert(names.includes("img.res.stem.conv.w") && !names.includes("img.conv1.w"));
  // z's branch is the paper stack with `widths`, not the ResNet.
  assertEquals(net.get("z.conv1.w").shape, [3, 3, C, 2]);
  assertEquals(net.get("z.conv3.w").shape, [3, 3, 3, 4]);
  assertEquals(net.get("z.fc.w").shape, [flatSize(spec), 8]);
  const rng = new Rng(7);
  const embed = { shape: [4, d], data: rng.fillNormal(new Float32Array(4 * d)) };
  for (const variant of ["ct", "fm"] as const) {
    const g = continuousGraph({
      variant,
      spec,
      name: "net",
      weights: new WeightMap("net", await net.toArrays()),
      embed,
    });
    const plan = resnetPlan({ backbone: "resnet18", backboneWidth: WIDTH }, C, false);
    assertEquals(g.opTypes().filter((o) => o === "Conv").length, plan.convs.length + 3);
    const xh = rng.fillNormal(new Float32Array(N * H * W * C));
    const z = rng.fillNormal(new Float32Array(N * d));
    const t = Float32Array.from({ length: N }, (_, i) => (i + 0.5) / N);
    const session = await engine.open(g.encode(), "network.onnx");
    const out = await session.run({
      x: { data: nhwcToNchw(xh, N, H, W, C), dims: [N, C, H, W] },
      z: { data: z, dims: [N, d] },
      t: { data: t, dims: [N] },
    });
    await session.release();
    const want = tf.tidy(() => {
      const W_ = tf.tensor2d(embed.data, [4, d]);
      const logits = continuousForward(
        net,
        spec,
        tf.tensor4d(xh, [N, H, W, C]),
        tf.tensor2d(z, [N, d]),
        tf.tensor1d(t),
        evalContext(),
      );
      return (variant === "ct" ? denoised(logits, W_) : velocity(logits, W_)).dataSync();
    });
    const diff = maxAbsDiff(out[variant === "ct" ? "uhat" : "vhat"], want);
    assert(diff < TOL, `${variant}: max |ONNX − tfjs| = ${diff}`);
  }
});
