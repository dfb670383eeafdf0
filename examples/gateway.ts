// deno-lint-ignore-file no-console -- an example prints what it does
/**
 * An ingestion gateway: HTTP in, Kafka out, in one process; unchanged on Bun and Deno.
 *
 *   bun examples/gateway.ts                 # on an embedded MockCluster with a topic "events"
 *   deno run -A examples/gateway.ts
 *   KAFKA_BOOTSTRAP=127.0.0.1:9092 PORT=8080 bun examples/gateway.ts   # on a real cluster
 *
 *   curl -i -X POST localhost:8080/topics/events -H 'content-type: application/json' -d '{"hello":1}'
 *   curl -i -X POST 'localhost:8080/topics/events?async=1&key=user-7' --data-binary @photo.jpg
 *   curl -i -X POST localhost:8080/topics/events/batch -d '[{"value":"a"},{"key":"k","value":{"n":2}}]'
 *   curl -N localhost:8080/topics/events/stream          # Server-Sent Events of new messages
 *   curl localhost:8080/healthz; curl localhost:8080/metrics
 *
 * The server is the runtime's own (`Bun.serve` / `Deno.serve`, `gateway/serve.ts`);
 * one shared idempotent {@link Producer} serves every request, and its delivery
 * reports wake the event loop (nothing polls). The routes' answers are documented
 * in `gateway/produce.ts` (produce, batch) and `gateway/stream.ts` (SSE, one
 * consumer per request); `/healthz` asks a broker for the cluster's brokers, with
 * a 2 s timeout; `/metrics` is Prometheus text (`gateway/metrics.ts`).
 *
 * @module
 */
import { AdminClient, type ClientConfig, type KafkaError, type LogEntry, MockCluster, Producer } from "../src/mod.ts";
import { GatewayMetrics } from "./gateway/metrics.ts";
import { BrokerState, errorResponse, produceBatch, type ProduceContext, produceOne } from "./gateway/produce.ts";
import { type HttpServer, serveHttp } from "./gateway/serve.ts";
import { parsePosition, Streams } from "./gateway/stream.ts";

/** How to start a gateway; only `bootstrap` is required. */
export interface GatewayOptions {
  bootstrap: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  hostname?: string;
  /** Largest request body. Default 1 000 000 (the broker's default `message.max.bytes`). */
  maxBodyBytes?: number;
  /** How long a produce waits for its delivery report before answering `202 queued`. Default 5 000. */
  ackTimeoutMs?: number;
  /** Most messages in one `/batch`. Default 10 000. */
  maxBatch?: number;
  /** Most open SSE streams (one consumer each). Default 16. */
  maxStreams?: number;
  /** An SSE comment this often when no message comes. Default 5 000. */
  heartbeatMs?: number;
  /** librdkafka properties for the producer, over the gateway's defaults. */
  producerConfig?: ClientConfig;
  /** librdkafka properties for each SSE stream's consumer. */
  consumerConfig?: ClientConfig;
  /** Where librdkafka's warnings and errors go. Default `console.error`. */
  log?: (line: string) => void;
}

/** A running gateway. */
export interface Gateway extends AsyncDisposable {
  /** `http://host:port`. */
  readonly url: string;
  readonly port: number;
  readonly metrics: GatewayMetrics;
  readonly producer: Producer;
  /**
   * Stops taking requests, ends the SSE streams, lets the requests in flight
   * answer, then closes the producer, which delivers what it still holds.
   */
  close(): Promise<void>;
}

/** Kafka's rule for topic names (`[a-zA-Z0-9._-]{1,249}`, not `.` or `..`). */
const TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * Starts the gateway.
 *
 * @example
 * ```ts
 * await using gw = startGateway({ bootstrap: "127.0.0.1:9092", port: 0 });
 * const r = await fetch(`${gw.url}/topics/events`, { method: "POST", body: "hello" });
 * console.log(r.status, await r.json()); // 202 { status: "delivered", partition: 0, offset: "0" }
 * ```
 */
