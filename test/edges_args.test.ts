/**
 * Odd arguments (the reliability issue's items 2, 4, 5, 8, 9, 12, 13, 14): each
 * kind of argument is checked in one place with one rule, the same error class on
 * Bun and Deno, before anything happens, so a refused call has no side effect:
 *
 * - a read refused for a bad argument takes no message;
 * - timeouts: 0…2^31-1 ms, or Infinity where waiting forever is meaningful (reads,
 *   flush, close); Infinity then really waits (no timer overflow, no purge);
 *   calls whose timeout librdkafka takes refuse Infinity and -1 ("forever" there);
 * - a bad subscription or assignment fails the constructor, not a silent event;
 * - headers given as a Map or a fetch Headers are sent, other objects refused;
 * - integers that cross to C are range-checked (no wrap-around on Bun);
 * - config must be a plain object, and a NUL in a value is refused;
 * - rebalances make no waiting call on the JS thread; assignment() after close throws;
 *   a subscribe overtaken by close() rejects with ClosedError on every runtime.
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AdminClient,
  ClosedError,
  ConfigError,
  configure,
  Consumer,
  currentLimits,
  MockCluster,
  Producer,
  type RebalanceEvent,
} from "../src/mod.ts";
import { library } from "../ffi/mod.ts";
import { eventually } from "./helpers/runtime.ts";

let cluster: MockCluster;
let bootstrap: string;
before(async () => {
  cluster = await MockCluster.create({ brokers: 2 });
  bootstrap = cluster.bootstrapServers;
});
after(() => cluster.close());

const topic = () => `args-${crypto.randomUUID()}`;
// deno-lint-ignore no-explicit-any
const any = (v: unknown) => v as any;

/** A topic of one partition holding `n` messages "v0", "v1", …; and a consumer assigned to it from 0. */
async function filled(n: number) {
  const t = topic();
  await cluster.createTopic(t, { partitions: 1 });
  const p = new Producer({ "bootstrap.servers": bootstrap });
  for (let i = 0; i < n; i++) await p.send({ topic: t, value: `v${i}` });
  await p.close();
  const c = new Consumer({ "bootstrap.servers": bootstrap }, { assignment: [{ topic: t, partition: 0, offset: 0n }] });
  return { t, c };
}

describe("a read refused for a bad argument", () => {
  it("takes no message: the next read gets offset 0", async () => {
    const { c } = await filled(2);
    try {
      for (const signal of [{ aborted: false }, "x", 5, null]) {
        await assert.rejects(c.read({ timeoutMs: 5_000, signal: any(signal) }), TypeError);
        await assert.rejects(c.readBatch({ maxMessages: 5, timeoutMs: 5_000, signal: any(signal) }), TypeError);
      }
      await assert.rejects(c.read(any("fast")), TypeError);
      const m = await c.read({ timeoutMs: 10_000 });
      assert.equal(m?.offset, 0n, "the refused reads took nothing");
    } finally {
      await c.close();
    }
  });
});

describe("timeouts: one rule on every runtime", () => {
  const bad = [-1, Number.NaN, 2 ** 31, 1e12, "100", null];
  it("refuses -1, NaN, 2^31 and non-numbers everywhere, before anything happens", async () => {
    const { t, c } = await filled(1);
    const p = new Producer({ "bootstrap.servers": bootstrap });
    const a = new AdminClient({ "bootstrap.servers": bootstrap });
    try {
      // The consumer's own assign runs in the background at first: let it finish.
      await eventually(() => assert.equal(currentLimits().backgroundCalls, 0), 10_000);
      for (const timeoutMs of bad) {
        const o = any({ timeoutMs });
        const calls: Array<[string, () => Promise<unknown>]> = [
          ["read", () => c.read(o)],
          ["readBatch", () => c.readBatch({ maxMessages: 1, ...o })],
          ["committed", () => c.committed([{ topic: t, partition: 0 }], o)],
          ["watermarkOffsets", () => c.watermarkOffsets(t, 0, o)],
          ["offsetsForTimes", () => c.offsetsForTimes([{ topic: t, partition: 0, timestamp: 0 }], o)],
          ["flush", () => p.flush(o)],
          ["metadata", () => a.metadata(o)],
        ];
        for (const [name, call] of calls) {
          await assert.rejects(
            call(),
            (e) => e instanceof TypeError && /timeoutMs/.test(e.message),
            `${name} ${timeoutMs}`,
          );
        }
        assert.throws(
          () => new Producer({ "bootstrap.servers": bootstrap }, { queueFullTimeoutMs: any(timeoutMs) }),
          TypeError,
        );
      }
      // Infinity: refused where librdkafka takes the timeout (its -1 would wait for good).
      for (
        const call of [
          () => c.committed([{ topic: t, partition: 0 }], { timeoutMs: Infinity }),
          () => c.watermarkOffsets(t, 0, { timeoutMs: Infinity }),
          () => c.offsetsForTimes([{ topic: t, partition: 0, timestamp: 0 }], { timeoutMs: Infinity }),
          () => a.metadata({ timeoutMs: Infinity }),
        ]
      ) await assert.rejects(call(), TypeError);
      assert.equal(currentLimits().backgroundCalls, 0, "nothing was started");
      assert.equal((await c.read({ timeoutMs: 10_000 }))?.offset, 0n, "nothing was read");
    } finally {
      await c.close();
      await p.close();
      await a.close();
    }
  });

  it("Infinity waits: close and flush deliver everything, a read waits for the message", async () => {
    const t = topic();
    await cluster.createTopic(t, { partitions: 1 });
    const p = new Producer({ "bootstrap.servers": bootstrap, "linger.ms": 50 });
    const sends = Array.from({ length: 100 }, (_, i) => p.send({ topic: t, value: `m${i}` }));
    await p.flush({ timeoutMs: Infinity });
    const more = Array.from({ length: 100 }, (_, i) => p.send({ topic: t, value: `n${i}` }));
    await p.close({ timeoutMs: Infinity });
    const results = await Promise.allSettled([...sends, ...more]);
    const failed = results.filter((r) => r.status === "rejected").map((r) =>
      String((r as PromiseRejectedResult).reason)
    );
    assert.deepEqual(failed, [], "no message purged");
    const c = new Consumer({ "bootstrap.servers": bootstrap }, {
      assignment: [{ topic: t, partition: 0, offset: 200n }],
    });
    try {
      const read = c.read({ timeoutMs: Infinity });
      const late = await Promise.race([read, new Promise((r) => setTimeout(() => r("waiting"), 300))]);
      assert.equal(late, "waiting", "an Infinity read did not resolve early");
      const q = new Producer({ "bootstrap.servers": bootstrap });
      await q.send({ topic: t, value: "late" });
      await q.close();
      assert.equal((await read)?.offset, 200n);
    } finally {
      await c.close();
    }
  });
});

