/**
 * Producer integration tests: what `send` and `sendMulti` report, and what a
 * consumer then reads back (payload bytes, keys, headers, timestamps, partitions,
 * order). Failures live in `producer_failures.test.ts`.
 *
 * Runs on both tiers (see test/helpers/cluster.ts): librdkafka's mock cluster by
 * default, a real Kafka broker with KAFKA_BOOTSTRAP set. Where the two differ
 * (the delivery report's timestamp), a suite that only that tier declares says
 * what each one does.
 *
 *   bun test test/producer.test.ts
 *   deno test -A --v8-flags=--expose-gc test/producer.test.ts
 *   KAFKA_BOOTSTRAP=127.0.0.1:9092 bun test test/producer.test.ts
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type DeliveryReport, Producer, type ProducerMessage } from "../src/mod.ts";
import { clusterKind, clusterLabel, type TestCluster, testCluster } from "./helpers/cluster.ts";
import { readBack, type ReadMessage, text } from "./helpers/readback.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);
const newTopic = () => `t-${crypto.randomUUID()}`;

/** A new topic with a random name and `partitions` partitions. */
async function newTopicOn(cluster: TestCluster, partitions: number): Promise<string> {
  const t = newTopic();
  await cluster.createTopic(t, { partitions });
  return t;
}

