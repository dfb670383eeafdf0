/**
 * Proves the workarounds listed in docs/runtime-bugs.md.
 *
 * Bun 1.4.5 times out `node:test` hooks after 5 s whatever timeout the hook or
 * bunfig.toml asks for; `bun test --timeout N` (as scripts/test.sh runs it) fixes
 * that. A bare `bun test` of this file fails, which is the bug.
 *
 * @module
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";

describe("a before hook longer than Bun's default 5 s hook timeout", () => {
  let done = 0;
  before(async () => {
    await new Promise((r) => setTimeout(r, 5_500));
    done = performance.now();
  }, { timeout: 30_000 });

  it("ran to its end before the tests", () => {
    assert.ok(done > 0, "the hook completed");
  });
});
