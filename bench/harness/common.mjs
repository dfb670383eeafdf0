/**
 * What every JavaScript benchmark worker shares, on Node, Bun and Deno alike: the
 * spec it is given, the measurements it takes, and the one line it prints.
 *
 * The protocol (bench/harness/PROTOCOL.md has the whole of it): the harness starts a
 * worker with one JSON argument (the spec), the worker runs one scenario once and
 * prints `RESULT {json}` on stdout, exit code 0. On failure it prints
 * `RESULT {"error": "..."}` and exits 1. Plain JavaScript, so that KafkaJS on Node
 * loads it without a TypeScript step.
 *
 * @module
 */
// deno-lint-ignore-file explicit-module-boundary-types -- plain JavaScript, for Node: no annotations to give
import process from "node:process";
import { readFileSync } from "node:fs";
import { Buffer } from "node:buffer";

/**
 * The spec from the command line (the last argument, JSON).
 *
 * @example
 * ```js
 * const spec = readSpec(); // { scenario: "produce", size: 100, count: 1000, bootstrap: "127.0.0.1:9092", ... }
 * ```
 */
export function readSpec() {
  const raw = process.argv[process.argv.length - 1];
  const spec = JSON.parse(raw);
  for (const k of ["scenario", "size", "count", "bootstrap", "topic"]) {
    if (spec[k] === undefined) throw new Error(`spec has no "${k}"`);
  }
  return spec;
}

/**
 * A value of `size` bytes, the same bytes in every client (so compression or
 * caching cannot favour one of them).
 *
 * @example
 * ```js
 * const v = payload(100); // Uint8Array(100)
 * ```
 */
export function payload(size) {
  const v = new Uint8Array(size);
  for (let i = 0; i < size; i++) v[i] = (i * 31 + 7) & 0xff;
  return v;
}

/**
 * The value at quantile `q` of an ascending array (null for an empty one).
 *
 * @example
 * ```js
 * quantile([1, 2, 3], 0.5) === 2;
 * ```
 */
export function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

/**
 * Event-loop lag: a chain of 1 ms timers, each sample how late it fired. Returns the
 * stop function, which summarises the samples (ms).
 *
 * @example
 * ```js
 * const stop = startLag();
 * await work();
 * const { p99, max } = stop();
 * ```
 */
export function startLag() {
  const late = [];
  let running = true;
  let due = performance.now() + 1;
  let timer;
  const tick = () => {
    const now = performance.now();
    late.push(Math.max(0, now - due));
    if (!running) return;
    due = now + 1;
    timer = setTimeout(tick, 1);
  };
  timer = setTimeout(tick, 1);
  return () => {
    running = false;
    clearTimeout(timer);
    // The timer still pending is late too: without it, a phase that never let a timer
    // run (the loop blocked throughout) would report no lag at all.
    late.push(Math.max(0, performance.now() - due));
    late.sort((a, b) => a - b);
    return { p99: quantile(late, 0.99), max: late.length ? late[late.length - 1] : null, samples: late.length };
  };
}

/** CPU seconds (user + system) this process has used so far. */
function cpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The process's peak resident set (VmHWM), MiB. */
function peakRssMiB() {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Times the measured phase of a scenario: lag monitor, wall clock and CPU together.
 * Call `start()` right before the first send (or at the first message), `stop()`
 * right after the last acknowledgement (or message).
 *
 * @example
 * ```js
 * const m = measure();
 * m.start();
 * await produceAll();
 * const phase = m.stop(); // { seconds, cpuSec, lagP99Ms, lagMaxMs, lagSamples }
 * ```
 */
export function measure() {
  let t0 = 0, c0 = 0, stopLag = null;
  return {
    start() {
      t0 = performance.now();
      c0 = cpuSeconds();
      stopLag = startLag();
    },
    get started() {
      return stopLag !== null;
    },
    stop() {
      const seconds = (performance.now() - t0) / 1000;
      const cpuSec = cpuSeconds() - c0;
      const lag = stopLag ? stopLag() : { p99: null, max: null, samples: 0 };
      return { seconds, cpuSec, lagP99Ms: lag.p99, lagMaxMs: lag.max, lagSamples: lag.samples };
    },
  };
}

/**
 * Latency percentiles of samples in ms.
 *
 * @example
 * ```js
 * latencies([0.2, 0.1, 0.3]); // { p50Ms: 0.2, p99Ms: 0.3 }
 * ```
 */
export function latencies(samplesMs) {
  const s = [...samplesMs].sort((a, b) => a - b);
  return { p50Ms: quantile(s, 0.5), p99Ms: quantile(s, 0.99) };
}

/**
 * Prints the result line and ends the process (some clients keep handles open
 * after close; the harness has what it needs once the line is out).
 *
 * @example
 * ```js
 * report({ client: "kafkajs", mode: "sendBatch", msgs: 1000, ...phase });
 * ```
 */
export function report(result) {
  const out = { ...result, rssPeakMiB: peakRssMiB(), runtime: runtimeName() };
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`, () => process.exit(0));
}

/**
 * Prints an error result and exits 1.
 *
 * @example
 * ```js
 * main().catch(fail);
 * ```
 */
export function fail(err) {
  const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  process.stdout.write(`RESULT ${JSON.stringify({ error: msg, runtime: runtimeName() })}\n`, () => process.exit(1));
}

/**
 * "bun 1.4.5", "deno 2.9.6" or "node 20.20.2".
 *
 * @example
 * ```js
 * runtimeName(); // "bun 1.4.5"
 * ```
 */
export function runtimeName() {
  if (typeof globalThis.Bun !== "undefined") return `bun ${globalThis.Bun.version}`;
  if (typeof globalThis.Deno !== "undefined") return `deno ${globalThis.Deno.version.deno}`;
  return `node ${process.versions.node}`;
}

/**
 * Rejects after `ms` with a message naming what did not finish (a worker must end
 * with a result line, never hang).
 *
 * @example
 * ```js
 * await Promise.race([consumeAll(), deadline(120_000, "consume")]);
 * ```
 */
export function deadline(ms, what) {
  return new Promise((_, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: not done after ${ms} ms`)), ms);
    if (typeof t === "object" && t && "unref" in t) t.unref();
  });
}

