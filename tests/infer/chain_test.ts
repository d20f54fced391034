/**
 * The runtime and the fused chain graph (manifest `chain`): it is used, as one session, exactly
 * when the manifest lists it, `fused` is not false, the sampler is dt, no `onStep` asks for the
 * steps and the requested mode is among the chain's `modes`; otherwise the block graphs run. To
 * see which path ran, a copy of the shipped model gets a chain.onnx with a_t and b_t swapped
 * (so its logits differ from the block graphs'). And the manifest's `chain` field is validated.
 * The browser entry (`createWebClassifier`, folder by URL) loads, verifies and runs the chain
 * through the same shared code (folder.ts, classifier.ts).
 */
import { assert, assertEquals } from "../assert.ts";
import {
  createClassifier,
  type Engine,
  InferError,
  loadModelFolder,
  type Manifest,
  nodeEngine,
  parseManifest,
  sha256Hex,
} from "@noprop/infer";
import { createWebClassifier, fetchModelFolder } from "../../src/infer/web.ts";
import { chainGraph } from "../../src/onnx/chain_graph.ts";
import { chainOptionsFromExport } from "../../src/onnx/export_chain.ts";
import { maxAbsDiff } from "../_helpers/onnx.ts";

const shipped = new URL("../../models/mnist", import.meta.url).pathname;
const N = 6;
const x = Float32Array.from({ length: N * 784 }, (_, i) => Math.sin(i * 0.37) * 1.5);

const copies: string[] = [];
async function removeCopies() {
  for (const d of copies.splice(0)) await Deno.remove(d, { recursive: true });
}

/** A copy of the shipped model; `edit` changes its manifest, `chain` replaces chain.onnx. */
async function copyModel(edit?: (m: Manifest) => void, chain?: Uint8Array): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "noprop-chain-" });
  copies.push(dir);
  for await (const e of Deno.readDir(shipped)) {
    if (e.name.endsWith(".onnx")) await Deno.copyFile(`${shipped}/${e.name}`, `${dir}/${e.name}`);
  }
  const m = parseManifest(await Deno.readTextFile(`${shipped}/manifest.json`), "manifest.json");
  if (chain) {
    await Deno.writeFile(`${dir}/chain.onnx`, chain);
    m.chain!.sha256 = await sha256Hex(chain);
  }
  edit?.(m);
  await Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify(m));
  return dir;
}

/** The shipped chain with a_t and b_t swapped: a wrong chain whose logits give it away. */
async function swappedChain(): Promise<Uint8Array> {
  const o = chainOptionsFromExport(await loadModelFolder(shipped));
  const { a, b, c } = o.schedule;
  return chainGraph({ ...o, schedule: { a: b, b: a, c } }).encode();
}

async function logits(
  dir: string,
  noise: boolean,
  opts: { fused?: boolean; steps?: boolean } = {},
) {
  const clf = await createClassifier({ modelDir: dir, provider: "cpu", fused: opts.fused });
  let steps = 0;
  const out = await clf.logits(x, N, {
    noise,
    seed: 3,
    onStep: opts.steps ? () => steps++ : undefined,
  });
  const fused = clf.fused;
  await clf.close();
  return { out, fused, steps };
}

const reference = {
  clean: (await logits(shipped, false, { fused: false })).out,
  noisy: (await logits(shipped, true, { fused: false })).out,
};

Deno.test("with chain.onnx listed, the runtime uses it (one session) and matches the block graphs to 1e-4", async () => {
  for (const noise of [false, true]) {
    const r = await logits(shipped, noise);
    assert(r.fused);
    const diff = maxAbsDiff(r.out, noise ? reference.noisy : reference.clean);
    assert(diff <= 1e-4, `noise ${noise}: max |chain − blocks| = ${diff}`);
  }
});

Deno.test("a listed chain is what runs: a chain with a_t, b_t swapped changes the logits", async () => {
  const dir = await copyModel(undefined, await swappedChain());
  for (const noise of [false, true]) {
    const r = await logits(dir, noise);
    const diff = maxAbsDiff(r.out, noise ? reference.noisy : reference.clean);
    assert(r.fused && diff > 1e-2, `noise ${noise}: the swapped chain is only ${diff} away`);
  }
  // fused: false, or onStep (which needs every step's û), run the block graphs instead.
  const off = await logits(dir, true, { fused: false });
  assert(!off.fused && maxAbsDiff(off.out, reference.noisy) <= 1e-6);
  const stepped = await logits(dir, true, { steps: true });
  assertEquals(stepped.steps, 10);
  assert(maxAbsDiff(stepped.out, reference.noisy) <= 1e-6);
  await removeCopies();
});

