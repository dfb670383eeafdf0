// deno-lint-ignore-file no-console -- an example prints what it does
/**
 * Consuming with a group; unchanged on Bun and Deno:
 *
 *   bun examples/consume.ts                  # on an embedded MockCluster
 *   deno run -A examples/consume.ts
 *   KAFKA_BOOTSTRAP=127.0.0.1:9092 bun examples/consume.ts   # on a real broker
 *
 * Writes 20 orders, then reads them back as a member of a consumer group: first
 * one by one with `read()` (which resolves null at its timeout, never hangs), then
 * the rest with `for await`. The event loop keeps running meanwhile: a timer
 * ticks while the consumer joins the group and reads.
 *
 * @module
 */
import { Consumer, Producer } from "../src/mod.ts";
import { exampleCluster } from "./_cluster.ts";

// The embedded mock cluster, or KAFKA_BOOTSTRAP's broker; a fresh topic either way.
await using cluster = await exampleCluster("consume", 2);
const { bootstrap, topic } = cluster;

{
  await using producer = new Producer({ "bootstrap.servers": bootstrap });
  await producer.sendMulti(
    Array.from({ length: 20 }, (_, i) => ({ topic, key: `order-${i}`, value: JSON.stringify({ order: i }) })),
  );
}

let ticks = 0;
const ticker = setInterval(() => ticks++, 10);

await using consumer = new Consumer(
  { "bootstrap.servers": bootstrap, "group.id": `example-${topic}`, "auto.offset.reset": "earliest" },
  { topics: [topic] },
);
consumer.on("rebalance", (e) => console.log(`rebalance: ${e.type} ${e.partitions.length} partition(s)`));

// The group join takes a few seconds; until then read() resolves null at its timeout.
let first = null;
while (first === null) first = await consumer.read({ timeoutMs: 500 });
console.log(`first: ${first.keyText()} from partition ${first.partition} at offset ${first.offset}`);

let count = 1;
for await (const m of consumer) {
  const order = m.json() as { order: number };
  if (++count <= 3) console.log(`read: order ${order.order} (${m.topic}[${m.partition}]@${m.offset})`);
  if (count === 20) break; // leaving the loop takes nothing more from the consumer
}
clearInterval(ticker);
console.log(`read ${count} orders; the timer ticked ${ticks} times meanwhile`);
