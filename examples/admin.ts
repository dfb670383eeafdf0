// deno-lint-ignore-file no-console -- an example prints what it does
/**
 * AdminClient basics, unchanged on Bun and Deno:
 *
 *   bun examples/admin.ts                  # on an embedded MockCluster
 *   deno run -A examples/admin.ts
 *   KAFKA_BOOTSTRAP=127.0.0.1:9092 bun examples/admin.ts   # on a real broker
 *
 * Creates a topic (the mock cluster has no CreateTopics: there MockCluster makes
 * it), writes a few messages, then asks the cluster about it: layout, offsets,
 * configuration (real brokers only), a consumer group's committed offsets, which
 * it moves back, and finally deletes what it made.
 *
 * @module
 */
import { AdminClient, Consumer, MockCluster, Producer } from "../src/mod.ts";

const external = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env
  .KAFKA_BOOTSTRAP;
await using mock = external ? undefined : await MockCluster.create();
const bootstrap = external ?? mock!.bootstrapServers;
const topic = `example-admin-${crypto.randomUUID().slice(0, 8)}`;

await using admin = new AdminClient({ "bootstrap.servers": bootstrap });

// 1. A topic with three partitions. A refusal (say, it exists) is that topic's `error`.
if (mock) {
  await mock.createTopic(topic, { partitions: 3 });
} else {
  const [created] = await admin.createTopics([{ name: topic, partitions: 3, configs: { "retention.ms": 3_600_000 } }]);
  if (created.error) throw created.error;
}

// 2. Where its partitions live (leaders, replicas, in-sync replicas).
const [described] = await admin.describeTopics([topic]);
for (const p of described.partitions) {
  console.log(`${topic}[${p.partition}] leader ${p.leader?.id}, replicas ${p.replicas.map((r) => r.id)}`);
}
const cluster = await admin.describeCluster();
console.log(
  `cluster ${cluster.clusterId}: ${cluster.brokers.length} broker(s), controller ${cluster.controller?.id ?? "none"}`,
);

// 3. Ten messages on partition 0, then its earliest and latest offsets.
{
  await using producer = new Producer({ "bootstrap.servers": bootstrap });
  await producer.sendMulti(Array.from({ length: 10 }, (_, i) => ({ topic, partition: 0, value: `m${i}` })));
}
// (one partition at most once per call: Kafka refuses a ListOffsets that names it twice)
const [earliest] = await admin.listOffsets([{ topic, partition: 0, spec: "earliest" }]);
const [latest] = await admin.listOffsets([{ topic, partition: 0, spec: "latest" }]);
console.log(`partition 0 holds offsets ${earliest.offset} to ${latest.offset! - 1n}`);

// 4. The topic's configuration (real brokers only: the mock has no configs).
if (!mock) {
  const [res] = await admin.describeConfigs([{ type: "TOPIC", name: topic }]);
  const retention = res.configs.find((c) => c.name === "retention.ms");
  console.log(`retention.ms = ${retention?.value} (${retention?.source})`);
}

// 5. A group reads everything and commits; the admin client then moves it back to offset 5.
const group = `example-group-${crypto.randomUUID().slice(0, 8)}`;
{
  await using consumer = new Consumer(
    { "bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": false },
    { assignment: [{ topic, partition: 0 }] },
  );
  let read = 0;
  while (read < 10) read += (await consumer.readBatch({ maxMessages: 100, timeoutMs: 5_000 })).length;
  await consumer.commit();
}
const before = await admin.listGroupOffsets(group, [{ topic, partition: 0 }]);
console.log(`group ${group} committed ${before.partitions[0].offset}`);
await admin.alterGroupOffsets(group, [{ topic, partition: 0, offset: 5n }]);
const after = await admin.listGroupOffsets(group, [{ topic, partition: 0 }]);
console.log(`after alterGroupOffsets: ${after.partitions[0].offset}`);

// 6. Clean up on a real broker (the mock cluster goes away with the process).
if (!mock) {
  await admin.deleteGroups([group]);
  await admin.deleteTopics([topic]);
  console.log(`deleted ${topic} and ${group}`);
}
console.log("admin example done");
