// deno-lint-ignore-file no-console -- an example prints what it does
/**
 * Exactly-once consume-transform-produce: read an input topic, transform each
 * record, write it to an output topic, and commit the input offsets in the same
 * transaction. A crash anywhere (even SIGKILL between the send and the commit)
 * loses nothing and duplicates nothing: a restarted processor with the same
 * `transactional.id` aborts what its predecessor left open and resumes from the
 * offsets committed with the last committed transaction, and `read_committed`
 * consumers of the output see each record once. Unchanged on Bun and Deno:
 *
 *   bun examples/exactly-once.ts                  # on an embedded MockCluster
 *   deno run -A examples/exactly-once.ts
 *   KAFKA_BOOTSTRAP=127.0.0.1:9092 bun examples/exactly-once.ts   # on a real broker
 *
 * Run as above, it feeds 40 events of 4 users, processes them, and checks the
 * output. With `EOS_INPUT` set it is only the processor (test/exactly_once.test.ts
 * kills it with SIGKILL mid-stream and starts it again): `EOS_OUTPUT`, `EOS_GROUP`,
 * `EOS_TXN_ID`, and optionally `EOS_BATCH` (records per transaction, default 10),
 * `EOS_PAUSE_MS` (inside each transaction, once its records are written) and `EOS_IDLE_EXIT_MS` (exit after that long
 * with nothing to read; default: run until killed).
 *
 * Librdkafka's mock cluster keeps no transaction state (see the README), so only
 * a real broker makes the guarantee; the mock runs the same code.
 *
 * @module
 */
import { Consumer, KafkaError, type Message, OFFSET, Producer } from "../src/mod.ts";
import { exampleCluster } from "./_cluster.ts";

interface ProcessorOptions {
  bootstrap: string;
  input: string;
  output: string;
  group: string;
  transactionalId: string;
  batch: number;
  pauseMs: number;
  /** Return after this long with nothing to read (undefined: never). */
  idleExitMs?: number;
  /** A real broker: join as a static member, so that a restarted processor takes its place at once. */
  staticMember: boolean;
}

/** The transformation: an event becomes its upper-cased self. */
const transform = (m: Message) => m.text()!.toUpperCase();

/** Processes until idle for `idleExitMs`; returns how many records and transactions it committed. */
async function runProcessor(o: ProcessorOptions): Promise<{ records: number; transactions: number }> {
  await using consumer = new Consumer({
    "bootstrap.servers": o.bootstrap,
    "group.id": o.group,
    "auto.offset.reset": "earliest",
    "enable.auto.commit": false, // offsets are committed by the transactions
    "isolation.level": "read_committed", // librdkafka's default, said here for the reader
    "session.timeout.ms": 6_000,
    ...(o.staticMember ? { "group.instance.id": `${o.transactionalId}-member` } : {}),
  }, { topics: [o.input] });
  await using producer = new Producer({ "bootstrap.servers": o.bootstrap, "transactional.id": o.transactionalId });
  // Fences a predecessor with the same transactional.id and aborts what it left open.
  await producer.initTransactions();
  let records = 0, transactions = 0, idleSince = Date.now();
  for (;;) {
    const batch = await consumer.readBatch({ maxMessages: o.batch, timeoutMs: 500 });
    if (batch.length === 0) {
      // Idle counts once something was read: joining the group first can take seconds.
      if (o.idleExitMs !== undefined && records > 0 && Date.now() - idleSince > o.idleExitMs) break;
      if (Date.now() - idleSince > 60_000) break;
      continue;
    }
    idleSince = Date.now();
    try {
      await producer.transaction(async (tx) => {
        const sent = batch.map((m) => tx.send({ topic: o.output, key: m.key, value: transform(m) }));
        if (o.pauseMs > 0) {
          // (For the test: the records are on the output's log, not yet committed; a kill now must not show them.)
          await Promise.all(sent);
          await new Promise((r) => setTimeout(r, o.pauseMs));
        }
        await tx.sendOffsets(consumer); // the positions after this batch
      });
      records += batch.length;
      transactions++;
    } catch (e) {
      if (e instanceof KafkaError && e.fatal) throw e; // fenced: a newer processor took over
      // Aborted: nothing of it is visible and its offsets were not committed: read it again.
      console.error(`transaction aborted (${(e as Error).message}); reading the batch again`);
      await rewind(consumer);
    }
  }
  return { records, transactions };
}

/** Moves every assigned partition back to the group's committed offset. */
async function rewind(consumer: Consumer): Promise<void> {
  for (const c of await consumer.committed(undefined, { timeoutMs: 10_000 })) {
    consumer.seek({ topic: c.topic, partition: c.partition, offset: c.offset ?? OFFSET.BEGINNING });
  }
}

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};

if (env.EOS_INPUT) {
  // The processor alone, as test/exactly_once.test.ts runs (and kills) it.
  const r = await runProcessor({
    bootstrap: env.KAFKA_BOOTSTRAP!,
    input: env.EOS_INPUT,
    output: env.EOS_OUTPUT!,
    group: env.EOS_GROUP!,
    transactionalId: env.EOS_TXN_ID!,
    batch: Number(env.EOS_BATCH ?? 10),
    pauseMs: Number(env.EOS_PAUSE_MS ?? 0),
    idleExitMs: env.EOS_IDLE_EXIT_MS === undefined ? undefined : Number(env.EOS_IDLE_EXIT_MS),
    staticMember: true,
  });
  console.log(`processor: ${r.records} records in ${r.transactions} transactions`);
} else {
  await using cluster = await exampleCluster("eos", 2, 1);
  const [input, output] = cluster.topics;
  const users = ["ada", "bob", "cy", "dee"];
  {
    await using feeder = new Producer({ "bootstrap.servers": cluster.bootstrap, "enable.idempotence": true });
    await feeder.sendMulti(
      Array.from({ length: 40 }, (_, i) => ({ topic: input, key: users[i % 4], value: `${users[i % 4]} event ${i}` })),
    );
  }
  const r = await runProcessor({
    bootstrap: cluster.bootstrap,
    input,
    output,
    group: `example-${input}`,
    transactionalId: `example-${input}`,
    batch: 10,
    pauseMs: 0,
    idleExitMs: 2_000,
    staticMember: !cluster.mock,
  });
  console.log(`processed ${r.records} records in ${r.transactions} transactions`);

  // What a read_committed consumer of the output sees.
  await using reader = new Consumer({ "bootstrap.servers": cluster.bootstrap, "isolation.level": "read_committed" });
  await reader.assign([0, 1].map((partition) => ({ topic: output, partition, offset: OFFSET.BEGINNING })));
  const seen: string[] = [];
  for (let quiet = 0; quiet < 3;) {
    const ms = await reader.readBatch({ maxMessages: 100, timeoutMs: 500 });
    quiet = ms.length ? 0 : quiet + 1;
    for (const m of ms) seen.push(m.text()!);
  }
  const once = new Set(seen).size === seen.length && seen.length === 40;
  const inOrder = users.every((u) => {
    const ns = seen.filter((s) => s.startsWith(u.toUpperCase() + " ")).map((s) => Number(s.split(" ")[2]));
    return ns.every((n, i) => i === 0 || n > ns[i - 1]);
  });
  console.log(`output: ${seen.length} records, each input once: ${once}, in order per key: ${inOrder}`);
}
