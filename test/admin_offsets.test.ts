/**
 * AdminClient: listOffsets (earliest, latest, by timestamp, max timestamp) and
 * deleteRecords, on both tiers (test/helpers/cluster.ts) and both librdkafka
 * versions: ≥ 2.3.0 uses `rd_kafka_ListOffsets` (with the message's timestamp),
 * 2.0.2 the `rd_kafka_offsets_for_times` fallback (no timestamp; "maxTimestamp"
 * and read_committed reject with the version error).
 *
 * The mock cluster answers ListOffsets for earliest and latest but has no time
 * index (a timestamp finds no offset there) and no DeleteRecords (each partition
 * comes back `_UNSUPPORTED_FEATURE`); its suite asserts exactly that, the real
 * broker's suite what Kafka does.
 *
 *   bun test --timeout 120000 test/admin_offsets.test.ts
 *   deno test -A --v8-flags=--expose-gc test/admin_offsets.test.ts
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AdminClient,
  Consumer,
  ErrorCode,
  KafkaError,
  LibraryLoadError,
  librdkafkaVersion,
  OFFSET,
  Producer,
  type ProducerMessage,
} from "../src/mod.ts";
import { parseVersion } from "../ffi/mod.ts";
import { clusterKind, clusterLabel, type TestCluster, testCluster } from "./helpers/cluster.ts";

const native = parseVersion(librdkafkaVersion()) >= parseVersion("2.3.0"); // rd_kafka_ListOffsets
const uid = () => crypto.randomUUID();

let cluster: TestCluster;
let admin: AdminClient;
let producer: Producer;
const consumers: Consumer[] = [];

before(async () => {
  cluster = await testCluster();
  admin = new AdminClient({ "bootstrap.servers": cluster.bootstrapServers, "log_level": 3 });
  producer = new Producer({
    "bootstrap.servers": cluster.bootstrapServers,
    "linger.ms": 5,
    "enable.idempotence": true,
  });
});

after(async () => {
  await Promise.allSettled(consumers.map((c) => c.close({ timeoutMs: 5_000 })));
  await producer?.close();
  await admin?.close();
  await cluster?.close();
});

async function newTopic(partitions: number): Promise<string> {
  const t = `t-${uid()}`;
  await cluster.createTopic(t, { partitions });
  return t;
}

/** Sends and checks that every message was delivered. */
async function produce(msgs: ProducerMessage[]): Promise<void> {
  const res = await producer.sendMulti(msgs);
  const failed = res.findIndex((r) => r.status !== "fulfilled");
  assert.equal(failed, -1, failed >= 0 ? String((res[failed] as PromiseRejectedResult).reason) : "");
}

const fill = (topic: string, partition: number, n: number) =>
  produce(Array.from({ length: n }, (_, i) => ({ topic, partition, value: `v${i}` })));

/** Rejects with a LibraryLoadError that names the call and the version it needs. */
const versionError = (call: RegExp, version: string) => (e: unknown) =>
  e instanceof LibraryLoadError && call.test(e.message) && e.message.includes(`needs librdkafka >= ${version}`) &&
  e.message.includes(librdkafkaVersion());

