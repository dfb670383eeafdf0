/**
 * Producer benchmark: throughput of `send` (concurrent) and `sendMulti`, awaited
 * single-send latency, and the event-loop lag the library adds, for values of
 * 100 B, 1 KiB and 10 KiB. See bench/README.md for what each figure means.
 *
 *   bun bench/produce.ts [--reps 3] [--smoke] [--sizes 100,1024,10240]
 *   deno run -A bench/produce.ts [same flags]
 *
 * Runs against an in-process MockCluster unless KAFKA_BOOTSTRAP is set.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { librdkafkaVersion, MockCluster, Producer, type ProducerMessage } from "../src/mod.ts";
import { median, quantile, startLagMonitor } from "./lag.ts";

// --- arguments and environment (runtime-neutral: Bun and Deno 2 both have `process`) ---
const proc = (globalThis as { process?: { argv: string[]; env: Record<string, string | undefined> } }).process;
const argv = proc?.argv.slice(2) ?? [];
const flag = (name: string) => argv.includes(name);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const SMOKE = flag("--smoke");
const REPS = Number(opt("--reps", SMOKE ? "1" : "3"));
const SIZES = opt("--sizes", "100,1024,10240").split(",").map(Number);
const PARTITIONS = 8;
/** Messages per throughput run (other sizes: about 300 MB of values, 1 000 to 1 M messages). */
const COUNTS: Record<number, number> = SMOKE
  ? { 100: 2_000, 1024: 2_000, 10240: 200 }
  : { 100: 1e6, 1024: 3e5, 10240: 5e4 };
const countFor = (size: number) =>
  COUNTS[size] ?? Math.max(1_000, Math.min(SMOKE ? 2_000 : 1e6, Math.floor(3e8 / size)));
const LATENCY_SAMPLES = SMOKE ? 50 : 2_000;
const LATENCY_WARMUP = SMOKE ? 10 : 200;
/** Outstanding `send`s: 20 000, or fewer so they hold at most 80 MiB of values (8 192 of 10 KiB). */
const windowFor = (size: number) => Math.max(1_000, Math.min(20_000, Math.floor(80 * 2 ** 20 / size)));
/** `sendMulti` batch: 10 000 messages, or fewer so one batch holds at most 10 MiB (1 024 of 10 KiB). */
const batchFor = (size: number) => Math.max(100, Math.min(10_000, Math.floor(10 * 2 ** 20 / size)));
const BATCHES_IN_FLIGHT = 4;
const SEND_CHUNK = 1_000; // `send`s issued per macrotask, so the bench's own loop never stalls for long

// --- small statistics helpers ------------------------------------------------------
const nextMacrotask = () => new Promise<void>((r) => setImmediate(r));

// --- the scenarios -------------------------------------------------------------------
/** `count` concurrent sends, at most `window` outstanding, SEND_CHUNK per macrotask. Returns failures. */
async function runSend(p: Producer, msg: ProducerMessage, count: number, window: number): Promise<number> {
  let inflight = 0, failed = 0, low = window - SEND_CHUNK;
  let wake: (() => void) | undefined;
  const settled = () => {
    if (--inflight <= low && wake) {
      const w = wake;
      wake = undefined;
      w();
    }
  };
  const onError = () => (failed++, settled());
  for (let i = 0; i < count;) {
    if (inflight > low) await new Promise<void>((r) => (wake = r));
    else await nextMacrotask();
    for (const end = Math.min(count, i + SEND_CHUNK); i < end; i++) {
      inflight++;
      p.send(msg).then(settled, onError);
    }
  }
  low = 0;
  if (inflight > 0) await new Promise<void>((r) => (wake = r));
  return failed;
}

/** `count` messages in `sendMulti` batches of `batch`, BATCHES_IN_FLIGHT outstanding. Returns failures. */
async function runSendMulti(p: Producer, msg: ProducerMessage, count: number, batch: number): Promise<number> {
  const full = new Array<ProducerMessage>(batch).fill(msg); // the library copies the values
  let failed = 0;
  const inflight = new Set<Promise<void>>();
  for (let sent = 0; sent < count; sent += batch) {
    const msgs = count - sent >= batch ? full : full.slice(0, count - sent);
    const done: Promise<void> = p.sendMulti(msgs).then((rs) => {
      for (const r of rs) if (r.status === "rejected") failed++;
      inflight.delete(done);
    });
    inflight.add(done);
    if (inflight.size >= BATCHES_IN_FLIGHT) await Promise.race(inflight);
    else await nextMacrotask();
  }
  await Promise.all(inflight);
  return failed;
}

interface Throughput {
  rate: number;
  lagP99: number;
  lagMax: number;
}

async function throughput(
  mode: "send" | "sendMulti",
  p: Producer,
  msg: ProducerMessage,
  count: number,
  size: number,
): Promise<Throughput> {
  const stop = startLagMonitor();
  const t0 = performance.now();
  const failed = mode === "send"
    ? await runSend(p, msg, count, windowFor(size))
    : await runSendMulti(p, msg, count, batchFor(size));
  const ms = performance.now() - t0;
  const lag = stop();
  if (failed > 0) throw new Error(`${mode} ${size} B: ${failed} of ${count} messages failed`);
  await new Promise((r) => setTimeout(r, 20)); // let the lag monitor's last timer go
  return { rate: count / (ms / 1000), lagP99: lag.p99, lagMax: lag.max };
}

