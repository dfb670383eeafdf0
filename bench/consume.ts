/**
 * Consumer benchmark: how fast a fresh Consumer reads messages that are already on
 * the broker, with `readBatch` copying values, `readBatch` zero-copy, `read()` and
 * `for await`, for values of 100 B, 1 KiB and 10 KiB; the event-loop lag during the
 * read and the RSS after it. Also a sweep to choose `copyThreshold` and a long run
 * that checks RSS stays flat. See bench/README.md for what each figure means.
 *
 *   bun bench/consume.ts [--reps 3] [--smoke] [--sizes 100,1024,10240] [--count N]
 *                        [--modes batch-copy,batch-zc,read,iter] [--batch 1000]
 *   bun bench/consume.ts --sweep [--sizes 1024,4096,…]     copy vs zero-copy by value size
 *   bun bench/consume.ts --rss 10000000 [--modes …]       RSS every 1 M messages over 10 M
 *   deno run -A bench/consume.ts [same flags]
 *
 * Runs against an in-process MockCluster (a fresh one per value size) unless
 * KAFKA_BOOTSTRAP is set; then it creates its topics there and deletes them after.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import {
  AdminClient,
  Consumer,
  type ConsumerOptions,
  currentLimits,
  librdkafkaVersion,
  type Message,
  MockCluster,
  Producer,
  type ProducerMessage,
} from "../src/mod.ts";
import { createReadyTopic } from "../test/helpers/topics.ts";
import { type Lag, median, startLagMonitor } from "./lag.ts";

// --- arguments and environment (runtime-neutral: Bun and Deno 2 both have `process`) ---
interface Proc {
  argv: string[];
  env: Record<string, string | undefined>;
  memoryUsage(): { rss: number; heapUsed: number };
}
const proc = (globalThis as unknown as { process: Proc }).process;
const argv = proc.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const num = (name: string, dflt: number) => {
  const v = Number(opt(name, String(dflt)));
  if (!Number.isFinite(v) || v < 0) throw new TypeError(`${name} must be a number >= 0`);
  return v;
};
const SMOKE = flag("--smoke");
const SWEEP = flag("--sweep");
const RSS_TOTAL = num("--rss", 0);
const RSS_EVERY = num("--rss-every", 1_000_000);
/** --gc (RSS run): a full garbage collection before each sample (Deno: run with --v8-flags=--expose-gc). */
const GC = flag("--gc");
const REPS = num("--reps", SMOKE ? 1 : 3);
const BATCH = num("--batch", 1_000);
const COUNT = num("--count", 0);
const SIZES = opt("--sizes", SWEEP ? "1024,4096,8192,16384,32768,65536,131072,262144" : "100,1024,10240")
  .split(",").map(Number);
const ALL_MODES = ["batch-copy", "batch-zc", "read", "iter"] as const;
type Mode = typeof ALL_MODES[number];
const MODES = opt("--modes", SWEEP ? "batch-copy,batch-zc" : ALL_MODES.join(",")).split(",") as Mode[];
for (const m of MODES) if (!ALL_MODES.includes(m)) throw new TypeError(`--modes: unknown mode "${m}"`);
/**
 * librdkafka's prefetch queue. "big" (default): room for the whole data set, so the
 * figures measure the client, not librdkafka 2.0.2's fetch backoff: a partition
 * whose queue reached `queued.min.messages` (100 000) or `queued.max.messages.kbytes`
 * (64 MiB) is not fetched again until its broker thread wakes, up to 1 s later
 * (confluentinc/librdkafka#2879; `fetch.queue.backoff.ms` from 2.2.0). "default":
 * librdkafka's defaults, stalls included.
 */
const QUEUE = opt("--queue", "big");
if (QUEUE !== "big" && QUEUE !== "default") throw new TypeError(`--queue must be "big" or "default"`);
const QUEUE_CONF: Record<string, number> = QUEUE === "big"
  ? { "queued.min.messages": 10_000_000, "queued.max.messages.kbytes": 2_097_151 }
  : {};
