/**
 * The inference package stands alone: no TensorFlow.js and nothing from the training side in
 * its module graph; `deno publish --dry-run` and `deno doc --lint` are clean with both entries
 * (`.`: Deno, `./web`: browsers; the web entry's own graph is checked in web_entry_test.ts).
 */
import { assert, assertEquals } from "../assert.ts";

const pkg = new URL("../../src/infer/", import.meta.url).pathname;

async function deno(args: string[], cwd = pkg) {
  const o = await new Deno.Command(Deno.execPath(), { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  // deno-lint-ignore no-control-regex
  const dec = (b: Uint8Array) => new TextDecoder().decode(b).replace(/\x1b\[[0-9;]*m/g, "");
  return { code: o.code, out: dec(o.stdout), err: dec(o.stderr) };
}

Deno.test("the runtime's module graph has no tfjs and no training-side module", async () => {
  const r = await deno(["info", "--json", "mod.ts"]);
  assertEquals(r.code, 0, r.err);
  const info = JSON.parse(r.out) as { modules: { specifier: string }[] };
  const specs = info.modules.map((m) => m.specifier);
  assert(specs.length > 10);
  const outside = specs.filter((s) => s.startsWith("file:") && !s.startsWith(`file://${pkg}`));
  assertEquals(outside, []);
  const npm = specs.filter((s) => s.startsWith("npm:")).map((s) => s.replace(/^npm:\/?/, ""))
    .map((s) => s.replace(/@[\d.]+.*$/, "")).sort();
  assertEquals([...new Set(npm)], [
    "fast-png",
    "fflate",
    "jpeg-js",
    "onnxruntime-node",
    "onnxruntime-web",
  ]);
});

Deno.test("deno publish --dry-run of @noprop/infer is clean, with the Deno and the web entry", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${pkg}deno.json`));
  assertEquals(config.exports, { ".": "./mod.ts", "./web": "./web.ts" });
  const r = await deno(["publish", "--dry-run", "--allow-dirty"]);
  assertEquals(r.code, 0, r.err + r.out);
  const all = r.out + r.err;
  assert(all.includes("Success Dry run complete"), all);
  assert(!/warning/i.test(all), all);
  for (const f of ["mod.ts", "web.ts", "web/images.ts", "image/pixels.ts"]) {
    assert(all.includes(`/src/infer/${f} (`), `${f} is not published:\n${all}`);
  }
});

Deno.test("deno doc --lint of @noprop/infer is clean (both entries)", async () => {
  const r = await deno(["doc", "--lint", "mod.ts", "web.ts"]);
  assertEquals(r.code, 0, r.err + r.out);
});
