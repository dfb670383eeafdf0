/**
 * Proves the workarounds listed in docs/runtime-bugs.md.
 *
 * Bun 1.4.5 times out `node:test` hooks after 5 s whatever timeout the hook or
 * bunfig.toml asks for; `bun test --timeout N` (as scripts/test.sh runs it) fixes
 * that. A bare `bun test` of this file fails, which is the bug.
 *
 * Deno 2.9.6's `node:child_process` reports a child that handled SIGTERM and exited
 * 0 as killed (`exit` with code null, signal "SIGTERM") when the signal came from
 * `child.kill()`; `process.kill(child.pid, …)` reports the real exit code.
 *
 * @module
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";

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

describe("a child that handles SIGTERM and exits 0", () => {
  it("reports exit code 0 when signalled with process.kill(pid)", async () => {
    const child = spawn("sh", ["-c", 'trap "exit 0" TERM; echo up; while true; do sleep 0.05; done'], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    const exited = new Promise<[number | null, string | null]>((resolve) =>
      child.on("exit", (code, signal) => resolve([code, signal]))
    );
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    process.kill(child.pid!, "SIGTERM");
    assert.deepEqual(await exited, [0, null]);
  });
});
