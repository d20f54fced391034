/**
 * The one place tests import their assertions from (`node:assert/strict`, because
 * JSR's `@std/assert` is not reachable from these machines).
 * @module
 */
export {
  deepEqual as assertEquals,
  equal as assertStrictEquals,
  match as assertMatch,
  notDeepEqual as assertNotEquals,
  ok as assert,
  rejects as assertRejects,
  throws as assertThrows,
} from "node:assert/strict";
