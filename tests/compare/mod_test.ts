import { assert, assertEquals } from "../assert.ts";
import { configToYaml } from "../../src/config.ts";
import { main } from "../../tools/compare.ts";
import { tinyConfig, writeSyntheticMnist } from "../_helpers/train.ts";
import { checkSvg } from "../_helpers/svg.ts";

const CHARTS = ["acc_vs_epoch.svg", "acc_vs_time.svg", "loss_vs_step.svg", "memory.svg"];

Deno.test("compare on generated data writes a complete report, valid SVG charts and raw JSONL", async () => {
  const data = await Deno.makeTempDir({ prefix: "noprop-cmp-" });
  await writeSyntheticMnist(data, 256, 100);
  const out = await Deno.makeTempDir();
  const cfg = tinyConfig(data, out, { epochs: 2, runName: null, evalBatch: 100 });
  const file = `${out}/tiny.yaml`;
  await Deno.writeTextFile(file, configToYaml(cfg));
  assertEquals(await main(["--config", file], { quiet: true }), 0);
  const dirs = [...Deno.readDirSync(out)].filter((e) => e.name.startsWith("compare-mnist-"));
  assertEquals(dirs.length, 1);
  const dir = `${out}/${dirs[0].name}`;
  const report = await Deno.readTextFile(`${dir}/report.md`);
  assert(report.includes(`deno task compare --config ${file}`), "report lacks the command");
  for (const col of ["test acc", "train acc", "s / epoch", "samples/s", "peak RSS", "parameters"]) {
    assert(report.includes(col), `report lacks column ${col}`);
  }
  const rows = report.split("\n").filter((l) => /^\| (NoProp-DT|backprop) \|/.test(l));
  assertEquals(rows.length, 2);
  for (const r of rows) assert(!r.includes("NaN") && !r.includes("| – |"), `incomplete row ${r}`);
  for (const c of CHARTS) {
    const svg = await Deno.readTextFile(`${dir}/${c}`);
    checkSvg(c, svg, c === "memory.svg" ? /role-mark[^"]*"[^>]*>.*<path/s : /mark-line/);
    assert(report.includes(`](${c})`), `report does not link ${c}`);
  }
  const raw = (await Deno.readTextFile(`${dir}/epochs.jsonl`)).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  assertEquals(raw.map((l) => l.method), ["noprop", "noprop", "backprop", "backprop"]);
  assert(raw.every((l) => l.peakRssMB > 0 && l.samplesPerSec > 0));
  // Measured, not estimated: backprop keeps every block's activations for the backward pass.
  const [np, bp] = JSON.parse(await Deno.readTextFile(`${dir}/summary.json`));
  assertEquals([np.method, bp.method], ["noprop", "backprop"]);
  assert(
    bp.stepPeakMB > np.stepPeakMB,
    `peak tensor MiB per step: backprop ${bp.stepPeakMB}, noprop ${np.stepPeakMB}`,
  );
});

Deno.test("compare rejects bad arguments with one line and exit status 2", async () => {
  const errors: string[] = [];
  const orig = console.error;
  console.error = (...a: unknown[]) => errors.push(a.join(" "));
  try {
    for (
      const argv of [
        ["--dataset", "mnist", "--method", "noprop"],
        ["--dataset", "nope"],
        ["--epohcs", "2"],
        ["--dataset", "mnist", "--resume"],
        ["--dataset", "mnist", "--workers", "2"],
        ["--dataset", "mnist", "--variant", "ct"],
        [],
      ]
    ) {
      errors.length = 0;
      assertEquals(await main(argv, { quiet: true }), 2, argv.join(" "));
      assertEquals(errors.length, 1, `${argv.join(" ")}: ${errors}`);
      assert(errors[0].startsWith("error: ") && !errors[0].includes("\n"), errors[0]);
    }
  } finally {
    console.error = orig;
  }
});