Deno.test("a manifest without chain runs the block graphs; a chain serves only its listed modes", async () => {
  const none = await copyModel((m) => delete m.chain, await swappedChain());
  const r = await logits(none, true);
  assert(!r.fused && maxAbsDiff(r.out, reference.noisy) <= 1e-6, "chain.onnx used unlisted");
  const cleanOnly = await copyModel((m) => m.chain!.modes = ["noise-free"], await swappedChain());
  const clean = await logits(cleanOnly, false), noisy = await logits(cleanOnly, true);
  assert(maxAbsDiff(clean.out, reference.clean) > 1e-2, "noise-free did not use the chain");
  assert(maxAbsDiff(noisy.out, reference.noisy) <= 1e-6, "stochastic used a noise-free chain");
  await removeCopies();
});

Deno.test("the fused chain is opened as running alone (its idle threads spin), block graphs are not", async () => {
  const inner = await nodeEngine("cpu", { threads: 1 });
  const opened: [string, boolean][] = [];
  const engine: Engine = {
    ...inner,
    open: (graph, label, hints) => {
      opened.push([label.split("/").pop()!, hints?.alone ?? false]);
      return inner.open(graph, label, hints);
    },
  };
  for (const fused of [true, false]) {
    opened.length = 0;
    const clf = await createClassifier({ modelDir: shipped, engine, fused });
    await clf.close();
    const alone = opened.filter(([, a]) => a).map(([f]) => f);
    assertEquals(alone, fused ? ["chain.onnx"] : [], `fused ${fused}: ${JSON.stringify(opened)}`);
    assert(opened.some(([f]) => f === "block_01.onnx") || fused, "the block graphs were opened");
  }
});

async function loadError(dir: string): Promise<string> {
  try {
    await loadModelFolder(dir);
  } catch (e) {
    assert(e instanceof InferError && !e.message.includes("\n"), String(e));
    return e.message;
  }
  throw new Error(`${dir} loaded`);
}

Deno.test("the manifest's chain field is checked: modes, variant, file name, sha256", async () => {
  const cases: [(m: Manifest) => void, RegExp][] = [
    [(m) => m.chain!.modes = [], /"chain\.modes" must list one or both of noise-free, stochastic/],
    [(m) => (m.chain!.modes as string[]) = ["greedy"], /"chain\.modes" must list/],
    [(m) => m.chain!.modes = ["stochastic", "stochastic"], /"chain\.modes" must list/],
    [(m) => m.chain!.file = "block_03.onnx", /two graphs share one file name/],
    [(m) => m.chain!.file = "../chain.onnx", /"chain\.file" = "\.\.\/chain\.onnx" is not a plain/],
    [(m) => m.chain!.sha256 = "0".repeat(64), /chain\.onnx is corrupt \(sha256/],
    [(m) => {
      // An otherwise valid flow-matching manifest (one network graph, no DT coefficients).
      Object.assign(m, { variant: "fm", T: 1, blocks: [m.blocks[0]] });
      Object.assign(m.schedule, { a: [], b: [], c: [] });
    }, /: "chain" is only for dt models, not fm$/],
  ];
  for (const [edit, want] of cases) {
    const msg = await loadError(await copyModel(edit));
    assert(want.test(msg), msg);
  }
  await removeCopies();
});

Deno.test("web entry: chain.onnx is fetched, verified by sha256 and run (same path choice as Deno)", async () => {
  const dir = await copyModel(undefined, await swappedChain());
  const modelUrl = new URL(`file://${dir}/`);
  const folder = await fetchModelFolder(modelUrl);
  assert(folder.chain !== undefined && folder.manifest.chain !== undefined);
  // The references ran on onnxruntime-node (cpu), the web entry on onnxruntime-web (wasm): the
  // two engines' float32 kernels differ by ~1e-5 in the logits, hence the 1e-4 bar.
  for (const fused of [undefined, false]) {
    const web = await createWebClassifier({ modelUrl, provider: "wasm", threads: 1, fused });
    try {
      assertEquals(web.fused, fused !== false);
      for (const noise of [false, true]) {
        const got = await web.logits(x, N, { noise, seed: 3 });
        const diff = maxAbsDiff(got, noise ? reference.noisy : reference.clean);
        if (fused === false) assert(diff <= 1e-4, `blocks, noise ${noise}: ${diff}`);
        else {
          // The swapped chain ran, and gives what the Deno entry's chain gives.
          assert(diff > 1e-2, `noise ${noise}: the swapped chain is only ${diff} away`);
          const deno = (await logits(dir, noise)).out;
          const d2 = maxAbsDiff(got, deno);
          assert(d2 <= 1e-4, `noise ${noise}: web chain vs Deno chain ${d2}`);
        }
      }
    } finally {
      await web.close();
    }
  }
  // A chain.onnx that does not match the manifest's digest is refused before any session.
  const bytes = await Deno.readFile(`${dir}/chain.onnx`);
  bytes[bytes.length - 1] ^= 0x40;
  await Deno.writeFile(`${dir}/chain.onnx`, bytes);
  try {
    await fetchModelFolder(modelUrl);
    throw new Error("a corrupt chain.onnx was loaded");
  } catch (e) {
    assert(
      e instanceof InferError && /: chain\.onnx is corrupt \(sha256 /.test(e.message),
      String(e),
    );
  }
  await removeCopies();
});
