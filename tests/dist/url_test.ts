import { assert, assertEquals, assertThrows } from "../assert.ts";
import { parseEngineUrl } from "../../src/dist/url.ts";

Deno.test("engine addresses: defaults, TLS, user, db and a percent-encoded password", () => {
  const a = parseEngineUrl("redis://localhost/r", { runId: "required" });
  assertEquals([a.host, a.port, a.db, a.tls, a.password], ["localhost", 6379, 0, false, undefined]);
  assertEquals(a.shown, "redis://localhost:6379/r");
  const b = parseEngineUrl("rediss://bob:p%40ss%2Fw@[::1]:7000/run.2?db=3", { runId: "required" });
  assertEquals([b.host, b.port, b.username, b.password, b.db, b.tls], [
    "::1",
    7000,
    "bob",
    "p@ss/w",
    3,
    true,
  ]);
  assertEquals(b.shown, "rediss://bob:***@[::1]:7000/run.2?db=3");
  assertEquals(b.redact("ERR p@ss/w is wrong"), "ERR *** is wrong");
});

Deno.test("a bad engine address is one line that never shows the password", () => {
  const cases: [string, "required" | "none", RegExp][] = [
    ["redis://:hunter2@h:99999/r", "required", /port 99999 is not in 1\.\.65535/],
    ["redis://:hunter2@h:6379/bad id!", "required", /run id "bad id!" must be/],
    ["redis://:hunter2@h:6379/r?timeout=3", "required", /unknown query "timeout=3"/],
    ["redis://:hunter2@h:6379/r", "none", /a worker serves every run/],
    ["redis://:hunter2@h:6379", "required", /names no run id/],
    ["mysql://:hunter2@h/r", "required", /must start with redis:\/\//],
  ];
  for (const [url, runId, re] of cases) {
    assertThrows(() => parseEngineUrl(url, { runId }), (e: Error) => {
      assert(re.test(e.message), e.message);
      assert(!e.message.includes("hunter2"), e.message);
      assert(!e.message.includes("\n"));
      return e.name === "ConfigError";
    });
  }
});