describe(`AdminClient offsets on ${clusterLabel()} (librdkafka ${librdkafkaVersion()})`, () => {
  it("bad arguments reject with a TypeError or RangeError naming the field, before anything is sent", async () => {
    const tp = { topic: "t", partition: 0 };
    const bad: [() => Promise<unknown>, ErrorConstructor, RegExp][] = [
      [() => admin.listOffsets([]), TypeError, /must not be empty/],
      [() => admin.listOffsets("t" as never), TypeError, /must be an array/],
      [() => admin.listOffsets([{ ...tp, partition: -1, spec: "latest" }]), RangeError, /\[0\]\.partition/],
      [() => admin.listOffsets([{ ...tp, partition: 0.5, spec: "latest" }]), TypeError, /\[0\]\.partition/],
      [() => admin.listOffsets([{ ...tp, topic: "", spec: "latest" }]), TypeError, /\[0\]\.topic/],
      [() => admin.listOffsets([{ ...tp, spec: "newest" as never }]), TypeError, /\[0\]\.spec must be/],
      [() => admin.listOffsets([{ ...tp, spec: { timestamp: -5 } }]), RangeError, /\[0\]\.spec\.timestamp/],
      [() => admin.listOffsets([{ ...tp, spec: { timestamp: "1" as never } }]), TypeError, /\[0\]\.spec\.timestamp/],
      [
        () => admin.listOffsets([{ ...tp, spec: "earliest" }, { ...tp, spec: "latest" }]),
        TypeError,
        /\[1\] names t\[0\] a second time/,
      ],
      [
        () => admin.listOffsets([{ ...tp, spec: "latest" }], { isolationLevel: "dirty" as never }),
        TypeError,
        /isolationLevel must be one of/,
      ],
      [() => admin.listOffsets([{ ...tp, spec: "latest" }], { timeoutMs: -1 }), TypeError, /timeoutMs/],
      [() => admin.deleteRecords([]), TypeError, /must not be empty/],
      [() => admin.deleteRecords([{ ...tp, before: 5 as never }]), TypeError, /\[0\]\.before must be a bigint/],
      [() => admin.deleteRecords([{ ...tp, before: -2n }]), RangeError, /\[0\]\.before/],
      [() => admin.deleteRecords([{ ...tp, partition: -1, before: 1n }]), RangeError, /\[0\]\.partition/],
      [
        () => admin.deleteRecords([{ ...tp, before: 1n }, { ...tp, before: 2n }]),
        TypeError,
        /\[1\] names t\[0\] a second time/,
      ],
    ];
    for (const [call, type, message] of bad) {
      await assert.rejects(call(), (e) => e instanceof type && message.test((e as Error).message), String(message));
    }
    // A name Kafka refuses is the same KafkaError producers and createTopics give.
    await assert.rejects(
      admin.listOffsets([{ topic: "bad name", partition: 0, spec: "latest" }]),
      (e) => e instanceof KafkaError && e.name === "TOPIC_EXCEPTION" && /\[0\]\.topic/.test(e.message),
    );
    assert.equal(admin.pending, 0, "nothing was sent");
  });

  it("earliest and latest, per partition in request order; an unknown partition is that partition's error", async () => {
    const topic = await newTopic(2);
    await fill(topic, 0, 5);
    const earliest = await admin.listOffsets([
      { topic, partition: 1, spec: "earliest" },
      { topic, partition: 0, spec: "earliest" },
      { topic, partition: 7, spec: "earliest" },
    ]);
    assert.deepEqual(earliest.map((r) => [r.partition, r.offset]), [[1, 0n], [0, 0n], [7, undefined]]);
    assert.ok(earliest.every((r) => r.topic === topic));
    assert.equal(earliest[2].error?.name, "_UNKNOWN_PARTITION");
    assert.match(earliest[2].error!.message, new RegExp(`${topic}\\[7\\]`));
    assert.equal(earliest[0].error, undefined);

    const latest = await admin.listOffsets([
      { topic, partition: 0, spec: "latest" },
      { topic, partition: 1, spec: "latest" },
    ], { isolationLevel: "read_uncommitted" }); // the default, accepted on every version
    assert.deepEqual(latest.map((r) => [r.partition, r.offset, r.error]), [[0, 5n, undefined], [1, 0n, undefined]]);
    // Kafka reports no timestamp for earliest/latest lookups.
    assert.deepEqual([...earliest, ...latest].map((r) => r.timestamp), [
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("timeoutMs 0, thousands of times: each call answers or rejects _TIMED_OUT, and the process lives", async () => {
    // librdkafka 2.12 freed a ListOffsets request twice when its timeout was 0 (its timer fired
    // on librdkafka's thread while rd_kafka_ListOffsets still ran on ours): `free(): invalid
    // pointer` within the first few hundred calls, on both runtimes. Found by the fuzzer (seed 7006).
    const topic = await newTopic(2);
    await fill(topic, 1, 3);
    let answered = 0, timedOut = 0;
    // Before 2.3.0 listOffsets runs offsets_for_times in a background slot (4 by default): 2 at a time.
    const perRound = native ? 10 : 2;
    for (let round = 0; round < 200; round++) {
      const calls = Array.from(
        { length: perRound },
        (_, k) =>
          admin.listOffsets([{ topic, partition: k % 2, spec: "latest" }], { timeoutMs: 0 }).then(
            ([r]) => {
              assert.equal(r.offset, k % 2 === 0 ? 0n : 3n);
              answered++;
            },
            (e) => {
              assert.ok(e instanceof KafkaError && e.code === ErrorCode._TIMED_OUT, String(e));
              timedOut++;
            },
          ),
      );
      await Promise.all(calls);
    }
    assert.equal(answered + timedOut, 200 * perRound);
    // The admin client still works, with a timeout and without.
    const [latest] = await admin.listOffsets([{ topic, partition: 1, spec: "latest" }], { timeoutMs: 10_000 });
    assert.equal(latest.offset, 3n);
  });

  it('"maxTimestamp" and read_committed: native on librdkafka >= 2.3.0, the version error on older ones', async () => {
    const topic = await newTopic(1);
    const base = Date.now() - 600_000;
    // The largest timestamp is not the last message's.
    await produce([0, 7000, 1000].map((d, i) => ({ topic, partition: 0, value: `v${i}`, timestamp: base + d })));
    const max = admin.listOffsets([{ topic, partition: 0, spec: "maxTimestamp" }]);
    const committed = admin.listOffsets([{ topic, partition: 0, spec: "latest" }], {
      isolationLevel: "read_committed",
    });
    if (!native) {
      await assert.rejects(max, versionError(/listOffsets\(\{ spec: "maxTimestamp" \}\)/, "2.3.0"));
      await assert.rejects(committed, versionError(/listOffsets\(\{ isolationLevel: "read_committed" \}\)/, "2.3.0"));
      return;
    }
    // Without transactions the last stable offset is the high watermark.
    assert.deepEqual((await committed).map((r) => [r.offset, r.error]), [[3n, undefined]]);
    const [m] = await max;
    if (clusterKind() === "kafka") assert.deepEqual([m.offset, m.timestamp, m.error], [1n, base + 7000, undefined]);
    else assert.deepEqual(m, { topic, partition: 0 }, "the mock keeps no time index: no offset");
  });
});

if (clusterKind() === "kafka") {
  describe(`AdminClient offsets and records on the real broker (librdkafka ${librdkafkaVersion()})`, () => {
    it("by timestamp: the first offset at or after it (native: with the message's timestamp)", async () => {
      const topic = await newTopic(2);
      const base = Date.now() - 600_000;
      await produce(
        Array.from({ length: 6 }, (_, i) => ({ topic, partition: 0, value: `v${i}`, timestamp: base + i * 1000 })),
      );
      await produce([0, 7000, 1000].map((d, i) => ({ topic, partition: 1, value: `w${i}`, timestamp: base + d })));
      const [between, exact] = await admin.listOffsets([
        { topic, partition: 0, spec: { timestamp: base + 2500 } },
        { topic, partition: 1, spec: { timestamp: base } },
      ]);
      assert.deepEqual([between.partition, between.offset, exact.partition, exact.offset], [0, 3n, 1, 0n]);
      const [later] = await admin.listOffsets([{ topic, partition: 0, spec: { timestamp: base + 60_000 } }]);
      assert.deepEqual([later.offset, later.error], [undefined, undefined], "no message at or after a later timestamp");
      // Kafka answers the first offset whose timestamp is at or after it, not the closest one.
      const [unordered] = await admin.listOffsets([{ topic, partition: 1, spec: { timestamp: base + 1500 } }]);
      assert.equal(unordered.offset, 1n);
      if (native) {
        assert.deepEqual([between.timestamp, exact.timestamp, unordered.timestamp], [base + 3000, base, base + 7000]);
        assert.equal(typeof between.leaderEpoch, "number");
        assert.ok(between.leaderEpoch! >= 0);
      } else {
        assert.deepEqual(
          Object.keys(between).sort(),
          ["offset", "partition", "topic"],
          "no timestamp from the fallback",
        );
      }
    });

    it("a topic the cluster lacks rejects the whole call (librdkafka finds no leader to ask)", async () => {
      const missing = `t-${uid()}`;
      await assert.rejects(
        admin.listOffsets([{ topic: missing, partition: 0, spec: "latest" }], { timeoutMs: 10_000 }),
        (e) =>
          e instanceof KafkaError && e.name === (native ? "_NOENT" : "_UNKNOWN_PARTITION") &&
          e.message.includes(missing),
      );
      assert.ok(!(await admin.listTopics()).includes(missing), "asking did not create it");
    });

    it("deleteRecords: the low watermark moves to `before` and reads start there; an unknown partition is its error", async () => {
      const topic = await newTopic(1);
      await fill(topic, 0, 10);
      const res = await admin.deleteRecords([
        { topic, partition: 0, before: 4n },
        { topic, partition: 9, before: 1n },
      ]);
      assert.deepEqual(res[0], { topic, partition: 0, lowWatermark: 4n });
      assert.deepEqual([res[1].topic, res[1].partition, res[1].lowWatermark], [topic, 9, undefined]);
      assert.equal(res[1].error?.name, "_UNKNOWN_PARTITION");
      const [low] = await admin.listOffsets([{ topic, partition: 0, spec: "earliest" }]);
      assert.equal(low.offset, 4n);

      const c = new Consumer({
        "bootstrap.servers": cluster.bootstrapServers,
        "group.id": `g-${uid()}`,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": false,
      });
      consumers.push(c);
      await c.assign([{ topic, partition: 0 }]); // nothing committed: from auto.offset.reset
      const first = await c.read({ timeoutMs: 20_000 });
      assert.deepEqual([first?.offset, first?.text()], [4n, "v4"]);
      await c.close();

      // OFFSET.END: everything up to the high watermark.
      assert.deepEqual(await admin.deleteRecords([{ topic, partition: 0, before: OFFSET.END }]), [
        { topic, partition: 0, lowWatermark: 10n },
      ]);
      const [gone] = await admin.listOffsets([{ topic, partition: 0, spec: "earliest" }]);
      assert.equal(gone.offset, 10n);
    });
  });
} else {
  describe(`AdminClient offsets on the mock cluster: what it lacks (librdkafka ${librdkafkaVersion()})`, () => {
    it("a timestamp finds no offset (the mock keeps no time index)", async () => {
      const topic = await newTopic(1);
      const base = Date.now() - 600_000;
      await produce([0, 1000, 2000].map((d, i) => ({ topic, partition: 0, value: `v${i}`, timestamp: base + d })));
      const [r] = await admin.listOffsets([{ topic, partition: 0, spec: { timestamp: base + 500 } }]);
      assert.deepEqual(r, { topic, partition: 0 });
    });

    it("deleteRecords comes back _UNSUPPORTED_FEATURE for each partition, and nothing is deleted", async () => {
      const topic = await newTopic(2);
      await fill(topic, 0, 3);
      const res = await admin.deleteRecords([
        { topic, partition: 0, before: 2n },
        { topic, partition: 1, before: OFFSET.END },
      ], { timeoutMs: 5_000 });
      assert.deepEqual(res.map((r) => [r.partition, r.error?.name, r.lowWatermark]), [
        [0, "_UNSUPPORTED_FEATURE", undefined],
        [1, "_UNSUPPORTED_FEATURE", undefined],
      ]);
      const [low] = await admin.listOffsets([{ topic, partition: 0, spec: "earliest" }]);
      assert.equal(low.offset, 0n);
    });
  });
}
