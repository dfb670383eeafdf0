/**
 * Soak: a long stream through one producer (`sendMulti` batches) and one consumer
 * (`readBatch`) at the same time, on an in-process MockCluster, checking that every
 * message arrived exactly once, with RSS sampled at every tenth of the stream.
 *
 *   bun bench/soak/stream.ts [--messages 10000000] [--smoke]
 *   deno run -A --v8-flags=--expose-gc bench/soak/stream.ts [same flags]
 *
 * Flags: `--messages N` (default 10 M; `--smoke` 100 000, for CI); `--size` bytes
 * per value (100); `--partitions` (16; smoke 8); `--batch` messages per
 * `sendMulti` (10 000) and `--inflight` batches at once (4); `--read-batch` most
 * messages per `readBatch` (10 000); `--window` most messages produced but not yet
 * consumed (20 000 per partition); `--gc` a forced GC before each sample (off:
 * the figures are what a running application holds).
 *
 * The mock keeps only about 100 000 messages or 5 MiB per partition and silently
 * drops older ones, so the producer never runs more than `--window` messages ahead
 * of the consumer (3 MiB a partition at most with the defaults): a message the
 * mock dropped would show up as a gap, not as a slow run. The mock runs in this
 * process, so the log it keeps (up to about 5 MiB a partition, full after the
 * first 40 000 or so messages of each) is part of the RSS: hence few partitions.
 *
 * Exactly once: each value carries its sequence number, and message `seq` goes to
 * partition `seq % partitions`. The consumer checks, per message, the partition,
 * the value's length and last byte, and that the sequence number was not seen
 * before; per partition, that offsets run 0, 1, 2, … without a gap or a repeat.
 * At the end every sequence number must have been seen, and each partition's
 * count and next offset must equal its delivery reports. Any failure (or a
 * client left open, or a background call still running) exits 1.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import process from "node:process";
import {
  Consumer,
  librdkafkaVersion,
  type Message,
  MockCluster,
  Producer,
  type ProducerMessage,
} from "../../src/mod.ts";
import {
  flag,
  forceGc,
  intOption,
  leftovers,
  mib,
  printTable,
  RUNTIME,
  type Sample,
  sample,
  thousands,
} from "./common.ts";

const SMOKE = flag("--smoke");
const MESSAGES = intOption("--messages", SMOKE ? 100_000 : 10_000_000);
const SIZE = intOption("--size", 100);
const PARTITIONS = intOption("--partitions", SMOKE ? 8 : 16);
const BATCH = intOption("--batch", 10_000);
const INFLIGHT = intOption("--inflight", 4);
const READ_BATCH = intOption("--read-batch", 10_000);
const WINDOW = intOption("--window", PARTITIONS * 20_000);
const GC = flag("--gc");
/** No message for this long ends the run with an error: a stall, not a slow run. */
const STALL_MS = 30_000;
const TOPIC = "soak-stream";

if (SIZE < 9) throw new TypeError("--size must be at least 9 (8 bytes of sequence number and a check byte)");
if (MESSAGES < 1 || PARTITIONS < 1 || BATCH < 1 || INFLIGHT < 1 || READ_BATCH < 1 || WINDOW < 1) {
  throw new TypeError("--messages, --partitions, --batch, --inflight, --read-batch and --window must be >= 1");
}
// The mock drops a partition's oldest messages past about 100 000 or 5 MiB (record overhead included).
if (WINDOW / PARTITIONS > 80_000 || (WINDOW / PARTITIONS) * (SIZE + 80) > 4 * 2 ** 20) {
  throw new TypeError(
    `--window ${WINDOW} over ${PARTITIONS} partitions could exceed what the mock keeps per partition`,
  );
}

/** The value's last byte: a function of its sequence number, so a value moved or mixed up shows. */
const checkByte = (seq: number) => (seq * 7 + 3) & 0xff;

/** A batch of messages `from` … `from + n - 1`, all values in one buffer (freed with the batch). */
function makeBatch(from: number, n: number): ProducerMessage[] {
  const buf = new Uint8Array(n * SIZE).fill(0x61);
  const out: ProducerMessage[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const seq = from + i;
    const v = buf.subarray(i * SIZE, (i + 1) * SIZE);
    const lo = seq >>> 0, hi = Math.floor(seq / 2 ** 32);
    v[0] = lo & 0xff, v[1] = (lo >>> 8) & 0xff, v[2] = (lo >>> 16) & 0xff, v[3] = lo >>> 24;
    v[4] = hi & 0xff, v[5] = (hi >>> 8) & 0xff, v[6] = (hi >>> 16) & 0xff, v[7] = hi >>> 24;
    v[SIZE - 1] = checkByte(seq);
    out[i] = { topic: TOPIC, partition: seq % PARTITIONS, value: v };
  }
  return out;
}

