/**
 * Consumer integration tests, offsets: commits and restarts, assignments,
 * unassign/unsubscribe dropping what was fetched, seek, pause/resume, position,
 * lag, watermarks, offsetsForTimes and partition EOF.
 *
 * Runs on both tiers (see test/helpers/cluster.ts; testCluster() in
 * helpers/consume.ts). Where the two differ (`offsetsForTimes`: the mock answers
 * no timestamp query), the test asserts what each tier does, chosen with
 * `clusterKind()`. Most tests assign partitions (no group join: the mock takes
 * about 3 s per join); commits use a `group.id` with `assign()`, and one restart
 * test subscribes.
 *
 *   bun test --timeout 120000 test/consumer_offsets.test.ts
 *   deno test -A --v8-flags=--expose-gc test/consumer_offsets.test.ts
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, KafkaError, type Message, OFFSET, type PartitionEof, type RebalanceEvent } from "../src/mod.ts";
import { clusterKind, clusterLabel } from "./helpers/cluster.ts";
import { sleep } from "./helpers/runtime.ts";
import { byPartition, ConsumerFixture, eventually, offsetsOf, range, readN, uuid } from "./helpers/consume.ts";

describe(`Consumer: offsets (${clusterLabel()})`, () => {
  const fx = new ConsumerFixture();
  const { consumer, grouped, newTopic, produce, fill } = fx;

  before(async () => {
    await fx.setUp();
  });

  after(() => fx.tearDown());

  // 6 -----------------------------------------------------------------------------
  it("manual commits: commit(message), commit() of stored offsets, explicit offsets, nothing new → []", async () => {
    const topic = await newTopic(1);
    await fill(topic, 0, 20);
    const tp = { topic, partition: 0 };
    const c = grouped();
    await c.assign([tp]);
    const first = await readN(c, 3, 10_000, 1);
    assert.deepEqual(offsetsOf(first), range(0, 3));

    // commit(message) commits its offset + 1 (the next to read).
    assert.deepEqual(await c.commit(first[2]), [{ ...tp, offset: 3n }]);
    assert.deepEqual(await c.committed(), [{ ...tp, offset: 3n }]);
    assert.deepEqual(await c.committed([tp], { timeoutMs: 10_000 }), [{ ...tp, offset: 3n }]);

    // commit(): the offsets stored for every message handed out.
    const more = await readN(c, 2, 10_000, 1);
    assert.deepEqual(offsetsOf(more), [3n, 4n]);
    assert.deepEqual(await c.commit(), [{ ...tp, offset: 5n }]);
    assert.deepEqual(await c.committed(), [{ ...tp, offset: 5n }]);
    // Nothing new since: [].
    assert.deepEqual(await c.commit(), []);

    // Explicit offsets, and a list of messages.
    assert.deepEqual(await c.commit([{ ...tp, offset: 8n }]), [{ ...tp, offset: 8n }]);
    assert.deepEqual(await c.committed(), [{ ...tp, offset: 8n }]);
    const m5 = await c.read({ timeoutMs: 10_000 });
    assert.equal(m5?.offset, 5n);
    assert.deepEqual(await c.commit([m5!]), [{ ...tp, offset: 6n }]);
    assert.deepEqual(await c.committed(), [{ ...tp, offset: 6n }]);
    await c.close();

    // A partition nobody committed: offset undefined.
    const other = await newTopic(1);
    const d = grouped();
    assert.deepEqual(await d.committed([{ topic: other, partition: 0 }]), [{
      topic: other,
      partition: 0,
      offset: undefined,
    }]);
    await d.close();
  });

  it("storeOffsets with enable.auto.offset.store=false: only stored offsets are committed", async () => {
    const topic = await newTopic(1);
    await fill(topic, 0, 10);
    const tp = { topic, partition: 0 };
    const c = grouped({ "enable.auto.offset.store": false });
    await c.assign([tp]);
    const got = await readN(c, 5, 10_000);
    // Reading stored nothing.
    assert.deepEqual(await c.commit(), []);
    c.storeOffsets([got[2]]);
    assert.deepEqual(await c.commit(), [{ ...tp, offset: 3n }]);
    assert.deepEqual(await c.committed(), [{ ...tp, offset: 3n }]);
    c.storeOffsets([{ ...tp, offset: 5n }]);
    assert.deepEqual(await c.commit(), [{ ...tp, offset: 5n }]);
    assert.deepEqual(await c.committed(), [{ ...tp, offset: 5n }]);
    assert.deepEqual(await c.commit(), []);
    assert.throws(() => c.storeOffsets([{ ...tp, offset: 5 as unknown as bigint }]), /offset must be a bigint/);
    await c.close();

    // With automatic offset store on, librdkafka refuses explicit stores.
    const d = grouped();
    await d.assign([tp]);
    assert.throws(
      () => d.storeOffsets([{ ...tp, offset: 1n }]),
      (e) => e instanceof KafkaError && e.name === "_INVALID_ARG",
    );
    await d.close();
  });

  it("auto-commit: close() commits exactly what was handed out, and the group continues there", async () => {
    const topic = await newTopic(1);
    await fill(topic, 0, 20);
    const tp = { topic, partition: 0 };
    const group = `g-${uuid()}`;
    const c1 = consumer({ "group.id": group, "auto.commit.interval.ms": 60_000 });
    await c1.assign([tp]);
    assert.deepEqual(offsetsOf(await readN(c1, 5, 10_000, 1)), range(0, 5));
    await sleep(200); // more is fetched meanwhile; none of it was handed out
    await c1.close();

    const c2 = consumer({ "group.id": group });
    assert.deepEqual(await c2.committed([tp]), [{ ...tp, offset: 5n }]);
    await c2.assign([tp]); // no offset: from the committed one
    assert.deepEqual(offsetsOf(await readN(c2, 15, 10_000)), range(5, 20));
    await c2.close();
  });

  it("auto-commit timer while fetched messages wait unread: it commits what reads were handed, never past it", async () => {
    // librdkafka stores a message's offset when it is taken from the queue, and the consumer
    // takes fetched messages before any read asks (so rebalances still arrive while idle);
    // librdkafka's own timer would commit those stored offsets, past messages nobody read.
    const topic = await newTopic(1);
    await fill(topic, 0, 20);
    const tp = { topic, partition: 0 };
    const group = `g-${uuid()}`;
    const c1 = consumer({ "group.id": group, "auto.commit.interval.ms": 100 });
    await c1.assign([tp]);
    assert.deepEqual(offsetsOf(await readN(c1, 3, 10_000, 3)), range(0, 3));
    // The other 17 arrive and wait unread; the lag counts them.
    await eventually(() => c1.lag()[0]?.lag === 17n, 10_000, `lag 17 (${c1.lag()[0]?.lag})`);
    assert.deepEqual(c1.position(), [{ ...tp, offset: 3n }]);
    await sleep(600); // several ticks of the timer
    assert.deepEqual(await c1.committed(), [{ ...tp, offset: 3n }], "the timer committed the handed-out position");
    // pause drops the unread ones; resume fetches them again from the position.
    c1.pause([tp]);
    c1.resume([tp]);
    assert.deepEqual(offsetsOf(await readN(c1, 2, 10_000, 2)), [3n, 4n]);
    await eventually(() => c1.lag()[0]?.lag === 15n, 10_000, `lag 15 (${c1.lag()[0]?.lag})`);
    await sleep(600);
    assert.deepEqual(await c1.committed(), [{ ...tp, offset: 5n }]);
    assert.deepEqual(await c1.commit(), [], "commit(): the timer committed it already");
    await c1.close();

    const c2 = consumer({ "group.id": group });
    assert.deepEqual(await c2.committed([tp]), [{ ...tp, offset: 5n }], "close committed the position too");
    await c2.assign([tp]);
    assert.deepEqual(offsetsOf(await readN(c2, 15, 10_000)), range(5, 20));
    await c2.close();
  });

  it("auto.commit.interval.ms is checked as librdkafka would: a ConfigError naming it", () => {
    for (const bad of [-1, 86_400_001, 1.5, "soon", "", true]) {
      assert.throws(
        () => consumer({ "group.id": `g-${uuid()}`, "auto.commit.interval.ms": bad }),
        (e) => e instanceof ConfigError && e.key === "auto.commit.interval.ms",
        `auto.commit.interval.ms=${String(bad)}`,
      );
    }
  });

  // 7 -----------------------------------------------------------------------------
  it("restart with manual commits: the next member of the group continues at the committed offsets", async () => {
    const topic = await newTopic(3);
    const N = 300;
    await produce(Array.from({ length: N }, (_, i) => ({ topic, partition: i % 3, value: `m${i}` })));
    const group = `g-${uuid()}`;
    // The mock makes a member joining after another left wait session.timeout.ms (45 s by default)
    // for the old member to rejoin, although it sent LeaveGroup; 6 s is the broker's minimum.
    const config = { "group.id": group, "enable.auto.commit": false, "session.timeout.ms": 6000 };

    const rebalances: RebalanceEvent[] = [];
    const c1 = consumer(config, { topics: [topic] });
    c1.on("rebalance", (e) => rebalances.push(e));
    const part1 = await readN(c1, 130, 30_000, 10);
    const committed = await c1.commit();
    assert.equal(rebalances[0]?.type, "assign");
    assert.deepEqual(rebalances[0].partitions.map((p) => p.partition).sort(), [0, 1, 2]);
    await c1.close();
    /** Per partition, one past the last message consumer 1 read (undefined: it read none there). */
    const next = (p: number) => {
      const mine = byPartition(part1, p);
      return mine.length === 0 ? undefined : mine[mine.length - 1].offset + 1n;
    };

    const c2 = consumer(config, { topics: [topic] });
    const part2 = await readN(c2, N - 130, 30_000);
    assert.equal(await c2.read({ timeoutMs: 500 }), null, "no message beyond the rest");
    for (const p of [0, 1, 2]) {
      const first = byPartition(part2, p)[0];
      if (first) assert.equal(first.offset, next(p) ?? 0n, `partition ${p} continues where consumer 1 stopped`);
    }
    const all = [...part1, ...part2].map((m) => m.text());
    assert.equal(new Set(all).size, N, "no duplicate");
    assert.deepEqual([...all].sort(), Array.from({ length: N }, (_, i) => `m${i}`).sort(), "no loss");

    // commit() resolved with what it committed: per partition one past the last message read, and
    // nothing (no entry, or offset undefined) for a partition it read nothing from.
    for (const p of [0, 1, 2]) {
      assert.equal(committed.find((t) => t.partition === p)?.offset, next(p), `commit() result, partition ${p}`);
    }
    await c2.close();
  });

  // 8 -----------------------------------------------------------------------------
  it("assign with offsets (no group.id), assignment(), replace, unassign; subscribe without group.id rejects", async () => {
    const topic = await newTopic(2);
    await fill(topic, 0, 5);
    await fill(topic, 1, 5, 100);
    const c = consumer();
    assert.deepEqual(c.assignment(), []);
    await c.assign([{ topic, partition: 0, offset: 2n }, { topic, partition: 1, offset: 4n }]);
    const sorted = (tps: { topic: string; partition: number }[]) => [...tps].sort((x, y) => x.partition - y.partition);
    assert.deepEqual(sorted(c.assignment()), [{ topic, partition: 0 }, { topic, partition: 1 }]);
    const got = await readN(c, 4, 10_000);
    assert.deepEqual(offsetsOf(byPartition(got, 0)), [2n, 3n, 4n]);
    assert.deepEqual(byPartition(got, 1).map((m) => [m.offset, m.text()]), [[4n, "v104"]]);

    // Special offsets: BEGINNING, END.
    await c.assign([{ topic, partition: 0, offset: OFFSET.BEGINNING }]);
    assert.deepEqual(c.assignment(), [{ topic, partition: 0 }]);
    assert.equal((await c.read({ timeoutMs: 10_000 }))?.offset, 0n);
    await c.assign([{ topic, partition: 1, offset: OFFSET.END }]);
    assert.deepEqual(c.assignment(), [{ topic, partition: 1 }]);
    assert.equal(await c.read({ timeoutMs: 500 }), null, "END: only new messages");
    await fill(topic, 1, 1, 105);
    const fresh = await c.read({ timeoutMs: 10_000 });
    assert.deepEqual([fresh?.partition, fresh?.offset, fresh?.text()], [1, 5n, "v105"]);

    await c.unassign();
    assert.deepEqual(c.assignment(), []);
    await fill(topic, 1, 1, 106);
    assert.equal(await c.read({ timeoutMs: 500 }), null, "nothing after unassign");

    // Without group.id: subscribe and commit reject with ConfigError naming group.id.
    await assert.rejects(c.subscribe([topic]), (e) => e instanceof ConfigError && e.key === "group.id");
    await assert.rejects(c.commit(), (e) => e instanceof ConfigError && e.key === "group.id");
    const g = grouped();
    await assert.rejects(g.subscribe([]), TypeError);
    await assert.rejects(g.subscribe([""]), /topics\[0\]/);
    await g.close();
    await assert.rejects(c.assign([{ topic, partition: -1 }]), /partitions\[0\]\.partition/);
    await assert.rejects(c.assign([{ topic: "", partition: 0 }]), /partitions\[0\]\.topic/);
    await c.close();
  });

  it("unassign drops messages already fetched: nothing of an unassigned partition is handed out", async () => {
    const topic = await newTopic(2);
    await fill(topic, 0, 20);
    await fill(topic, 1, 20);
    const c = consumer();
    await c.assign([{ topic, partition: 0, offset: 0n }, { topic, partition: 1, offset: 0n }]);
    // One read lets librdkafka fetch (and this library pick up) more than it hands out.
    assert.ok(await c.read({ timeoutMs: 10_000 }));
    await sleep(200);
    await c.unassign();
    const after = await c.readBatch({ maxMessages: 100, timeoutMs: 500 });
    assert.deepEqual(after.map((m) => `${m.partition}@${m.offset}`), [], "messages after unassign()");

    // Replacing the assignment drops what was fetched for the partition left out.
    await c.assign([{ topic, partition: 0, offset: 0n }, { topic, partition: 1, offset: 0n }]);
    assert.ok(await c.read({ timeoutMs: 10_000 }));
    await sleep(200);
    await c.assign([{ topic, partition: 1, offset: 10n }]);
    const rest = await readN(c, 10, 10_000);
    assert.deepEqual(rest.map((m) => `${m.partition}@${m.offset}`), range(10, 20).map((o) => `1@${o}`));
    await c.close();
  });

  it("unsubscribe drops messages already fetched: nothing of a revoked partition is handed out", async () => {
    const topic = await newTopic(1);
    await fill(topic, 0, 20);
    const c = grouped({}, { topics: [topic] });
    const rebalances: RebalanceEvent[] = [];
    c.on("rebalance", (e) => rebalances.push(e));
    const m = await c.read({ timeoutMs: 20_000 });
    assert.equal(m?.offset, 0n);
    await sleep(200); // more is fetched and queued
    await c.unsubscribe();
    // (librdkafka hands the revoke to the application with the messages: a read lets it through.)
    const after = await c.readBatch({ maxMessages: 100, timeoutMs: 1000 });
    assert.deepEqual(after.map((x) => `${x.partition}@${x.offset}`), [], "messages after unsubscribe()");
    await eventually(() => rebalances.some((e) => e.type === "revoke"), 10_000, "the revoke after unsubscribe()");
    assert.deepEqual(c.assignment(), []);
    await c.close();
  });

  // 9 -----------------------------------------------------------------------------
  it("seek back and forward: the next read returns the sought offset", async () => {
    const topic = await newTopic(1);
    await fill(topic, 0, 20);
    const c = consumer();
    const tp = { topic, partition: 0 };
    await c.assign([{ ...tp, offset: 0n }]);
    assert.deepEqual(offsetsOf(await readN(c, 5, 10_000, 1)), range(0, 5));
    await sleep(100); // let later messages be fetched: seek must drop them

    c.seek({ ...tp, offset: 0n });
    assert.equal((await c.read({ timeoutMs: 10_000 }))?.offset, 0n);
    assert.equal((await c.read({ timeoutMs: 10_000 }))?.offset, 1n);
    c.seek({ ...tp, offset: 15n });
    assert.deepEqual(offsetsOf(await readN(c, 5, 10_000)), range(15, 20));
    c.seek({ ...tp, offset: OFFSET.BEGINNING });
    assert.equal((await c.read({ timeoutMs: 10_000 }))?.offset, 0n);
    c.seek({ ...tp, offset: 7n });
    assert.equal((await c.read({ timeoutMs: 10_000 }))?.offset, 7n);
    assert.deepEqual(c.position(), [{ ...tp, offset: 8n }]);

    // Bad arguments name the field.
    assert.throws(
      () => c.seek({ ...tp, offset: 3 as unknown as bigint }),
      (e) => e instanceof TypeError && /offset/.test(e.message),
    );
    assert.throws(
      () => c.seek({ topic: "", partition: 0, offset: 0n }),
      (e) => e instanceof TypeError && /topic/.test(e.message),
    );
    assert.throws(
      () => c.seek({ topic, partition: -1, offset: 0n }),
      (e) => e instanceof TypeError && /partition/.test(e.message),
    );
    assert.throws(
      () => c.seek({ topic, partition: 1.5, offset: 0n }),
      (e) => e instanceof TypeError && /partition/.test(e.message),
    );
    assert.throws(() => c.seek(null as unknown as { topic: string; partition: number; offset: bigint }), TypeError);
    // The consumer goes on after refused seeks.
    assert.equal((await c.read({ timeoutMs: 10_000 }))?.offset, 8n);
    await c.close();
  });

  it("pause/resume: a paused partition hands out nothing while others go on, then resumes with no gap or duplicate", async () => {
    const topic = await newTopic(2);
    const N = 200;
    await fill(topic, 0, N);
    await fill(topic, 1, N, 1000);
    const c = consumer();
    const p0 = { topic, partition: 0 };
    const p1 = { topic, partition: 1 };
    await c.assign([{ ...p0, offset: 0n }, { ...p1, offset: 0n }]);

    const before: Message[] = [];
    while (byPartition(before, 0).length < 5) {
      const b = await c.readBatch({ maxMessages: 3, timeoutMs: 10_000 });
      assert.ok(b.length > 0, "messages before the pause");
      before.push(...b);
    }
    await sleep(100); // more of partition 0 is fetched and queued: pause must not lose it
    c.pause([p0]);
    const paused: Message[] = [];
    while (byPartition(before, 1).length + byPartition(paused, 1).length < N) {
      const b = await c.readBatch({ maxMessages: 50, timeoutMs: 10_000 });
      assert.ok(b.length > 0, "partition 1 goes on while partition 0 is paused");
      paused.push(...b);
    }
    assert.equal(await c.read({ timeoutMs: 500 }), null, "nothing while paused");
    assert.deepEqual(byPartition(paused, 0).map((m) => m.offset), [], "messages of the paused partition");

    c.resume([p0]);
    const p0Before = byPartition(before, 0);
    const resumed = await readN(c, N - p0Before.length, 10_000);
    assert.ok(resumed.every((m) => m.partition === 0));
    assert.equal(resumed[0].offset, p0Before[p0Before.length - 1].offset + 1n, "resumed where it was");
    assert.deepEqual(offsetsOf([...p0Before, ...resumed]), range(0, N), "partition 0: no gap, no duplicate");
    assert.deepEqual(offsetsOf([...byPartition(before, 1), ...byPartition(paused, 1)]), range(0, N), "partition 1");
    assert.equal(await c.read({ timeoutMs: 300 }), null);
    await c.close();
  });

  // 10 ----------------------------------------------------------------------------
  it("position, lag, watermarkOffsets (queried and cached), offsetsForTimes", async () => {
    const topic = await newTopic(2);
    // An hour ago: a fixed date years back let the broker's time-based retention (7 days, checked
    // every 5 min) delete the records under the test, and offsetsForTimes then found none.
    const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
    await produce(
      Array.from({ length: 10 }, (_, i) => ({ topic, partition: 0, value: `t${i}`, timestamp: T0 + i * 1000 })),
    );
    const p0 = { topic, partition: 0 };
    const p1 = { topic, partition: 1 };
    const c = consumer();

    // Cached watermarks before any fetch: unknown.
    assert.deepEqual(await c.watermarkOffsets(topic, 0, { cached: true }), { low: undefined, high: undefined });
    await c.assign([{ ...p0, offset: 0n }, { ...p1, offset: 0n }]);
    assert.deepEqual(c.position(), [{ ...p0, offset: undefined }, { ...p1, offset: undefined }]);
    assert.deepEqual(c.lag(), [{ ...p0, lag: undefined }, { ...p1, lag: undefined }]);

    assert.deepEqual(offsetsOf(await readN(c, 4, 10_000, 1)), range(0, 4));
    assert.deepEqual(c.position([p0]), [{ ...p0, offset: 4n }]);
    assert.deepEqual(c.lag([p0]), [{ ...p0, lag: 6n }]);
    assert.deepEqual(await c.watermarkOffsets(topic, 0), { low: 0n, high: 10n });
    assert.deepEqual(await c.watermarkOffsets(topic, 1, { timeoutMs: 10_000 }), { low: 0n, high: 0n });
    assert.deepEqual(await c.watermarkOffsets(topic, 0, { cached: true }), { low: 0n, high: 10n });

    await readN(c, 6, 10_000);
    assert.deepEqual(c.position([p0]), [{ ...p0, offset: 10n }]);
    assert.deepEqual(c.lag([p0]), [{ ...p0, lag: 0n }]);
    // A new message: the lag grows once a fetch has seen it, and falls to 0 when it is read.
    await produce([{ topic, partition: 0, value: "t10", timestamp: T0 + 10_000 }]);
    const m10 = await c.read({ timeoutMs: 10_000 });
    assert.equal(m10?.offset, 10n);
    assert.deepEqual(c.lag([p0]), [{ ...p0, lag: 0n }]);

    // (One partition once per query: Kafka refuses a ListOffsets naming a partition twice.)
    const found = await c.offsetsForTimes([{ ...p0, timestamp: T0 + 2500 }, { ...p1, timestamp: T0 }]);
    const early = await c.offsetsForTimes([{ ...p0, timestamp: T0 - 60_000 }], { timeoutMs: 10_000 });
    const exact = await c.offsetsForTimes([{ ...p0, timestamp: T0 + 7000 }]);
    const future = await c.offsetsForTimes([{ ...p0, timestamp: T0 + 3_600_000 }]);
    if (clusterKind() === "kafka") {
      assert.deepEqual(found, [{ ...p0, offset: 3n }, { ...p1, offset: undefined }]);
      assert.deepEqual(early, [{ ...p0, offset: 0n }]);
      assert.deepEqual(exact, [{ ...p0, offset: 7n }]);
      assert.deepEqual(future, [{ ...p0, offset: undefined }]);
    } else {
      // librdkafka's mock answers a ListOffsets by timestamp with -1 (only EARLIEST/LATEST are implemented).
      assert.deepEqual(found, [{ ...p0, offset: undefined }, { ...p1, offset: undefined }]);
      assert.deepEqual(early, [{ ...p0, offset: undefined }]);
      assert.deepEqual(exact, [{ ...p0, offset: undefined }]);
      assert.deepEqual(future, [{ ...p0, offset: undefined }]);
    }
    await c.close();
  });

  // 11 ----------------------------------------------------------------------------
  it("enable.partition.eof: one eof event per partition end, with the next offset, and no error", async () => {
    const topic = await newTopic(2);
    await fill(topic, 0, 3);
    const c = consumer({ "enable.partition.eof": true });
    const eofs: PartitionEof[] = [];
    const errors: unknown[] = [];
    c.on("eof", (e) => eofs.push(e));
    c.on("error", (e) => errors.push(e));
    await c.assign([{ topic, partition: 0, offset: 0n }, { topic, partition: 1, offset: 0n }]);
    assert.deepEqual(offsetsOf(await readN(c, 3, 10_000)), range(0, 3));
    await eventually(() => eofs.length >= 2, 10_000, "eof of both partitions");
    // An eof is not a message.
    assert.equal(await c.read({ timeoutMs: 300 }), null);
    const key = (e: PartitionEof) => `${e.topic}[${e.partition}]@${e.offset}`;
    assert.deepEqual(eofs.map(key).sort(), [`${topic}[0]@3`, `${topic}[1]@0`]);

    // More messages, then the end again: one more eof for that partition.
    await fill(topic, 0, 2, 3);
    assert.deepEqual(offsetsOf(await readN(c, 2, 10_000)), [3n, 4n]);
    await eventually(() => eofs.length >= 3, 10_000, "eof after the new messages");
    assert.equal(key(eofs[2]), `${topic}[0]@5`);
    await sleep(200);
    assert.equal(eofs.length, 3, "exactly one eof per end reached");
    assert.deepEqual(errors, []);
    await c.close();
  });
});
