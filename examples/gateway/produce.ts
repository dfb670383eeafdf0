/**
 * The gateway's produce routes: `POST /topics/:topic` (one message) and
 * `POST /topics/:topic/batch` (a JSON array, one `sendMulti`).
 *
 * The answers, which the README's "Kafka in the request path" documents:
 *
 * - `202 {"status":"delivered","partition","offset"}` once the broker acked
 *   (acks=all, idempotent producer);
 * - `202 {"status":"queued"}` when the message was accepted but no report came
 *   within `ackTimeoutMs` (a broker outage, say), or at once with `?async=1`. The
 *   producer keeps it and retries until `message.timeout.ms` (5 min by default
 *   here), so a client must not resend it: with idempotence on, that would be the
 *   only way to get a duplicate;
 * - `503` + `Retry-After` when nothing was accepted and a retry may work: librdkafka
 *   reports every broker down, or its queue is full. Nothing is produced then, so
 *   the client's retry cannot duplicate;
 * - `400` bad input (invalid JSON, key, partition, batch element), `404` unknown
 *   topic, `413` body over `maxBodyBytes`, `502` any other refusal by Kafka.
 *
 * @module
 */
import { ClosedError, KafkaError, LimitError, type Producer, type ProducerMessage } from "../../src/mod.ts";
import type { GatewayMetrics } from "./metrics.ts";
import { BodyTooLarge, readBody } from "./serve.ts";

/** What the produce routes need from the gateway. */
export interface ProduceContext {
  producer: Producer;
  metrics: GatewayMetrics;
  brokers: BrokerState;
  maxBodyBytes: number;
  ackTimeoutMs: number;
  maxBatch: number;
  log: (line: string) => void;
}

/**
 * Whether the producer can reach a broker: down on librdkafka's
 * `_ALL_BROKERS_DOWN`, up again on a delivery report or a statistics event that
 * shows a broker `UP`. Never marked down on anything else, so a slow start does
 * not turn into 503s.
 *
 * @example
 * ```ts
 * const brokers = new BrokerState();
 * producer.on("error", (e) => brokers.error(e));
 * producer.on("stats", (s) => brokers.stats(s));
 * ```
 */
export class BrokerState {
  up = true;

  error(e: KafkaError): void {
    if (e.name === "_ALL_BROKERS_DOWN") this.up = false;
  }

  // deno-lint-ignore no-explicit-any
  stats(s: Record<string, any>): void {
    if (this.up || !s.brokers) return;
    for (const b of Object.values(s.brokers) as { state?: string }[]) if (b.state === "UP") this.up = true;
  }

  delivered(): void {
    this.up = true;
  }
}

const utf8 = new TextDecoder();

const json = (status: number, body: unknown, retryAfter?: number) =>
  Response.json(body, {
    status,
    headers: retryAfter === undefined ? undefined : { "retry-after": String(retryAfter) },
  });

/**
 * The response for an error that kept a message from being accepted or delivered.
 *
 * @example
 * ```ts
 * return errorResponse(new KafkaError(ErrorCode._QUEUE_FULL)); // 503, Retry-After: 1
 * ```
 */
export function errorResponse(e: unknown): Response {
  if (e instanceof BodyTooLarge) return json(413, { error: "body_too_large", limit: e.limit });
  if (e instanceof LimitError) return json(503, { error: "LimitError", limit: e.limit, message: e.message }, 1);
  if (e instanceof ClosedError) return json(503, { error: "shutting_down" }, 2);
  if (e instanceof TypeError) return json(400, { error: "invalid_message", message: e.message });
  if (!(e instanceof KafkaError)) return json(500, { error: "internal", message: String(e) });
  const body = { error: e.name, message: e.message, retriable: e.retriable };
  switch (e.name) {
    case "_QUEUE_FULL":
      return json(503, body, 1);
    case "_UNKNOWN_TOPIC":
    case "UNKNOWN_TOPIC_OR_PART":
      return json(404, body);
    case "_UNKNOWN_PARTITION":
    case "_INVALID_ARG":
      return json(400, body);
    case "MSG_SIZE_TOO_LARGE":
    case "_MSG_SIZE_TOO_LARGE":
      return json(413, body);
    case "TOPIC_AUTHORIZATION_FAILED":
      return json(403, body);
  }
  return e.retriable || e.name === "_ALL_BROKERS_DOWN" || e.name === "_TRANSPORT"
    ? json(503, body, 2)
    : json(502, body);
}

