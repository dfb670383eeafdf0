/**
 * Benchmark worker: node-rdkafka (a C++ addon over librdkafka), on the system Node 20.
 *
 *   node bench/workers/node-rdkafka.mjs '<spec JSON>'
 *
 * Not installed by bench/peers.sh: scripts/librdkafka.sh already builds node-rdkafka
 * 3.6.1 (bundled librdkafka 2.12.0) for the system Node into
 * .cache/librdkafka-2.12/node_modules/node-rdkafka, and that addon is used here.
 *
 * APIs, as its README shows them:
 * - produce, latency: the Standard API ("more performant, particularly when handling
 *   high volumes of messages"): `producer.produce(topic, null, value)` per message with
 *   `dr_cb: true` and the `delivery-report` event, a window of outstanding messages.
 *   Delivery reports only arrive when the producer is polled; `poll()` is called on
 *   every turn of the event loop while reports are outstanding.
 * - consume: the Standard API's non-flowing mode, `consumer.consume(n, cb)` in a loop:
 *   one addon call hands back up to n messages (NODE_RDKAFKA_CONSUME=flowing picks the
 *   flowing mode, `consume()` with a `data` event per message).
 * - e2e: flowing mode (`consume()`: "we get messages as soon as they are available").
 * librdkafka settings: acks=all, compression none, idempotence off, linger.ms 5
 * (0 for latency and e2e), its defaults otherwise.
 *
 * @module
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { Buffer } from "node:buffer";
import { awaitedSamples, deadline, e2eSamples, fail, measure, payload, readSpec, report } from "../harness/common.mjs";

const PKG = new URL("../../.cache/librdkafka-2.12/node_modules/node-rdkafka/", import.meta.url);
const require = createRequire(new URL("package.json", PKG));
const Kafka = require(PKG.pathname);
const version = JSON.parse(readFileSync(new URL("package.json", PKG), "utf8")).version.replace(/^v/, "");

const spec = readSpec();
const CLIENT = "node-rdkafka";
const SETUP_MS = 60_000;
const RUN_MS = 300_000;

const common = {
  "bootstrap.servers": spec.bootstrap,
  "client.id": `bench-node-rdkafka-${process.pid}`,
};

/** connect() as a promise: its callback gets the error, if any. */
function connect(client) {
  return new Promise((resolve, reject) => {
    client.connect(
      { timeout: 30_000 },
      (err) => (err ? reject(new Error(`connect: ${err.message ?? err}`)) : resolve()),
    );
  });
}

/** A connected producer, and what its delivery reports tell. */
async function openProducer(lingerMs) {
  const producer = new Kafka.Producer({
    ...common,
    "dr_cb": true,
    "acks": -1,
    "compression.codec": "none",
    "enable.idempotence": false,
    "linger.ms": lingerMs,
  }, {});
  const state = { delivered: 0, failed: null };
  producer.on("delivery-report", (err) => {
    if (err) state.failed ??= err;
    state.delivered++;
  });
  // librdkafka's errors are mostly transient (it retries); only a failed delivery fails the run.
  producer.on("event.error", (err) => process.stderr.write(`node-rdkafka: ${err.message ?? err}\n`));
  await Promise.race([connect(producer), deadline(SETUP_MS, "connect")]);
  const turn = () => new Promise((r) => setImmediate(r));
  /**
   * Resolves when at most `n` of `sent` messages are without a delivery report. It
   * polls on every turn of the event loop while it waits ("call .poll() manually
   * after sending messages"): measured here, a 1 ms setPollInterval (what its
   * HighLevelProducer uses) made produce ~1.5x slower and latency p50 1.2 ms, not 0.26.
   */
  state.until = async (sent, n) => {
    while (sent - state.delivered > n && !state.failed) {
      producer.poll();
      await turn();
    }
    if (state.failed) throw new Error(`delivery failed: ${state.failed.message ?? state.failed}`);
  };
  return { producer, state };
}

