/**
 * Validation of outgoing messages and their encoding for librdkafka.
 *
 * One message crosses as one `rd_kafka_produceva` call: an array of `rd_kafka_vu_t`
 * (72 bytes each) followed by the bytes it points to, all written into one
 * off-heap scratch buffer that is reused for every call (librdkafka copies the
 * bytes, `RD_KAFKA_MSG_F_COPY`, before the call returns). A batch of plain messages
 * for one topic crosses as one `rd_kafka_produce_batch` call over an array of
 * `rd_kafka_message_t` written the same way.
 *
 * @module
 */
import { MESSAGE, MSG_F_COPY, MSG_F_PARTITION, PARTITION_UA, type Ptr, VTYPE, VU } from "../../ffi/mod.ts";
import { backend } from "../native/lib.ts";
import { checkTopic, describeType, isCheckedTopic } from "../validate.ts";

/** A message body or key: bytes, text (sent as UTF-8), or `null`. @example `const v: Payload = new Uint8Array([1])` */
export type Payload = Uint8Array | string | null;

/** Headers: a record, a `Map`, a fetch `Headers`, or ordered `[name, value]` pairs where names may repeat. @example `[["trace", "a"], ["trace", "b"]]` */
export type Headers =
  | Record<string, Payload>
  | ReadonlyArray<readonly [string, Payload]>
  | ReadonlyMap<string, Payload>
  | Iterable<readonly [string, Payload]>;

/**
 * A message to produce.
 *
 * @example
 * ```ts
 * const msg: ProducerMessage = {
 *   topic: "orders",
 *   key: "customer-42",
 *   value: JSON.stringify({ total: 12.5 }),
 *   headers: [["trace", "abc"], ["trace", "def"]],
 *   timestamp: new Date(),
 * };
 * ```
 */
export interface ProducerMessage {
  topic: string;
  value: Payload;
  key?: Payload;
  /** An explicit partition; omitted means the configured partitioner chooses. */
  partition?: number;
  headers?: Headers;
  /** Milliseconds since the epoch, or a Date; omitted means "now" (CreateTime). */
  timestamp?: number | Date;
}

/** A message after validation. @example `normalize(msg, "message")` */
export interface Outgoing {
  topic: string;
  value: Payload;
  key: Payload | undefined;
  partition: number;
  headers: Array<readonly [string, Payload]> | undefined;
  timestamp: number | undefined;
  // The producer core's bookkeeping for this message, carried on the same object
  // so that a send allocates one object, not two (see `Target` in core.ts).
  /** The `msg_opaque` id once handed to librdkafka (0 before). */
  id: number;
  /** When a message still in the backlog gives up waiting for room (ms since epoch). */
  deadline: number;
  resolve: ((r: never) => void) | undefined;
  reject: ((e: Error) => void) | undefined;
  batch: unknown;
  index: number;
}

function checkPayload(v: unknown, field: string): Payload {
  if (v === null || typeof v === "string" || v instanceof Uint8Array) return v;
  throw new TypeError(`${field} must be a Uint8Array, a string or null, got ${describeType(v)}`);
}

/**
 * Validates one message; errors name the field (`messages[3].value`).
 *
 * @throws {TypeError} for a field of the wrong type; {@link KafkaError} `TOPIC_EXCEPTION` for a bad topic name.
 * @example
 * ```ts
 * const out = normalize({ topic: "t", value: "hi" }, "message");
 * ```
 */
export function normalize(msg: ProducerMessage, at: string): Outgoing {
  return normalizeAt(msg, at, -1);
}

/**
 * {@link normalize} for `${at}[${index}]` (or `at` alone when `index` < 0): the label
 * is built only when a check fails, so the common case concatenates no strings.
 */
