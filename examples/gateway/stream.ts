/**
 * `GET /topics/:topic/stream`: new messages as Server-Sent Events.
 *
 * The choice: **one consumer per request, with a manual assignment** of every
 * partition, no consumer group. Each client gets every message from where it
 * started, independently of the others; nothing is committed; a client that
 * disconnects costs nobody a rebalance. The price is one librdkafka client (and its
 * fetches) per open stream, so streams are capped (`maxStreams`, then `503`). A
 * shared group consumer would fan one fetch out to many clients, but the group
 * would split the partitions between gateway instances, and a slow client would
 * hold back the fast ones, which is the wrong trade for a live feed.
 *
 * The stream starts at the partitions' current ends (`?from=beginning` for the
 * oldest retained messages). The offsets are looked up before the assignment, so
 * the first event, `ready`, marks a precise point: every message produced after it
 * arrives. Each message is an event `message` with JSON data and an `id` that is
 * the stream's whole position after it, `partition:nextOffset` for every partition
 * (`0:17,1:4,2:9`). A client that reconnects with it as `Last-Event-ID` (what
 * EventSource does by itself, after the `retry:` delay) resumes exactly there:
 * nothing lost, nothing twice. A comment line every `heartbeatMs` keeps idle
 * connections open. When the client disconnects, the read is aborted and the
 * consumer closed.
 *
 * @module
 */
import {
  type AdminClient,
  type ClientConfig,
  Consumer,
  type KafkaError,
  type LogEntry,
  type Message,
  OFFSET,
} from "../../src/mod.ts";

