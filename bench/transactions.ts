/**
 * Transactional produce throughput: transactions of 1, 100 and 10 000 messages of
 * 100 B, against kafka-fast's own idempotent produce (the same messages, no
 * transactions) and against KafkaJS's transactional producer on the same runtime.
 * Prints medians over `--reps` runs and the ratios; asserts nothing.
 *
 *   KAFKA_BOOTSTRAP=127.0.0.1:9092 bun bench/transactions.ts [--reps 3] [--smoke]
 *   KAFKA_BOOTSTRAP=127.0.0.1:9092 deno run -A bench/transactions.ts
 *   bun bench/transactions.ts --smoke       # on an in-process MockCluster (kafka-fast rows only)
 *
 * Each transactional run: `beginTransaction()`, one `sendMulti` of the transaction's
 * messages, `commitTransaction()` (which waits for their delivery), repeated until the
 * run's count or 15 s; KafkaJS: `producer.transaction()`, `send({ messages })`, `commit()`.
 * KafkaJS comes from `bench/.peers` (`bash bench/peers.sh` installs it); without it,
 * or on the mock (which KafkaJS's transactional protocol does not reach), its rows say so.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { AdminClient, librdkafkaVersion, MockCluster, Producer, type ProducerMessage } from "../src/mod.ts";
import { median } from "./lag.ts";

const proc = (globalThis as { process?: { argv: string[]; env: Record<string, string | undefined> } }).process;
const argv = proc?.argv.slice(2) ?? [];
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const SMOKE = argv.includes("--smoke");
const REPS = Number(opt("--reps", SMOKE ? "1" : "3"));
const SIZE = 100;
const PARTITIONS = 4;
/** Messages per run for each transaction size (transactions of one message are slow everywhere). */
const COUNT: Record<number, number> = SMOKE
  ? { 1: 20, 100: 400, 10000: 10_000 }
  : { 1: 2_000, 100: 50_000, 10000: 200_000 };
const TXN_SIZES = [1, 100, 10_000];
const IDEMPOTENT_COUNT = SMOKE ? 10_000 : 200_000;
/** A transactional run stops after this long even short of its count (KafkaJS's small transactions are slow). */
const RUN_MS = SMOKE ? 5_000 : 15_000;
const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";

const value = "x".repeat(SIZE);
const batchOf = (topic: string, n: number): ProducerMessage[] =>
  Array.from({ length: n }, (_, i) => ({ topic, key: `k${i % 64}`, value }));

/** kafka-fast, idempotent, no transactions: sendMulti batches of 10 000, 4 in flight. */
async function idempotent(bootstrap: string, topic: string, count: number): Promise<number> {
  await using p = new Producer({ "bootstrap.servers": bootstrap, "enable.idempotence": true, "linger.ms": 5 });
  await p.send({ topic, value }); // connected, metadata known
  const batch = batchOf(topic, Math.min(10_000, count));
  const t0 = performance.now();
  const inflight: Promise<unknown>[] = [];
  for (let sent = 0; sent < count; sent += batch.length) {
    inflight.push(p.sendMulti(batch));
    if (inflight.length >= 4) await inflight.shift();
  }
  await Promise.all(inflight);
  return count / ((performance.now() - t0) / 1000);
}

/** kafka-fast, transactions of `n` messages. */
async function transactional(bootstrap: string, topic: string, n: number, count: number): Promise<number> {
  await using p = new Producer({
    "bootstrap.servers": bootstrap,
    "transactional.id": `bench-${crypto.randomUUID()}`,
    "linger.ms": 5,
  });
  await p.initTransactions();
  await p.transaction((tx) => void tx.send({ topic, value })); // warm: coordinator, partitions
  const batch = batchOf(topic, n);
  const t0 = performance.now();
  let sent = 0;
  for (; sent < count && performance.now() - t0 < RUN_MS; sent += n) {
    await p.beginTransaction();
    const results = p.sendMulti(batch);
    await p.commitTransaction();
    const failed = (await results).filter((r) => r.status === "rejected").length;
    if (failed) throw new Error(`${failed} messages failed`);
  }
  return sent / ((performance.now() - t0) / 1000);
}

