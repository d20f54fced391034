/** `deno task gpu-pack`: bad input is refused in one line before anything is packed. */
import { assert, assertEquals } from "../../assert.ts";
import { runTool } from "../../_helpers/cli.ts";

Deno.test("gpu-pack refuses a bad part, level or image count and a folder that is not a kit", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/precious.txt`, "keep me");
  for (
    const [args, message] of [
      [
        ["tran"],
        /^error: the parts to pack are some of train, infer-node, infer-web \(none: all\), each once; got tran$/,
      ],
      [
        ["train", "train"],
        /^error: the parts to pack are some of .*, each once; got train$/,
      ],
      [["--level", "x"], /^error: --level must be 0\.\.9/],
      [["--train-images", "0"], /^error: --train-images must be a positive integer, got 0$/],
      [
        ["--out", dir],
        /^error: --out .* exists and is not a GPU kit \(no kit\.json\): not overwritten$/,
      ],
    ] as const
  ) {
    const r = await runTool("tools/gpu/pack.ts", [...args]);
    assertEquals(r.code, 1, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assertEquals(lines.length, 1, r.stderr);
    assert(message.test(lines[0]), lines[0]);
  }
  assertEquals(await Deno.readTextFile(`${dir}/precious.txt`), "keep me");
  await Deno.remove(dir, { recursive: true });
});