/** `?async=1` / `?async=true`. */
const isAsync = (url: URL) => ["1", "true"].includes(url.searchParams.get("async") ?? "");

/** The message's Kafka headers: every request header `x-kafka-header-<name>`. */
function kafkaHeaders(request: Request): [string, string][] | undefined {
  const out: [string, string][] = [];
  for (const [name, value] of request.headers) {
    if (name.startsWith("x-kafka-header-")) out.push([name.slice("x-kafka-header-".length), value]);
  }
  return out.length ? out : undefined;
}

/** Resolves `"timeout"` after `ms` unless `p` settles first; never leaves its timer behind. */
function within<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), ms));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const ACCEPTED = Symbol("accepted");

/**
 * `POST /topics/:topic`: the body as one message, key from `?key=` or `x-kafka-key`,
 * partition from `?partition=`, headers from `x-kafka-header-*`.
 *
 * @example
 * ```ts
 * if (request.method === "POST") return await produceOne(ctx, topic, request, new URL(request.url));
 * ```
 */
export async function produceOne(ctx: ProduceContext, topic: string, request: Request, url: URL): Promise<Response> {
  if (!ctx.brokers.up) return json(503, { error: "brokers_down", message: "no broker reachable; retry" }, 2);
  let body: Uint8Array;
  try {
    body = await readBody(request, ctx.maxBodyBytes);
  } catch (e) {
    return errorResponse(e);
  }
  if ((request.headers.get("content-type") ?? "").startsWith("application/json")) {
    try {
      JSON.parse(utf8.decode(body));
    } catch (e) {
      return json(400, { error: "invalid_json", message: (e as Error).message });
    }
  }
  const message: ProducerMessage = { topic, value: body };
  const key = url.searchParams.get("key") ?? request.headers.get("x-kafka-key");
  if (key !== null) message.key = key;
  const partition = url.searchParams.get("partition");
  if (partition !== null) {
    if (!/^\d{1,9}$/.test(partition)) {
      return json(400, { error: "invalid_partition", message: `partition must be an integer ≥ 0, got "${partition}"` });
    }
    message.partition = Number(partition);
  }
  const headers = kafkaHeaders(request);
  if (headers) message.headers = headers;

  let answered = false; // true once the client holds a 202 for this message
  const t0 = performance.now();
  const delivery = ctx.producer.send(message);
  void delivery.then(
    () => {
      ctx.metrics.produced((performance.now() - t0) / 1000);
      ctx.metrics.outcome("delivered");
      ctx.brokers.delivered();
    },
    (e: Error) => {
      ctx.metrics.outcome(answered ? "failed_after_accept" : "failed");
      if (answered) ctx.log(`gateway: a message answered 202 (queued) to ${topic} failed: ${e.name}: ${e.message}`);
    },
  );
  // The producer settles a send it refuses (queue full, bad partition) before
  // returning, so a race with an already-resolved promise tells refusal from acceptance.
  const first = await Promise.race([delivery, ACCEPTED]).catch((e: Error) => e);
  if (first instanceof Error) return errorResponse(first);
  if (isAsync(url)) {
    answered = true;
    return json(202, { status: "queued" });
  }
  const outcome = await within(delivery, ctx.ackTimeoutMs).then((v) => v, (e: Error) => e);
  if (outcome instanceof Error) return errorResponse(outcome);
  answered = true;
  if (outcome === "timeout") return json(202, { status: "queued" });
  return json(202, { status: "delivered", partition: outcome.partition, offset: String(outcome.offset) });
}

