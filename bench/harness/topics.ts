/**
 * Topics for the benchmark on a real broker: create (and wait until every partition
 * has a leader), fill with exactly N messages, delete. Used by the harness and, as a
 * command line, by anyone writing a worker:
 *
 *   bun bench/harness/topics.ts create 127.0.0.1:9092 my-topic 8
 *   bun bench/harness/topics.ts fill   127.0.0.1:9092 my-topic 8 100000 100
 *   bun bench/harness/topics.ts delete 127.0.0.1:9092 my-topic
 *
 * On the mock tier the harness creates topics through bench/native/mock instead (the
 * mock cluster has no CreateTopics).
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { AdminClient, Producer, type ProducerMessage } from "../../src/mod.ts";
import { payload } from "./common.mjs";

/**
 * Creates `name` with `partitions` partitions (replication 1) and waits until every
 * partition has a leader; an existing topic is deleted first, so its data is gone.
 *
 * @example
 * ```ts
 * await createTopic("127.0.0.1:9092", "bench-produce-100", 8);
 * ```
 */
export async function createTopic(bootstrap: string, name: string, partitions: number): Promise<void> {
  await using admin = new AdminClient({ "bootstrap.servers": bootstrap });
  const existing = await admin.listTopics();
  if (existing.includes(name)) await deleteWith(admin, name);
  for (let attempt = 0;; attempt++) {
    const [r] = await admin.createTopics([{ name, partitions, replicationFactor: 1 }]);
    if (!r.error) break;
    // A delete the broker has accepted but not finished shows as TOPIC_ALREADY_EXISTS.
    if (attempt > 50) throw new Error(`create topic ${name}: ${r.error.message}`);
    await sleep(200);
  }
  for (let i = 0; i < 100; i++) {
    const md = await admin.metadata({ topics: [name] });
    const t = md.topics.find((x) => x.name === name);
    if (t && !t.error && t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0)) return;
    await sleep(100);
  }
  throw new Error(`topic ${name}: partitions without a leader after 10 s`);
}

/**
 * Deletes `name` if it exists.
 *
 * @example
 * ```ts
 * await deleteTopic("127.0.0.1:9092", "bench-produce-100");
 * ```
 */
export async function deleteTopic(bootstrap: string, name: string): Promise<void> {
  await using admin = new AdminClient({ "bootstrap.servers": bootstrap });
  await deleteWith(admin, name);
}

async function deleteWith(admin: AdminClient, name: string): Promise<void> {
  const [r] = await admin.deleteTopics([name]);
  if (r.error && r.error.name !== "UNKNOWN_TOPIC_OR_PART") throw new Error(`delete topic ${name}: ${r.error.message}`);
  for (let i = 0; i < 100; i++) {
    if (!(await admin.listTopics()).includes(name)) return;
    await sleep(100);
  }
}

/**
 * Produces exactly `count` messages of `size` bytes, spread evenly over the
 * partitions (explicit partition numbers), and waits for every acknowledgement.
 *
 * @example
 * ```ts
 * await fillTopic("127.0.0.1:9092", "bench-consume-100", 8, 100_000, 100);
 * ```
 */
export async function fillTopic(
  bootstrap: string,
  name: string,
  partitions: number,
  count: number,
  size: number,
): Promise<void> {
  await using producer = new Producer({
    "bootstrap.servers": bootstrap,
    "linger.ms": 5,
    "message.max.bytes": 4 * 1024 * 1024,
  });
  const value = payload(size);
  const batch = Math.max(1, Math.min(10_000, Math.floor((8 * 1024 * 1024) / Math.max(size, 1))));
  const inflight: Promise<unknown>[] = [];
  let failed = 0;
  for (let sent = 0; sent < count;) {
    const n = Math.min(batch, count - sent);
    const msgs: ProducerMessage[] = new Array(n);
    for (let i = 0; i < n; i++) msgs[i] = { topic: name, partition: (sent + i) % partitions, value };
    sent += n;
    inflight.push(
      producer.sendMulti(msgs).then((rs) => {
        for (const r of rs) if (r.status === "rejected") failed++;
      }),
    );
    if (inflight.length >= 4) await inflight.shift();
  }
  await Promise.all(inflight);
  if (failed) throw new Error(`fill ${name}: ${failed} of ${count} messages failed`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (import.meta.main) {
  const [cmd, bootstrap, name, partitions, count, size] = (globalThis as { process?: { argv: string[] } }).process!
    .argv.slice(2);
  if (cmd === "create") await createTopic(bootstrap, name, Number(partitions));
  else if (cmd === "delete") await deleteTopic(bootstrap, name);
  else if (cmd === "fill") await fillTopic(bootstrap, name, Number(partitions), Number(count), Number(size));
  else {
    console.error("usage: topics.ts create|fill|delete BOOTSTRAP TOPIC [PARTITIONS [COUNT SIZE]]");
    (globalThis as { process?: { exit(c: number): never } }).process!.exit(2);
  }
}
