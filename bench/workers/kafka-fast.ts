/**
 * The kafka-fast benchmark worker (Bun and Deno): one scenario of
 * bench/harness/PROTOCOL.md, one `RESULT` line.
 *
 *   bun bench/workers/kafka-fast.ts '{"scenario":"produce","size":100,"count":100000,"bootstrap":"127.0.0.1:9092","topic":"t","partitions":8}'
 *   deno run -A bench/workers/kafka-fast.ts '…'
 *
 * Produce uses `sendMulti` (one FFI crossing per batch, 4 batches in flight);
 * consume uses `readBatch` in a plain loop, values copied (the default
 * `copyThreshold` keeps values up to 16 KiB copied). `spec.mode` picks the other
 * APIs: `send` (many concurrent sends) for produce, `read` for consume.
 *
 * @module
 */
import { Consumer, librdkafkaVersion, type Message, Producer, type ProducerMessage } from "../../src/mod.ts";
import { readFileSync } from "node:fs";
import { awaitedSamples, deadline, fail, latencies, measure, payload, readSpec, report } from "../harness/common.mjs";

interface Spec {
  scenario: "produce" | "consume" | "latency" | "e2e" | "soak";
  size: number;
  count: number;
  bootstrap: string;
  topic: string;
  partitions: number;
  group?: string;
  mode?: string;
}

const spec = readSpec() as Spec;
const base = { "bootstrap.servers": spec.bootstrap, "message.max.bytes": 4 * 1024 * 1024 };
const version = `0.1.0 (librdkafka ${librdkafkaVersion()})`;

/** Batches of at most 10 000 messages and 8 MiB of values: bounded memory and bounded synchronous work per call. */
const batchOf = (size: number) => Math.max(1, Math.min(10_000, Math.floor((8 << 20) / Math.max(1, size))));

async function produceMulti(p: Producer, n: number, value: Uint8Array): Promise<number> {
  const batch = batchOf(spec.size);
  const msg: ProducerMessage = { topic: spec.topic, value };
  const inflight: Promise<void>[] = [];
  let failed = 0;
  for (let sent = 0; sent < n;) {
    const k = Math.min(batch, n - sent);
    sent += k;
    inflight.push(
      p.sendMulti(new Array<ProducerMessage>(k).fill(msg)).then((rs) => {
        for (const r of rs) if (r.status === "rejected") failed++;
      }),
    );
    if (inflight.length >= 4) await inflight.shift();
  }
  await Promise.all(inflight);
  return failed;
}

async function produceSend(p: Producer, n: number, value: Uint8Array): Promise<number> {
  const msg: ProducerMessage = { topic: spec.topic, value };
  const window = 20_000;
  let failed = 0, sent = 0, settled = 0;
  await new Promise<void>((resolve) => {
    const done = () => {
      if (++settled === n) resolve();
      else if (sent < n && sent - settled < window / 2) issue();
    };
    const issue = () => {
      const stop = Math.min(n, settled + window);
      // 1 000 sends per macrotask at most, so the benchmark's own loop does not dominate the lag figures.
      for (let i = 0; sent < stop && i < 1_000; i++, sent++) p.send(msg).then(done, () => (failed++, done()));
      if (sent < stop) setTimeout(issue, 0);
    };
    issue();
  });
  return failed;
}

async function produce() {
  await using p = new Producer({ ...base, "linger.ms": 5 });
  const value = payload(spec.size);
  const send = spec.mode === "send" ? produceSend : produceMulti;
  await send(p, Math.max(1, Math.min(1000, Math.floor(spec.count / 10))), value);
  const m = measure();
  m.start();
  const failed = await send(p, spec.count, value);
  const phase = m.stop();
  if (failed) throw new Error(`${failed} of ${spec.count} messages failed`);
  return { mode: spec.mode === "send" ? "send" : "sendMulti", msgs: spec.count, ...phase };
}

