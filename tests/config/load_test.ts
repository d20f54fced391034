import { assert, assertEquals, assertRejects, assertThrows } from "../assert.ts";
import {
  applyOverrides,
  type Config,
  ConfigError,
  configToYaml,
  defaultConfig,
  FIELDS,
  loadConfig,
  validateConfig,
} from "../../src/config.ts";

const ROOT = Deno.makeTempDirSync({ prefix: "noprop-config-test-" });
globalThis.addEventListener("unload", () => Deno.removeSync(ROOT, { recursive: true }));
let serial = 0;

async function tempYaml(text: string): Promise<string> {
  const path = `${ROOT}/c${serial++}.yaml`;
  await Deno.writeTextFile(path, text);
  return path;
}

/** Asserts that `fn` throws a one-line ConfigError whose message contains every fragment. */
function assertConfigError(fn: () => unknown, ...fragments: string[]): void {
  assertThrows(fn, (err: unknown) => {
    assert(err instanceof ConfigError, `expected ConfigError, got ${err}`);
    assert(!err.message.includes("\n"), `message is not one line: ${err.message}`);
    for (const f of fragments) assert(err.message.includes(f), `"${err.message}" lacks "${f}"`);
    return true;
  });
}

Deno.test("defaults are the paper's MNIST NoProp-DT settings and validate", () => {
  const c = defaultConfig();
  assertEquals(
    {
      dataset: c.dataset,
      variant: c.variant,
      method: c.method,
      epochs: c.epochs,
      batchSize: c.batchSize,
      T: c.T,
      eta: c.eta,
      lr: c.lr,
      weightDecay: c.weightDecay,
      widths: c.widths,
      dataDir: c.dataDir,
      runName: c.runName,
      outDir: c.outDir,
    },
    {
      dataset: "mnist",
      variant: "dt",
      method: "noprop",
      epochs: 100,
      batchSize: 128,
      T: 10,
      eta: 0.1,
      lr: 1e-3,
      weightDecay: 1e-3,
      widths: [32, 64, 128],
      dataDir: null,
      runName: null,
      outDir: "models",
    },
  );
  assertEquals(Object.keys(c).length, FIELDS.length);
  assertEquals(validateConfig(c, "defaults"), c);
});

Deno.test("defaultConfig returns a fresh copy each time", () => {
  const a = defaultConfig();
  a.widths.push(1);
  assertEquals(defaultConfig().widths, [32, 64, 128]);
});

Deno.test("YAML overrides defaults and CLI overrides YAML", async () => {
  const path = await tempYaml(
    "# test\nepochs: 7\nbatchSize: 64\nwidths: [8, 16, 32]\nlr: 3.0e-4\n",
  );
  const c = await loadConfig({ configPath: path, overrides: { epochs: "9", seed: undefined } });
  assertEquals(c.epochs, 9); // CLI wins
  assertEquals(c.batchSize, 64); // from YAML
  assertEquals(c.widths, [8, 16, 32]);
  assertEquals(c.lr, 3e-4);
  assertEquals(c.seed, 0); // undefined override ignored
  assertEquals(c.T, 10); // default
});

Deno.test("overrides accept field and flag names and parse by type", () => {
  const c = applyOverrides(defaultConfig(), {
    "batch-size": "32",
    widths: "16,32,64",
    weightDecay: "0",
    dropout: "0.5",
    "run-name": "mine",
    dataDir: "null",
    T: "4",
    seed: "-7",
    backend: "cpu",
  });
  assertEquals(c.batchSize, 32);
  assertEquals(c.widths, [16, 32, 64]);
  assertEquals(c.weightDecay, 0);
  assertEquals(c.dropout, 0.5);
  assertEquals(c.runName, "mine");
  assertEquals(c.dataDir, null);
  assertEquals(c.T, 4);
  assertEquals(c.seed, -7);
  assertEquals(c.backend, "cpu");
  assertEquals(applyOverrides(c, { widths: " 1, 2 ,3 " }).widths, [1, 2, 3]);
  assertEquals(applyOverrides(c, { runName: "" }).runName, null);
});

Deno.test("bad CLI values are rejected with a message naming the flag", () => {
  const d = defaultConfig();
  const bad: [Record<string, string>, string[]][] = [
    [{ epohcs: "3" }, ["--epohcs", "unknown", "--epochs"]],
    [{ epochs: "-3" }, ['--epochs: must be an integer ≥ 1, got "-3"']],
    [{ epochs: "2.5" }, ["--epochs", "integer"]],
    [{ epochs: "ten" }, ["--epochs", "integer"]],
    [{ dataset: "imagenet" }, ["--dataset", "mnist, fashion-mnist, cifar10, cifar100", "imagenet"]],
    [{ dropout: "1.5" }, ["--dropout", "< 1", "1.5"]],
    [{ dropout: "-0.1" }, ["--dropout", "≥ 0"]],
    [{ widths: "16,32" }, ["--widths", "3 integers", "16,32"]],
    [{ widths: "16,32,x" }, ["--widths"]],
    [{ widths: "16,0,64" }, ["--widths", "≥ 1"]],
    [{ lr: "0" }, ["--lr", "> 0"]],
    [{ lr: "abc" }, ["--lr", "number"]],
    [{ eta: "NaN" }, ["--eta"]],
    [{ "batch-size": "0" }, ["--batch-size", "≥ 1"]],
    [{ outDir: "" }, ["--out-dir", "non-empty"]],
    [{ variant: "xx" }, ["--variant", "dt, ct, fm"]],
  ];
  for (const [o, fragments] of bad) assertConfigError(() => applyOverrides(d, o), ...fragments);
});

