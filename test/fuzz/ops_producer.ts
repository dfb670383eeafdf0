/**
 * Producer operations: construction with random but valid configuration
 * (idempotence on or off, short `message.timeout.ms`, tiny local queues, either
 * queue-full mode), `send` and `sendMulti` of messages of every shape the API
 * takes, `flush`, `close` with random timeouts, dropping a producer without
 * closing it, and a test fatal error.
 *
 * Bounds come from the README: a send settles at its delivery report, which
 * librdkafka gives by `message.timeout.ms` (noticed up to
 * `reconnect.backoff.max.ms` late, and scanned once a second), after waiting for
 * room in the local queue at most `queueFullTimeoutMs`; and always by the time the
 * producer's close settled. `flush` and `close` are bounded by their `timeoutMs`
 * (+ `CLOSE_MARGIN_MS` for close).
 *
 * @module
 */
import {
  CLOSE_MARGIN_MS,
  ErrorCode,
  KafkaError,
  Producer,
  type ProducerMessage,
  type ProducerOptions,
} from "../../src/mod.ts";
import type { Rng } from "./rng.ts";
import { bytesOf, type ExpectedHeader, idKey, valueText } from "./ledger.ts";
import { type ClientRec, errKind, type ProducerInfo, showErr, STATS_MS, type World } from "./model.ts";
import { fmt, followClose, type Op, pickClient, syncCall, target, weightFor } from "./ops.ts";

/** librdkafka scans its queues for timed-out messages about once a second. */
const TIMEOUT_SCAN_MS = 1_500;

/** How long one of this producer's sends may take to settle (its own bound). @example `sendBound(info)` */
export function sendBound(info: ProducerInfo): number {
  return info.roomWaitMs + info.messageTimeoutMs + info.backoffMaxMs + info.lingerMs + TIMEOUT_SCAN_MS;
}

/** The bound of a close with `timeoutMs` (Infinity: every message gets its report first). */
function closeBound(info: ProducerInfo, timeoutMs: number): number {
  return (timeoutMs === Infinity ? sendBound(info) : timeoutMs) + CLOSE_MARGIN_MS;
}

const createProducer: Op = {
  name: "producer.new",
  weight: (w) => [2, 0.6, 0.6][w.live("producer").length] ?? 0.1,
  run(w, rng) {
    const idempotent = rng.chance(0.5);
    const messageTimeoutMs = rng.pick([1_500, 3_000, 5_000, 8_000]);
    const backoffMaxMs = rng.pick([200, 1_000, 3_000]);
    const lingerMs = rng.pick([0, 1, 5, 20]);
    const config: Record<string, string | number | boolean> = {
      "bootstrap.servers": w.bootstrap,
      "enable.idempotence": idempotent,
      "message.timeout.ms": messageTimeoutMs,
      "reconnect.backoff.max.ms": backoffMaxMs,
      "linger.ms": lingerMs,
    };
    // Idempotence needs acks=all (librdkafka refuses anything else).
    if (!idempotent && rng.chance(0.3)) config.acks = rng.pick([1, "all"]);
    if (rng.chance(0.3)) config["queue.buffering.max.messages"] = rng.pick([5, 20, 200]);
    if (rng.chance(0.2)) config["batch.num.messages"] = rng.pick([1, 10]);
    if (rng.chance(0.3)) config["compression.type"] = rng.pick(["gzip", "lz4", "snappy", "zstd", "none"]);
    if (rng.chance(0.2)) config.partitioner = rng.pick(["consistent_random", "random", "murmur2"]);
    // Idempotent producers report statistics often: the read-back needs to know whether they retried.
    if (idempotent) config["statistics.interval.ms"] = STATS_MS;
    else if (rng.chance(0.15)) config["statistics.interval.ms"] = 300;
    if (!idempotent && rng.chance(0.2)) config.retries = rng.pick([0, 3]);
    const options: ProducerOptions = {};
    if (rng.chance(0.3)) options.queueFull = rng.pick(["wait", "error"] as const);
    if (rng.chance(0.3)) options.queueFullTimeoutMs = rng.pick([100, 1_000, 5_000]);
    if (rng.chance(0.2)) options.maxWaitingSends = rng.pick([3, 50]);
    if (rng.chance(0.2)) options.drainBudget = rng.pick([1, 7, 2_000]);
    const info: ProducerInfo = {
      idempotent,
      messageTimeoutMs,
      backoffMaxMs,
      lingerMs,
      roomWaitMs: options.queueFull === "error" ? 0 : options.queueFullTimeoutMs ?? 30_000,
      fatal: false,
      troubleAt: [],
      lastStatsAt: -Infinity,
      failedAt: [],
    };
    w.op(`new Producer(${fmt(config)}, ${fmt(options)})`);
    const p = construct(w, config, options);
    if (!p) return;
    const rec = w.addClient("producer", p, true);
    rec.producer = info;
    listen(w, p, rec.name, info);
    w.note(`→ ${rec.name} (${p.name})`);
  },
};

