// deno-lint-ignore-file no-console -- an example prints what it does
/**
 * Producing, one awaited message at a time; unchanged on Bun and Deno:
 *
 *   bun examples/produce.ts                  # on an embedded MockCluster
 *   deno run -A examples/produce.ts
 *   KAFKA_BOOTSTRAP=127.0.0.1:9092 bun examples/produce.ts   # on a real broker
 *
 * `await producer.send()` resolves at the delivery report (partition, offset), so
 * the line after it runs only once the broker has the message. Bad input is
 * refused before anything is sent, with an error that names the field.
 *
 * @module
 */
import { KafkaError, Producer } from "../src/mod.ts";
import { exampleCluster } from "./_cluster.ts";

// The embedded mock cluster, or KAFKA_BOOTSTRAP's broker; a fresh topic either way.
await using cluster = await exampleCluster("produce", 3);
const { bootstrap, topic } = cluster;

// `await using` closes the producer at the end of the scope: it flushes first.
await using producer = new Producer({ "bootstrap.servers": bootstrap, "linger.ms": 0 });

// A key picks the partition (murmur2, like the Java client); headers may repeat.
for (const customer of ["alice", "bob", "alice"]) {
  const report = await producer.send({
    topic,
    key: customer,
    value: JSON.stringify({ customer, amount: 42 }),
    headers: [["source", "example"]],
  });
  console.log(`delivered: key ${customer} -> partition ${report.partition}, offset ${report.offset}`);
}

// Bad input never reaches librdkafka: the error says which field is wrong.
try {
  await producer.send({ topic, value: 42 as unknown as string });
} catch (e) {
  console.log(`refused: ${(e as Error).message}`);
}

// A delivery that fails (here: a partition the topic does not have) rejects with a KafkaError.
try {
  await producer.send({ topic, partition: 99, value: "lost?" });
} catch (e) {
  if (!(e instanceof KafkaError)) throw e;
  console.log(`failed: ${e.name} (retriable: ${e.retriable})`);
}
