/**
 * `deno task gpu-pack`: bad input is refused in one line before anything is packed, and what each
 * kit part packs of the traced npm files.
 */
import { assert, assertEquals } from "../../assert.ts";
import { runTool } from "../../_helpers/cli.ts";
import { KIT_PARTS, type KitPart } from "../../../tools/gpu/kit_parts.ts";
import { npmFileFilter } from "../../../tools/gpu/pack.ts";
import { NPM_FILES, type PackageEntry } from "../../../tools/gpu/trace_npm.ts";

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

Deno.test("npm_files.json: the inference parts pack no tfjs or vega, train no onnxruntime; every part keeps every package folder", async () => {
  const { packages } = JSON.parse(await Deno.readTextFile(NPM_FILES)) as {
    packages: Record<string, PackageEntry>;
  };
  const packed = (part: KitPart) => {
    const keep = npmFileFilter([part]);
    return Object.entries(packages).flatMap(([pkg, e]) =>
      e.files.filter((f) => f !== "package.json" && keep(e, f)).map((f) => `${pkg}/${f}`)
    );
  };
  const has = (files: string[], re: RegExp) => files.filter((f) => re.test(f));
  const [train, node, web] = KIT_PARTS.map(packed);
  for (const [name, files] of [["infer-node", node], ["infer-web", web]] as const) {
    assertEquals(has(files, /^(@tensorflow\/|vega|d3-)/), [], `${name} packs tfjs or vega`);
  }
  assertEquals(has(train, /^onnxruntime-/), [], "train packs onnxruntime");
  assertEquals(has(node, /^onnxruntime-web\//), [], "infer-node packs onnxruntime-web");
  assertEquals(has(web, /^onnxruntime-node\//), [], "infer-web packs onnxruntime-node");
  // What each part runs: tfjs's webgpu backend, onnxruntime-node's library, onnxruntime-web's
  // webgpu build.
  assert(has(train, /^@tensorflow\/tfjs-backend-webgpu\//).length > 0, "train lacks tfjs webgpu");
  assert(has(node, /^onnxruntime-node\/.*\/libonnxruntime\.so/).length > 0, "no libonnxruntime");
  assert(has(web, /^onnxruntime-web\/.*webgpu/).length > 0, "infer-web lacks its webgpu build");
  // Every listed package is traced with its parts (pack.ts refuses a list without them).
  for (const [pkg, e] of Object.entries(packages)) {
    assert(Array.isArray(e.parts), `${pkg} has no parts`);
    assertEquals(e.parts.length > 0, e.files.length > 0, pkg);
  }
});