/** Sequential awaited sends with linger.ms=0: the per-send round trip. Returns [p50, p99] in ms. */
async function latency(p: Producer, msg: ProducerMessage): Promise<[number, number]> {
  for (let i = 0; i < LATENCY_WARMUP; i++) await p.send(msg);
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const t0 = performance.now();
    await p.send(msg);
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return [quantile(samples, 0.5), quantile(samples, 0.99)];
}

// --- main ---------------------------------------------------------------------------------
const g = globalThis as unknown as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
const runtime = g.Bun ? `Bun ${g.Bun.version}` : `Deno ${g.Deno?.version.deno}`;
const external = proc?.env.KAFKA_BOOTSTRAP;
const cluster = external ? undefined : await MockCluster.create();
const bootstrap = external ?? cluster!.bootstrapServers;

console.log(`# kafka-fast produce benchmark${SMOKE ? " (smoke)" : ""}`);
console.log(`runtime: ${runtime}; librdkafka ${librdkafkaVersion()}; ${REPS} rep(s), medians shown`);
console.log(
  `cluster: ${
    external ? `external ${bootstrap}` : "MockCluster (in-process, TCP)"
  }; ${PARTITIONS} partitions per topic`,
);

// Limits sized for the largest value: one message and one request each fit with room to spare.
const config = {
  "bootstrap.servers": bootstrap,
  "message.max.bytes": 4 * 1024 * 1024,
  "batch.size": 1024 * 1024,
};

const idle = startLagMonitor();
await new Promise((r) => setTimeout(r, SMOKE ? 100 : 500));
const baseline = idle();
console.log(
  `idle event-loop lag (timer resolution): p99 ${baseline.p99.toFixed(2)} ms, max ${baseline.max.toFixed(2)} ms\n`,
);

interface Row {
  size: number;
  count: number;
  send: Throughput;
  multi: Throughput;
  lat: [number, number];
}
const rows: Row[] = [];
const pick = (xs: Throughput[]): Throughput => ({
  rate: median(xs.map((x) => x.rate)),
  lagP99: median(xs.map((x) => x.lagP99)),
  lagMax: median(xs.map((x) => x.lagMax)),
});

for (const size of SIZES) {
  const topic = `bench-${size}`;
  if (cluster) await cluster.createTopic(topic, { partitions: PARTITIONS });
  const msg: ProducerMessage = { topic, value: new Uint8Array(size).fill(0x61) };
  const count = countFor(size);

  const producer = new Producer(config);
  await producer.send(msg); // connect, fetch metadata
  // Warm-up (JIT, buffers), not measured.
  await throughput("send", producer, msg, Math.ceil(count / 10), size);
  await throughput("sendMulti", producer, msg, Math.ceil(count / 10), size);
  const sends: Throughput[] = [], multis: Throughput[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    sends.push(await throughput("send", producer, msg, count, size));
    multis.push(await throughput("sendMulti", producer, msg, count, size));
  }
  await producer.close();

  const lp = new Producer({ ...config, "linger.ms": 0 });
  const lat = await latency(lp, msg);
  await lp.close();

  rows.push({ size, count, send: pick(sends), multi: pick(multis), lat });
  console.error(`  done ${size} B (${count} msgs x ${REPS} reps per mode)`);
}
await cluster?.close();

// --- the table ----------------------------------------------------------------------------
const sizeName = (s: number) => s >= 1024 && s % 1024 === 0 ? `${s / 1024} KiB` : `${s} B`;
const fmtRate = (r: number) => Math.round(r).toLocaleString("en-US");
const header = ["value", "mode", "msgs/run", "msg/s", "MB/s", "lag p99 ms", "lag max ms"];
const table: string[][] = [];
for (const r of rows) {
  for (const [mode, t] of [["send", r.send], ["sendMulti", r.multi]] as const) {
    table.push([
      sizeName(r.size),
      mode,
      fmtRate(r.count),
      fmtRate(t.rate),
      (t.rate * r.size / 1e6).toFixed(1),
      t.lagP99.toFixed(1),
      t.lagMax.toFixed(1),
    ]);
  }
}
printTable(header, table, 2);
console.log("");
printTable(
  ["value", "awaited send p50 ms", "p99 ms", "(linger.ms=0, sequential)"],
  rows.map((r) => [sizeName(r.size), r.lat[0].toFixed(3), r.lat[1].toFixed(3), `${LATENCY_SAMPLES} samples`]),
  1,
);

/** Prints a Markdown table; the first `left` columns are left-aligned, the rest right-aligned. */
function printTable(head: string[], body: string[][], left: number): void {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    "| " + cells.map((c, i) => i < left ? c.padEnd(w[i]) : c.padStart(w[i])).join(" | ") + " |";
  console.log(line(head));
  console.log("|" + w.map((n, i) => "-".repeat(n + 1) + (i < left ? "-" : ":")).join("|") + "|");
  for (const row of body) console.log(line(row));
}