/** Builds a producer; a LimitError (maxClients) is allowed, anything else is a violation. */
function construct(w: World, config: Record<string, string | number | boolean>, options: ProducerOptions) {
  try {
    return new Producer(config, options);
  } catch (e) {
    w.note(`= new Producer threw ${showErr(e)}`);
    if (errKind(e) !== "LimitError") w.violate(`new Producer with a valid configuration threw ${showErr(e)}`);
    return undefined;
  }
}

/** Counters of librdkafka's per-broker statistics that say a request may have been sent twice. */
const TROUBLE = ["txretries", "txerrs", "rxerrs", "rxcorriderrs", "req_timeouts", "disconnects"];

/**
 * Listeners that hold only the world, a name and the producer's info, never the
 * producer (so a dropped one can be collected). Statistics record when the wire
 * had trouble (see {@link ProducerInfo.troubleAt}).
 */
function listen(w: World, p: Producer, name: string, info: ProducerInfo): void {
  p.on("error", (e) => {
    if (!(e instanceof KafkaError)) w.violate(`${name} emitted an error that is not a KafkaError: ${showErr(e)}`);
  });
  p.on("log", () => {});
  // Per broker and counter: a sum over brokers could hide one counter's rise behind another's reset.
  const seen = new Map<string, number>();
  p.on("stats", (s) => {
    if (s === null || typeof s !== "object") return w.violate(`${name} emitted stats that are not an object`);
    const brokers = Object.entries((s.brokers ?? {}) as Record<string, Record<string, number>>);
    let rose = false;
    for (const [broker, b] of brokers) {
      for (const k of TROUBLE) {
        const v = Number(b[k]) || 0;
        if (v > (seen.get(`${broker}/${k}`) ?? 0)) rose = true;
        seen.set(`${broker}/${k}`, v);
      }
    }
    const now = performance.now();
    if (rose) info.troubleAt.push(now);
    info.lastStatsAt = now;
  });
}

/** The topics a message may go to: mostly created ones, now and then a new name the mock auto-creates. */
function chooseTopic(w: World, rng: Rng): { name: string; partitions: number | undefined } {
  if (w.topics.length === 0 || rng.chance(0.03)) {
    const t = { name: w.newTopicName(), partitions: undefined };
    w.topics.push(t);
    return t;
  }
  return rng.pick(w.topics);
}

/**
 * A valid message of a random shape, recorded in the ledger. `plain` leaves out
 * headers and timestamps (so that a batch crosses in one `produce_batch` call).
 *
 * @example
 * ```ts
 * const { message, id } = makeMessage(w, rng, rec, { plain: false });
 * ```
 */