/** Produces `total` messages with at most `window` of them awaiting a report. */
async function pump({ producer, state }, value, total) {
  const window = Math.max(100, Math.min(50_000, Math.floor((32 * 1024 * 1024) / value.length)));
  const base = state.delivered;
  for (let sent = 0; sent < total;) {
    await state.until(base + sent, window - 1);
    const n = Math.min(total - sent, window - (sent - (state.delivered - base)));
    for (let i = 0; i < n; i++) producer.produce(spec.topic, null, value, null, null);
    sent += n;
    producer.poll();
  }
  await state.until(base + total, 0);
}

async function produce() {
  const p = await openProducer(5);
  const value = Buffer.from(payload(spec.size));
  const warm = Math.floor(Math.min(1000, spec.count / 10));
  if (warm > 0) await Promise.race([pump(p, value, warm), deadline(SETUP_MS, "warm-up")]);
  const m = measure();
  m.start();
  await Promise.race([pump(p, value, spec.count), deadline(RUN_MS, "produce")]);
  const phase = m.stop();
  return { mode: "produce+dr_cb", msgs: spec.count, ...phase };
}

async function openConsumer(reset) {
  const consumer = new Kafka.KafkaConsumer({ ...common, "group.id": spec.group }, { "auto.offset.reset": reset });
  await Promise.race([connect(consumer), deadline(SETUP_MS, "connect")]);
  consumer.subscribe([spec.topic]);
  return consumer;
}

async function consume() {
  const consumer = await openConsumer("earliest");
  const flowing = process.env.NODE_RDKAFKA_CONSUME === "flowing";
  const m = measure();
  let msgs = 0, bytes = 0, phase = null;
  let done, broke;
  const finished = new Promise((resolve, reject) => ((done = resolve), (broke = reject)));
  const take = (message) => {
    if (!m.started) m.start();
    msgs++;
    bytes += message.value ? message.value.length : 0;
    if (msgs === spec.count) {
      phase = m.stop();
      done();
    }
  };
  if (flowing) {
    consumer.on("data", (message) => phase || take(message));
    consumer.consume((err) => err && broke(err));
  } else {
    const next = () => {
      consumer.consume(Math.min(1000, spec.count - msgs), (err, messages) => {
        if (err) return broke(err);
        for (let i = 0; i < messages.length && !phase; i++) take(messages[i]);
        if (!phase) next();
      });
    };
    next();
  }
  const first = (async () => {
    while (!m.started) await new Promise((r) => setTimeout(r, 10));
  })();
  await Promise.race([first, finished, deadline(SETUP_MS, "group join / first message")]);
  await Promise.race([finished, deadline(120_000, `consume (${msgs} of ${spec.count} messages)`)]);
  if (msgs !== spec.count || bytes !== spec.count * spec.size) {
    throw new Error(`consumed ${msgs} messages, ${bytes} bytes; expected ${spec.count}, ${spec.count * spec.size}`);
  }
  return { mode: flowing ? "consume() flowing" : "consume(n, cb)", msgs, ...phase };
}

async function latency() {
  const p = await openProducer(0);
  const value = Buffer.from(payload(spec.size));
  let sent = 0;
  const one = async () => {
    p.producer.produce(spec.topic, null, value, null, null);
    sent++;
    await p.state.until(sent, 0);
  };
  const timed = await awaitedSamples(one, spec.count, SETUP_MS, RUN_MS);
  return { mode: "produce+dr_cb", msgs: spec.count, ...timed };
}

async function e2e() {
  const p = await openProducer(0);
  const consumer = await openConsumer("latest");
  const samples = e2eSamples();
  consumer.on("data", (message) => samples.seen(message.value.readUInt32LE(0)));
  const broken = new Promise((_, reject) => consumer.consume((err) => err && reject(err)));
  broken.catch(() => {});
  let sent = 0;
  const timed = await samples.run({
    send: (value) => {
      p.producer.produce(spec.topic, null, value, null, null);
      sent++;
    },
    settle: () => p.state.until(sent, 0), // its delivery report too, before the next one
    broken,
    spec,
    setupMs: SETUP_MS,
    runMs: RUN_MS,
  });
  return { mode: "produce+consume() flowing", msgs: spec.count, ...timed };
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
