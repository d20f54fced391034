import { assert, assertEquals } from "../assert.ts";
import { FIELDS, flagName } from "../../src/config.ts";
import { runTool, type ToolRun } from "../_helpers/cli.ts";

const ROOT = Deno.makeTempDirSync({ prefix: "noprop-train-cli-test-" });
globalThis.addEventListener("unload", () => Deno.removeSync(ROOT, { recursive: true }));

const run = (...args: string[]): Promise<ToolRun> => runTool("tools/train.ts", args);

function assertUsageError(r: { code: number; stdout: string; stderr: string }, fragment: string) {
  assertEquals(r.code, 2, r.stderr);
  const lines = r.stderr.trimEnd().split("\n");
  assertEquals(lines.length, 1, r.stderr);
  assert(lines[0].startsWith("error: "), lines[0]);
  assert(lines[0].includes(fragment), `"${lines[0]}" lacks "${fragment}"`);
  assertEquals(r.stdout, "");
}

Deno.test("--help exits 0 and lists every field", async () => {
  for (const flag of ["--help", "-h"]) {
    const r = await run(flag);
    assertEquals(r.code, 0, r.stderr);
    assert(r.stdout.includes("Usage:"));
    for (const f of FIELDS) assert(r.stdout.includes(`--${flagName(f)}`), f.name);
    for (const o of ["--config", "--resume", "--list-configs"]) assert(r.stdout.includes(o), o);
  }
});

Deno.test("--list-configs shows the named configs with descriptions", async () => {
  const r = await run("--list-configs");
  assertEquals(r.code, 0, r.stderr);
  const mnist = r.stdout.split("\n").find((l) => l.startsWith("mnist "));
  assert(mnist && mnist.includes("MNIST"), r.stdout);
  for (const n of ["cifar10", "cifar100", "fashion-mnist", "mnist-quick"]) {
    assert(r.stdout.split("\n").some((l) => l.startsWith(n + " ")), n);
  }
});

Deno.test("bad input exits 2 with a one-line error", async () => {
  assertUsageError(await run("--epochs", "-1"), '--epochs: must be an integer ≥ 1, got "-1"');
  assertUsageError(await run("--epohcs", "3"), "--epohcs: unknown option");
  assertUsageError(await run("--dataset", "imagenet"), "mnist, fashion-mnist, cifar10, cifar100");
  assertUsageError(await run("--dropout", "1.5"), "--dropout");
  assertUsageError(await run("--widths", "16,32"), "--widths");
  assertUsageError(
    await run("--augment", "crop,rotate"),
    '--augment: must be a comma-separated list of crop, flip, or none, got "crop,rotate"',
  );
  assertUsageError(await run("--epochs"), "--epochs: missing value");
  assertUsageError(await run("positional"), 'unexpected argument "positional"');
  assertUsageError(await run("--config", `${ROOT}/none.yaml`), "config file not found");
  const bad = `${ROOT}/bad.yaml`;
  await Deno.writeTextFile(bad, "# bad\nepohcs: 3\n");
  assertUsageError(await run("--config", bad), `${bad}: unknown field "epohcs"`);
  assertUsageError(await run("--resume", `${ROOT}/no-such-run`), "--resume");
  assertUsageError(await run("--resume", "--out-dir", `${ROOT}/empty`), "no run folder");
});

Deno.test("--print-config shows the effective config: dataset base file and flags", async () => {
  const r = await run("--dataset", "cifar10", "--seed", "5", "--print-config");
  assertEquals(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n");
  const value = (k: string) => lines.find((l) => l.startsWith(`${k}:`))?.split("#")[0].trim();
  assertEquals(value("dataset"), "dataset: cifar10");
  assertEquals(value("epochs"), "epochs: 150"); // from configs/cifar10.yaml
  assertEquals(value("seed"), "seed: 5");
  assert(/^runName: cifar10-dt-\d{8}-\d{6}/m.test(r.stdout), r.stdout);
});

Deno.test("--resume starts from the run folder's config.yaml (latest when no folder)", async () => {
  const out = `${ROOT}/models`;
  for (const [name, epochs] of [["old", 7], ["new", 9]] as const) {
    await Deno.mkdir(`${out}/${name}`, { recursive: true });
    await Deno.writeTextFile(
      `${out}/${name}/config.yaml`,
      `runName: ${name}\nepochs: ${epochs}\noutDir: ${out}\n`,
    );
    await new Promise((r) => setTimeout(r, 20)); // distinct folder mtimes
  }
  const given = await run("--resume", `${out}/old`, "--print-config");
  assertEquals(given.code, 0, given.stderr);
  assert(given.stdout.includes("runName: old"), given.stdout);
  assert(/^epochs: 7 /m.test(given.stdout), given.stdout);
  const latest = await run("--resume", "--out-dir", out, "--print-config", "--seed", "2");
  assertEquals(latest.code, 0, latest.stderr);
  assert(latest.stdout.includes("runName: new"), latest.stdout);
  assert(/^seed: 2 /m.test(latest.stdout), latest.stdout);
});