export function makeMessage(
  w: World,
  rng: Rng,
  rec: ClientRec,
  o: { plain?: boolean; topic?: string } = {},
): { message: ProducerMessage; id: number } {
  const id = w.ledger.nextId();
  const topic = o.topic !== undefined ? w.topics.find((t) => t.name === o.topic)! : chooseTopic(w, rng);
  const shape = rng.weighted<string>([["text", 6], ["bytes", 3], ["large", 0.6], ["null", 0.5], ["empty", 0.3], [
    "offset-view",
    0.4,
  ]]);
  const len = shape === "large" ? rng.int(17_000, 40_000) : rng.int(48, 400);
  let value: string | Uint8Array | null;
  let valueLen: number | null = len;
  const text = valueText(w.seed, id, len);
  if (shape === "text" || shape === "large") value = text;
  else if (shape === "bytes") value = new TextEncoder().encode(text);
  else if (shape === "offset-view") {
    // A view into the middle of a bigger buffer: only the view's bytes may be sent.
    const buf = new Uint8Array(len + 32).fill(0x21);
    buf.set(new TextEncoder().encode(text), 16);
    value = buf.subarray(16, 16 + len);
  } else {
    value = shape === "null" ? null : rng.chance(0.5) ? "" : new Uint8Array(0);
    valueLen = shape === "null" ? null : 0;
  }
  const message: ProducerMessage = { topic: topic.name, value };
  // A message without a value is named by its key.
  if (valueLen === null || valueLen === 0) {
    message.key = rng.chance(0.5) ? idKey(w.seed, id) : new TextEncoder().encode(idKey(w.seed, id));
  } else {
    const k = rng.weighted<string>([["none", 4], ["text", 3], ["bytes", 1], ["null", 1], ["empty", 0.5]]);
    if (k === "text") message.key = `k${rng.int(0, 20)}`;
    else if (k === "bytes") message.key = new Uint8Array([rng.int(0, 255), 0, rng.int(0, 255)]);
    else if (k === "null") message.key = null;
    else if (k === "empty") message.key = "";
  }
  let partition: number | undefined;
  const p = rng.weighted<string>([["none", 6], ["valid", 3], ["ua", 0.5], ["null", 0.3], ["unknown", 0.4]]);
  if (p === "valid" && topic.partitions !== undefined) partition = rng.int(0, topic.partitions - 1);
  else if (p === "ua") partition = -1;
  else if (p === "unknown") partition = (topic.partitions ?? 4) + rng.int(0, 50); // rejects UNKNOWN_PARTITION
  if (partition !== undefined) message.partition = partition;
  else if (p === "null") message.partition = null as unknown as number;
  let headers: ExpectedHeader[] = [];
  if (!o.plain && rng.chance(0.35)) headers = addHeaders(rng, message);
  let timestamp: number | undefined;
  if (!o.plain && rng.chance(0.2)) {
    timestamp = Date.now() - rng.int(0, 1_000_000);
    message.timestamp = rng.chance(0.5) ? timestamp : new Date(timestamp);
  }
  w.ledger.add({
    id,
    topic: topic.name,
    producer: rec.name,
    idempotent: rec.producer!.idempotent,
    info: rec.producer,
    partition,
    key: bytesOf(message.key),
    headers,
    valueLen,
    timestamp,
  });
  return { message, id };
}

/** Headers in one of the forms the API takes; returns them as they should be read back. */
function addHeaders(rng: Rng, message: ProducerMessage): ExpectedHeader[] {
  const form = rng.weighted<string>([["pairs", 3], ["record", 1], ["map", 1], ["fetch", 0.5], ["empty", 0.3]]);
  const n = rng.int(1, 3);
  const pairs: [string, string | Uint8Array | null][] = [];
  for (let i = 0; i < n; i++) {
    // Repeated names are kept (array form); a null value and an empty name are allowed.
    const name = rng.pick(["trace", "h", "", "x-id", "trace"]);
    const v = rng.weighted<string | Uint8Array | null>([[`v${i}`, 3], [new Uint8Array([0, 1, 255]), 1], [null, 1], [
      "",
      0.5,
    ]]);
    pairs.push([name, v]);
  }
  const expect = (list: readonly (readonly [string, string | Uint8Array | null])[]): ExpectedHeader[] =>
    list.map(([name, v]) => [name, bytesOf(v)] as const);
  if (form === "pairs") {
    message.headers = pairs;
    return expect(pairs);
  }
  if (form === "empty") {
    message.headers = [];
    return [];
  }
  if (form === "fetch") {
    // A fetch Headers lower-cases and merges names and takes only strings: what it iterates is what is sent.
    const h = new Headers();
    for (const [name, v] of pairs) if (name !== "" && typeof v === "string") h.append(name, v);
    message.headers = h;
    return expect([...h]);
  }
  const unique = new Map(pairs.map(([k, v]) => [k, v]));
  if (form === "map") {
    message.headers = unique;
    return expect([...unique]);
  }
  const record = Object.fromEntries(unique);
  message.headers = record;
  return expect(Object.entries(record));
}