/** No message for this long ends a run with an error (a stall, not a slow run). */
const STALL_MS = 30_000;
/**
 * --yield: the reading loop awaits a macrotask (setImmediate) after every batch, or
 * every --batch messages with read/iter, so timers and I/O run in between however
 * many messages are queued. Without it the loop is the plain `while (…) await
 * consumer.readBatch(…)` an application writes.
 */
const YIELD = flag("--yield");
/**
 * --prefill MS: wait this long after assign() before reading, so librdkafka has the
 * data set in its prefetch queue (with --queue big) and the clock measures only the
 * client taking messages out: its cost per message, without the fetch pipeline.
 * The sweep does this by default (1 000 ms), to compare copy and zero-copy alone.
 */
const PREFILL = num("--prefill", SWEEP ? 1_000 : 0);
const nextMacrotask = () => new Promise<void>((r) => setImmediate(r));

/**
 * Messages per run: about 100-200 MB of values (1 M of 100 B), or tiny with --smoke.
 */
function countFor(size: number): number {
  if (COUNT > 0) return COUNT;
  if (SMOKE) return size <= 1024 ? 5_000 : 2_500;
  if (size <= 100) return 1_000_000;
  return Math.max(400, Math.min(1_000_000, Math.floor((SWEEP ? 1.5e8 : 2e8) / size)));
}

/**
 * Partitions per topic: the mock cluster keeps only about 5 MiB and 100 000 messages
 * per partition and drops older ones silently, so spread the data to at most 3 MiB
 * and 60 000 messages each (at least 8 partitions). The harness (bench/harness/run.ts) uses the same formula.
 */
function partitionsFor(count: number, size: number): number {
  return Math.min(256, Math.max(8, Math.ceil(count * (size + 64) / (3 * 2 ** 20)), Math.ceil(count / 60_000)));
}

// --- small statistics helpers ------------------------------------------------------
const mib = (n: number) => n / 2 ** 20;

// --- setup ------------------------------------------------------------------------------
const g = globalThis as unknown as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
const runtime = g.Bun ? `Bun ${g.Bun.version}` : `Deno ${g.Deno?.version.deno}`;
const external = proc.env.KAFKA_BOOTSTRAP;

/** A topic holding `count` values of `size` bytes, spread evenly over its partitions. */
interface Data {
  bootstrap: string;
  topic: string;
  partitions: number;
  count: number;
  size: number;
  close(): Promise<void>;
}

