/**
 * Regression test for a crash: a message with headers whose explicit partition
 * does not exist, sent once the topic's metadata is known.
 *
 * librdkafka 2.0.2's `rd_kafka_produceva` builds its own headers list from
 * `RD_KAFKA_VTYPE_HEADER` entries; when the partitioner then fails
 * (`_UNKNOWN_PARTITION`, or `_UNKNOWN_TOPIC` for a topic the cluster lacks) it
 * destroys the message, which frees that list, and then frees the list again on
 * its error path (confluentinc/librdkafka#4627, fix proposed in #4628). The heap
 * corruption kills the process (SIGSEGV on both runtimes here). The list an
 * application passes with `RD_KAFKA_VTYPE_HEADERS` is detached before the message
 * is destroyed, so that form is safe (the caller frees it on failure).
 *
 * Kept in its own file so that a crash here does not hide the other producer
 * tests' results. Runs on both tiers (test/helpers/cluster.ts): the failure is
 * librdkafka's, before anything reaches a broker, so both behave the same.
 *
 *   bun test test/producer_headers_unknown_partition.test.ts
 *   deno test -A --v8-flags=--expose-gc test/producer_headers_unknown_partition.test.ts
 *   KAFKA_BOOTSTRAP=127.0.0.1:9092 bun test test/producer_headers_unknown_partition.test.ts
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { KafkaError, Producer } from "../src/mod.ts";
import { clusterLabel, type TestCluster, testCluster } from "./helpers/cluster.ts";
import { readBack, text } from "./helpers/readback.ts";

const newTopic = () => `t-${crypto.randomUUID()}`;

function unknownPartition(e: unknown): boolean {
  assert.ok(e instanceof KafkaError, `expected a KafkaError, got ${e}`);
  assert.equal(e.name, "_UNKNOWN_PARTITION", e.message);
  return true;
}

describe(`Producer: headers with an unknown partition (${clusterLabel()})`, () => {
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

  it("send rejects with _UNKNOWN_PARTITION (and the process survives)", async () => {
    const topic = newTopic();
    await cluster.createTopic(topic, { partitions: 2 });
    // Partition 0 explicitly: partition 1 must stay empty for the check below.
    await producer.send({ topic, value: "metadata known from here on", partition: 0 });
    for (let i = 0; i < 20; i++) {
      await assert.rejects(
        producer.send({ topic, value: `x${i}`, partition: 99, headers: { h: "v", n: null } }),
        unknownPartition,
      );
    }
    // The producer still works and nothing bad was written.
    const r = await producer.send({ topic, value: "after", partition: 1, headers: [["h", "ok"]] });
    assert.equal(r.offset, 0n);
    const got = await readBack(cluster.bootstrapServers, topic, { partitions: [1], count: 1, quietMs: 200 });
    assert.deepEqual(got.map((m) => [text(m.value), m.headers.length]), [["after", 1]]);
  });

  it("sendMulti rejects that message only", async () => {
    const topic = newTopic();
    await cluster.createTopic(topic, { partitions: 2 });
    await producer.send({ topic, value: "metadata known from here on", partition: 0 });
    const rs = await producer.sendMulti([
      { topic, value: "a", partition: 1 },
      { topic, value: "b", partition: 99, headers: { h: "v" } },
      { topic, value: "c", partition: 1, headers: { h: "v" } },
    ]);
    assert.deepEqual(rs.map((r) => (r.status === "rejected" ? r.reason.name : r.status)), [
      "fulfilled",
      "_UNKNOWN_PARTITION",
      "fulfilled",
    ]);
    const got = await readBack(cluster.bootstrapServers, topic, { partitions: [1], count: 2, quietMs: 200 });
    assert.deepEqual(got.map((m) => text(m.value)), ["a", "c"]);
  });
});