export function normalizeAt(msg: ProducerMessage, prefix: string, index: number): Outgoing {
  if (msg === null || typeof msg !== "object") {
    const at = label(prefix, index);
    throw new TypeError(`${at} must be an object, got ${describeType(msg)}`);
  }
  const t = msg.topic;
  const topic = isCheckedTopic(t) ? t : checkTopic(t, `${label(prefix, index)}.topic`);
  if (!("value" in msg)) {
    throw new TypeError(`${label(prefix, index)}.value is missing (use null for a message without a value)`);
  }
  const v = msg.value;
  const value = v === null || typeof v === "string" || v instanceof Uint8Array
    ? v
    : checkPayload(v, `${label(prefix, index)}.value`);
  const k = msg.key;
  const key = k === undefined || k === null || typeof k === "string" || k instanceof Uint8Array
    ? k
    : checkPayload(k, `${label(prefix, index)}.key`);
  if (
    (msg.partition === undefined || msg.partition === null) &&
    (msg.timestamp === undefined || msg.timestamp === null) &&
    (msg.headers === undefined || msg.headers === null)
  ) {
    return outgoing(topic, value, key, PARTITION_UA, undefined, undefined);
  }
  const at = label(prefix, index);
  let partition = PARTITION_UA;
  if (msg.partition !== undefined && msg.partition !== null) {
    const p = msg.partition;
    if (typeof p !== "number" || !Number.isInteger(p) || p < -1 || p > 0x7fffffff) {
      throw new TypeError(
        `${at}.partition must be an integer >= 0, got ${typeof p === "number" ? p : describeType(p)}`,
      );
    }
    partition = p;
  }
  let timestamp: number | undefined;
  if (msg.timestamp !== undefined && msg.timestamp !== null) {
    const t = msg.timestamp instanceof Date ? msg.timestamp.getTime() : msg.timestamp;
    if (typeof t !== "number" || !Number.isFinite(t) || t < 0) {
      throw new TypeError(
        `${at}.timestamp must be a Date or milliseconds since the epoch (>= 0), got ${
          typeof t === "number" ? t : describeType(t)
        }`,
      );
    }
    timestamp = Math.floor(t);
  }
  let headers: Array<readonly [string, Payload]> | undefined;
  if (msg.headers !== undefined && msg.headers !== null) {
    const pairs = headerPairs(msg.headers);
    if (!pairs) {
      throw new TypeError(
        `${at}.headers must be a record, a Map, a Headers or an array of [name, value] pairs, got ${
          describeType(msg.headers)
        }`,
      );
    }
    headers = pairs.map((pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new TypeError(`${at}.headers[${i}] must be a [name, value] pair, got ${describeType(pair)}`);
      }
      if (typeof pair[0] !== "string") {
        throw new TypeError(`${at}.headers[${i}] name must be a string, got ${describeType(pair[0])}`);
      }
      return [pair[0], checkPayload(pair[1], `${at}.headers[${i}] ("${pair[0]}") value`)] as const;
    });
    if (headers.length === 0) headers = undefined;
  }
  return outgoing(topic, value, key, partition, headers, timestamp);
}

/**
 * The [name, value] pairs of a message's headers: an array of pairs as it is; a
 * `Map`, a fetch `Headers` or any other iterable of pairs, in its order; a plain
 * object's own entries. Anything else is null (refused): reading an object of some
 * other class as a record would silently send no headers.
 */
function headerPairs(h: unknown): readonly unknown[] | null {
  if (Array.isArray(h)) return h;
  if (h === null || typeof h !== "object") return null;
  if (Symbol.iterator in h) return Array.from(h as Iterable<unknown>);
  const proto = Object.getPrototypeOf(h);
  return proto === Object.prototype || proto === null ? Object.entries(h) : null;
}

/** The one place an Outgoing is built, so every message has the same object shape (monomorphic hot path). */
function outgoing(
  topic: string,
  value: Payload,
  key: Payload | undefined,
  partition: number,
  headers: Array<readonly [string, Payload]> | undefined,
  timestamp: number | undefined,
): Outgoing {
  return {
    topic,
    value,
    key,
    partition,
    headers,
    timestamp,
    id: 0,
    deadline: 0,
    resolve: undefined,
    reject: undefined,
    batch: undefined,
    index: 0,
  };
}

function label(prefix: string, index: number): string {
  return index < 0 ? prefix : `${prefix}[${index}]`;
}

const encoder = new TextEncoder();
const TWO32 = 4294967296;

/** Upper bound of the bytes a payload takes once encoded. */
function maxBytes(p: Payload | undefined): number {
  if (p === null || p === undefined) return 0;
  return typeof p === "string" ? p.length * 3 : p.length;
}

/**
 * The reusable off-heap scratch buffer that messages are written into before the
 * FFI call. One per producer.
 *
 * @example
 * ```ts
 * const enc = new Encoder();
 * const n = enc.encodeVa(out, rktAddress, id);
 * rd().rd_kafka_produceva(rk, enc.ptr, BigInt(n));
 * ```
 */
export class Encoder {
  bytes!: Uint8Array;
  #u32!: Uint32Array;
  #i32!: Int32Array;
  /** The buffer's address, as a number for arithmetic and as a pointer to pass. */
  base = 0;
  ptr!: Ptr;

  constructor(size = 64 * 1024) {
    this.#alloc(size);
  }