describe(`Producer (${clusterLabel()})`, () => {
  let cluster: TestCluster;
  let bootstrap: string;
  let producer: Producer;
  const topicWith = (partitions: number) => newTopicOn(cluster, partitions);

  before(async () => {
    cluster = await testCluster();
    bootstrap = cluster.bootstrapServers;
    producer = new Producer({ "bootstrap.servers": bootstrap });
  });

  after(async () => {
    await producer?.close();
    await cluster?.close();
  });

  it("send: the report has topic, partition, offset and timestamp; the bytes read back", async () => {
    const topic = await topicWith(1);
    const r = await producer.send({ topic, key: "k1", value: "hello" });
    assert.equal(r.topic, topic);
    assert.equal(r.partition, 0);
    assert.equal(typeof r.offset, "bigint");
    assert.equal(r.offset, 0n);
    // What the timestamp is differs by tier: see the tier-only suites at the end.
    assert.equal(typeof r.timestamp, "number");
    assert.ok(r.timestampType === "CreateTime" || r.timestampType === "LogAppendTime", r.timestampType);
    const r2 = await producer.send({ topic, value: "again" });
    assert.equal(r2.offset, 1n);

    const got = await readBack(bootstrap, topic, { partitions: 1, count: 2, quietMs: 100 });
    assert.deepEqual(got.map((m) => [m.offset, text(m.key), text(m.value)]), [
      [0n, "k1", "hello"],
      [1n, null, "again"],
    ]);
  });

  it("payloads: strings as UTF-8, bytes as given, null and empty kept apart", async () => {
    const topic = await topicWith(1);
    const binary = new Uint8Array([0, 1, 0, 255, 0, 0, 128, 0]);
    const cases: Array<{ m: Omit<ProducerMessage, "topic">; key: Uint8Array | null; value: Uint8Array | null }> = [
      { m: { value: "ascii", key: "k" }, key: utf8("k"), value: utf8("ascii") },
      { m: { value: "héllo wörld ✓ 日本 🎉", key: "ключ" }, key: utf8("ключ"), value: utf8("héllo wörld ✓ 日本 🎉") },
      { m: { value: utf8("bytes"), key: utf8("bkey") }, key: utf8("bkey"), value: utf8("bytes") },
      { m: { value: binary, key: new Uint8Array([0, 0]) }, key: new Uint8Array([0, 0]), value: binary },
      // librdkafka keeps null (length -1 on the wire) and empty (length 0) apart.
      { m: { value: null }, key: null, value: null },
      { m: { value: "" }, key: null, value: new Uint8Array(0) },
      { m: { value: new Uint8Array(0), key: "" }, key: new Uint8Array(0), value: new Uint8Array(0) },
      // A null key and an absent key both arrive as no key.
      { m: { value: "nk", key: null }, key: null, value: utf8("nk") },
      { m: { value: "ak" }, key: null, value: utf8("ak") },
      // A subarray sends only its own window of the buffer.
      { m: { value: binary.subarray(2, 5) }, key: null, value: new Uint8Array([0, 255, 0]) },
    ];
    // Each case twice: once through `send` (rd_kafka_produceva) and once through
    // `sendMulti` (rd_kafka_produce_batch), the two encodings of the library.
    for (const c of cases) await producer.send({ topic, ...c.m });
    const multi = await producer.sendMulti(cases.map((c) => ({ topic, ...c.m })));
    assert.deepEqual(
      multi.map((r) => (r.status === "rejected" ? String(r.reason) : r.status)),
      cases.map(() => "fulfilled"),
    );

    const got = await readBack(bootstrap, topic, { partitions: 1, count: cases.length * 2, quietMs: 100 });
    const expected = [...cases, ...cases];
    got.forEach((m, i) => {
      assert.equal(m.offset, BigInt(i));
      assert.deepEqual(m.key, expected[i].key, `key of message ${i}`);
      assert.deepEqual(m.value, expected[i].value, `value of message ${i}`);
    });
  });

  it("headers: record form, pairs with repeated names in order, binary and null values", async () => {
    const topic = await topicWith(1);
    const bin = new Uint8Array([0, 10, 0, 200]);
    await producer.send({ topic, value: "rec", headers: { a: "1", "ü-name": "wört", b: bin, n: null } });
    await producer.send({
      topic,
      value: "pairs",
      headers: [["trace", "x"], ["other", "o"], ["trace", "y"], ["trace", null], ["trace", utf8("z")]],
    });
    await producer.send({ topic, value: "empty-h", headers: [["e", ""], ["e2", new Uint8Array(0)]] });
    // An empty headers list is the same as none.
    await producer.send({ topic, value: "none", headers: [] });
    const res = await producer.sendMulti([{ topic, value: "multi", headers: { m: "1" } }]);
    assert.equal(res[0].status, "fulfilled");

    const got = await readBack(bootstrap, topic, { partitions: 1, count: 5, quietMs: 100 });
    const h = (m: ReadMessage) => m.headers.map(([k, v]) => [k, v === null ? null : Array.from(v)]);
    const arr = (s: string) => Array.from(utf8(s));
    assert.deepEqual(h(got[0]), [["a", arr("1")], ["ü-name", arr("wört")], ["b", [0, 10, 0, 200]], ["n", null]]);
    assert.deepEqual(h(got[1]), [
      ["trace", arr("x")],
      ["other", arr("o")],
      ["trace", arr("y")],
      ["trace", null],
      ["trace", arr("z")],
    ]);
    // An empty header value stays empty (not null).
    assert.deepEqual(h(got[2]), [["e", []], ["e2", []]]);
    assert.deepEqual(got[3].headers, []);
    assert.deepEqual(h(got[4]), [["m", arr("1")]]);
  });

  it("timestamps: a number and a Date are the CreateTime read back; none means now", async () => {
    const topic = await topicWith(1);
    const asNumber = 1_600_000_000_123;
    const asDate = new Date("2021-03-04T05:06:07.089Z");
    const before = Date.now();
    const reports = [
      await producer.send({ topic, value: "n", timestamp: asNumber }),
      await producer.send({ topic, value: "d", timestamp: asDate }),
      await producer.send({ topic, value: "z", timestamp: 0 }),
      await producer.send({ topic, value: "now" }),
    ];
    const multi = await producer.sendMulti([
      { topic, value: "mn", timestamp: asNumber + 1 },
      { topic, value: "mnow" }, // no timestamp: the batch path
    ]);
    const afterSend = Date.now();
    // (What the delivery reports say differs by tier: see the tier-only suites.)
    assert.equal(reports.length, 4);
    assert.ok(multi.every((r) => r.status === "fulfilled"));

    const got = await readBack(bootstrap, topic, { partitions: 1, count: 6, quietMs: 100 });
    for (const m of got) assert.equal(m.timestampType, 1, "CreateTime");
    assert.equal(got[0].timestamp, asNumber);
    assert.equal(got[1].timestamp, asDate.getTime());
    // librdkafka treats a timestamp of 0 as "not set" and stamps the message with
    // the current time (rd_kafka_msg_new0), so the epoch itself cannot be sent.
    assert.ok(got[2].timestamp >= before && got[2].timestamp <= afterSend, `${got[2].timestamp}`);
    assert.ok(got[3].timestamp >= before && got[3].timestamp <= afterSend, `${got[3].timestamp}`);
    assert.equal(got[4].timestamp, asNumber + 1);
    assert.ok(got[5].timestamp >= before && got[5].timestamp <= afterSend, `${got[5].timestamp}`);
  });

  it("partitions: an explicit partition is honoured; one key always lands on one partition", async () => {
    const topic = await topicWith(6);
    for (const p of [0, 5, 3]) {
      const r = await producer.send({ topic, value: `to-${p}`, partition: p });
      assert.equal(r.partition, p);
    }
    const multi = await producer.sendMulti([0, 1, 2, 3, 4, 5].map((p) => ({ topic, value: `m-${p}`, partition: p })));
    assert.deepEqual(multi.map((r) => r.status === "fulfilled" && r.value.partition), [0, 1, 2, 3, 4, 5]);

    // The same key through send (produceva) and sendMulti (produce_batch), with and
    // without headers: both paths must use the same partitioner.
    const keyed: DeliveryReport[] = [];
    for (let i = 0; i < 10; i++) keyed.push(await producer.send({ topic, key: "user-42", value: `k${i}` }));
    keyed.push(await producer.send({ topic, key: "user-42", value: "kh", headers: { h: "1" } }));
    const keyedMulti = await producer.sendMulti(
      Array.from({ length: 10 }, (_, i) => ({ topic, key: "user-42", value: `km${i}` })),
    );
    const parts = new Set([
      ...keyed.map((r) => r.partition),
      ...keyedMulti.map((r) => (r.status === "fulfilled" ? r.value.partition : -1)),
    ]);
    assert.equal(parts.size, 1, `key "user-42" went to partitions ${[...parts]}`);
    // Many distinct keys spread over more than one partition.
    const spread = await producer.sendMulti(
      Array.from({ length: 60 }, (_, i) => ({ topic, key: `key-${i}`, value: "s" })),
    );
    const spreadParts = new Set(spread.map((r) => (r.status === "fulfilled" ? r.value.partition : -1)));
    assert.ok(spreadParts.size > 1 && !spreadParts.has(-1), `distinct keys used ${[...spreadParts]}`);

    const got = await readBack(bootstrap, topic, { partitions: 6, count: 3 + 6 + 11 + 10 + 60, quietMs: 100 });
    const explicit = got.filter((m) => text(m.value)!.startsWith("to-") || text(m.value)!.startsWith("m-"));
    for (const m of explicit) assert.equal(m.partition, Number(text(m.value)!.split("-")[1]), text(m.value)!);
    const [keyPart] = parts;
    for (const m of got.filter((m) => text(m.key) === "user-42")) assert.equal(m.partition, keyPart);
  });

  it("sendMulti: 1000 mixed messages over 3 topics, results in input order, all read back in order", async () => {
    const topics = [await topicWith(3), await topicWith(2), await topicWith(1)];
    const N = 1000;
    const msgs: ProducerMessage[] = [];
    for (let i = 0; i < N; i++) {
      // Runs of the same topic (batch path) broken by messages with headers or
      // timestamps (one produceva call each).
      const topic = topics[Math.floor(i / 7) % 3];
      const m: ProducerMessage = { topic, value: `v-${i}` };
      if (i % 3 === 0) m.key = `k-${i % 11}`;
      if (i % 10 === 4) m.headers = { i: String(i), tag: new Uint8Array([i & 0xff, 0]) };
      if (i % 13 === 5) m.timestamp = 1_000_000 + i;
      if (i % 17 === 6) m.partition = 0;
      msgs.push(m);
    }
    const results = await producer.sendMulti(msgs);
    assert.equal(results.length, N);
    const reports = results.map((r, i) => {
      assert.equal(r.status, "fulfilled", `message ${i}: ${r.status === "rejected" ? r.reason : ""}`);
      const v = (r as { value: DeliveryReport }).value;
      assert.equal(v.topic, msgs[i].topic, `result ${i} is for the message at index ${i}`);
      if (msgs[i].partition !== undefined) assert.equal(v.partition, msgs[i].partition);
      return v;
    });

    for (const [ti, topic] of topics.entries()) {
      const indices = msgs.map((m, i) => (m.topic === topic ? i : -1)).filter((i) => i >= 0);
      const got = await readBack(bootstrap, topic, { partitions: 3 - ti, count: indices.length, quietMs: 100 });
      const byPos = new Map(got.map((m) => [`${m.partition}/${m.offset}`, m]));
      assert.equal(byPos.size, indices.length);
      // Per partition, offsets follow input order and start at 0 with no gap.
      const perPartition = new Map<number, number[]>();
      for (const i of indices) {
        const r = reports[i];
        const list = perPartition.get(r.partition) ?? [];
        assert.equal(r.offset, BigInt(list.length), `message ${i} offset in ${topic}[${r.partition}]`);
        list.push(i);
        perPartition.set(r.partition, list);
        const m = byPos.get(`${r.partition}/${r.offset}`);
        assert.ok(m, `message ${i} read back at ${r.partition}/${r.offset}`);
        assert.equal(text(m.value), `v-${i}`);
        assert.equal(text(m.key), msgs[i].key ?? null);
        if (msgs[i].headers) {
          assert.deepEqual(m.headers.map(([k, v]) => [k, v && Array.from(v)]), [
            ["i", Array.from(utf8(String(i)))],
            ["tag", [i & 0xff, 0]],
          ]);
        } else assert.deepEqual(m.headers, []);
        if (msgs[i].timestamp !== undefined) assert.equal(m.timestamp, msgs[i].timestamp);
      }
    }
  });

  it("sendMulti([]) resolves to []", async () => {
    assert.deepEqual(await producer.sendMulti([]), []);
  });

  it("flush resolves once every pending send has its report", async () => {
    const topic = await topicWith(2);
    let settled = 0;
    const sends = Array.from(
      { length: 500 },
      (_, i) => producer.send({ topic, value: `f${i}` }).finally(() => settled++),
    );
    const multi = producer.sendMulti(Array.from({ length: 500 }, (_, i) => ({ topic, value: `g${i}` })));
    assert.ok(producer.pending > 0);
    await producer.flush({ timeoutMs: 10_000 });
    assert.equal(producer.pending, 0);
    assert.equal(settled, 500, "every send settled before flush resolved");
    await Promise.all(sends);
    assert.ok((await multi).every((r) => r.status === "fulfilled"));
    // Nothing pending: flush resolves at once.
    await producer.flush({ timeoutMs: 1 });
    const got = await readBack(bootstrap, topic, { partitions: 2, count: 1000, quietMs: 100 });
    assert.equal(got.length, 1000);
  });

  it("events: log entries with debug=broker; stats objects with statistics.interval.ms", async () => {
    const p = new Producer({
      "bootstrap.servers": bootstrap,
      debug: "broker",
      "statistics.interval.ms": 100,
    });
    try {
      const logs: Array<{ facility: string; message: string; level: number }> = [];
      const stats: Array<Record<string, unknown>> = [];
      const gotStats = new Promise<void>((resolve) =>
        p.on("stats", (s) => {
          stats.push(s);
          resolve();
        })
      );
      p.on("log", (e) => logs.push(e));
      const topic = await topicWith(1);
      await p.send({ topic, value: "x" });
      await Promise.race([
        gotStats,
        new Promise((_, reject) => setTimeout(() => reject(new Error("no stats event in 5 s")), 5_000)),
      ]);
      assert.ok(logs.length > 0, "log events arrived");
      for (const e of logs) {
        assert.equal(typeof e.facility, "string");
        assert.ok(e.facility.length > 0, "facility");
        assert.ok(e.message.length > 0, "message");
        assert.ok(Number.isInteger(e.level) && e.level >= 0 && e.level <= 7);
      }
      assert.ok(logs.some((e) => e.level === 7), "debug-level entries from debug=broker");
      assert.equal(typeof stats[0], "object");
      assert.equal(stats[0].name, p.name);
      assert.equal(stats[0].type, "producer");
    } finally {
      await p.close();
    }
  });

  it("idempotence: 1000 concurrent sends are all delivered in order per partition", async () => {
    const topic = await topicWith(3);
    const p = new Producer({ "bootstrap.servers": bootstrap, "enable.idempotence": true });
    try {
      const reports = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => p.send({ topic, key: `k${i % 7}`, value: `i${i}` })),
      );
      const next = new Map<number, bigint>();
      reports.forEach((r, i) => {
        const want = next.get(r.partition) ?? 0n;
        assert.equal(r.offset, want, `message ${i} in partition ${r.partition}`);
        next.set(r.partition, want + 1n);
      });
      const got = await readBack(bootstrap, topic, { partitions: 3, count: 1000, quietMs: 100 });
      const pos = new Map(got.map((m) => [`${m.partition}/${m.offset}`, text(m.value)]));
      reports.forEach((r, i) => assert.equal(pos.get(`${r.partition}/${r.offset}`), `i${i}`));
    } finally {
      await p.close();
    }
  });
});

