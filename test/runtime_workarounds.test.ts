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
 * Deno 2.9.6 unloads FFI libraries at exit while threads the library started still
 * run its code, and the process dies with SIGSEGV; loading the library once more
 * with `RTLD_NODELETE` (Backend.pin, which the loader does for librdkafka) keeps
 * it mapped. The test compiles test/c/spin.c with gcc (or `$CC`).
 *
 * @module
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runScript, runtime } from "./helpers/runtime.ts";

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

describe("a library whose threads outlive the process's last call into it", () => {
  let lib = "";
  before(() => {
    lib = join(mkdtempSync(join(tmpdir(), "kafka-fast-spin-")), "libspin.so");
    const src = fileURLToPath(new URL("./c/spin.c", import.meta.url));
    execFileSync(process.env.CC || "gcc", ["-shared", "-fPIC", "-O1", "-o", lib, src, "-lpthread"]);
  });
  const exit = (pin: boolean) =>
    runScript(new URL("./fixtures/exit_with_threads.ts", import.meta.url), {
      EXIT_LIB: lib,
      EXIT_PIN: pin ? "1" : "0",
    }, 30_000);

  it("pinned (RTLD_NODELETE): the process exits cleanly, every time", () => {
    for (let i = 0; i < 3; i++) {
      const r = exit(true);
      assert.match(r.stdout, /pinned: true\nthread: true/);
      assert.deepEqual([r.status, r.signal], [0, null], `run ${i}: ${r.stderr}`);
    }
  });

  it("not pinned: Deno crashes at exit (the bug), Bun exits cleanly", () => {
    const r = exit(false);
    assert.match(r.stdout, /thread: true/);
    if (runtime === "deno") assert.equal(r.signal, "SIGSEGV", `exit ${r.status}: the bug is gone? ${r.stderr}`);
    else assert.deepEqual([r.status, r.signal], [0, null], r.stderr);
  });
});