/**
 * The latency scenario's loop, the same for every client: 100 awaited warm-up
 * calls of `one` (within `setupMs`), then `count` awaited calls timed one by one
 * (within `runMs`). Returns the measured phase with the p50 and p99 of the samples.
 *
 * @example
 * ```js
 * const r = await awaitedSamples(() => producer.send(msg), spec.count, 60_000, 300_000);
 * report({ client: "x", mode: "send", msgs: spec.count, ...r });
 * ```
 */
export async function awaitedSamples(one, count, setupMs, runMs) {
  await Promise.race([
    (async () => {
      for (let i = 0; i < 100; i++) await one();
    })(),
    deadline(setupMs, "warm-up"),
  ]);
  const samples = new Array(count);
  const m = measure();
  m.start();
  await Promise.race([
    (async () => {
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        await one();
        samples[i] = performance.now() - t0;
      }
    })(),
    deadline(runMs, "latency"),
  ]);
  return { ...m.stop(), ...latencies(samples) };
}

/** Warm-up messages carry sequence numbers from here; the measured ones are 0…count-1. */
const E2E_WARM = 0x80000000;
// One message not consumed within this fails the run at once (a broker, or the
// librdkafka mock, that lets a waiting fetch run out its wait would take hours).
const E2E_SAMPLE_MS = 3_000;

/**
 * The produce→consume scenario's loop, the same for every peer. Each message's
 * first 4 bytes (little-endian) are its sequence number; the worker's consumer
 * passes every message's number to `seen`. Warm-up messages go out until the
 * consumer sees one (within `setupMs`); then `count` messages are timed one at a
 * time, each from its send to its arrival at the consumer (within `runMs`, each
 * within 3 s).
 *
 * `run`'s options: `send(value)` (awaited), `settle()` (optional, awaited after
 * each warm-up send and each sample: node-rdkafka waits for its delivery report
 * there), `broken` (optional, a promise that rejects when the consumer fails, so
 * that the run fails at once instead of at its deadline), `spec` (the worker's:
 * its `count` and `size`), `setupMs`, `runMs`.
 *
 * @example
 * ```js
 * const e2e = e2eSamples();
 * consumer.on("data", (m) => e2e.seen(m.value.readUInt32LE(0)));
 * const timed = await e2e.run({ send: (v) => producer.send(v), spec, setupMs: 60_000, runMs: 300_000 });
 * ```
 */
export function e2eSamples() {
  let waitingFor = -1, arrived = null, warmed = false;
  return {
    seen(seq) {
      if (seq >= E2E_WARM) warmed = true;
      else if (seq === waitingFor && arrived) arrived(performance.now());
    },
    async run({ send, settle = async () => {}, broken, spec, setupMs, runMs }) {
      const { count } = spec;
      const base = payload(spec.size);
      const valueFor = (seq) => {
        const v = Buffer.from(base);
        v.writeUInt32LE(seq >>> 0, 0);
        return v;
      };
      const racing = broken ? [broken] : [];
      await Promise.race([
        ...racing,
        (async () => {
          for (let i = 0; !warmed; i++) {
            await send(valueFor(E2E_WARM + i));
            await settle();
            for (let t = 0; t < 20 && !warmed; t++) await new Promise((r) => setTimeout(r, 10));
          }
        })(),
        deadline(setupMs, "e2e warm-up (consumer never got a message)"),
      ]);
      const values = Array.from({ length: count }, (_, i) => valueFor(i)); // made before the clock runs
      const samples = new Array(count);
      const m = measure();
      m.start();
      await Promise.race([
        ...racing,
        (async () => {
          for (let i = 0; i < count; i++) {
            const got = new Promise((r) => (arrived = r));
            waitingFor = i;
            const t0 = performance.now();
            await send(values[i]);
            samples[i] = (await Promise.race([got, deadline(E2E_SAMPLE_MS, `e2e: message ${i} not consumed`)])) - t0;
            await settle();
          }
        })(),
        deadline(runMs, "e2e"),
      ]);
      return { ...m.stop(), ...latencies(samples) };
    },
  };
}
