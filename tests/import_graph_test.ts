/**
 * The project's import structure, from `deno info --json` (see import_graph.ts):
 * - the configuration, the data loaders, the ONNX exporter, the CLIs' `--help` paths and the GPU
 *   kit's inference tasks never load TensorFlow.js (it takes most of a second; the inference kit
 *   parts do not carry it), and `deno task train --help` does not load
 *   the ONNX protobuf classes either;
 * - every npm dependency is imported by exactly one module of the project;
 * - no import cycles among the project's modules (src/ and tools/).
 */
import { assert, assertEquals } from "./assert.ts";
import {
  fileUrl,
  importCycles,
  type ImportGraph,
  importGraph,
  projectPath,
  staticClosure,
  staticPath,
  tsFiles,
} from "./_helpers/import_graph.ts";

const TFJS = (s: string) => s.startsWith("npm:") && s.includes("@tensorflow/");
const ONNX_PROTO = (s: string) => s.startsWith("npm:") && s.includes("onnx-proto");
/** "npm:/@scope/name@1.2.3" → "@scope/name". */
const npmPackage = (s: string) => s.replace(/^npm:\/?/, "").replace(/@[^@/]*$/, "");

/** Modules that must load without tfjs, with the reason. */
const TF_FREE: [string[], string][] = [
  [["src/config.ts", ...await tsFiles("src/config")], "the configuration"],
  [await tsFiles("src/data"), "the data loaders"],
  [await tsFiles("src/onnx"), "the ONNX exporter"],
  [["src/schedule.ts", "src/safetensors.ts", "src/deps.ts", "src/deps_onnx.ts"], "plain modules"],
  [["tools/train.ts", "tools/export.ts"], "the CLIs (their --help)"],
  [
    [
      "src/backend/probe.ts",
      "tools/chain_run.ts",
      "tools/gpu/driver.ts",
      "tools/gpu/child.ts",
      "tools/gpu/task_adapter.ts",
      "tools/gpu/task_onnx.ts",
    ],
    "the GPU kit's driver and its adapter and inference tasks (the inference kit parts carry no tfjs)",
  ],
];

// Cycles that exist today in files being rewritten elsewhere; each entry must still be found
// (a stale entry fails the test, so remove it once the cycle is gone). The lead's rewrite of
// the training loop (src/train/mod.ts and */run.ts) is expected to remove this one: the two
// run.ts import the types TrainOptions/TrainResult from mod.ts, which imports both.
const KNOWN_CYCLES: string[][] = [];

let whole: ImportGraph | undefined;
async function projectGraph(): Promise<ImportGraph> {
  const files = [
    "mod.ts",
    "infer.ts",
    ...await tsFiles("src"),
    ...await tsFiles("tools"),
  ].filter((f) => !f.startsWith("src/infer/"));
  return whole ??= await importGraph(files);
}

for (const [files, what] of TF_FREE) {
  Deno.test(`${what} load without TensorFlow.js`, async () => {
    const g = await importGraph(files);
    for (const root of g.roots) {
      const chain = staticPath(g, root, TFJS);
      assertEquals(chain, undefined, `${projectPath(root)} loads tfjs: ${chain?.join(" → ")}`);
    }
  });
}

Deno.test("deno task train --help loads neither tfjs nor onnx-proto; export --help no onnx-proto", async () => {
  const g = await importGraph(["tools/train.ts", "tools/export.ts"]);
  const train = staticClosure(g, [fileUrl("tools/train.ts")]);
  const exp = staticClosure(g, [fileUrl("tools/export.ts")]);
  for (const [name, set] of [["train", train], ["export", exp]] as const) {
    const npm = [...set].filter((s) => s.startsWith("npm:"));
    assert(!npm.some(TFJS), `tools/${name}.ts loads ${npm.join(", ")}`);
    assert(!npm.some(ONNX_PROTO), `tools/${name}.ts loads ${npm.join(", ")}`);
  }
  // Only YAML (the config files) is left in train's start-up.
  assertEquals([...train].filter((s) => s.startsWith("npm:")).map(npmPackage), ["yaml"]);
});

Deno.test("the detector sees tfjs where it is loaded (the trainer) and through which module", async () => {
  const g = await importGraph(["src/train/mod.ts", "src/onnx/export.ts"]);
  const chain = staticPath(g, fileUrl("src/train/mod.ts"), TFJS);
  assert(chain !== undefined, "src/train/mod.ts should load tfjs");
  assertEquals(chain.at(-2), "src/deps_tf.ts");
  assertEquals(
    staticPath(g, fileUrl("src/onnx/export.ts"), ONNX_PROTO)?.at(-2),
    "src/deps_onnx.ts",
  );
});

Deno.test("every npm dependency is imported by exactly one module (its home)", async () => {
  const g = await projectGraph();
  const importers = new Map<string, Set<string>>();
  for (const [from, edges] of g.edges) {
    if (!from.startsWith("file:")) continue;
    for (const e of edges) {
      if (!e.to.startsWith("npm:")) continue;
      const pkg = npmPackage(e.to);
      if (!importers.has(pkg)) importers.set(pkg, new Set());
      importers.get(pkg)!.add(projectPath(from));
    }
  }
  assert(importers.has("@tensorflow/tfjs") && importers.has("yaml"), "no npm imports found");
  const many = [...importers].filter(([, s]) => s.size > 1).map(([p, s]) => `${p}: ${[...s]}`);
  assertEquals(many, [], `imported in more than one module: ${many.join("; ")}`);
  assertEquals([...importers.get("@tensorflow/tfjs")!], ["src/deps_tf.ts"]);
});

Deno.test("no import cycles among the modules of src/ and tools/", async () => {
  const g = await projectGraph();
  const cycles = importCycles(
    g,
    (s) => s.startsWith(fileUrl("src/")) || s.startsWith(fileUrl("tools/")),
  );
  const key = (c: string[]) => c.join(" ↔ ");
  const known = new Set(KNOWN_CYCLES.map(key));
  const unknown = cycles.filter((c) => !known.has(key(c)));
  assertEquals(unknown.map(key), [], "import cycles");
  const stale = KNOWN_CYCLES.filter((k) => !cycles.some((c) => key(c) === key(k)));
  assertEquals(stale.map(key), [], "KNOWN_CYCLES lists a cycle that is gone: remove it");
});

Deno.test("src/onnx and src/train: the cycle detector on their own graph", async () => {
  const files = [...await tsFiles("src/onnx"), ...await tsFiles("src/train")];
  const g = await importGraph(files);
  const onnx = importCycles(g, (s) => s.startsWith(fileUrl("src/onnx/")));
  assertEquals(onnx, [], "src/onnx has import cycles");
  // The detector finds a cycle when there is one (a synthetic graph a → b → c → a, d → a).
  const edges = new Map([
    ["a", [{ to: "b", kind: "static" as const }]],
    ["b", [{ to: "c", kind: "type" as const }]],
    ["c", [{ to: "a", kind: "dynamic" as const }]],
    ["d", [{ to: "a", kind: "static" as const }]],
  ]);
  assertEquals(importCycles({ roots: ["d"], edges }, () => true), [["a", "b", "c"]]);
});