Deno.test("bad YAML fields and values name the file and the field", async () => {
  const cases: [string, string[]][] = [
    ["epohcs: 3\n", ['unknown field "epohcs"', 'did you mean "epochs"']],
    ["epochs: -3\n", ["epochs: must be an integer ≥ 1, got -3"]],
    ["dataset: imagenet\n", ["dataset", "cifar100"]],
    ["dropout: 1.5\n", ["dropout", "< 1"]],
    ["widths: [16, 32]\n", ["widths", "3 integers"]],
    ["batch-size: 64\n", ['unknown field "batch-size"']],
    ["- 1\n- 2\n", ["expected a mapping"]],
    ["epochs: [\n", ["invalid YAML"]],
    ["runName: 5\n", ["runName", "string"]],
  ];
  for (const [text, fragments] of cases) {
    const path = await tempYaml(text);
    await assertRejects(() => loadConfig({ configPath: path }), (err: unknown) => {
      assert(err instanceof ConfigError, String(err));
      assert(!err.message.includes("\n"), err.message);
      assert(err.message.startsWith(path), err.message);
      for (const f of fragments) assert(err.message.includes(f), `"${err.message}" lacks "${f}"`);
      return true;
    });
  }
  await assertRejects(() => loadConfig({ configPath: "/nonexistent/x.yaml" }), ConfigError);
});

Deno.test("validateConfig fills defaults and names the source", () => {
  const c = validateConfig({ dataset: "cifar10", epochs: 150, widths: "8,8,8" }, "inline");
  assertEquals([c.dataset, c.epochs, c.widths, c.T], ["cifar10", 150, [8, 8, 8], 10]);
  assertConfigError(() => validateConfig({ epochs: 0 }, "src.yaml"), "src.yaml: epochs");
  assertConfigError(() => validateConfig(null, "src.yaml"), "src.yaml", "mapping");
});

Deno.test("an empty or comment-only YAML file means all defaults", async () => {
  const c = await loadConfig({ configPath: await tempYaml("# nothing here\n") });
  assertEquals(c, defaultConfig());
});

Deno.test("--dataset alone uses configs/<dataset>.yaml as the base", async () => {
  const dir = `${ROOT}/configs`;
  await Deno.mkdir(dir);
  await Deno.writeTextFile(`${dir}/cifar10.yaml`, "# c\ndataset: cifar10\nepochs: 150\n");
  const c = await loadConfig({ configsDir: dir, overrides: { dataset: "cifar10", seed: "3" } });
  assertEquals([c.dataset, c.epochs, c.seed], ["cifar10", 150, 3]);
  // no such file: defaults plus the override
  const m = await loadConfig({ configsDir: dir, overrides: { dataset: "cifar100" } });
  assertEquals([m.dataset, m.epochs], ["cifar100", 100]);
  // an explicit --config wins over the dataset file
  const path = await tempYaml("epochs: 4\n");
  const e = await loadConfig({
    configPath: path,
    configsDir: dir,
    overrides: { dataset: "cifar10" },
  });
  assertEquals([e.dataset, e.epochs], ["cifar10", 4]);
  // and the repository's own configs/cifar10.yaml is found by default
  const r = await loadConfig({ overrides: { dataset: "cifar10" } });
  assertEquals([r.dataset, r.epochs], ["cifar10", 150]);
});

Deno.test("configToYaml round-trips through loadConfig", async () => {
  const c: Config = {
    ...defaultConfig(),
    dataset: "fashion-mnist",
    widths: [16, 32, 64],
    adamEps: 1e-8,
    lr: 3e-4,
    runName: "run: with colon",
    dataDir: "../shared/data",
    embedding: "learned",
    augment: ["crop", "flip"],
  };
  const text = configToYaml(c, "effective config\nsecond line");
  assert(text.startsWith("# effective config\n# second line\n"));
  assert(text.includes("widths: [16, 32, 64]"));
  const back = await loadConfig({ configPath: await tempYaml(text) });
  assertEquals(back, c);
  const d = await loadConfig({ configPath: await tempYaml(configToYaml(defaultConfig())) });
  assertEquals(d, defaultConfig());
});

Deno.test("augment: a list of crop, flip (off by default), kept in that order, from flags and YAML", async () => {
  assertEquals(defaultConfig().augment, []);
  const flag = (v: string) => applyOverrides(defaultConfig(), { augment: v }).augment;
  assertEquals(flag("crop,flip"), ["crop", "flip"]);
  assertEquals(flag(" flip , crop,flip"), ["crop", "flip"]); // canonical order, once each
  assertEquals(flag("flip"), ["flip"]);
  assertEquals([flag(""), flag("none"), flag("[]")], [[], [], []]);
  const yaml = async (v: string) =>
    (await loadConfig({ configPath: await tempYaml(`augment: ${v}\n`) })).augment;
  assertEquals(await yaml("[flip, crop]"), ["crop", "flip"]);
  assertEquals(await yaml("crop"), ["crop"]);
  assertEquals(await yaml("[]"), []);
  assertThrows(() => flag("crop,rotate"), {
    name: "ConfigError",
    message: '--augment: must be a comma-separated list of crop, flip, or none, got "crop,rotate"',
  });
  const bad = await tempYaml("augment: [crop, 3]\n");
  await assertRejects(() => loadConfig({ configPath: bad }), {
    message:
      `${bad}: augment: must be a comma-separated list of crop, flip, or none, got ["crop",3]`,
  });
});
