/**
 * Benchmark worker: KafkaJS (pure JavaScript), on Node and Bun.
 *
 *   node bench/workers/kafkajs.mjs '<spec JSON>'      (bench/harness/PROTOCOL.md)
 *
 * APIs, as KafkaJS's docs show them (docs/Producing.md, docs/Consuming.md):
 * - produce: `producer.send({ topic, messages: [...] , acks: -1 })` with many messages
 *   per call ("The method `send` is used to publish messages"; `sendBatch` is for
 *   several topics at once), a window of outstanding sends. KafkaJS has no linger:
 *   each send is one Produce request per broker.
 * - consume: `consumer.run({ eachBatch })` ("Some use cases require dealing with
 *   batches directly"), with `fromBeginning: true` (auto.offset.reset=earliest).
 * - latency: one awaited `producer.send` of one message at a time.
 * - e2e: `consumer.run({ eachMessage })` with `fromBeginning: false`.
 * Everything else is KafkaJS's default (no compression, idempotent false).
 *
 * @module
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { Buffer } from "node:buffer";
import { awaitedSamples, deadline, e2eSamples, fail, measure, payload, readSpec, report } from "../harness/common.mjs";

const PEERS = new URL("../.peers/", import.meta.url);
const require = createRequire(new URL("package.json", PEERS));
const { Kafka, logLevel, Partitioners, CompressionTypes } = require("kafkajs");
const version = JSON.parse(readFileSync(new URL("node_modules/kafkajs/package.json", PEERS), "utf8")).version;

const spec = readSpec();
const CLIENT = "kafkajs";
const SETUP_MS = 60_000; // connect, warm-up, group join
const RUN_MS = 300_000; // the measured phase (consume: 120 s, as the protocol says)

const kafka = new Kafka({
  clientId: `bench-kafkajs-${process.pid}`,
  brokers: spec.bootstrap.split(","),
  logLevel: logLevel.ERROR,
  // Fail within the setup deadline on an unreachable or unsupported broker.
  retry: { retries: 5 },
});

function newProducer() {
  // The Java-compatible partitioner (KafkaJS 2's default; naming it silences the
  // warning): round-robin for messages without key and partition.
  return kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: false });
}

function sendOpts(messages) {
  return { topic: spec.topic, messages, acks: -1, compression: CompressionTypes.None };
}

/** Messages per send: about 1 MiB of values (the broker's default message.max.bytes is per partition batch). */
function batchSize(size) {
  return Math.max(1, Math.min(10_000, Math.floor((1024 * 1024) / size)));
}

/** Sends `total` messages in batches, at most `window` sends outstanding; rejects on any failed send. */
async function pump(producer, value, total, window) {
  const per = batchSize(value.length);
  const inflight = [];
  for (let sent = 0; sent < total;) {
    const n = Math.min(per, total - sent);
    const messages = new Array(n);
    for (let i = 0; i < n; i++) messages[i] = { value };
    sent += n;
    const p = producer.send(sendOpts(messages));
    p.catch(() => {}); // awaited below; this only keeps it from counting as unhandled meanwhile
    inflight.push(p);
    if (inflight.length >= window) await inflight.shift();
  }
  await Promise.all(inflight);
}

async function produce() {
  const producer = newProducer();
  await Promise.race([producer.connect(), deadline(SETUP_MS, "connect")]);
  const value = Buffer.from(payload(spec.size));
  const warm = Math.floor(Math.min(1000, spec.count / 10));
  if (warm > 0) await Promise.race([pump(producer, value, warm, 4), deadline(SETUP_MS, "warm-up")]);
  const m = measure();
  m.start();
  await Promise.race([pump(producer, value, spec.count, 4), deadline(RUN_MS, "produce")]);
  const phase = m.stop();
  return { mode: "producer.send(batch)", msgs: spec.count, ...phase };
}

/** Rejects when the consumer crashes (KafkaJS reports that as an event, not as a rejection). */
function crashOf(consumer) {
  const p = new Promise((_, reject) =>
    consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error ?? new Error("consumer crashed")))
  );
  p.catch(() => {});
  return p;
}

async function consume() {
  const consumer = kafka.consumer({ groupId: spec.group });
  await Promise.race([consumer.connect(), deadline(SETUP_MS, "connect")]);
  await consumer.subscribe({ topics: [spec.topic], fromBeginning: true });
  const crashed = crashOf(consumer);
  const m = measure();
  let msgs = 0, bytes = 0, phase = null;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  await consumer.run({
    eachBatch: ({ batch }) => {
      if (phase) return;
      if (!m.started) m.start();
      for (const message of batch.messages) {
        msgs++;
        bytes += message.value ? message.value.length : 0;
      }
      if (msgs >= spec.count) {
        phase = m.stop();
        done();
      }
    },
  });
  // The group join and the first fetch come before start(); then 120 s for all of it.
  const first = (async () => {
    while (!m.started) await new Promise((r) => setTimeout(r, 10));
  })();
  await Promise.race([first, crashed, deadline(SETUP_MS, "group join / first batch")]);
  await Promise.race([finished, crashed, deadline(120_000, `consume (${msgs} of ${spec.count} messages)`)]);
  if (msgs !== spec.count || bytes !== spec.count * spec.size) {
    throw new Error(`consumed ${msgs} messages, ${bytes} bytes; expected ${spec.count}, ${spec.count * spec.size}`);
  }
  return { mode: "eachBatch", msgs, ...phase };
}

async function latency() {
  // KafkaJS has no linger: every send is its own request already.
  const producer = newProducer();
  await Promise.race([producer.connect(), deadline(SETUP_MS, "connect")]);
  const value = Buffer.from(payload(spec.size));
  const one = () => producer.send(sendOpts([{ value }]));
  const timed = await awaitedSamples(one, spec.count, SETUP_MS, RUN_MS);
  return { mode: "producer.send", msgs: spec.count, ...timed };
}

async function e2e() {
  const producer = newProducer();
  const consumer = kafka.consumer({ groupId: spec.group });
  await Promise.race([Promise.all([producer.connect(), consumer.connect()]), deadline(SETUP_MS, "connect")]);
  await consumer.subscribe({ topics: [spec.topic], fromBeginning: false });
  const broken = crashOf(consumer);
  const samples = e2eSamples();
  await consumer.run({ eachMessage: ({ message }) => samples.seen(message.value.readUInt32LE(0)) });
  const timed = await samples.run({
    send: (value) => producer.send(sendOpts([{ value }])),
    broken,
    spec,
    setupMs: SETUP_MS,
    runMs: RUN_MS,
  });
  return { mode: "producer.send+eachMessage", msgs: spec.count, ...timed };
}

const scenarios = { produce, consume, latency, e2e };
try {
  const run = scenarios[spec.scenario];
  if (!run) throw new Error(`unknown scenario ${spec.scenario}`);
  const r = await run();
  report({ client: CLIENT, version, ...r });
} catch (e) {
  fail(e);
}
