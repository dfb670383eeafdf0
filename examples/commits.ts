// deno-lint-ignore-file no-console -- an example prints what it does
/**
 * Manual commits: at-least-once processing, where an offset is committed only
 * after its message was handled. Unchanged on Bun and Deno:
 *
 *   bun examples/commits.ts                  # on an embedded MockCluster
 *   deno run -A examples/commits.ts
 *   KAFKA_BOOTSTRAP=127.0.0.1:9092 bun examples/commits.ts   # on a real broker
 *
 * A first consumer handles 6 of 10 jobs and commits after each one, then closes
 * (as if it stopped). A second consumer in the same group resumes exactly after
 * the last commit: no job is skipped and none is handled twice.
 *
 * @module
 */
import { Consumer, Producer } from "../src/mod.ts";
import { exampleCluster } from "./_cluster.ts";

// The embedded mock cluster, or KAFKA_BOOTSTRAP's broker; a fresh topic either way.
await using cluster = await exampleCluster("commits", 1);
const { bootstrap, topic } = cluster;

{
  await using producer = new Producer({ "bootstrap.servers": bootstrap });
  await producer.sendMulti(Array.from({ length: 10 }, (_, i) => ({ topic, value: `job-${i}` })));
}

const config = {
  "bootstrap.servers": bootstrap,
  "group.id": `example-${topic}`,
  "auto.offset.reset": "earliest",
  "enable.auto.commit": false, // we commit ourselves, after the work is done
  // librdkafka's mock cluster holds a group's next rebalance for session.timeout.ms - 1 s
  // once its last member has left (45 s by default): keep it short there.
  ...(cluster.mock ? { "session.timeout.ms": 6_000 } : {}),
};

/** Reads one message, waiting through the group join (read() resolves null at its timeout). */
async function next(c: Consumer) {
  for (;;) {
    const m = await c.read({ timeoutMs: 500 });
    if (m) return m;
  }
}

{
  await using worker = new Consumer(config, { topics: [topic] });
  for (let i = 0; i < 6; i++) {
    const job = await next(worker);
    console.log(`worker 1 handled ${job.text()}`);
    // Commits job.offset + 1: the next offset this group should read.
    const [committed] = await worker.commit(job);
    if (i === 5) console.log(`worker 1 committed offset ${committed.offset} and stops`);
  }
}

{
  await using worker = new Consumer(config, { topics: [topic] });
  const job = await next(worker);
  console.log(`worker 2 resumed at ${job.text()} (offset ${job.offset})`);
}