export function startGateway(options: GatewayOptions): Gateway {
  const log = options.log ?? ((l: string) => console.error(l));
  const producer = new Producer({
    "bootstrap.servers": options.bootstrap,
    // No duplicates from librdkafka's retries, and per-partition order kept.
    "enable.idempotence": true,
    // 1 ms: a request path waits for its report; bench/gateway measured 3× the req/s of 5 ms at 32 connections.
    "linger.ms": 1,
    // How long an accepted message may wait for a broker: long, because a 202
    // was given for it and the client will not resend.
    "message.timeout.ms": 300_000,
    "statistics.interval.ms": 1_000, // how the gateway sees a broker come back
    ...options.producerConfig,
  }, { queueFull: "error" }); // a full queue is a 503 now, not a request that hangs
  const admin = new AdminClient({ "bootstrap.servers": options.bootstrap });
  const brokers = new BrokerState();
  // A fatal error (the idempotent producer lost its guarantees) ends this producer
  // for good: /healthz then fails, so an orchestrator replaces the process.
  let fatal: KafkaError | undefined;
  producer.on("error", (e) => {
    brokers.error(e);
    if (e.fatal) fatal ??= e;
    log(`gateway: producer: ${e.name}: ${e.message}`);
  });
  producer.on("stats", (s) => brokers.stats(s));
  const logLine = (l: LogEntry) => {
    if (l.level <= 4) log(`gateway: ${l.client}: ${l.severity} ${l.facility}: ${l.message}`);
  };
  producer.on("log", logLine);
  admin.on("log", logLine);

  const streams = new Streams({
    bootstrap: options.bootstrap,
    admin,
    maxStreams: options.maxStreams ?? 16,
    heartbeatMs: options.heartbeatMs ?? 5_000,
    consumerConfig: options.consumerConfig,
    onLog: logLine,
    onError: (e) => log(`gateway: stream consumer: ${e.name}: ${e.message}`),
  });
  const metrics = new GatewayMetrics(() => ({
    queueDepth: producer.pending,
    streams: streams.size,
    brokersUp: brokers.up ? 1 : 0,
  }));
  const ctx: ProduceContext = {
    producer,
    metrics,
    brokers,
    log,
    maxBodyBytes: options.maxBodyBytes ?? 1_000_000,
    ackTimeoutMs: options.ackTimeoutMs ?? 5_000,
    maxBatch: options.maxBatch ?? 10_000,
  };
  let closing = false;

  async function route(request: Request): Promise<[string, Response]> {
    const url = new URL(request.url);
    const path = url.pathname;
    if (closing) {
      return ["closing", Response.json({ error: "shutting_down" }, { status: 503, headers: { "retry-after": "2" } })];
    }
    if (path === "/healthz") return ["healthz", request.method === "GET" ? await health() : notAllowed("GET")];
    if (path === "/metrics") {
      if (request.method !== "GET") return ["metrics", notAllowed("GET")];
      return ["metrics", new Response(metrics.render(), { headers: { "content-type": "text/plain; version=0.0.4" } })];
    }
    const m = path.match(/^\/topics\/([^/]+)(\/batch|\/stream)?$/);
    if (!m) return ["unknown", Response.json({ error: "not_found", path }, { status: 404 })];
    let topic: string;
    try {
      topic = decodeURIComponent(m[1]);
    } catch {
      return [
        "invalid",
        Response.json({ error: "invalid_topic", message: "malformed percent-encoding" }, { status: 400 }),
      ];
    }
    if (!TOPIC.test(topic) || topic === "." || topic === "..") {
      return [
        "invalid",
        Response.json({ error: "invalid_topic", topic, message: "a topic name is 1-249 of [a-zA-Z0-9._-]" }, {
          status: 400,
        }),
      ];
    }
    if (m[2] === "/stream") {
      if (request.method !== "GET") return ["stream", notAllowed("GET")];
      // EventSource sends the last id it saw when it reconnects; `?lastEventId=` for clients that cannot.
      const last = request.headers.get("last-event-id") ?? url.searchParams.get("lastEventId");
      if (last !== null) {
        const at = parsePosition(last);
        if (!at) {
          return [
            "stream",
            Response.json({ error: "invalid_last_event_id", message: "not an id of this stream" }, { status: 400 }),
          ];
        }
        return ["stream", await streams.open(topic, at)];
      }
      const from = url.searchParams.get("from") === "beginning" ? "beginning" : "end";
      return ["stream", await streams.open(topic, from)];
    }
    if (request.method !== "POST") return [m[2] ? "batch" : "produce", notAllowed("POST")];
    if (m[2] === "/batch") return ["batch", await produceBatch(ctx, topic, request)];
    return ["produce", await produceOne(ctx, topic, request, url)];
  }

  let lastHealth: { at: number; response: Promise<Response> } | undefined;
  function health(): Promise<Response> {
    // One metadata request a second at most, however often the load balancer asks.
    if (fatal) {
      return Promise.resolve(
        Response.json({ status: "producer_failed", error: fatal.name, message: fatal.message }, { status: 503 }),
      );
    }
    if (lastHealth && performance.now() - lastHealth.at < 1_000) return lastHealth.response.then((r) => r.clone());
    const response = admin.describeCluster({ timeoutMs: 2_000 }).then(
      (c) => Response.json({ status: "ok", brokers: c.brokers.length, producerBrokersUp: brokers.up }),
      (e: Error) => Response.json({ status: "unavailable", error: e.name, message: e.message }, { status: 503 }),
    );
    lastHealth = { at: performance.now(), response };
    return response.then((r) => r.clone());
  }

  const server: HttpServer = serveHttp({
    port: options.port ?? 8080,
    hostname: options.hostname ?? "127.0.0.1",
    fetch: async (request) => {
      let name = "unknown", response: Response;
      try {
        [name, response] = await route(request);
      } catch (e) {
        response = errorResponse(e); // a bug of ours becomes a 500, never a crash
      }
      metrics.request(name, response.status);
      return response;
    },
  });

  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      closing = true;
      await streams.closeAll();
      await server.stop();
      await producer.close({ timeoutMs: 30_000 }).catch((e) => log(`gateway: producer close: ${e}`));
      await admin.close().catch(() => {});
    })();
  const url = `http://${server.hostname.includes(":") ? `[${server.hostname}]` : server.hostname}:${server.port}`;
  return { url, port: server.port, metrics, producer, close, [Symbol.asyncDispose]: close };
}

const notAllowed = (allow: string) =>
  Response.json({ error: "method_not_allowed", allow }, { status: 405, headers: { allow } });

if (import.meta.main) {
  interface Proc {
    env: Record<string, string | undefined>;
    on(signal: string, fn: () => void): void;
    exit(code: number): never;
  }
  const proc = (globalThis as unknown as { process: Proc }).process;
  let mock: MockCluster | undefined;
  let bootstrap = proc.env.KAFKA_BOOTSTRAP;
  if (!bootstrap) {
    mock = await MockCluster.create();
    await mock.createTopic("events", { partitions: 3 });
    bootstrap = mock.bootstrapServers;
  }
  const gw = startGateway({ bootstrap, port: Number(proc.env.PORT ?? 8080) });
  console.log(`gateway: listening on ${gw.url} (Kafka at ${mock ? "an embedded MockCluster" : bootstrap})`);
  let stopping = false;
  for (const sig of ["SIGINT", "SIGTERM"]) {
    proc.on(sig, async () => {
      if (stopping) return;
      stopping = true;
      console.log(`${sig}: draining`);
      await gw.close();
      await mock?.close();
      console.log(`gateway: stopped; ${gw.metrics.count("delivered")} messages delivered`);
      proc.exit(0);
    });
  }
}