/** One element of a batch body, checked; `at` names it in errors (`[3].key`). */
function batchMessage(topic: string, el: unknown, at: string): ProducerMessage {
  if (el === null || typeof el !== "object" || Array.isArray(el)) throw new TypeError(`${at} must be an object`);
  const { value, key, headers, partition, ...rest } = el as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length) throw new TypeError(`${at}.${extra[0]}: unknown field (value, key, headers, partition)`);
  if (value === undefined) throw new TypeError(`${at}.value is missing (null for a tombstone)`);
  const m: ProducerMessage = {
    topic,
    value: typeof value === "string" || value === null ? value : JSON.stringify(value),
  };
  if (key !== undefined) {
    if (typeof key !== "string") throw new TypeError(`${at}.key must be a string`);
    m.key = key;
  }
  if (partition !== undefined) {
    if (!Number.isInteger(partition) || (partition as number) < 0) {
      throw new TypeError(`${at}.partition must be an integer ≥ 0`);
    }
    m.partition = partition as number;
  }
  if (headers !== undefined) {
    if (headers === null || typeof headers !== "object" || Array.isArray(headers)) {
      throw new TypeError(`${at}.headers must be an object of strings`);
    }
    for (const [n, v] of Object.entries(headers)) {
      if (typeof v !== "string") throw new TypeError(`${at}.headers.${n} must be a string`);
    }
    m.headers = headers as Record<string, string>;
  }
  return m;
}

/**
 * `POST /topics/:topic/batch`: a JSON array of `{ value, key?, headers?, partition? }`
 * (a non-string value is sent as its JSON), produced with one `sendMulti`. A bad
 * element refuses the whole batch (`400`, naming it) and sends nothing. Answers
 * `202` when every message was delivered, `207` with per-message results when some
 * failed, `503` when all failed with a retriable error, `202 queued` when the
 * reports take longer than `ackTimeoutMs`.
 *
 * @example
 * ```ts
 * return await produceBatch(ctx, "events", request);
 * ```
 */
export async function produceBatch(ctx: ProduceContext, topic: string, request: Request): Promise<Response> {
  if (!ctx.brokers.up) return json(503, { error: "brokers_down", message: "no broker reachable; retry" }, 2);
  let items: unknown;
  try {
    items = JSON.parse(utf8.decode(await readBody(request, ctx.maxBodyBytes)));
  } catch (e) {
    return e instanceof BodyTooLarge
      ? errorResponse(e)
      : json(400, { error: "invalid_json", message: (e as Error).message });
  }
  if (!Array.isArray(items)) return json(400, { error: "invalid_batch", message: "the body must be a JSON array" });
  if (items.length > ctx.maxBatch) {
    return json(413, { error: "batch_too_large", message: `at most ${ctx.maxBatch} messages`, limit: ctx.maxBatch });
  }
  let messages: ProducerMessage[];
  try {
    messages = items.map((el, i) => batchMessage(topic, el, `[${i}]`));
  } catch (e) {
    return json(400, { error: "invalid_batch", message: (e as Error).message });
  }
  let answered = false;
  const t0 = performance.now();
  const all = ctx.producer.sendMulti(messages);
  void all.then((results) => {
    const seconds = (performance.now() - t0) / 1000;
    for (const r of results) {
      if (r.status === "fulfilled") {
        ctx.metrics.produced(seconds);
        ctx.metrics.outcome("delivered");
        ctx.brokers.delivered();
      } else ctx.metrics.outcome(answered ? "failed_after_accept" : "failed");
    }
  }, () => {});
  const outcome = await within(all, ctx.ackTimeoutMs).then((v) => v, (e: Error) => e);
  if (outcome instanceof Error) return errorResponse(outcome);
  answered = true;
  if (outcome === "timeout") return json(202, { status: "queued", count: messages.length });
  const results = outcome.map((r) =>
    r.status === "fulfilled"
      ? { partition: r.value.partition, offset: String(r.value.offset) }
      : { error: r.reason.name, message: r.reason.message }
  );
  const failed = outcome.filter((r) => r.status === "rejected");
  if (failed.length === 0) return json(202, { status: "delivered", count: results.length, results });
  if (failed.length === outcome.length && failed.every((r) => r.reason instanceof LimitError || r.reason.retriable)) {
    return json(503, { error: "batch_failed", failed: failed.length, results }, 2);
  }
  return json(207, { status: "partial", failed: failed.length, count: results.length, results });
}
