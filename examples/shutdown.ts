// deno-lint-ignore-file no-console -- an example prints what it does
/**
 * Graceful shutdown on SIGINT / SIGTERM; unchanged on Bun and Deno:
 *
 *   bun examples/shutdown.ts                 # on an embedded MockCluster; stop it with Ctrl-C
 *   deno run -A examples/shutdown.ts
 *   KAFKA_BOOTSTRAP=127.0.0.1:9092 bun examples/shutdown.ts   # on a real broker
 *
 * A small service: it produces an event every 5 ms and consumes them in a group.
 * On a signal it stops taking new work, waits for every accepted send's delivery
 * report, commits what it read, leaves the group, and exits 0. Every send it
 * started is accounted for: delivered or reported failed, none silently dropped.
 * During a Kafka outage the shutdown still ends in time: each close settles within
 * its timeout + 1 s, rejecting what it had to give up (a consumer's final commit
 * with `_TIMED_OUT`: the group's next member reads those messages again), and the
 * process exits 1 to say the shutdown was not clean.
 *
 * @module
 */
import { Consumer, Producer } from "../src/mod.ts";
import { exampleCluster } from "./_cluster.ts";

interface Proc {
  on(signal: string, fn: () => void): void;
  exit(code: number): never;
}
const proc = (globalThis as unknown as { process: Proc }).process;
const cluster = await exampleCluster("shutdown", 2); // the mock, or KAFKA_BOOTSTRAP's broker
const { bootstrap, topic } = cluster;

const producer = new Producer({ "bootstrap.servers": bootstrap, "linger.ms": 1 });
const consumer = new Consumer(
  { "bootstrap.servers": bootstrap, "group.id": `example-${topic}`, "auto.offset.reset": "earliest" },
  { topics: [topic] },
);

// One AbortController is the whole stop signal: the feeder and the reader both watch it.
const stop = new AbortController();
for (const sig of ["SIGINT", "SIGTERM"]) {
  proc.on(sig, () => {
    if (!stop.signal.aborted) console.log(`${sig}: shutting down`);
    stop.abort();
  });
}

let sent = 0, delivered = 0, failed = 0, read = 0;
const sends = new Set<Promise<unknown>>();
const feeder = setInterval(() => {
  if (stop.signal.aborted) return;
  sent++;
  const p = producer.send({ topic, value: `event-${sent}` }).then(() => delivered++, () => failed++);
  sends.add(p);
  void p.finally(() => sends.delete(p));
}, 5);

let ready = false;
let clean = true;
/** A close that gave up on something (say, an unreachable group coordinator) is logged, not fatal. */
const note = (what: string) => (e: Error) => {
  clean = false;
  console.log(`${what}: ${e.message}`);
};
try {
  for await (const m of consumer.messages({ signal: stop.signal })) {
    read++;
    if (!ready) {
      ready = true;
      console.log(`ready: first event read from ${m.topic}[${m.partition}]`); // a test waits for this line
    }
  }
} finally {
  clearInterval(feeder);
  await Promise.all(sends); // every accepted send settles: delivered or failed
  await producer.close({ timeoutMs: 10_000 }).catch(note("producer close")); // flushes what is still queued
  const committed = await consumer.commit().catch((e) => (note("commit")(e), []));
  await consumer.close({ timeoutMs: 10_000 }).catch(note("consumer close")); // leaves the group
  await cluster[Symbol.asyncDispose]();
  console.log(`sent ${sent}, delivered ${delivered}, failed ${failed}, read ${read}`);
  console.log(`committed ${committed.length} partition(s); shutdown ${clean ? "complete" : "ended, not clean"}`);
}
proc.exit(clean ? 0 : 1);