const seqOf = (v: Uint8Array) =>
  ((v[0] | (v[1] << 8) | (v[2] << 16) | (v[3] << 24)) >>> 0) +
  ((v[4] | (v[5] << 8) | (v[6] << 16) | (v[7] << 24)) >>> 0) * 2 ** 32;

/** What the consumer found wrong; the first few of each kind are kept as examples. */
class Faults {
  counts = new Map<string, number>();
  examples: string[] = [];
  add(kind: string, detail: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    if ((this.counts.get(kind) ?? 0) <= 3) this.examples.push(`${kind}: ${detail}`);
  }
  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }
}

interface Row extends Sample {
  consumed: number;
  produced: number;
  ms: number;
}

// --- the run ---------------------------------------------------------------------

console.log(`# kafka-fast soak: a stream through one producer and one consumer${SMOKE ? " (smoke)" : ""}`);
console.log(
  `${RUNTIME}; librdkafka ${librdkafkaVersion()}; ${thousands(MESSAGES)} messages of ${SIZE} B over ` +
    `${PARTITIONS} partitions; sendMulti ${thousands(BATCH)} x ${INFLIGHT} in flight; readBatch up to ` +
    `${thousands(READ_BATCH)}; window ${thousands(WINDOW)}${GC ? "; forced GC before each sample" : ""}`,
);

const cluster = await MockCluster.create();
await cluster.createTopic(TOPIC, { partitions: PARTITIONS });
const bootstrap = cluster.bootstrapServers;
const producer = new Producer({ "bootstrap.servers": bootstrap });
const consumer = new Consumer({ "bootstrap.servers": bootstrap }, {
  assignment: Array.from({ length: PARTITIONS }, (_, p) => ({ topic: TOPIC, partition: p, offset: 0n })),
});

const delivered = new Float64Array(PARTITIONS);
const consumedPer = new Float64Array(PARTITIONS);
const nextOffset = new Float64Array(PARTITIONS);
const seen = new Uint8Array(Math.ceil(MESSAGES / 8));
const faults = new Faults();
let produced = 0, reported = 0, consumed = 0, failedSends = 0;
let firstSendFailure = "";
const stop = new AbortController();

// The producer waits here for the consumer to make room in the window (or to fail).
let waiter: { resolve(): void; reject(e: unknown): void } | undefined;
stop.signal.addEventListener("abort", () => waiter?.reject(stop.signal.reason), { once: true });
const progress = () =>
  new Promise<void>((resolve, reject) => {
    if (stop.signal.aborted) reject(stop.signal.reason);
    else waiter = { resolve, reject };
  });

async function produce(): Promise<number> {
  const inflight = new Set<Promise<void>>();
  while (produced < MESSAGES) {
    if (inflight.size >= INFLIGHT) {
      await Promise.race(inflight);
      continue;
    }
    const room = WINDOW - (produced - consumed);
    if (room <= 0) {
      await progress();
      continue;
    }
    const n = Math.min(BATCH, MESSAGES - produced, room);
    const done: Promise<void> = producer.sendMulti(makeBatch(produced, n)).then((results) => {
      for (const r of results) {
        if (r.status === "fulfilled") delivered[r.value.partition]++;
        else if (failedSends++ === 0) firstSendFailure = `${r.reason.name}: ${r.reason.message}`;
      }
      reported += results.length;
      inflight.delete(done);
    });
    inflight.add(done);
    produced += n;
  }
  await Promise.all(inflight);
  return performance.now();
}

function check(m: Message): void {
  const p = m.partition, off = Number(m.offset), v = m.value;
  if (off !== nextOffset[p]) {
    faults.add(
      off > nextOffset[p] ? "offset gap" : "offset repeated",
      `partition ${p}: ${off}, expected ${nextOffset[p]}`,
    );
  }
  nextOffset[p] = off + 1;
  consumedPer[p]++;
  if (v === null || v.length !== SIZE) {
    return faults.add("bad value", `partition ${p} offset ${off}: length ${v?.length}`);
  }
  const seq = seqOf(v);
  if (seq >= MESSAGES) return faults.add("bad value", `partition ${p} offset ${off}: sequence number ${seq}`);
  if (v[SIZE - 1] !== checkByte(seq)) faults.add("bad value", `seq ${seq}: check byte ${v[SIZE - 1]}`);
  if (seq % PARTITIONS !== p) faults.add("wrong partition", `seq ${seq} on partition ${p}`);
  const bit = 1 << (seq & 7);
  if (seen[seq >>> 3] & bit) faults.add("duplicate", `seq ${seq} (partition ${p} offset ${off})`);
  seen[seq >>> 3] |= bit;
}