const send: Op = {
  name: "producer.send",
  weight: (w) => weightFor(w, "producer", 8),
  run(w, rng) {
    const rec = target(w, rng, "producer");
    if (!rec) return;
    const p = rec.ref as Producer;
    const { message, id } = makeMessage(w, rng, rec);
    const label = `${rec.name}.send(m${id} ${fmt({ ...message, value: message.value })})`;
    w.op(label);
    const closing = rec.life === "closing";
    w.track(`${rec.name}.send(m${id})`, p.send(message), {
      client: rec,
      boundMs: closing ? 0 : sendBound(rec.producer!),
      byClose: "always",
      errors: closing ? ["ClosedError"] : ["KafkaError", "LimitError", "ClosedError"],
      after: (status, v) => settleOne(w, id, status, v),
    });
  },
};

/** Records one message's outcome; a ClosedError means it was refused (never handed to librdkafka). */
function settleOne(w: World, id: number, status: "fulfilled" | "rejected", v: unknown): void {
  w.ledger.settle(id, status, v);
  if (status === "rejected" && errKind(v) === "ClosedError") w.ledger.refuse([id]);
}

const sendMulti: Op = {
  name: "producer.sendMulti",
  weight: (w) => weightFor(w, "producer", 4),
  run(w, rng) {
    const rec = target(w, rng, "producer");
    if (!rec) return;
    const p = rec.ref as Producer;
    const size = rng.weighted<string>([["empty", 0.3], ["small", 5], ["medium", 2], ["paced", 0.15]]);
    const n = size === "empty" ? 0 : size === "small" ? rng.int(1, 6) : size === "medium" ? rng.int(10, 60) : 5_100;
    // A big batch of plain messages to one topic: paced over several macrotasks (slices of 5 000).
    const topic = size === "paced" ? chooseTopic(w, rng).name : undefined;
    const messages: ProducerMessage[] = [];
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      const m = makeMessage(w, rng, rec, { plain: size === "paced" || rng.chance(0.5), topic });
      messages.push(m.message);
      ids.push(m.id);
    }
    w.op(`${rec.name}.sendMulti(${n} messages${n ? ` m${ids[0]}…m${ids[n - 1]}` : ""}${topic ? ` to ${topic}` : ""})`);
    const closing = rec.life === "closing";
    w.track(`${rec.name}.sendMulti(${n})`, p.sendMulti(messages), {
      client: rec,
      boundMs: closing ? 0 : sendBound(rec.producer!) + n / 10,
      byClose: "always",
      errors: closing ? ["ClosedError"] : ["ClosedError", "KafkaError"],
      value: (v) => checkResults(w, v, ids),
      after: (status, v) => {
        if (status === "rejected") {
          // Refused as a whole (closed, or fatal): nothing was sent.
          for (const id of ids) w.ledger.settle(id, "rejected", v);
          w.ledger.refuse(ids);
        }
      },
    });
  },
};

/** One result per message, in order, each delivered or failed with a KafkaError or LimitError. */
function checkResults(w: World, v: unknown, ids: readonly number[]): string | undefined {
  if (!Array.isArray(v)) return `resolved with ${fmt(v)}, not an array of results`;
  if (v.length !== ids.length) return `${v.length} results for ${ids.length} messages`;
  for (let i = 0; i < ids.length; i++) {
    const r = v[i];
    if (r === undefined || (r.status !== "fulfilled" && r.status !== "rejected")) return `result ${i} is ${fmt(r)}`;
    if (r.status === "rejected" && !["KafkaError", "LimitError"].includes(errKind(r.reason))) {
      return `message ${i} failed with ${showErr(r.reason)}`;
    }
    w.ledger.settle(ids[i], r.status, r.status === "fulfilled" ? r.value : r.reason);
  }
  return undefined;
}

