// Lifecycle, limits and the non-blocking contract of the core, on MockCluster.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ClosedError,
  configure,
  currentLimits,
  ErrorCode,
  KafkaError,
  LibraryLoadError,
  librdkafkaVersion,
  LimitError,
  MockCluster,
  Producer,
} from "../src/mod.ts";
import { runScript, runtime, sleep } from "./helpers/runtime.ts";
import { backend, library, missingSymbolError, parseVersion, SYMBOLS } from "../ffi/mod.ts";

let cluster: MockCluster;
before(async () => {
  cluster = await MockCluster.create();
});
after(async () => {
  await cluster.close();
});

const topic = () => `life-${crypto.randomUUID()}`;

describe("library", () => {
  it("reports the loaded librdkafka version", () => {
    const v = librdkafkaVersion();
    assert.match(v, /^\d+\.\d+\.\d+/);
    const [a, b, c] = v.split(".").map((x) => parseInt(x, 10));
    assert.ok(a > 2 || (a === 2 && (b > 0 || c >= 2)), `version ${v} >= 2.0.2`);
  });

  it("binds optional symbols only when present, and names the version a missing one needs", () => {
    const lib = backend.open(library().path, {
      rd_kafka_version: { parameters: [], result: "i32", since: "1.0.0" },
      rd_kafka_no_such_function_for_tests: { parameters: ["ptr"], result: "void", since: "99.1.0" },
    });
    try {
      assert.equal(typeof lib.call.rd_kafka_version, "function");
      assert.equal(lib.call.rd_kafka_version(), library().call.rd_kafka_version());
      assert.deepEqual([...lib.missing], ["rd_kafka_no_such_function_for_tests"]);
      assert.equal(lib.call.rd_kafka_no_such_function_for_tests, undefined);
    } finally {
      lib.close();
    }
    const e = missingSymbolError("rd_kafka_no_such_function_for_tests", "99.1.0");
    assert.ok(e instanceof LibraryLoadError);
    assert.match(
      e.message,
      /rd_kafka_no_such_function_for_tests needs librdkafka >= 99\.1\.0; the loaded one is \d+\.\d+\.\d+/,
    );
    // Every symbol without a `since` is in the loaded library; a missing one is newer than it.
    const loaded = parseVersion(librdkafkaVersion());
    for (const name of library().missing) {
      const since = (SYMBOLS as Record<string, { since?: string }>)[name]?.since;
      assert.ok(since !== undefined, `${name} has no "since" yet is missing from librdkafka ${librdkafkaVersion()}`);
      assert.ok(parseVersion(since) > loaded, `${name} (since ${since}) should be in ${librdkafkaVersion()}`);
    }
  });

  it("throws LibraryLoadError naming the path tried and how to install", () => {
    const r = runScript(new URL("./fixtures/load_error.ts", import.meta.url), {
      KAFKA_FAST_LIBRDKAFKA: "/nonexistent/librdkafka.so.1",
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    assert.equal(out.isLoadError, true);
    assert.equal(out.name, "LibraryLoadError");
    assert.deepEqual(out.tried.length, 1);
    assert.match(out.tried[0], /^\/nonexistent\/librdkafka\.so\.1: /);
    assert.match(out.message, /apt-get install librdkafka1/);
  });
});

describe("close", () => {
  it("is idempotent, and every call after it rejects with ClosedError", async () => {
    const p = new Producer({ "bootstrap.servers": cluster.bootstrapServers });
    await p.send({ topic: topic(), value: "x" });
    const c1 = p.close();
    const c2 = p.close();
    assert.equal(c1, c2, "a second close returns the same promise");
    await c1;
    assert.equal(p.closed, true);
    await assert.rejects(p.send({ topic: topic(), value: "x" }), ClosedError);
    await assert.rejects(p.sendMulti([{ topic: topic(), value: "x" }]), ClosedError);
    await assert.rejects(p.flush(), ClosedError);
    assert.throws(() => p.testFatalError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, "x"), ClosedError);
    await p.close(); // still fine
  });

  it("flushes what was accepted before it resolves", async () => {
    const p = new Producer({ "bootstrap.servers": cluster.bootstrapServers, "linger.ms": 100 });
    const t = topic();
    const sends = Array.from({ length: 500 }, (_, i) => p.send({ topic: t, value: `v${i}` }));
    let settled = 0;
    for (const s of sends) void s.then(() => settled++);
    await p.close();
    const results = await Promise.allSettled(sends);
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 500);
    assert.equal(settled, 500, "every send settled before close resolved");
  });

  it("fails undelivered messages with _PURGE_QUEUE when the timeout passes, and still returns", async () => {
    const down = await MockCluster.create();
    const p = new Producer({ "bootstrap.servers": down.bootstrapServers, "message.timeout.ms": 60_000 });
    try {
      await down.setBrokerDown(1, true);
      const sends = Array.from({ length: 20 }, (_, i) => p.send({ topic: topic(), value: `v${i}` }));
      const settled = Promise.allSettled(sends);
      const t0 = performance.now();
      await p.close({ timeoutMs: 300 });
      const ms = performance.now() - t0;
      const results = await settled;
      for (const r of results) {
        assert.equal(r.status, "rejected");
        const e = (r as PromiseRejectedResult).reason;
        assert.ok(e instanceof KafkaError);
        assert.equal(e.name, "_PURGE_QUEUE");
      }
      assert.ok(ms < 20_000, `close returned (took ${ms.toFixed(0)} ms)`);
    } finally {
      await p.close();
      await down.close();
    }
  });

  it("await using closes the producer at the end of the block", async () => {
    let outer: Producer;
    {
      await using p = new Producer({ "bootstrap.servers": cluster.bootstrapServers });
      outer = p;
      await p.send({ topic: topic(), value: "x" });
      assert.equal(p.closed, false);
    }
    assert.equal(outer.closed, true);
    await assert.rejects(outer.send({ topic: topic(), value: "x" }), ClosedError);
  });

  it("a process ends by itself after close", () => {
    const r = runScript(new URL("./fixtures/exit_after_close.ts", import.meta.url));
    assert.equal(r.signal, null, `killed by ${r.signal} after ${r.ms} ms: ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /delivered offset=\d+/);
  });

  it("a producer dropped without close is freed by the GC, and the process ends", () => {
    const r = runScript(new URL("./fixtures/drop_without_close.ts", import.meta.url));
    assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stdout} ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /open after use: 3/);
    assert.match(r.stdout, /open after gc: 0/);
  });
});

describe("limits", () => {
  it("maxClients throws LimitError, and a closed client frees its slot", async () => {
    const before = currentLimits();
    configure({ maxClients: before.openClients + 2 });
    const a = new Producer({ "bootstrap.servers": cluster.bootstrapServers });
    const b = new Producer({ "bootstrap.servers": cluster.bootstrapServers });
    try {
      assert.throws(
        () => new Producer({ "bootstrap.servers": cluster.bootstrapServers }),
        (e: unknown) => e instanceof LimitError && e.limit === "maxClients" && /maxClients/.test(e.message),
      );
      await a.close();
      const c = new Producer({ "bootstrap.servers": cluster.bootstrapServers });
      await c.close();
    } finally {
      await a.close();
      await b.close();
      configure({ maxClients: before.maxClients });
    }
    assert.equal(currentLimits().openClients, before.openClients);
  });

  it("configure rejects unknown limits and bad values", () => {
    assert.throws(() => configure({ maxClientz: 3 } as never), /unknown limit "maxClientz"/);
    assert.throws(() => configure({ maxClients: 0 }), RangeError);
    assert.throws(() => configure({ maxBackgroundCalls: 1.5 }), RangeError);
  });

  it("a ConfigError does not leak a client slot", () => {
    const n = currentLimits().openClients;
    assert.throws(() => new Producer({ "no.such.property": 1 }));
    assert.equal(currentLimits().openClients, n);
  });

  it("rejects unknown Producer options", () => {
    assert.throws(
      () => new Producer({ "bootstrap.servers": cluster.bootstrapServers }, { lingerMs: 5 } as never),
      /unknown Producer option "lingerMs"/,
    );
  });
});

describe("the event loop never waits", () => {
  it("timers fire while a flush waits on a broker that is down", async () => {
    const down = await MockCluster.create();
    const p = new Producer({ "bootstrap.servers": down.bootstrapServers, "message.timeout.ms": 60_000 });
    try {
      await down.setBrokerDown(1, true);
      void p.send({ topic: topic(), value: "x" }).catch(() => {});
      const t0 = performance.now();
      let timerAt = -1;
      setTimeout(() => (timerAt = performance.now() - t0), 10);
      await assert.rejects(
        p.flush({ timeoutMs: 1_000 }),
        (e: unknown) => e instanceof KafkaError && e.name === "_TIMED_OUT",
      );
      const flushMs = performance.now() - t0;
      assert.ok(timerAt > 0, "the 10 ms timer fired before the flush ended");
      assert.ok(flushMs >= 900, `flush waited for its timeout (${flushMs.toFixed(0)} ms)`);
      assert.ok(timerAt < flushMs / 2, `timer at ${timerAt.toFixed(0)} ms, flush ended at ${flushMs.toFixed(0)} ms`);
    } finally {
      await p.close({ timeoutMs: 100 });
      await down.close();
    }
  });

  it("timers fire while clients are being destroyed", async () => {
    const producers = Array.from({ length: 4 }, () => new Producer({ "bootstrap.servers": cluster.bootstrapServers }));
    await Promise.all(producers.map((p) => p.send({ topic: topic(), value: "x" })));
    let ticks = 0;
    const tick = setInterval(() => ticks++, 1); // a test-side probe, not library code
    const t0 = performance.now();
    await Promise.all(producers.map((p) => p.close()));
    const ms = performance.now() - t0;
    clearInterval(tick);
    // rd_kafka_destroy joins librdkafka's threads; off the JS thread the loop keeps turning.
    assert.ok(ticks > 0 || ms < 5, `interval ticked ${ticks} times during ${ms.toFixed(0)} ms of close (${runtime})`);
  });
});

describe("MockCluster", () => {
  it("validates arguments and rejects after close", async () => {
    const m = await MockCluster.create({ brokers: 3 });
    assert.match(m.bootstrapServers, /^127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+){2}$/);
    await assert.rejects(m.createTopic("x", { replicationFactor: 4 }), TypeError);
    await assert.rejects(m.createTopic("x", { partitions: 0 }), TypeError);
    await assert.rejects(m.createTopic("bad name!"), KafkaError);
    await m.createTopic("ok", { partitions: 3, replicationFactor: 3 });
    await m.close();
    await m.close();
    assert.throws(() => m.bootstrapServers, ClosedError);
    await assert.rejects(m.createTopic("y"), ClosedError);
    await assert.rejects(MockCluster.create({ brokers: 0 }), TypeError);
  });

  it("sleep helper sanity", async () => {
    const t0 = performance.now();
    await sleep(20);
    assert.ok(performance.now() - t0 >= 15);
  });
});
