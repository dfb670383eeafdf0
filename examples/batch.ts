// deno-lint-ignore-file no-console -- an example prints what it does
/**
 * Sending a batch with `sendMulti`: one crossing into librdkafka for the whole
 * batch, one result per message. Unchanged on Bun and Deno:
 *
 *   bun examples/batch.ts                  # on an embedded MockCluster
 *   deno run -A examples/batch.ts
 *   KAFKA_BOOTSTRAP=127.0.0.1:9092 bun examples/batch.ts   # on a real broker
 *
 * The results are shaped like `Promise.allSettled`: a failed message does not
 * reject the batch, it is reported in its own entry, so nothing is lost silently.
 *
 * @module
 */
import { Producer, type ProducerMessage } from "../src/mod.ts";
import { exampleCluster } from "./_cluster.ts";

// The embedded mock cluster, or KAFKA_BOOTSTRAP's broker; a fresh topic either way.
await using cluster = await exampleCluster("batch", 4);
const { bootstrap, topic } = cluster;

await using producer = new Producer({ "bootstrap.servers": bootstrap });

// 10 000 events; the last one names a partition that does not exist, to show a per-message failure.
const events: ProducerMessage[] = Array.from({ length: 10_000 }, (_, i) => ({
  topic,
  key: `device-${i % 50}`,
  value: JSON.stringify({ seq: i, at: Date.now() }),
}));
events.push({ topic, partition: 99, value: "nowhere" });

const t0 = performance.now();
const results = await producer.sendMulti(events);
const ms = performance.now() - t0;

const delivered = results.filter((r) => r.status === "fulfilled").length;
const failed = results.flatMap((r, i) => (r.status === "rejected" ? [{ i, reason: r.reason }] : []));
console.log(`delivered ${delivered} of ${events.length} in ${ms.toFixed(0)} ms`);
for (const f of failed) console.log(`message ${f.i} failed: ${f.reason.name}`);

// A malformed message rejects the whole call before anything is sent, naming it.
try {
  await producer.sendMulti([{ topic, value: "ok" }, { topic, value: "ok", key: 7 as unknown as string }]);
} catch (e) {
  console.log(`refused: ${(e as Error).message}`);
}
