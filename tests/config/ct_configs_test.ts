import { assertEquals } from "../assert.ts";
import { loadConfig } from "../../src/config.ts";

const CONFIGS_DIR = new URL("../../configs/", import.meta.url);

Deno.test("the ct/fm configs carry the paper's Table 3 settings for every dataset", async () => {
  const epochs: Record<string, number> = {
    mnist: 100,
    "fashion-mnist": 100,
    cifar10: 500,
    cifar100: 1000,
  };
  for (const [name, e] of Object.entries(epochs)) {
    for (const variant of ["ct", "fm"]) {
      const c = await loadConfig({
        configPath: new URL(`${name}-${variant}.yaml`, CONFIGS_DIR).pathname,
      });
      assertEquals(
        [c.dataset, c.variant, c.batchSize, c.lr, c.weightDecay, c.epochs],
        [name, variant, 128, 1e-3, 1e-3, e],
        `${name}-${variant}`,
      );
      if (variant === "ct") assertEquals([c.eta, c.ctGamma0, c.ctGamma1], [1, -3, 3]);
    }
  }
});