const flush: Op = {
  name: "producer.flush",
  weight: (w) => weightFor(w, "producer", 1.5),
  run(w, rng) {
    const rec = target(w, rng, "producer");
    if (!rec) return;
    const p = rec.ref as Producer;
    const timeoutMs = rng.weighted<number | undefined>([[0, 1], [10, 1], [500, 2], [3_000, 1], [Infinity, 0.7], [
      undefined,
      0.2,
    ]]);
    w.op(`${rec.name}.flush({timeoutMs:${timeoutMs}}) with ${p.pending} pending`);
    const closing = rec.life === "closing";
    const own = timeoutMs === Infinity ? sendBound(rec.producer!) : timeoutMs ?? 30_000;
    w.track(`${rec.name}.flush(${timeoutMs})`, p.flush(timeoutMs === undefined ? undefined : { timeoutMs }), {
      client: rec,
      boundMs: closing ? 0 : own,
      byClose: "always",
      errors: closing ? ["ClosedError"] : ["KafkaError", "ClosedError"],
    });
  },
};

const close: Op = {
  name: "producer.close",
  weight: (w) => weightFor(w, "producer", 0.6),
  run(w, rng) {
    const rec = target(w, rng, "producer");
    if (!rec) return;
    closeProducer(
      w,
      rec,
      rng.weighted<number | undefined>([[0, 1], [100, 1], [1_000, 2], [5_000, 1], [
        Infinity,
        0.5,
      ], [undefined, 0.2]]),
    );
  },
};

/**
 * Closes a producer and follows the close: settled within `timeoutMs` +
 * CLOSE_MARGIN_MS, resolving or rejecting `_TIMED_OUT`; what had to settle by then
 * (every send) has. A second close gets the first one's promise.
 *
 * @example
 * ```ts
 * closeProducer(w, rec, 5_000);
 * ```
 */
export function closeProducer(w: World, rec: ClientRec, timeoutMs: number | undefined): void {
  const p = rec.ref as Producer;
  const first = rec.closeId === undefined;
  w.op(`${rec.name}.close({timeoutMs:${timeoutMs}}) with ${p.pending} pending${first ? "" : " (again)"}`);
  const closed = p.close(timeoutMs === undefined ? undefined : { timeoutMs });
  followClose(w, rec, closed, timeoutMs, closeBound(rec.producer!, timeoutMs ?? 30_000));
}

const drop: Op = {
  name: "producer.drop",
  weight: (w) => (w.live("producer").length > 0 ? 0.3 : 0),
  run(w, rng) {
    const rec = pickClient(w, rng, "producer");
    if (!rec) return;
    w.op(`drop ${rec.name} without close (${(rec.ref as Producer).pending} pending); a later GC closes it`);
    rec.ref = undefined;
    rec.life = "dropped";
  },
};

/** A fatal error, as librdkafka raises for a broken idempotence guarantee: every pending send fails with it. */
const fatal: Op = {
  name: "producer.testFatalError",
  weight: (w) => (w.live("producer").some((c) => c.producer!.idempotent && !c.producer!.fatal) ? 0.1 : 0),
  run(w, rng) {
    const rec = rng.maybe(w.live("producer").filter((c) => c.producer!.idempotent && !c.producer!.fatal));
    if (!rec) return;
    w.op(`${rec.name}.testFatalError(OUT_OF_ORDER_SEQUENCE_NUMBER)`);
    rec.producer!.fatal = true;
    const p = rec.ref as Producer;
    syncCall(w, `${rec.name}.testFatalError`, () => p.testFatalError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, "fz"), [
      "KafkaError",
    ]);
  },
};

/** Producer operations. @example `const ops = [...producerOps]` */
export const producerOps: readonly Op[] = [createProducer, send, sendMulti, flush, close, drop, fatal];