async function prepare(size: number, count: number): Promise<Data> {
  const partitions = partitionsFor(count, size);
  const topic = `bench-consume-${size}-${crypto.randomUUID().slice(0, 8)}`;
  let bootstrap: string;
  let close: () => Promise<void>;
  if (external) {
    bootstrap = external;
    const admin = new AdminClient({ "bootstrap.servers": bootstrap });
    await createReadyTopic(admin, topic, partitions);
    close = async () => {
      await admin.deleteTopics([topic]).catch(() => {});
      await admin.close();
    };
  } else {
    const cluster = await MockCluster.create();
    await cluster.createTopic(topic, { partitions });
    bootstrap = cluster.bootstrapServers;
    close = () => cluster.close();
  }
  const producer = new Producer({
    "bootstrap.servers": bootstrap,
    "message.max.bytes": 4 * 2 ** 20,
    "batch.size": 2 ** 20,
  });
  const value = new Uint8Array(size).fill(0x61);
  const batch = Math.max(10, Math.min(10_000, Math.floor(8 * 2 ** 20 / size)));
  const inflight = new Set<Promise<void>>();
  let failed = 0;
  for (let sent = 0; sent < count;) {
    const msgs: ProducerMessage[] = [];
    for (const end = Math.min(count, sent + batch); sent < end; sent++) {
      msgs.push({ topic, partition: sent % partitions, value });
    }
    const done: Promise<void> = producer.sendMulti(msgs).then((rs) => {
      for (const r of rs) if (r.status === "rejected") failed++;
      inflight.delete(done);
    });
    inflight.add(done);
    if (inflight.size >= 4) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  await producer.close();
  if (failed > 0) throw new Error(`pre-produce: ${failed} of ${count} messages failed`);
  return { bootstrap, topic, partitions, count, size, close };
}

function newConsumer(d: Data, mode: Mode): Promise<Consumer> {
  const options: ConsumerOptions = {};
  if (mode === "batch-copy") options.copyThreshold = Infinity;
  else if (mode === "batch-zc") options.copyThreshold = 0;
  // read and iter: the default threshold (what a user gets without choosing).
  const c = new Consumer({ "bootstrap.servers": d.bootstrap, ...QUEUE_CONF }, options);
  return c.assign(Array.from({ length: d.partitions }, (_, p) => ({ topic: d.topic, partition: p, offset: 0n })))
    .then(() => c);
}

interface Run {
  rate: number;
  mbps: number;
  lag: Lag;
  rss: number;
}

/**
 * Reads `count` messages with one mode, checking nothing is lost (the byte total),
 * and calls `onFirst` when the first delivery arrives. Returns that time and how
 * many messages it held: the rate counts from the first delivery to the last
 * message.
 */
async function readAll(
  c: Consumer,
  mode: Mode,
  count: number,
  onFirst: () => void,
): Promise<{ firstAt: number; firstLen: number; bytes: number }> {
  let n = 0, bytes = 0, firstAt = 0, firstLen = 0;
  const zc = mode === "batch-zc";
  const take = (m: Message) => {
    bytes += m.value!.length;
    if (zc) m.release();
  };
  const first = (len: number) => {
    firstAt = performance.now();
    firstLen = len;
    onFirst();
  };
  if (mode === "batch-copy" || mode === "batch-zc") {
    while (n < count) {
      const batch = await c.readBatch({ maxMessages: Math.min(BATCH, count - n), timeoutMs: STALL_MS });
      if (batch.length === 0) throw new Error(`${mode}: no message for ${STALL_MS} ms after ${n} of ${count}`);
      if (firstAt === 0) first(batch.length);
      for (const m of batch) take(m);
      n += batch.length;
      if (YIELD) await nextMacrotask();
    }
  } else if (mode === "read") {
    while (n < count) {
      const m = await c.read({ timeoutMs: STALL_MS });
      if (m === null) throw new Error(`read: no message for ${STALL_MS} ms after ${n} of ${count}`);
      if (firstAt === 0) first(1);
      take(m);
      if (++n % BATCH === 0 && YIELD) await nextMacrotask();
    }
  } else {
    for await (const m of c) {
      if (firstAt === 0) first(1);
      take(m);
      if (++n >= count) break;
      if (YIELD && n % BATCH === 0) await nextMacrotask();
    }
    if (n < count) throw new Error(`iter: the loop ended after ${n} of ${count}`);
  }
  return { firstAt, firstLen, bytes };
}

async function consumeRun(d: Data, mode: Mode, count: number): Promise<Run> {
  const c = await newConsumer(d, mode);
  if (PREFILL > 0) await new Promise((r) => setTimeout(r, PREFILL));
  try {
    let stop: (() => Lag) | undefined;
    const r = await readAll(c, mode, count, () => (stop = startLagMonitor()));
    const ms = performance.now() - r.firstAt;
    const lag = stop!();
    const rss = proc.memoryUsage().rss;
    if (r.bytes !== count * d.size) throw new Error(`${mode}: read ${r.bytes} bytes, expected ${count * d.size}`);
    // NaN when the first delivery held every message (nothing left to time).
    const rate = count > r.firstLen ? (count - r.firstLen) / (ms / 1000) : NaN;
    return { rate, mbps: rate * d.size / 1e6, lag, rss };
  } finally {
    await c.close();
    await new Promise((r) => setTimeout(r, 20)); // let the last lag timer go
  }
}

const pick = (xs: Run[]): Run => ({
  rate: median(xs.map((x) => x.rate)),
  mbps: median(xs.map((x) => x.mbps)),
  lag: {
    p50: median(xs.map((x) => x.lag.p50)),
    p99: median(xs.map((x) => x.lag.p99)),
    max: median(xs.map((x) => x.lag.max)),
    samples: median(xs.map((x) => x.lag.samples)),
  },
  rss: median(xs.map((x) => x.rss)),
});

// --- output helpers ------------------------------------------------------------------------
const sizeName = (s: number) => s >= 1024 && s % 1024 === 0 ? `${s / 1024} KiB` : `${s} B`;
const fmtInt = (r: number) => Math.round(r).toLocaleString("en-US");

/** Prints a Markdown table; the first `left` columns are left-aligned, the rest right-aligned. */
function printTable(head: string[], body: string[][], left: number): void {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    "| " + cells.map((c, i) => i < left ? c.padEnd(w[i]) : c.padStart(w[i])).join(" | ") + " |";
  console.log(line(head));
  console.log("|" + w.map((n, i) => "-".repeat(n + 1) + (i < left ? "-" : ":")).join("|") + "|");
  for (const row of body) console.log(line(row));
}

// --- main ---------------------------------------------------------------------------------
const what = RSS_TOTAL > 0 ? "RSS run" : SWEEP ? "copyThreshold sweep" : "";
console.log(`# kafka-fast consume benchmark${SMOKE ? " (smoke)" : ""}${what ? `: ${what}` : ""}`);
console.log(`runtime: ${runtime}; librdkafka ${librdkafkaVersion()}; ${REPS} rep(s), medians shown`);
console.log(
  `cluster: ${external ? `external ${external}` : "MockCluster (in-process, TCP), a fresh one per value size"}; ` +
    `prefetch queue: ${
      QUEUE === "big" ? "big (queued.min.messages 10M, queued.max.messages.kbytes 2097151)" : "librdkafka defaults"
    }`,
);
if (PREFILL > 0) console.log(`prefill: reading starts ${PREFILL} ms after assign() (the client's cost alone)`);
console.log(
  YIELD
    ? `reading loop: awaits a macrotask after every batch (every ${BATCH} messages with read/iter)`
    : "reading loop: plain await, no macrotask of its own",
);
const idle = startLagMonitor();
await new Promise((r) => setTimeout(r, SMOKE ? 100 : 500));
const base = idle();
console.log(
  `idle event-loop lag (timer resolution): p50 ${base.p50.toFixed(2)} ms, p99 ${base.p99.toFixed(2)} ms, ` +
    `max ${base.max.toFixed(2)} ms\n`,
);

if (RSS_TOTAL > 0) await rssRun();
else await throughputRuns();

async function throughputRuns(): Promise<void> {
  const rows: { size: number; count: number; partitions: number; mode: Mode; run: Run }[] = [];
  for (const size of SIZES) {
    const count = countFor(size);
    const d = await prepare(size, count);
    try {
      // Warm-up (JIT, connections), not measured.
      for (const mode of MODES) await consumeRun(d, mode, Math.ceil(count / 10));
      const runs = new Map<Mode, Run[]>(MODES.map((m) => [m, []]));
      for (let rep = 0; rep < REPS; rep++) {
        for (const mode of MODES) runs.get(mode)!.push(await consumeRun(d, mode, count));
      }
      for (const mode of MODES) rows.push({ size, count, partitions: d.partitions, mode, run: pick(runs.get(mode)!) });
    } finally {
      await d.close();
    }
    console.error(`  done ${size} B (${count} msgs on ${d.partitions} partitions x ${REPS} reps per mode)`);
  }
  if (SWEEP) return printSweep(rows);
  printTable(
    ["value", "mode", "msgs/run", "msg/s", "MB/s", "lag p50 ms", "lag p99 ms", "lag max ms", "timers", "RSS MiB"],
    rows.map(({ size, count, mode, run }) => [
      sizeName(size),
      mode,
      fmtInt(count),
      fmtInt(run.rate),
      run.mbps.toFixed(1),
      run.lag.p50.toFixed(2),
      run.lag.p99.toFixed(1),
      run.lag.max.toFixed(1),
      fmtInt(run.lag.samples),
      mib(run.rss).toFixed(0),
    ]),
    2,
  );
}

function printSweep(rows: { size: number; count: number; mode: Mode; run: Run }[]): void {
  const body: string[][] = [];
  let threshold: number | undefined;
  for (const size of SIZES) {
    const copy = rows.find((r) => r.size === size && r.mode === "batch-copy")?.run;
    const zc = rows.find((r) => r.size === size && r.mode === "batch-zc")?.run;
    if (!copy || !zc) continue;
    const ratio = zc.rate / copy.rate;
    if (ratio >= 1 && threshold === undefined) threshold = size;
    if (ratio < 1) threshold = undefined; // the first size from which zero-copy stays ahead
    body.push([
      sizeName(size),
      fmtInt(rows.find((r) => r.size === size)!.count),
      fmtInt(copy.rate),
      copy.mbps.toFixed(0),
      fmtInt(zc.rate),
      zc.mbps.toFixed(0),
      `${ratio.toFixed(2)}x`,
    ]);
  }
  printTable(
    ["value", "msgs/run", "copy msg/s", "copy MB/s", "zero-copy msg/s", "zero-copy MB/s", "zc / copy"],
    body,
    1,
  );
  console.log(
    threshold === undefined
      ? "\nzero-copy was not ahead at the largest size measured"
      : `\nzero-copy ahead from ${sizeName(threshold)} on (values of that size and larger)`,
  );
}

function collect(): void {
  const gg = globalThis as unknown as { Bun?: { gc(full: boolean): void }; gc?: () => void };
  if (gg.Bun) gg.Bun.gc(true);
  else if (gg.gc) gg.gc();
  else throw new Error("--gc needs a GC hook: run Deno with --v8-flags=--expose-gc");
}

/** Reads RSS_TOTAL messages per mode, seeking back to offset 0 at the end of the data; RSS every RSS_EVERY. */
async function rssRun(): Promise<void> {
  const size = SIZES[0];
  const count = Math.min(countFor(size), RSS_TOTAL);
  const d = await prepare(size, count);
  console.log(
    `${fmtInt(count)} messages of ${sizeName(size)} on ${d.partitions} partitions, read again and again ` +
      `(seek to offset 0 at the end)${GC ? "; a full GC before each sample" : ""}`,
  );
  try {
    for (const mode of MODES) {
      const c = await newConsumer(d, mode);
      const stop = startLagMonitor();
      const t0 = performance.now();
      const samples: string[][] = [];
      const sample = (n: number) => {
        if (GC) collect();
        const m = proc.memoryUsage();
        samples.push([
          fmtInt(n),
          mib(m.rss).toFixed(0),
          mib(m.heapUsed).toFixed(0),
          mib(currentLimits().heldBytes).toFixed(1),
          ((performance.now() - t0) / 1000).toFixed(1),
        ]);
      };
      try {
        sample(0);
        let n = 0, nextSample = RSS_EVERY;
        while (n < RSS_TOTAL) {
          const round = Math.min(count, RSS_TOTAL - n);
          // Read the round in slices so RSS can be sampled inside it.
          for (let done = 0; done < round;) {
            const slice = Math.min(round - done, nextSample - n);
            const r = await readAll(c, mode, slice, () => {});
            if (r.bytes !== slice * size) throw new Error(`${mode}: read ${r.bytes} bytes, expected ${slice * size}`);
            done += slice;
            n += slice;
            if (n >= nextSample) {
              sample(n);
              nextSample += RSS_EVERY;
            }
          }
          if (n < RSS_TOTAL) {
            for (let p = 0; p < d.partitions; p++) c.seek({ topic: d.topic, partition: p, offset: 0n });
          }
        }
      } finally {
        await c.close();
      }
      const lag = stop();
      console.log(
        `\n${mode}: ${fmtInt(RSS_TOTAL)} messages in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
          `lag p50 ${lag.p50.toFixed(2)} ms, p99 ${lag.p99.toFixed(1)} ms, max ${lag.max.toFixed(1)} ms`,
      );
      printTable(["messages read", "RSS MiB", "JS heap MiB", "held MiB", "seconds"], samples, 0);
    }
  } finally {
    await d.close();
  }
}
