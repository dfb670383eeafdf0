/**
 * kafka-fast demo: produce N messages of 100 bytes, first with many concurrent
 * `send` calls, then with `sendMulti` batches, then read back what the topic holds
 * with a Consumer (`readBatch`), and show that the event loop stays responsive
 * while it happens.
 *
 *   bun examples/demo.ts [--count N]
 *   deno run -A examples/demo.ts [--count N]
 *
 * Uses an in-process MockCluster unless KAFKA_BOOTSTRAP is set (then the topic
 * "kafka-fast-demo" must exist, or the broker must auto-create it).
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { Consumer, librdkafkaVersion, MockCluster, OFFSET, Producer, type ProducerMessage } from "../src/mod.ts";

// --- settings -------------------------------------------------------------------
// Runtime-neutral access to argv and env: Deno 2 and Bun both have `process`.
const proc = (globalThis as {
  process?: { argv: string[]; env: Record<string, string | undefined>; exit(code: number): never };
}).process;
const args = proc?.argv.slice(2) ?? [];
const countArg = args.indexOf("--count");
const COUNT = countArg >= 0 ? Number(args[countArg + 1]) : 1_000_000;
if (!Number.isInteger(COUNT) || COUNT < 1) throw new TypeError(`--count must be a positive integer`);
const SIZE = 100; // bytes per message value
const WINDOW = 20_000; // most `send` promises outstanding at once (bounds memory)
const BATCH = 10_000; // messages per `sendMulti` call
const BATCHES_IN_FLIGHT = 4; // `sendMulti` calls outstanding at once
const TOPIC = "kafka-fast-demo";

// --- event-loop lag: a 1 ms timer chain; lateness = how long the loop was busy ---
function startLagMonitor(): () => { max: number; p99: number } {
  const late: number[] = [];
  let running = true;
  let due = performance.now() + 1;
  const tick = () => {
    const now = performance.now();
    late.push(Math.max(0, now - due));
    if (!running) return;
    due = now + 1;
    setTimeout(tick, 1);
  };
  setTimeout(tick, 1);
  return () => {
    running = false;
    late.sort((a, b) => a - b);
    return { max: late[late.length - 1] ?? 0, p99: late[Math.floor(late.length * 0.99)] ?? 0 };
  };
}

// --- the two ways of producing ------------------------------------------------------
/**
 * `count` concurrent `send`s with at most WINDOW outstanding; returns the failures.
 * It issues CHUNK sends per macrotask, so the loop stalls measured below are the
 * library's, not this loop's.
 */
async function produceWithSend(producer: Producer, msg: ProducerMessage, count: number): Promise<number> {
  const CHUNK = 1_000;
  let inflight = 0, failed = 0, low = WINDOW - CHUNK;
  let wake: (() => void) | undefined;
  const settled = () => {
    if (--inflight <= low && wake) {
      const w = wake;
      wake = undefined;
      w();
    }
  };
  const onError = () => {
    failed++;
    settled();
  };
  for (let i = 0; i < count;) {
    if (inflight > low) await new Promise<void>((r) => (wake = r)); // window full: wait for reports
    else await new Promise<void>((r) => setImmediate(r)); // let the loop breathe between chunks
    for (const end = Math.min(count, i + CHUNK); i < end; i++) {
      inflight++;
      producer.send(msg).then(settled, onError);
    }
  }
  low = 0; // now wait for the last report
  if (inflight > 0) await new Promise<void>((r) => (wake = r));
  return failed;
}

