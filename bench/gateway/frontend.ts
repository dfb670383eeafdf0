/**
 * The HTTP front end of the sidecar comparison (bench/gateway/run.ts): one server,
 * three ways to get a request's body into Kafka, so that only the Kafka path differs.
 *
 *   bun bench/gateway/frontend.ts --sink kafka-fast|proxy|kafkajs --port N \
 *     --bootstrap 127.0.0.1:9092 --topic T [--proxy http://127.0.0.1:P]
 *   deno run -A bench/gateway/frontend.ts ...        (the same flags)
 *
 * `--linger MS` sets kafka-fast's linger.ms (default 5).
 *
 * `POST /topics/:topic` with the body as the value and an optional `x-kafka-key`
 * header produces one message and answers only after the broker acknowledged it
 * (acks=all in every sink): 202 `{partition, offset}`, or 503 `{error}` with the
 * failure's name. `GET /stats` answers the event-loop lag figures, the answer counts
 * and this process's pid (the runner reads /proc/<pid> by it, whatever wrapper
 * started us); `GET /stats?reset=1` starts the figures afresh after a warm-up.
 *
 * The sinks:
 * - `kafka-fast`: this library's `Producer` in process (linger.ms 5, or `--linger`).
 * - `proxy`: `fetch` to the sidecar (bench/gateway/proxy.mjs, KafkaJS on Node) over
 *   loopback; the runtime's fetch keeps connections alive.
 * - `kafkajs`: KafkaJS in process, loaded from bench/.peers/ (bench/peers.sh).
 *
 * With `--port 0` the system picks the port; the first stdout line is
 * `{"listening": port, "pid": pid}` either way, which is what the runner waits for.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import process from "node:process";
import { Producer } from "../../src/mod.ts";
import { serveHttp } from "../../examples/gateway/serve.ts";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};

/**
 * One way into Kafka. `send` resolves at the broker's acknowledgement and rejects
 * with an error whose `name` says why (KafkaError names, KafkaJS error names).
 *
 * @example
 * ```ts
 * const sink: KafkaSink = kafkaFastSink("127.0.0.1:9092");
 * await sink.start();
 * await sink.send("events", "user-1", new TextEncoder().encode("hi"));
 * await sink.close();
 * ```
 */
export interface KafkaSink {
  name: string;
  start(): Promise<void>;
  send(topic: string, key: string | null, value: Uint8Array): Promise<{ partition: number; offset: string }>;
  close(): Promise<void>;
}

/** What the monitor has seen since the last reset, in ms. @example `lagSummary().p99` */
export interface LagFigures {
  p50: number;
  p99: number;
  max: number;
  count: number;
}

/** The lag monitor's period: short enough to see a 20 ms stall, long enough to cost nothing. */
const LAG_PERIOD_MS = 10;
let lateness: number[] = [];

/**
 * Starts the event-loop lag monitor: a chain of 10 ms timers, each sample how late
 * its timer fired. A timer is the measurement here, not a way to poll anything.
 *
 * @example
 * ```ts
 * startLagMonitor();
 * // ... later
 * console.log(lagSummary().p99);
 * ```
 */
export function startLagMonitor(): void {
  let due = performance.now() + LAG_PERIOD_MS;
  const tick = () => {
    const now = performance.now();
    lateness.push(Math.max(0, now - due));
    due = now + LAG_PERIOD_MS;
    setTimeout(tick, LAG_PERIOD_MS);
  };
  setTimeout(tick, LAG_PERIOD_MS);
}

/**
 * The lag figures since the last reset; `reset` starts a new window.
 *
 * @example
 * ```ts
 * lagSummary(true); // after the warm-up
 * const { p50, p99, max, count } = lagSummary();
 * ```
 */
export function lagSummary(reset = false): LagFigures {
  const sorted = [...lateness].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
  const out = { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0, count: sorted.length };
  if (reset) lateness = [];
  return out;
}

/**
 * The sink of `--sink kafka-fast`: one Producer, acks=all, linger.ms 5 (a few ms of
 * batching across concurrent requests, where KafkaJS sends one request per send).
 *
 * @example
 * ```ts
 * const sink = kafkaFastSink("127.0.0.1:9092");
 * const { partition, offset } = await sink.send("events", "k", new Uint8Array(200));
 * ```
 */
export function kafkaFastSink(bootstrap: string, lingerMs = 5): KafkaSink {
  const producer = new Producer({ "bootstrap.servers": bootstrap, "linger.ms": lingerMs, "acks": "all" });
  producer.on("error", (e) => console.error(`kafka-fast: ${e.name}: ${e.message}`));
  return {
    name: "kafka-fast",
    start: () => Promise.resolve(),
    async send(topic, key, value) {
      const r = await producer.send({ topic, key: key ?? null, value });
      return { partition: r.partition, offset: String(r.offset) };
    },
    close: () => producer.close({ timeoutMs: 5_000 }),
  };
}

/**
 * The sink of `--sink proxy`: one HTTP request to the sidecar per message. A 202
 * from it means the sidecar's KafkaJS producer had the broker's ack.
 *
 * @example
 * ```ts
 * const sink = proxySink("http://127.0.0.1:8091");
 * await sink.send("events", null, new Uint8Array(200));
 * ```
 */