describe("constructor arguments", () => {
  it("a bad subscription or assignment throws TypeError at construction and takes no slot", () => {
    const opened = currentLimits().openClients;
    const grouped = { "bootstrap.servers": bootstrap, "group.id": "g" };
    for (
      const options of [
        { topics: "t" },
        { topics: [] },
        { topics: [""] },
        { topics: [5] },
        { assignment: [{ topic: "t", partition: -1 }] },
        { assignment: [{ topic: "t", partition: 2 ** 31 }] },
        { assignment: [{ topic: "t", partition: 0, offset: "x" }] },
        { assignment: "t" },
        { topics: ["t"], assignment: [{ topic: "t", partition: 0 }] },
      ]
    ) {
      assert.throws(() => new Consumer(grouped, any(options)), TypeError, JSON.stringify(options));
    }
    assert.equal(currentLimits().openClients, opened);
  });

  it("config must be a plain object; a NUL in a value is a ConfigError naming the key", () => {
    const opened = currentLimits().openClients;
    for (const config of [null, undefined, [], "bootstrap", new Map([["bootstrap.servers", bootstrap]])]) {
      for (
        const make of [
          (c: unknown) => new Producer(any(c)),
          (c: unknown) => new Consumer(any(c)),
          (c: unknown) => new AdminClient(any(c)),
        ]
      ) {
        assert.throws(() => make(config), (e) => e instanceof TypeError && /config must be an object/.test(e.message));
      }
    }
    assert.throws(
      () => new Producer({ "bootstrap.servers": bootstrap, "client.id": "a\0b" }),
      (e) => e instanceof ConfigError && e.key === "client.id" && /NUL/.test(e.message),
    );
    assert.equal(currentLimits().openClients, opened);
  });
});

describe("process-wide and admin arguments", () => {
  it("a refused configure() changes no limit; admin calls refuse an array as options", async () => {
    const before = currentLimits();
    assert.throws(() => configure({ maxClients: 5, maxBackgroundCalls: 0 }), RangeError);
    assert.equal(currentLimits().maxClients, before.maxClients, "maxClients untouched");
    assert.throws(() => configure(any(null)), TypeError);
    const a = new AdminClient({ "bootstrap.servers": bootstrap });
    try {
      await assert.rejects(a.metadata(any([])), TypeError);
      await assert.rejects(a.listTopics(any([])), TypeError);
    } finally {
      await a.close();
    }
  });
});