// --- where the tiers differ: the delivery report's timestamp ----------------------

/**
 * Sends with a timestamp as a number, as a Date, none, and through sendMulti with
 * and without one; returns the reports (in that order), the messages read back and
 * the wall-clock window of the sends.
 */
async function sendTimestamped(producer: Producer, bootstrap: string, topic: string) {
  const asNumber = 1_600_000_000_123;
  const asDate = new Date("2021-03-04T05:06:07.089Z");
  const before = Date.now();
  const reports = [
    await producer.send({ topic, value: "n", timestamp: asNumber }),
    await producer.send({ topic, value: "d", timestamp: asDate }),
    await producer.send({ topic, value: "now" }),
  ];
  for (
    const r of await producer.sendMulti([{ topic, value: "mn", timestamp: asNumber + 1 }, { topic, value: "mnow" }])
  ) {
    assert.equal(r.status, "fulfilled");
    reports.push((r as { value: DeliveryReport }).value);
  }
  const after = Date.now();
  const got = await readBack(bootstrap, topic, { partitions: 1, count: 5, quietMs: 100 });
  const sent = [asNumber, asDate.getTime(), undefined, asNumber + 1, undefined];
  return { reports, got, sent, before, after };
}

if (clusterKind() === "mock") {
  describe("Producer: what only the mock cluster does", () => {
    let cluster: TestCluster;
    let producer: Producer;

    before(async () => {
      cluster = await testCluster();
      producer = new Producer({ "bootstrap.servers": cluster.bootstrapServers });
    });

    after(async () => {
      await producer?.close();
      await cluster?.close();
    });

    it("delivery reports carry the mock's fixed LogAppendTime 1234; the message keeps its CreateTime", async () => {
      const topic = await newTopicOn(cluster, 1);
      const { reports, got, sent, before, after } = await sendTimestamped(producer, cluster.bootstrapServers, topic);
      for (const r of reports) assert.deepEqual([r.timestamp, r.timestampType], [1234, "LogAppendTime"]);
      got.forEach((m, i) => {
        assert.equal(m.timestampType, 1, "CreateTime");
        if (sent[i] !== undefined) assert.equal(m.timestamp, sent[i]);
        else assert.ok(m.timestamp >= before && m.timestamp <= after, `${m.timestamp}`);
      });
    });
  });
} else {
  describe("Producer: what only a real Kafka broker does", () => {
    let cluster: TestCluster;
    let producer: Producer;

    before(async () => {
      cluster = await testCluster();
      producer = new Producer({ "bootstrap.servers": cluster.bootstrapServers });
    });

    after(async () => {
      await producer?.close();
      await cluster?.close();
    });

    it("delivery reports carry the CreateTime sent (or the send time when none), as read back", async () => {
      const topic = await newTopicOn(cluster, 1);
      const { reports, got, sent, before, after } = await sendTimestamped(producer, cluster.bootstrapServers, topic);
      reports.forEach((r, i) => {
        assert.equal(r.timestampType, "CreateTime", `report ${i}`);
        if (sent[i] !== undefined) assert.equal(r.timestamp, sent[i], `report ${i}`);
        else assert.ok(r.timestamp >= before && r.timestamp <= after, `report ${i}: ${r.timestamp}`);
        assert.equal(got[i].timestampType, 1, "CreateTime");
        assert.equal(got[i].timestamp, r.timestamp, `message ${i} read back`);
      });
    });

    it("a topic with message.timestamp.type=LogAppendTime: reports carry the broker's append time", async () => {
      const topic = newTopic();
      await cluster.createTopic(topic, { partitions: 1, config: { "message.timestamp.type": "LogAppendTime" } });
      const { reports, got, before, after } = await sendTimestamped(producer, cluster.bootstrapServers, topic);
      reports.forEach((r, i) => {
        assert.equal(r.timestampType, "LogAppendTime", `report ${i}`);
        // The broker's clock is this machine's clock: the append time falls within the sends.
        assert.ok(r.timestamp >= before && r.timestamp <= after, `report ${i}: ${r.timestamp}`);
        // The broker overwrites the CreateTime sent: a consumer sees the same append time.
        assert.equal(got[i].timestampType, 2, "LogAppendTime");
        assert.equal(got[i].timestamp, r.timestamp, `message ${i} read back`);
      });
    });
  });
}