export function proxySink(base: string): KafkaSink {
  return {
    name: "proxy",
    start: () => Promise.resolve(),
    async send(topic, key, value) {
      const headers: Record<string, string> = { "content-type": "application/octet-stream" };
      if (key !== null) headers["x-kafka-key"] = key;
      const res = await fetch(`${base}/produce/${encodeURIComponent(topic)}`, {
        method: "POST",
        headers,
        body: value as Uint8Array<ArrayBuffer>, // always one from req.arrayBuffer()
      });
      const body = await res.json() as { partition?: number; offset?: string; error?: string };
      if (res.status !== 202) throw Object.assign(new Error(body.error ?? `proxy ${res.status}`), { name: body.error });
      return { partition: body.partition ?? -1, offset: body.offset ?? "" };
    },
    close: () => Promise.resolve(),
  };
}

/** The little of KafkaJS 2.2.4's API used here (its own types would need the package at check time). */
interface KafkaJsProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(r: {
    topic: string;
    acks: number;
    messages: { key: string | null; value: Uint8Array }[];
  }): Promise<{ partition: number; baseOffset?: string; offset?: string }[]>;
}

/**
 * The sink of `--sink kafkajs`: KafkaJS in this process, acks -1 (all), its Java-
 * compatible default partitioner, no compression: the settings of the proxy too.
 * KafkaJS has no linger: each `send` is its own Produce request.
 *
 * @throws {Error} when bench/.peers/ has no KafkaJS (run `bash bench/peers.sh`).
 * @example
 * ```ts
 * const sink = kafkajsSink("127.0.0.1:9092");
 * await sink.start(); // connects
 * ```
 */
export function kafkajsSink(bootstrap: string): KafkaSink {
  const require = createRequire(new URL("../.peers/package.json", import.meta.url));
  let kafkajs;
  try {
    kafkajs = require("kafkajs");
  } catch (e) {
    throw new Error(`KafkaJS not found in bench/.peers (run bash bench/peers.sh): ${e}`);
  }
  const { Kafka, logLevel, Partitioners } = kafkajs;
  const kafka = new Kafka({
    clientId: `gateway-${process.pid}`,
    brokers: bootstrap.split(","),
    logLevel: logLevel.ERROR,
  });
  const producer: KafkaJsProducer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  return {
    name: "kafkajs",
    start: () => producer.connect(),
    async send(topic, key, value) {
      // KafkaJS wants a Buffer; a view over the same bytes costs no copy.
      const buf = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      const [r] = await producer.send({ topic, acks: -1, messages: [{ key, value: buf }] });
      return { partition: r.partition, offset: String(r.baseOffset ?? r.offset ?? "") };
    },
    close: () => producer.disconnect(),
  };
}

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/**
 * Builds the request handler around a sink: the same code under `Bun.serve` and
 * `Deno.serve`, since both take a web `Request` and want a `Response`.
 *
 * @example
 * ```ts
 * const handle = handler(kafkaFastSink("127.0.0.1:9092"));
 * const res = await handle(new Request("http://x/topics/t", { method: "POST", body: "hi" }));
 * ```
 */
export function handler(sink: KafkaSink): (req: Request) => Promise<Response> {
  const counts = { accepted: 0, failed: 0 };
  return async (req) => {
    const url = new URL(req.url);
    if (req.method === "POST" && url.pathname.startsWith("/topics/")) {
      const topic = decodeURIComponent(url.pathname.slice("/topics/".length));
      if (topic === "" || topic.includes("/")) return json(404, { error: "NO_SUCH_ROUTE" });
      const value = new Uint8Array(await req.arrayBuffer());
      try {
        const r = await sink.send(topic, req.headers.get("x-kafka-key"), value);
        counts.accepted++;
        return json(202, r);
      } catch (e) {
        counts.failed++;
        return json(503, { error: (e as Error)?.name ?? "Error" });
      }
    }
    if (req.method === "GET" && url.pathname === "/stats") {
      const reset = url.searchParams.get("reset") === "1";
      const out = { pid: process.pid, sink: sink.name, ...counts, lag: lagSummary(reset) };
      if (reset) counts.accepted = counts.failed = 0;
      return json(200, out);
    }
    return json(404, { error: "NO_SUCH_ROUTE" });
  };
}

async function main(): Promise<void> {
  const kind = opt("sink", "kafka-fast");
  const bootstrap = opt("bootstrap", process.env.KAFKA_BOOTSTRAP ?? "127.0.0.1:9092");
  const sink = kind === "kafka-fast"
    ? kafkaFastSink(bootstrap, Number(opt("linger", "5")))
    : kind === "proxy"
    ? proxySink(opt("proxy", "http://127.0.0.1:8091"))
    : kind === "kafkajs"
    ? kafkajsSink(bootstrap)
    : undefined;
  if (!sink) throw new Error(`--sink must be kafka-fast, proxy or kafkajs, got ${kind}`);
  await sink.start();
  startLagMonitor();
  // The gateway example's server shim, so this front end serves exactly as it does.
  const server = serveHttp({ port: Number(opt("port", "0")), hostname: "127.0.0.1", fetch: handler(sink) });
  console.log(JSON.stringify({ listening: server.port, pid: process.pid, sink: sink.name, topic: opt("topic", "") }));

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log(JSON.stringify({ exit: true, lag: lagSummary() }));
    await server.stop();
    await sink.close().catch((e) => console.error(`close: ${e}`));
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

if (import.meta.main) {
  main().catch((e) => {
    console.error(`frontend: ${e?.stack ?? e}`);
    process.exit(1);
  });
}