// deno-lint-ignore no-explicit-any
type KafkaJs = any;
function loadKafkaJs(): KafkaJs | string {
  const peers = new URL("./.peers/", import.meta.url);
  if (!existsSync(new URL("node_modules/kafkajs/package.json", peers))) {
    return "not installed (bash bench/peers.sh)";
  }
  return createRequire(new URL("package.json", peers))("kafkajs");
}

/** KafkaJS, transactions of `n` messages. */
async function kafkajsTransactional(kjs: KafkaJs, bootstrap: string, topic: string, n: number, count: number) {
  const kafka = new kjs.Kafka({
    clientId: "bench-kafkajs-txn",
    brokers: bootstrap.split(","),
    logLevel: kjs.logLevel.NOTHING,
  });
  const producer = kafka.producer({
    transactionalId: `bench-kjs-${crypto.randomUUID()}`,
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: kjs.Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    const messages = Array.from({ length: n }, (_, i) => ({ key: `k${i % 64}`, value }));
    const warm = await producer.transaction();
    await warm.send({ topic, messages: [{ value }] });
    await warm.commit();
    const t0 = performance.now();
    let sent = 0;
    for (; sent < count && performance.now() - t0 < RUN_MS; sent += n) {
      const tx = await producer.transaction();
      await tx.send({ topic, acks: -1, messages });
      await tx.commit();
    }
    return sent / ((performance.now() - t0) / 1000);
  } finally {
    await producer.disconnect();
  }
}

const external = proc?.env.KAFKA_BOOTSTRAP;
await using mock = external ? undefined : await MockCluster.create();
const bootstrap = external ?? mock!.bootstrapServers;
const topic = `bench-txn-${crypto.randomUUID().slice(0, 8)}`;
if (mock) await mock.createTopic(topic, { partitions: PARTITIONS });
else {
  await using admin = new AdminClient({ "bootstrap.servers": bootstrap });
  const [r] = await admin.createTopics([{ name: topic, partitions: PARTITIONS, replicationFactor: 1 }]);
  if (r.error) throw r.error;
  await new Promise((r) => setTimeout(r, 1_000)); // leaders
}
const kjs = mock ? "not run on the mock cluster" : loadKafkaJs();

console.log(
  `transactional produce, ${SIZE} B values, ${PARTITIONS} partitions, ${REPS} rep(s), ${runtime}, ` +
    `librdkafka ${librdkafkaVersion()}, ${mock ? "MockCluster" : `Kafka at ${bootstrap}`}`,
);
const rates: Record<string, number[]> = {};
const add = (k: string, r: number) => (rates[k] ??= []).push(r);
for (let rep = 0; rep < REPS; rep++) {
  add("idempotent", await idempotent(bootstrap, topic, IDEMPOTENT_COUNT));
  for (const n of TXN_SIZES) {
    add(`kafka-fast ${n}`, await transactional(bootstrap, topic, n, COUNT[n]));
    if (typeof kjs !== "string") add(`kafkajs ${n}`, await kafkajsTransactional(kjs, bootstrap, topic, n, COUNT[n]));
  }
}
const med = (k: string) => (rates[k] ? median(rates[k]) : undefined);
const fmt = (x: number | undefined) => (x === undefined ? "–" : Math.round(x).toLocaleString("en-US"));
const ratio = (a: number | undefined, b: number | undefined) => (a && b ? `${(a / b).toFixed(2)}×` : "–");
const idem = med("idempotent");
console.log(
  `\n| messages per transaction | kafka-fast msg/s | vs idempotent (${
    fmt(idem)
  } msg/s) | KafkaJS msg/s | kafka-fast / KafkaJS |`,
);
console.log("| ---: | ---: | ---: | ---: | ---: |");
for (const n of TXN_SIZES) {
  const ours = med(`kafka-fast ${n}`), theirs = med(`kafkajs ${n}`);
  console.log(
    `| ${n} | ${fmt(ours)} | ${ratio(ours, idem)} | ${typeof kjs === "string" ? kjs : fmt(theirs)} | ${
      ratio(ours, theirs)
    } |`,
  );
}