/** `count` messages in `sendMulti` batches, BATCHES_IN_FLIGHT at a time; returns the failures. */
async function produceWithSendMulti(producer: Producer, msg: ProducerMessage, count: number): Promise<number> {
  const full = new Array<ProducerMessage>(BATCH).fill(msg); // the library copies each value
  let failed = 0;
  const inflight = new Set<Promise<void>>();
  for (let sent = 0; sent < count; sent += BATCH) {
    const batch = count - sent >= BATCH ? full : full.slice(0, count - sent);
    const p: Promise<void> = producer.sendMulti(batch).then((results) => {
      for (const r of results) if (r.status === "rejected") failed++;
      inflight.delete(p);
    });
    inflight.add(p);
    if (inflight.size >= BATCHES_IN_FLIGHT) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  return failed;
}

// --- main -------------------------------------------------------------------------
const runtime = "Bun" in globalThis
  ? `Bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}`
  : `Deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`;
console.log(`kafka-fast demo on ${runtime}, librdkafka ${librdkafkaVersion()}`);

const external = proc?.env.KAFKA_BOOTSTRAP;
const cluster = external ? undefined : await MockCluster.create();
if (cluster) await cluster.createTopic(TOPIC, { partitions: 4 });
const bootstrap = external ?? cluster!.bootstrapServers;
console.log(
  `cluster: ${external ? `external ${bootstrap}` : `MockCluster ${bootstrap}`}, topic ${TOPIC} (4 partitions)`,
);

const producer = new Producer({ "bootstrap.servers": bootstrap });
const msg: ProducerMessage = { topic: TOPIC, value: new Uint8Array(SIZE).fill(0x61) };
await producer.send(msg); // connect and fetch metadata before timing

const modes = [
  ["send", produceWithSend],
  ["sendMulti", produceWithSendMulti],
] as const;
for (const [name, run] of modes) {
  const stopLag = startLagMonitor();
  const t0 = performance.now();
  const failed = await run(producer, msg, COUNT);
  const seconds = (performance.now() - t0) / 1000;
  const lag = stopLag();
  const rate = COUNT / seconds;
  console.log(
    `${name.padEnd(9)} ${COUNT} msgs in ${seconds.toFixed(2)} s: ` +
      `${Math.round(rate).toLocaleString("en-US")} msg/s, ${(rate * SIZE / 1e6).toFixed(1)} MB/s, ` +
      `event-loop lag p99 ${lag.p99.toFixed(1)} ms, max ${lag.max.toFixed(1)} ms` +
      (failed ? `, ${failed} FAILED` : ""),
  );
}

// --- read back: everything the topic holds, from its first offset to its high watermark ---
// (The mock cluster keeps about 100k messages per partition, so it may hold fewer than were sent.)
// assign() needs no group.id and no group join; "read timeout" (null / []) ends nothing here.
const consumer = new Consumer({ "bootstrap.servers": bootstrap });
const partitions = [0, 1, 2, 3].map((partition) => ({ topic: TOPIC, partition }));
let expected = 0;
for (const tp of partitions) {
  const { low, high } = await consumer.watermarkOffsets(TOPIC, tp.partition);
  expected += Number((high ?? 0n) - (low ?? 0n));
}
await consumer.assign(partitions.map((tp) => ({ ...tp, offset: OFFSET.BEGINNING })));
{
  const stopLag = startLagMonitor();
  const t0 = performance.now();
  let read = 0, bytes = 0;
  while (read < expected) {
    const batch = await consumer.readBatch({ maxMessages: 1000, timeoutMs: 10_000 });
    if (batch.length === 0) break; // read timeout: nothing more came within 10 s
    read += batch.length;
    for (const m of batch) bytes += m.value?.length ?? 0;
  }
  const seconds = (performance.now() - t0) / 1000;
  const lag = stopLag();
  const rate = read / seconds;
  console.log(
    `readBatch ${read} msgs in ${seconds.toFixed(2)} s: ` +
      `${Math.round(rate).toLocaleString("en-US")} msg/s, ${(bytes / seconds / 1e6).toFixed(1)} MB/s, ` +
      `event-loop lag p99 ${lag.p99.toFixed(1)} ms, max ${lag.max.toFixed(1)} ms` +
      (read < expected ? `, ${expected - read} MISSING` : ""),
  );
  if (read < expected) proc?.exit(1);
}

// Close in reverse order of creation: the clients first (the producer flushes), then the cluster.
await consumer.close();
await producer.close();
await cluster?.close();
console.log("closed");