  #alloc(size: number): void {
    const buf = new ArrayBuffer(size);
    this.bytes = new Uint8Array(buf);
    this.#u32 = new Uint32Array(buf);
    this.#i32 = new Int32Array(buf);
    this.ptr = backend.ptrOf(this.bytes);
    this.base = backend.address(this.ptr);
  }

  /** Makes room for `size` bytes (the old contents are not kept). */
  ensure(size: number): void {
    if (size <= this.bytes.length) return;
    let n = this.bytes.length;
    while (n < size) n *= 2;
    this.#alloc(n);
  }

  /** Writes an unsigned 64-bit value (address, size, id) at byte offset `off` (8-aligned). */
  #u64(off: number, v: number): void {
    const i = off >>> 2;
    if (v < TWO32) {
      // Ids, sizes and timestamps below 2^32: no division on the hot path.
      this.#u32[i] = v;
      this.#u32[i + 1] = 0;
    } else {
      this.#u32[i] = v % TWO32;
      this.#u32[i + 1] = Math.floor(v / TWO32);
    }
  }

  /** Writes `p` at `at`; returns the bytes written (`-1` for null). */
  #payload(p: Payload, at: number): number {
    if (p === null) return -1;
    if (typeof p === "string") return encoder.encodeInto(p, this.bytes.subarray(at)).written;
    this.bytes.set(p, at);
    return p.length;
  }

  /** Starts vu `i` with its type; returns the byte offset of its union. */
  #vu(i: number, vtype: number): number {
    this.#i32[(i * VU.size) >>> 2] = vtype;
    return i * VU.size + VU.u;
  }

  /** Writes a VALUE or KEY vu pointing at `p` copied to `data`; returns the next free offset. */
  #mem(i: number, vtype: number, p: Payload, data: number): number {
    const at = this.#vu(i, vtype);
    const n = this.#payload(p, data);
    this.#u64(at, n < 0 ? 0 : this.base + data);
    this.#u64(at + 8, n < 0 ? 0 : n);
    return n > 0 ? data + ((n + 7) & ~7) : data;
  }

  /**
   * Writes one message as `rd_kafka_vu_t`s plus its data; returns the number of vus.
   * `rkt` is the address of the topic handle, `id` the message's opaque, `headers`
   * the address of an `rd_kafka_headers_t` built by the caller (0 for none).
   */
  encodeVa(m: Outgoing, rkt: number, id: number, headers: number): number {
    const nvu = 4 + (m.partition !== PARTITION_UA ? 1 : 0) + (m.key !== undefined ? 1 : 0) +
      (m.timestamp !== undefined ? 1 : 0) + (headers !== 0 ? 1 : 0);
    let data = nvu * VU.size;
    this.ensure(data + maxBytes(m.value) + maxBytes(m.key) + 16);
    let vu = 0;
    this.#u64(this.#vu(vu++, VTYPE.RKT), rkt);
    if (m.partition !== PARTITION_UA) this.#i32[this.#vu(vu++, VTYPE.PARTITION) >>> 2] = m.partition;
    data = this.#mem(vu++, VTYPE.VALUE, m.value, data);
    if (m.key !== undefined) data = this.#mem(vu++, VTYPE.KEY, m.key, data);
    this.#u64(this.#vu(vu++, VTYPE.OPAQUE), id);
    this.#i32[this.#vu(vu++, VTYPE.MSGFLAGS) >>> 2] = MSG_F_COPY;
    if (m.timestamp !== undefined) this.#u64(this.#vu(vu++, VTYPE.TIMESTAMP), m.timestamp);
    // A headers list, not HEADER entries: with HEADER entries librdkafka 2.0.2 frees
    // the list twice when the partitioner fails (librdkafka #4627), crashing the process.
    if (headers !== 0) this.#u64(this.#vu(vu++, VTYPE.HEADERS), headers);
    return vu;
  }

  /**
   * Writes `items[from, to)` as an array of `rd_kafka_message_t` for
   * `rd_kafka_produce_batch` (per-message partition, key, value, and opaque ids
   * `firstId`, `firstId + 1`, …).
   */
  encodeBatch(items: ReadonlyArray<Outgoing>, from: number, to: number, firstId: number): void {
    const count = to - from;
    let need = count * MESSAGE.size;
    for (let i = from; i < to; i++) need += maxBytes(items[i].value) + maxBytes(items[i].key) + 16;
    this.ensure(need);
    this.bytes.fill(0, 0, count * MESSAGE.size);
    let data = count * MESSAGE.size;
    for (let i = 0; i < count; i++) {
      const m = items[from + i];
      const at = i * MESSAGE.size;
      this.#i32[(at + MESSAGE.partition) >>> 2] = m.partition;
      const n = this.#payload(m.value, data);
      if (n >= 0) {
        this.#u64(at + MESSAGE.payload, this.base + data);
        this.#u64(at + MESSAGE.len, n);
        data += (n + 7) & ~7;
      }
      if (m.key !== undefined) {
        const k = this.#payload(m.key, data);
        if (k >= 0) {
          this.#u64(at + MESSAGE.key, this.base + data);
          this.#u64(at + MESSAGE.key_len, k);
          data += (k + 7) & ~7;
        }
      }
      this.#u64(at + MESSAGE._private, firstId + i);
    }
  }

  /** The `err` that `rd_kafka_produce_batch` left in message `i`. */
  batchError(i: number): number {
    return this.#i32[(i * MESSAGE.size + MESSAGE.err) >>> 2];
  }
}

/** Flags for `rd_kafka_produce_batch`. @example `rd_kafka_produce_batch(rkt, PARTITION_UA, BATCH_FLAGS, …)` */
export const BATCH_FLAGS = MSG_F_COPY | MSG_F_PARTITION;
