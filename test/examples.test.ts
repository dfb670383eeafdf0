// tiers: mock kafka
/**
 * Runs every example in `examples/` in a fresh process of the current runtime
 * (on the mock cluster, or on the broker scripts/test.sh names, as the example
 * chooses) and checks what it printed, so the examples cannot rot. The shutdown
 * example gets a real SIGTERM once it is serving. The first line makes
 * scripts/test.sh run this file on both tiers.
 *
 * @module
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { runScript, runtime } from "./helpers/runtime.ts";

const example = (name: string) => new URL(`../examples/${name}.ts`, import.meta.url);

function run(name: string): string {
  const r = runScript(example(name), {}, 120_000);
  assert.equal(r.status, 0, `${name} exited ${r.status} (${r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Lines of `out` that match `re`, as match arrays. */
const matches = (out: string, re: RegExp) => out.split("\n").map((l) => l.match(re)).filter((m) => m !== null);

describe("examples", () => {
  it("produce: awaited sends with keys, bad input refused by name, a failed delivery reported", () => {
    const out = run("produce");
    const delivered = matches(out, /^delivered: key (\w+) -> partition (\d+), offset (\d+)$/);
    assert.equal(delivered.length, 3, out);
    // The same key lands on the same partition.
    const alice = delivered.filter((m) => m[1] === "alice").map((m) => m[2]);
    assert.equal(alice.length, 2);
    assert.equal(alice[0], alice[1]);
    assert.match(out, /^refused: message\.value must be a Uint8Array, a string or null, got a number$/m);
    assert.match(out, /^failed: _UNKNOWN_PARTITION \(retriable: false\)$/m);
  });

  it("batch: sendMulti reports every message, the failed one by index; a malformed batch is refused", () => {
    const out = run("batch");
    assert.match(out, /^delivered 10000 of 10001 in \d+ ms$/m);
    assert.deepEqual(matches(out, /^message (\d+) failed: (\S+)$/).map((m) => [m[1], m[2]]), [
      ["10000", "_UNKNOWN_PARTITION"],
    ]);
    assert.match(out, /^refused: messages\[1\]\.key must be/m);
  });

  it("consume: a group member reads all 20 messages while timers keep running", () => {
    const out = run("consume");
    assert.match(out, /^rebalance: assign \d+ partition\(s\)$/m);
    assert.match(out, /^first: order-\d+ from partition \d+ at offset 0$/m);
    const [done] = matches(out, /^read (\d+) orders; the timer ticked (\d+) times meanwhile$/);
    assert.ok(done, out);
    assert.equal(done[1], "20");
    assert.ok(Number(done[2]) > 0, "the event loop ran timers while the consumer joined and read");
  });

  it("commits: the second worker resumes right after the first one's last commit", () => {
    const out = run("commits");
    assert.equal(matches(out, /^worker 1 handled job-\d+$/).length, 6);
    assert.match(out, /^worker 1 committed offset 6 and stops$/m);
    assert.match(out, /^worker 2 resumed at job-6 \(offset 6\)$/m);
  });

  it("exactly-once: 40 events processed in transactions; read_committed sees each once, in order per key", () => {
    const out = run("exactly-once");
    const [, records, transactions] = out.match(/^processed (\d+) records in (\d+) transactions$/m) ?? [];
    assert.equal(records, "40", out);
    assert.ok(Number(transactions) >= 4, out); // at most 10 records per transaction
    assert.match(out, /^output: 40 records, each input once: true, in order per key: true$/m);
  });

  it("shutdown: SIGTERM while serving settles every send, commits, and exits 0", async () => {
    const exe = process.execPath;
    const args = runtime === "bun" ? [example("shutdown").pathname] : ["run", "-A", example("shutdown").pathname];
    const child = spawn(exe, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const killer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    await new Promise<void>((resolve) => {
      child.stdout.on("data", (d) => {
        out += d;
        if (out.includes("ready:")) resolve();
      });
      void exited.then(() => resolve());
    });
    // Let it serve a little longer, so sends are in flight when the signal comes.
    await new Promise((r) => setTimeout(r, 300));
    // Not child.kill(): Deno then reports the child as killed whatever its exit code (docs/runtime-bugs.md).
    process.kill(child.pid!, "SIGTERM");
    const code = await exited;
    clearTimeout(killer);
    assert.equal(code, 0, `exit ${code}:\n${out}\n${err}`);
    assert.match(out, /^SIGTERM: shutting down$/m);
    const [counts] = matches(out, /^sent (\d+), delivered (\d+), failed (\d+), read (\d+)$/);
    assert.ok(counts, out);
    const [sent, delivered, failed, read] = counts.slice(1).map(Number);
    assert.ok(sent > 0 && read > 0, out);
    assert.equal(delivered + failed, sent, "every send it started is delivered or reported failed");
    assert.equal(failed, 0, out);
    assert.ok(read <= sent);
    assert.match(out, /^committed \d+ partition\(s\); shutdown complete$/m);
  });

  it("gateway: serves on the embedded mock, answers a POST with 202, drains on SIGTERM and exits 0", async () => {
    // Its own routes are tested in-process by gateway.test.ts; this runs the file as a user does.
    const exe = process.execPath;
    const args = runtime === "bun" ? [example("gateway").pathname] : ["run", "-A", example("gateway").pathname];
    const env: Record<string, string | undefined> = { ...process.env, PORT: "0" };
    delete env.KAFKA_BOOTSTRAP;
    const child = spawn(exe, args, { stdio: ["ignore", "pipe", "pipe"], env });
    let out = "";
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const killer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    const url = await new Promise<string | undefined>((resolve) => {
      child.stdout.on("data", (d) => {
        out += d;
        const m = out.match(/^gateway: listening on (http:\S+)/m);
        if (m) resolve(m[1]);
      });
      void exited.then(() => resolve(undefined));
    });
    assert.ok(url, `no "listening" line:\n${out}\n${err}`);
    const res = await fetch(`${url}/topics/events?key=k`, { method: "POST", body: "hello" });
    const body = await res.json();
    assert.equal(res.status, 202, JSON.stringify(body));
    assert.equal(body.status, "delivered");
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200, await health.text());
    process.kill(child.pid!, "SIGTERM");
    const code = await exited;
    clearTimeout(killer);
    assert.equal(code, 0, `exit ${code}:\n${out}\n${err}`);
    assert.match(out, /^SIGTERM: draining$/m);
    assert.match(out, /^gateway: stopped; 1 messages delivered$/m);
  });
});
