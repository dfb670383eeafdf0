/**
 * The sidecar of the comparison (bench/gateway/run.ts, variant b): a local HTTP
 * "Kafka proxy" on Node 20 that produces with KafkaJS. It is the anti-pattern the
 * comparison measures: the front end pays one more HTTP round trip over loopback,
 * one more process's CPU and memory, and one more place to fail, for each message.
 *
 *   node bench/gateway/proxy.mjs --port N --bootstrap 127.0.0.1:9092
 *
 * `POST /produce/:topic` with the body as the value and an optional `x-kafka-key`
 * header answers after the broker acknowledged (acks -1): 202 `{partition, offset}`,
 * or 503 `{error}` with KafkaJS's error name. `GET /stats` answers the pid and the
 * answer counts. The first stdout line is `{"listening": port, "pid": pid}`, written
 * only once the producer is connected, so a caller may send as soon as it sees it.
 * KafkaJS comes from bench/.peers/ (bench/peers.sh), the same copy and settings the
 * front end's in-process KafkaJS sink uses.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { createServer } from "node:http";
import { createRequire } from "node:module";
import process from "node:process";
import { Buffer } from "node:buffer";

const args = process.argv.slice(2);
/** A flag's value, or `dflt`. @example `opt("port", "0")` */
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};

const require = createRequire(new URL("../.peers/package.json", import.meta.url));
const { Kafka, logLevel, Partitioners } = require("kafkajs");

const bootstrap = opt("bootstrap", process.env.KAFKA_BOOTSTRAP ?? "127.0.0.1:9092");
const kafka = new Kafka({
  clientId: `gateway-proxy-${process.pid}`,
  brokers: bootstrap.split(","),
  logLevel: logLevel.ERROR,
});
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
const counts = { accepted: 0, failed: 0 };

/**
 * Answers with a JSON body. Content-Length is set so that the connection stays
 * alive without chunked encoding.
 *
 * @example
 * ```js
 * reply(res, 202, { partition: 0, offset: "41" });
 * ```
 */
function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Produces one message per request; the answer waits for the broker's ack.
 *
 * @example
 * ```js
 * createServer(handle).listen(8091, "127.0.0.1");
 * ```
 */
function handle(req, res) {
  const url = new URL(req.url ?? "/", "http://proxy");
  if (req.method === "POST" && url.pathname.startsWith("/produce/")) {
    const topic = decodeURIComponent(url.pathname.slice("/produce/".length));
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const key = req.headers["x-kafka-key"];
      const message = { key: typeof key === "string" ? key : null, value: Buffer.concat(chunks) };
      producer.send({ topic, acks: -1, messages: [message] }).then(
        ([r]) => {
          counts.accepted++;
          reply(res, 202, { partition: r.partition, offset: String(r.baseOffset ?? r.offset ?? "") });
        },
        (e) => {
          counts.failed++;
          reply(res, 503, { error: e?.name ?? "Error" });
        },
      );
    });
    return;
  }
  if (req.method === "GET" && url.pathname === "/stats") {
    reply(res, 200, { pid: process.pid, sink: "proxy(kafkajs)", ...counts });
    if (url.searchParams.get("reset") === "1") counts.accepted = counts.failed = 0;
    return;
  }
  reply(res, 404, { error: "NO_SUCH_ROUTE" });
}

/**
 * Connects, then listens; SIGTERM/SIGINT close the server and disconnect.
 *
 * @example
 * ```js
 * await main();
 * ```
 */
async function main() {
  await producer.connect();
  const server = createServer(handle);
  // Node's default (5 s) would be enough for wrk-like load, but a front end that
  // pauses between runs should find its pooled connections still open.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  server.listen(Number(opt("port", "0")), "127.0.0.1", () => {
    const addr = server.address();
    console.log(JSON.stringify({ listening: addr.port, pid: process.pid, sink: "proxy(kafkajs)" }));
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections?.();
    await producer.disconnect().catch((e) => console.error(`proxy: disconnect: ${e}`));
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e) => {
  console.error(`proxy: ${e?.stack ?? e}`);
  process.exit(1);
});