describe("headers in any common shape", () => {
  it("a Map and a fetch Headers are sent in order; another object is refused", async () => {
    const t = topic();
    await cluster.createTopic(t, { partitions: 1 });
    const p = new Producer({ "bootstrap.servers": bootstrap });
    await p.send({ topic: t, value: "map", headers: new Map([["a", "1"], ["b", "2"]]) });
    await p.send({ topic: t, value: "fetch", headers: new Headers([["x-trace", "t1"]]) });
    for (const headers of [new Date(), new Set(["a"]), 5, "a=1"]) {
      await assert.rejects(p.send({ topic: t, value: "bad", headers: any(headers) }), TypeError);
    }
    await p.close();
    const c = new Consumer({ "bootstrap.servers": bootstrap }, {
      assignment: [{ topic: t, partition: 0, offset: 0n }],
    });
    try {
      const got = [];
      for (let m; got.length < 2 && (m = await c.read({ timeoutMs: 10_000 }));) got.push(m);
      const text = (v: Uint8Array | null) => new TextDecoder().decode(v ?? new Uint8Array());
      assert.deepEqual(got.map((m) => m.headers.map(([k, v]) => `${k}=${text(v)}`)), [["a=1", "b=2"], ["x-trace=t1"]]);
    } finally {
      await c.close();
    }
  });
});

describe("integers that cross to C", () => {
  it("are range-checked with the same error on every runtime", async () => {
    const c = new Consumer({ "bootstrap.servers": bootstrap });
    try {
      for (const partition of [1e10, 2 ** 31, -1, 1.5]) {
        assert.throws(() => c.position([{ topic: "t", partition }]), TypeError, `position ${partition}`);
        assert.throws(() => c.pause([{ topic: "t", partition }]), TypeError, `pause ${partition}`);
      }
      await assert.rejects(c.assign([{ topic: "t", partition: 0, offset: any("x") }]), TypeError);
      await assert.rejects(cluster.setBrokerDown(1.5, true), TypeError);
      await assert.rejects(cluster.setBrokerDown(3, true), TypeError, "broker 3 of 2");
      await assert.rejects(cluster.setBrokerDown(1, any("yes")), TypeError);
      await assert.rejects(cluster.setRtt(1, 1e12), TypeError);
      await assert.rejects(cluster.setRtt(1, -5), TypeError);
      await assert.rejects(cluster.createTopic(topic(), { partitions: 2 ** 40 }), TypeError);
      await assert.rejects(cluster.pushRequestErrors(2 ** 20, [1]), TypeError);
      await assert.rejects(cluster.pushRequestErrors(0, [any("x")]), TypeError);
      await assert.rejects(MockCluster.create({ brokers: 1e6 }), TypeError);
      // Nothing above reached the cluster: both brokers still up, no delay added.
      const p = new Producer({ "bootstrap.servers": bootstrap });
      assert.ok((await p.send({ topic: topic(), value: "x" })).offset >= 0n);
      await p.close();
    } finally {
      await c.close();
    }
  });
});

describe("consumer calls around rebalances and close", () => {
  it("a rebalance makes no waiting call on the JS thread (rd_kafka_rebalance_protocol)", async () => {
    const call = library().call as Record<string, (...a: unknown[]) => unknown>;
    const original = call.rd_kafka_rebalance_protocol;
    let calls = 0;
    call.rd_kafka_rebalance_protocol = (...a: unknown[]) => {
      calls++;
      return original(...a);
    };
    const t = topic();
    await cluster.createTopic(t, { partitions: 2 });
    const seen: RebalanceEvent[] = [];
    try {
      for (const strategy of ["range", "cooperative-sticky"]) {
        const joined = Promise.withResolvers<void>();
        const c = new Consumer({
          "bootstrap.servers": bootstrap,
          "group.id": `g-${crypto.randomUUID()}`,
          "partition.assignment.strategy": strategy,
        }, {
          topics: [t],
          onRebalance: (e) => {
            seen.push(e);
            if (e.type === "assign") joined.resolve();
          },
        });
        // The read drives the group join; the topic is empty, so close ends it (ClosedError).
        const reading = c.read({ timeoutMs: 15_000 }).catch((e) => e);
        await joined.promise;
        await c.close();
        assert.ok((await reading) instanceof ClosedError);
      }
    } finally {
      call.rd_kafka_rebalance_protocol = original;
    }
    assert.equal(calls, 0);
    const protocols = [...new Set(seen.map((e) => e.protocol))];
    assert.deepEqual(protocols, ["EAGER", "COOPERATIVE"], JSON.stringify(seen.map((e) => [e.type, e.protocol])));
  });

  it("assignment() after close throws ClosedError; a subscribe overtaken by close rejects with ClosedError", async () => {
    const c = new Consumer({ "bootstrap.servers": bootstrap, "group.id": `g-${crypto.randomUUID()}` });
    const sub = c.subscribe([topic()]);
    const closed = c.close();
    await assert.rejects(sub, ClosedError);
    await closed;
    assert.throws(() => c.assignment(), ClosedError);
    assert.throws(() => c.position(), ClosedError);
  });

  it("a background call's TypeError stays a TypeError (Bun's Worker boundary included)", async () => {
    // A string for an int32_t, given to a background symbol directly: both runtimes refuse
    // to convert it (before any call is made), and the caller must see a TypeError.
    const { runInBackground } = await import("../src/native/background.ts");
    await assert.rejects(
      runInBackground("rd_kafka_mock_broker_set_down", [null, "x"]),
      (e) => e instanceof TypeError,
    );
  });
});
