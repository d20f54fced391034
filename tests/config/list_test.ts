import { assert, assertEquals } from "../assert.ts";
import { CONFIGS_DIR, listConfigs, loadConfig } from "../../src/config.ts";

const ROOT = Deno.makeTempDirSync({ prefix: "noprop-list-test-" });
globalThis.addEventListener("unload", () => Deno.removeSync(ROOT, { recursive: true }));

Deno.test("listConfigs returns sorted names with first-comment descriptions", async () => {
  await Deno.writeTextFile(`${ROOT}/b.yaml`, "# Second one\n# more\nepochs: 1\n");
  await Deno.writeTextFile(`${ROOT}/a.yml`, "\n#First one\nepochs: 2\n");
  await Deno.writeTextFile(`${ROOT}/c.yaml`, "epochs: 3\n");
  await Deno.writeTextFile(`${ROOT}/notes.txt`, "# not a config\n");
  const list = await listConfigs(ROOT);
  assertEquals(list.map((c) => [c.name, c.description]), [
    ["a", "First one"],
    ["b", "Second one"],
    ["c", ""],
  ]);
  assertEquals(list[1].path, `${ROOT}/b.yaml`);
});

Deno.test("the repository's configs are listed, described and valid", async () => {
  const list = await listConfigs(CONFIGS_DIR);
  const names = list.map((c) => c.name);
  for (const n of ["mnist", "fashion-mnist", "cifar10", "cifar100", "mnist-quick"]) {
    assert(names.includes(n), `configs/${n}.yaml missing`);
  }
  for (const c of list) {
    assert(c.description.length > 10, `${c.name}: no description`);
    await loadConfig({ configPath: c.path }); // throws if invalid
  }
});

Deno.test("the paper's Table 3 settings are in the dataset configs", async () => {
  const expected: Record<string, number> = {
    mnist: 100,
    "fashion-mnist": 100,
    cifar10: 150,
    cifar100: 150,
  };
  for (const [name, epochs] of Object.entries(expected)) {
    const c = await loadConfig({ configPath: new URL(`${name}.yaml`, CONFIGS_DIR).pathname });
    assertEquals(
      [c.dataset, c.variant, c.T, c.batchSize, c.lr, c.weightDecay, c.eta, c.epochs],
      [name, "dt", 10, 128, 1e-3, 1e-3, 0.1, epochs],
      name,
    );
  }
  const q = await loadConfig({ configPath: new URL("mnist-quick.yaml", CONFIGS_DIR).pathname });
  assertEquals([q.dataset, q.T, q.widths, q.hidden, q.epochs], ["mnist", 10, [8, 16, 16], 128, 5]);
});
