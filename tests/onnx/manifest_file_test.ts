/** Writing an export's files: a failed write is one line that names the file. */
import { assertEquals, assertRejects } from "../assert.ts";
import { writeGraph, writeManifest } from "../../src/onnx/manifest_file.ts";
import { ExportError } from "../../src/onnx/export_types.ts";

const diskFull = () => Promise.reject(new Error("No space left on device (os error 28)"));

Deno.test("a graph or manifest that cannot be written (disk full) is an error naming its path", async () => {
  const dir = await Deno.makeTempDir();
  await assertRejects(
    writeGraph(dir, "block_01.onnx", new Uint8Array([1]), diskFull),
    (e: Error) => {
      assertEquals(e instanceof ExportError, true, String(e));
      assertEquals(
        e.message,
        `cannot write ${dir}/block_01.onnx: No space left on device (os error 28)`,
      );
      return true;
    },
  );
  const ref = { file: "classifier.onnx", sha256: "0".repeat(64) };
  await assertRejects(
    writeManifest(dir, {
      variant: "dt",
      T: 1,
      classNames: ["a", "b"],
      spec: { channels: 1, height: 8, width: 8, embedDim: 2 },
      normalization: { mean: [0.5], std: [0.5] },
      schedule: { name: "cosine", a: [0.5], b: [0.1], c: [0.2] },
      sampler: { name: "dt", steps: 1, noise: false },
      blocks: [{ file: "block_01.onnx", sha256: "0".repeat(64) }],
      classifier: ref,
    }, diskFull),
    {
      name: "ExportError",
      message: `cannot write ${dir}/manifest.json: No space left on device (os error 28)`,
    },
  );
  assertEquals([...Deno.readDirSync(dir)], []);
  await Deno.remove(dir);
});