/** Where streams come from, and how many may be open. */
export interface StreamOptions {
  bootstrap: string;
  admin: AdminClient;
  maxStreams: number;
  heartbeatMs: number;
  /** Extra librdkafka properties for each stream's consumer. */
  consumerConfig?: ClientConfig;
  /** Where the consumers' librdkafka log lines go. */
  onLog?: (entry: LogEntry) => void;
  /** Where the consumers' error events go (a broker down, say: librdkafka retries on its own). */
  onError?: (err: KafkaError) => void;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const lenient = new TextDecoder();
const text = (b: Uint8Array) => lenient.decode(b);

/** Base64 of any length (String.fromCharCode(...bytes) overflows the stack on large values). */
function toBase64(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

/** A message as the event's JSON: text values as strings, others as base64. */
function eventData(m: Message): string {
  const value = m.value;
  let str: string | null = null;
  let base64: string | undefined;
  if (value !== null) {
    try {
      str = utf8.decode(value);
    } catch {
      base64 = toBase64(value);
    }
  }
  const headers: Record<string, string> = {};
  for (const [name, v] of m.headers) headers[name] = v === null ? "" : text(v);
  return JSON.stringify({
    partition: m.partition,
    offset: String(m.offset),
    timestamp: m.timestamp,
    key: m.keyText(),
    ...(base64 === undefined ? { value: str } : { valueBase64: base64 }),
    headers,
  });
}

/** A stream's position as an event id: `partition:nextOffset`, comma-separated. */
function positionId(next: Map<number, bigint>): string {
  let id = "";
  for (const [p, o] of next) id += `${id ? "," : ""}${p}:${o}`;
  return id;
}

/**
 * Parses a `Last-Event-ID` this gateway wrote (`0:17,1:4`); undefined when it is
 * not one (too long, malformed, a partition twice).
 *
 * @example
 * ```ts
 * parsePosition("0:17,1:4"); // Map { 0 => 17n, 1 => 4n }
 * ```
 */
export function parsePosition(id: string): Map<number, bigint> | undefined {
  if (id.length > 100_000 || !/^\d{1,9}:\d{1,19}(,\d{1,9}:\d{1,19})*$/.test(id)) return undefined;
  const out = new Map<number, bigint>();
  for (const pair of id.split(",")) {
    const [p, o] = pair.split(":");
    if (out.has(Number(p))) return undefined;
    out.set(Number(p), BigInt(o));
  }
  return out;
}

/**
 * Opens SSE streams and closes them all at shutdown.
 *
 * @example
 * ```ts
 * const streams = new Streams({ bootstrap, admin, maxStreams: 16, heartbeatMs: 5_000 });
 * const response = await streams.open("orders", "end");
 * await streams.closeAll();
 * ```
 */
export class Streams {
  #open = new Set<{ stop: () => Promise<void> }>();
  #o: StreamOptions;

  constructor(options: StreamOptions) {
    this.#o = options;
  }

  /** Open streams. */
  get size(): number {
    return this.#open.size;
  }

  /**
   * The SSE response for `topic`; a plain JSON error response when the topic does
   * not exist (`404`) or the cap is reached (`503`).
   */
  async open(topic: string, from: "end" | "beginning" | Map<number, bigint>): Promise<Response> {
    if (this.#open.size >= this.#o.maxStreams) {
      return Response.json({ error: "too_many_streams", limit: this.#o.maxStreams }, {
        status: 503,
        headers: { "retry-after": "5" },
      });
    }
    const [description] = await this.#o.admin.describeTopics([topic], { timeoutMs: 5_000 }).catch((e) => [e]);
    if (description instanceof Error || description.error) {
      const err = description instanceof Error ? description : description.error;
      const status = err.name === "UNKNOWN_TOPIC_OR_PART" || err.name === "_UNKNOWN_TOPIC" ? 404 : 503;
      return Response.json({ error: err.name, message: err.message }, { status });
    }
    const consumer = new Consumer({
      "bootstrap.servers": this.#o.bootstrap,
      "fetch.wait.max.ms": 100, // a live feed: do not hold an empty fetch for the default 500 ms
      ...this.#o.consumerConfig,
    });
    if (this.#o.onLog) consumer.on("log", this.#o.onLog);
    if (this.#o.onError) consumer.on("error", this.#o.onError);
    const stop = new AbortController();
    let closed: Promise<void> | undefined;
    const entry = {
      stop: () => {
        this.#open.delete(entry);
        stop.abort();
        closed ??= consumer.close().catch(() => {});
        return closed;
      },
    };
    this.#open.add(entry);
    const partitions: number[] = description.partitions.map((p: { partition: number }) => p.partition);
    if (from instanceof Map) {
      const unknown = [...from.keys()].filter((p) => !partitions.includes(p));
      if (unknown.length) {
        await entry.stop();
        const message = `Last-Event-ID names partition ${unknown[0]}, which ${topic} does not have`;
        return Response.json({ error: "invalid_last_event_id", message }, { status: 400 });
      }
    }
    // The next offset to read per partition: the assignment now, each event's id later.
    const next = new Map<number, bigint>();
    try {
      for (const partition of partitions) {
        const resumeAt = from instanceof Map ? from.get(partition) : undefined;
        if (resumeAt !== undefined) {
          next.set(partition, resumeAt);
          continue;
        }
        // A partition the Last-Event-ID does not name is new since: start at its end.
        const w = await consumer.watermarkOffsets(topic, partition, { timeoutMs: 5_000 });
        const at = from === "beginning" ? w.low : w.high;
        next.set(partition, at ?? (from === "beginning" ? OFFSET.BEGINNING : OFFSET.END));
      }
      await consumer.assign([...next].map(([partition, offset]) => ({ topic, partition, offset })));
    } catch (e) {
      await entry.stop();
      return Response.json({ error: (e as Error).name, message: (e as Error).message }, { status: 503 });
    }

    const enc = new TextEncoder();
    const heartbeatMs = this.#o.heartbeatMs;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const ready = JSON.stringify([...next].map(([partition, offset]) => ({ partition, offset: String(offset) })));
        controller.enqueue(enc.encode(`retry: 2000\nevent: ready\ndata: ${ready}\n\n`));
      },
      // pull runs when the client has taken what was sent: a slow client slows its
      // own consumer (librdkafka then stops fetching at queued.max.messages.kbytes).
      pull: async (controller) => {
        try {
          const batch = await consumer.readBatch({ maxMessages: 500, timeoutMs: heartbeatMs, signal: stop.signal });
          if (batch.length === 0) {
            controller.enqueue(enc.encode(": heartbeat\n\n"));
            return;
          }
          let chunk = "";
          for (const m of batch) {
            next.set(m.partition, m.offset + 1n);
            chunk += `id: ${positionId(next)}\nevent: message\ndata: ${eventData(m)}\n\n`;
            m.release();
          }
          controller.enqueue(enc.encode(chunk));
        } catch (e) {
          if (!stop.signal.aborted) {
            const msg = JSON.stringify({ error: (e as Error).name, message: (e as Error).message });
            controller.enqueue(enc.encode(`event: error\ndata: ${msg}\n\n`));
          }
          await entry.stop();
          try {
            controller.close();
          } catch { /* already cancelled */ }
        }
      },
      // The client went away (both runtimes cancel the body stream then).
      cancel: () => entry.stop(),
    });
    return new Response(body, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache", "x-accel-buffering": "no" },
    });
  }

  /** Ends every stream (at shutdown) and waits for their consumers to close. */
  async closeAll(): Promise<void> {
    const all = [...this.#open];
    this.#open.clear();
    await Promise.all(all.map((s) => s.stop()));
  }
}
