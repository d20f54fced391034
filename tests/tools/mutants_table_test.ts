/**
 * The mutation table of `deno task mutants` stays in step with the code: every mutation's text
 * occurs exactly once in its file (the full mutation run is `deno task mutants`, run by CI).
 */
import { assert, assertEquals } from "../assert.ts";
import { drift } from "../../tools/mutants.ts";
import { MUTANT_TESTS, MUTATIONS } from "../../tools/mutations.ts";

Deno.test("every mutation's text occurs exactly once in its file, ids are unique, test files exist", async () => {
  assertEquals(await drift(MUTATIONS), []);
  for (const t of MUTANT_TESTS) {
    assert((await Deno.stat(new URL(`../../${t}`, import.meta.url))).isFile, t);
  }
  assert(MUTATIONS.every((m) => m.find !== m.replace), "a mutation that changes nothing");
});

Deno.test("a drifted mutation is reported in one line naming the file and the text", async () => {
  const m = MUTATIONS[0];
  const problems = await drift([
    { ...m, id: "gone", find: "this text is not in the file" },
    { ...m, id: "twice", file: "src/schedule.ts", find: "ᾱ" },
    { ...m, id: "nofile", file: "src/no_such_file.ts" },
  ]);
  assertEquals(problems, [
    `mutation gone: text "this text is not in the file" not found in ${m.file}`,
    problems[1],
    "mutation nofile: file src/no_such_file.ts not found",
  ]);
  assert(
    /^mutation twice: text "ᾱ" found \d+ times \(must be unique\) in src\/schedule\.ts$/.test(
      problems[1],
    ),
    problems[1],
  );
});
