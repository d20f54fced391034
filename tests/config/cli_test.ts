import { assert, assertEquals, assertThrows } from "../assert.ts";
import {
  ConfigError,
  configHelp,
  defaultConfig,
  FIELDS,
  flagName,
  parseTrainArgs,
  resolveDataDir,
  resolveRunName,
  trainUsage,
} from "../../src/config.ts";

Deno.test("parseTrainArgs splits CLI options from config overrides", () => {
  const a = parseTrainArgs([
    "--config",
    "configs/mnist.yaml",
    "--batch-size",
    "64",
    "--widths=16,32,64",
    "--seed",
    "-5",
    "--T",
    "4",
    "--embeddingDim",
    "8",
  ]);
  assertEquals(a.configPath, "configs/mnist.yaml");
  assertEquals(a.overrides, {
    batchSize: "64",
    widths: "16,32,64",
    seed: "-5",
    T: "4",
    embeddingDim: "8",
  });
  assertEquals([a.help, a.listConfigs, a.printConfig, a.resume], [false, false, false, undefined]);
});

Deno.test("--resume takes an optional folder", () => {
  assertEquals(parseTrainArgs(["--resume", "models/r1"]).resume, "models/r1");
  assertEquals(parseTrainArgs(["--resume"]).resume, "");
  const a = parseTrainArgs(["--resume", "--epochs", "5"]);
  assertEquals([a.resume, a.overrides.epochs], ["", "5"]);
});

Deno.test("switches", () => {
  assert(parseTrainArgs(["-h"]).help);
  assert(parseTrainArgs(["--help"]).help);
  assert(parseTrainArgs(["--list-configs"]).listConfigs);
  assert(parseTrainArgs(["--print-config"]).printConfig);
});

Deno.test("bad command lines throw one-line ConfigErrors", () => {
  const cases: [string[], string][] = [
    [["--epohcs", "3"], "--epohcs: unknown option (did you mean --epochs?)"],
    [["--epochs"], "--epochs: missing value"],
    [["stray"], 'unexpected argument "stray"'],
    [["--help=yes"], "--help: takes no value"],
  ];
  for (const [argv, fragment] of cases) {
    assertThrows(() => parseTrainArgs(argv), (err: unknown) => {
      assert(err instanceof ConfigError, String(err));
      assert(!err.message.includes("\n"), err.message);
      assert(err.message.includes(fragment), `"${err.message}" lacks "${fragment}"`);
      return true;
    });
  }
});

Deno.test("help lists every field with its flag and default", () => {
  const help = configHelp();
  for (const f of FIELDS) {
    const line = help.split("\n").find((l) => l.trimStart().startsWith(`--${flagName(f)} `));
    assert(line, `no help line for ${f.name}`);
    assert(line.includes(f.help), `help for ${f.name} lacks its text`);
    assert(line.includes("default "), `help for ${f.name} lacks its default`);
  }
  assert(help.includes("--batch-size <int>"));
  assert(help.includes("default 32,64,128"));
  const usage = trainUsage();
  for (const o of ["--config FILE", "--resume", "--list-configs", "--help"]) {
    assert(usage.includes(o), o);
  }
});

Deno.test("resolveRunName and resolveDataDir", () => {
  const c = resolveRunName(
    { ...defaultConfig(), dataset: "cifar10" },
    new Date(2025, 0, 2, 3, 4, 5),
  );
  assertEquals(c.runName, "cifar10-dt-20250102-030405");
  assertEquals(resolveRunName({ ...c, runName: "keep" }).runName, "keep");
  assertEquals(resolveDataDir({ ...c, dataDir: "/data" }), "/data");
  const prev = Deno.env.get("NOPROP_DATA_DIR");
  try {
    Deno.env.set("NOPROP_DATA_DIR", "/env/data");
    assertEquals(resolveDataDir(c), "/env/data");
    Deno.env.delete("NOPROP_DATA_DIR");
    assertEquals(resolveDataDir(c), null);
  } finally {
    if (prev !== undefined) Deno.env.set("NOPROP_DATA_DIR", prev);
  }
});