const rows: Row[] = [];
const t0 = performance.now();
function record(): void {
  if (GC) forceGc();
  const row: Row = { ...sample(), consumed, produced, ms: performance.now() - t0 };
  const prev = rows[rows.length - 1];
  rows.push(row);
  const rate = prev ? (row.consumed - prev.consumed) / ((row.ms - prev.ms) / 1000) : 0;
  console.log(
    `  ${thousands(consumed).padStart(12)} consumed, RSS ${mib(row.rss)} MiB, heap ${mib(row.heap)} MiB, ` +
      `${(row.ms / 1000).toFixed(1)} s${prev ? `, ${thousands(rate)} msg/s this tenth` : ""}`,
  );
}

async function consume(): Promise<number> {
  let mark = 1;
  let lastAt = performance.now();
  while (consumed < MESSAGES) {
    const batch = await consumer.readBatch({ maxMessages: READ_BATCH, timeoutMs: 1_000 });
    if (batch.length === 0) {
      if (performance.now() - lastAt > STALL_MS) {
        throw new Error(`no message for ${STALL_MS / 1000} s after ${thousands(consumed)} (produced ${produced})`);
      }
      continue;
    }
    lastAt = performance.now();
    for (const m of batch) check(m);
    consumed += batch.length;
    waiter?.resolve();
    waiter = undefined;
    while (mark <= 10 && consumed >= Math.round((mark * MESSAGES) / 10)) {
      record();
      mark++;
    }
  }
  return performance.now();
}

record();
let producedAt = 0, consumedAt = 0, error: unknown;
try {
  [producedAt, consumedAt] = await Promise.all([
    produce(),
    consume().catch((e) => {
      stop.abort(e);
      throw e;
    }),
  ]);
} catch (e) {
  error = e;
}
const wallMs = performance.now() - t0;
await consumer.close();
await producer.close();
await cluster.close();

// --- the verdict -------------------------------------------------------------------

let missing = 0;
for (let s = 0; s < MESSAGES; s++) if (!(seen[s >>> 3] & (1 << (s & 7)))) missing++;
const problems: string[] = [];
if (error) problems.push(`the run stopped: ${error instanceof Error ? error.message : String(error)}`);
if (failedSends > 0) problems.push(`${thousands(failedSends)} sends failed, the first: ${firstSendFailure}`);
if (missing > 0) problems.push(`${thousands(missing)} messages never arrived`);
for (let p = 0; p < PARTITIONS; p++) {
  if (consumedPer[p] !== delivered[p] || nextOffset[p] !== delivered[p]) {
    problems.push(
      `partition ${p}: ${delivered[p]} delivered, ${consumedPer[p]} consumed, next offset ${nextOffset[p]}`,
    );
  }
}
for (const [kind, n] of faults.counts) problems.push(`${thousands(n)} × ${kind}`);
problems.push(...faults.examples.map((e) => `  e.g. ${e}`));
problems.push(...leftovers());

console.log("");
printTable(
  ["consumed", "produced", "RSS MiB", "heap MiB", "fds", "threads", "elapsed s", "msg/s this tenth"],
  rows.map((r, i) => [
    thousands(r.consumed),
    thousands(r.produced),
    mib(r.rss),
    mib(r.heap),
    String(r.fds),
    String(r.threads),
    (r.ms / 1000).toFixed(1),
    i === 0 ? "" : thousands((r.consumed - rows[i - 1].consumed) / ((r.ms - rows[i - 1].ms) / 1000)),
  ]),
  0,
);
const secs = (ms: number) => ms / 1000;
console.log(
  `\nproduce (all ${thousands(reported)} delivery reports in): ${thousands(MESSAGES / secs(producedAt - t0))} msg/s; ` +
    `consume (last message read): ${thousands(MESSAGES / secs(consumedAt - t0))} msg/s; wall time ` +
    `${secs(wallMs).toFixed(1)} s (${secs(performance.now() - t0).toFixed(1)} s with the closes)`,
);
const first = rows[0], last = rows[rows.length - 1];
console.log(`RSS ${mib(first.rss)} -> ${mib(last.rss)} MiB; heap ${mib(first.heap)} -> ${mib(last.heap)} MiB`);
if (problems.length === 0) {
  console.log(
    `exactly once: OK (${thousands(MESSAGES)} messages, each seen once; ${PARTITIONS} partitions, ` +
      `offsets contiguous from 0 and equal to the delivery reports)`,
  );
} else {
  console.log(`exactly once: FAILED\n- ${problems.join("\n- ")}`);
}
process.exit(problems.length === 0 ? 0 : 1);