/** Resident set now (VmRSS), MiB. */
function rssMiB(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * Not a PROTOCOL.md scenario of every client: `count` messages through `sendMulti`
 * in ten slices, RSS after each, to show it stays flat over a long run.
 */
async function soak() {
  await using p = new Producer({ ...base, "linger.ms": 5 });
  const value = payload(spec.size);
  const rss: number[] = [];
  const m = measure();
  m.start();
  let failed = 0;
  for (let slice = 0; slice < 10; slice++) {
    failed += await produceMulti(p, Math.floor(spec.count / 10), value);
    rss.push(Math.round(rssMiB()));
  }
  const phase = m.stop();
  if (failed) throw new Error(`${failed} of ${spec.count} messages failed`);
  return { mode: "sendMulti", msgs: Math.floor(spec.count / 10) * 10, ...phase, rssSamplesMiB: rss };
}

async function consume() {
  await using c = new Consumer({
    ...base,
    "group.id": spec.group!,
    "auto.offset.reset": "earliest",
  }, { topics: [spec.topic] });
  const m = measure();
  let msgs = 0, bytes = 0;
  const read = spec.mode === "read"
    ? async (): Promise<Message[]> => {
      const one = await c.read({ timeoutMs: 1000 });
      return one ? [one] : [];
    }
    : () => c.readBatch({ maxMessages: 1000, timeoutMs: 1000 });
  const loop = async () => {
    while (msgs < spec.count) {
      const ms = await read();
      if (ms.length && !m.started) m.start();
      for (const msg of ms) {
        bytes += msg.value?.length ?? 0;
        msg.release();
      }
      msgs += ms.length;
    }
  };
  await Promise.race([loop(), deadline(120_000, `consume of ${spec.count} (got ${msgs})`)]);
  const phase = m.stop();
  if (msgs !== spec.count || bytes !== spec.count * spec.size) {
    throw new Error(`read ${msgs} messages, ${bytes} bytes; expected ${spec.count}, ${spec.count * spec.size}`);
  }
  return { mode: spec.mode === "read" ? "read" : "readBatch", msgs, ...phase };
}

async function latency() {
  await using p = new Producer({ ...base, "linger.ms": 0 });
  const msg: ProducerMessage = { topic: spec.topic, value: payload(spec.size) };
  const timed = await awaitedSamples(() => p.send(msg), spec.count, 60_000, 300_000);
  return { mode: "await send", msgs: spec.count, ...timed };
}

async function e2e() {
  await using p = new Producer({ ...base, "linger.ms": 0 });
  await using c = new Consumer({ ...base, "group.id": spec.group!, "auto.offset.reset": "latest" }, {
    topics: [spec.topic],
  });
  const value = payload(Math.max(4, spec.size));
  const view = new DataView(value.buffer);
  const seqOf = (msg: Message) =>
    msg.value && msg.value.length >= 4 ? new DataView(msg.value.buffer, msg.value.byteOffset).getUint32(0, true) : -1;
  // Warm-up: until one message comes back the consumer is not assigned and fetching yet.
  view.setUint32(0, 0xffffffff, true);
  const warm = async () => {
    for (;;) {
      await p.send({ topic: spec.topic, value });
      const got = await c.read({ timeoutMs: 100 });
      if (got) return got.release();
    }
  };
  await Promise.race([warm(), deadline(60_000, "e2e warm-up")]);
  const samples: number[] = new Array(spec.count);
  const m = measure();
  m.start();
  const loop = async () => {
    for (let i = 0; i < spec.count; i++) {
      view.setUint32(0, i, true);
      const t0 = performance.now();
      p.send({ topic: spec.topic, value }).catch(() => {});
      for (;;) {
        const got = await c.read({ timeoutMs: 1000 });
        if (!got) continue;
        const seq = seqOf(got);
        got.release();
        if (seq === i) break;
      }
      samples[i] = performance.now() - t0;
    }
  };
  await Promise.race([loop(), deadline(120_000, "e2e")]);
  return { mode: "send + read", msgs: spec.count, ...m.stop(), ...latencies(samples) };
}

try {
  const run = { produce, consume, latency, e2e, soak }[spec.scenario];
  if (!run) throw new Error(`unknown scenario ${spec.scenario}`);
  report({ client: "kafka-fast", version, ...(await run()) });
} catch (e) {
  fail(e);
}
