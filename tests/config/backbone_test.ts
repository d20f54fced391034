/**
 * The backbone settings (`backbone`, `backboneWidth`): defaults, flags and YAML keys, and every
 * bad value refused in one line naming the field — from the CLI, from a YAML file, and the
 * cross-field rule (a width multiplier only scales a ResNet) before anything is loaded.
 */
import { assertEquals, assertRejects, assertThrows } from "../assert.ts";
import { configBackbone, ConfigError, defaultConfig, loadConfig } from "../../src/config.ts";
import { runTool } from "../_helpers/cli.ts";

Deno.test("backbone defaults to paper with multiplier 1; --backbone / --backbone-width set them", async () => {
  assertEquals([defaultConfig().backbone, defaultConfig().backboneWidth], ["paper", 1]);
  const c = await loadConfig({ overrides: { backbone: "resnet50", "backbone-width": "0.0625" } });
  assertEquals([c.backbone, c.backboneWidth], ["resnet50", 0.0625]);
  assertEquals(configBackbone(c), { backbone: "resnet50", backboneWidth: 0.0625 });
});

Deno.test("a bad backbone or width is a one-line ConfigError naming the flag", async () => {
  const cases: [Record<string, string>, string][] = [
    [
      { backbone: "resnet34" },
      '--backbone: must be one of paper, resnet18, resnet50, got "resnet34"',
    ],
    [{ "backbone-width": "0" }, '--backbone-width: must be a number > 0, got "0"'],
    [{ "backbone-width": "-0.5" }, '--backbone-width: must be a number > 0, got "-0.5"'],
    [{ "backbone-width": "wide" }, '--backbone-width: must be a number > 0, got "wide"'],
  ];
  for (const [overrides, message] of cases) {
    await assertRejects(() => loadConfig({ overrides }), (e: Error) => {
      assertEquals([e instanceof ConfigError, e.message], [true, message]);
      return true;
    });
  }
});

Deno.test("a bad backbone in a YAML file names the file and the key", async () => {
  const dir = await Deno.makeTempDir();
  for (
    const [line, message] of [
      [
        "backbone: resnet101",
        'backbone: must be one of paper, resnet18, resnet50, got "resnet101"',
      ],
      ["backboneWidth: -1", "backboneWidth: must be a number > 0, got -1"],
    ]
  ) {
    await Deno.writeTextFile(`${dir}/c.yaml`, `${line}\n`);
    await assertRejects(
      () => loadConfig({ configPath: `${dir}/c.yaml` }),
      ConfigError,
      `${dir}/c.yaml: ${message}`,
    );
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a width multiplier with the paper backbone is refused (it would be ignored)", () => {
  assertThrows(
    () => configBackbone({ backbone: "paper", backboneWidth: 0.5 }),
    ConfigError,
    "backboneWidth is 0.5, but it only scales a ResNet backbone",
  );
});

Deno.test("deno task train refuses --backbone-width without a ResNet in one line, exit 2", async () => {
  const r = await runTool("tools/train.ts", ["--backbone-width", "0.5", "--epochs", "1"]);
  assertEquals(r.code, 2, r.stderr);
  assertEquals(
    r.stderr,
    "error: backboneWidth is 0.5, but it only scales a ResNet backbone (--backbone " +
      "resnet18|resnet50); the paper backbone takes its widths from --widths\n",
  );
});
