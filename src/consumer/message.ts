/**
 * `Message`: one consumed Kafka record.
 *
 * Small values are copied into JS memory when read from librdkafka and the native
 * message is freed at once. Values longer than the consumer's `copyThreshold`
 * are zero-copy: `value` is a view on librdkafka's fetch buffer, and the native
 * message stays alive until `release()` (or `using`), the consumer's `close()`
 * (which copies the bytes out), or the garbage collector (a `FinalizationRegistry`
 * safety net). The bytes such messages hold are counted against the process-wide
 * `maxHeldBytes` limit (DESIGN.md rule 5).
 *
 * After `release()` the view is detached (length 0, reads give `undefined`), so
 * a kept reference can never read freed memory, and `value` throws `ClosedError`.
 *
 * @module
 */
import { ClosedError } from "../errors.ts";
import { addHeldBytes } from "../native/limits.ts";
import { type Ptr, rd } from "../native/lib.ts";

/** How a message's `timestamp` was set. @example `if (m.timestampType === "LogAppendTime") …` */
export type TimestampType = "CreateTime" | "LogAppendTime" | "NotAvailable";

/** A header: name and value (`null` for a header without value). Repeated names are kept in order. @example `const [name, value]: MessageHeader = m.headers[0]` */
export type MessageHeader = [name: string, value: Uint8Array | null];

const decoder = new TextDecoder();

/**
 * One zero-copy message's claim on native memory. The consumer keeps the set of
 * its claims so `close()` can copy out what users still hold (into `copy`, which
 * the message then returns); the registry frees the claim of a message the user
 * dropped. A claim holds the view, never the message (no WeakRef on the hot
 * path: V8 keeps a new WeakRef's target alive until the current job ends).
 */
export class Claim {
  ev: Ptr | null;
  readonly bytes: number;
  view: Uint8Array | null;
  /** The bytes copied out at the consumer's close. */
  copy: Uint8Array | null = null;
  readonly owner: Set<Claim>;
  constructor(ev: Ptr, bytes: number, view: Uint8Array, owner: Set<Claim>) {
    this.ev = ev;
    this.bytes = bytes;
    this.view = view;
    this.owner = owner;
    owner.add(this);
    addHeldBytes(bytes);
  }

  /** Frees the native message once (detaching the view first); safe to call again. */
  free(): void {
    if (this.ev === null) return;
    detach(this.view);
    this.view = null;
    rd().rd_kafka_event_destroy(this.ev);
    this.ev = null;
    this.owner.delete(this);
    addHeldBytes(-this.bytes);
  }

  /** Consumer close: keeps a copy of the bytes for the message, then frees. */
  copyOut(): void {
    if (this.ev === null) return;
    this.copy = this.view === null ? null : this.view.slice();
    registry.unregister(this);
    this.free();
  }
}

/**
 * Detaching the ArrayBuffer turns every view on it into an empty one, so a
 * reference kept past release() reads nothing instead of freed memory.
 */
function detach(v: Uint8Array | null): void {
  if (v !== null && v.byteLength > 0) (v.buffer as ArrayBuffer & { transfer(n: number): ArrayBuffer }).transfer(0);
}

const registry = new FinalizationRegistry<Claim>((claim) => claim.free());

/**
 * A consumed message.
 *
 * @example
 * ```ts
 * const m = await consumer.read({ timeoutMs: 1000 });
 * if (m) console.log(m.topic, m.partition, m.offset, m.text(), m.headers);
 * ```
 */
export class Message {
  readonly topic: string;
  readonly partition: number;
  /** The record's offset in its partition. */
  readonly offset: bigint;
  /** The key bytes (always a copy), or null. */
  readonly key: Uint8Array | null;
  /** Milliseconds since the epoch, or -1 when `timestampType` is `"NotAvailable"`. */
  readonly timestamp: number;
  readonly timestampType: TimestampType;
  /** The partition leader's epoch when the record was fetched (librdkafka >= 2.1.0), else undefined. */
  readonly leaderEpoch: number | undefined;
  /** The headers in record order (copies). */
  readonly headers: MessageHeader[];
  #value: Uint8Array | null;
  #claim: Claim | undefined;

  /** Internal: the consumer builds messages. @example `new Message(topic, 0, 5n, null, null, [], 0, "CreateTime", undefined)` */
  constructor(
    topic: string,
    partition: number,
    offset: bigint,
    key: Uint8Array | null,
    value: Uint8Array | null,
    headers: MessageHeader[],
    timestamp: number,
    timestampType: TimestampType,
    leaderEpoch: number | undefined,
  ) {
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.key = key;
    this.#value = value;
    this.headers = headers;
    this.timestamp = timestamp;
    this.timestampType = timestampType;
    this.leaderEpoch = leaderEpoch;
  }

  /** Internal: makes this message the owner of a native message (zero-copy). @example `m.adopt(ev, len, claims)` */
  adopt(ev: Ptr, bytes: number, owner: Set<Claim>): void {
    const claim = new Claim(ev, bytes, this.#value!, owner);
    this.#claim = claim;
    registry.register(this, claim, claim);
  }

  /**
   * The value bytes, or null for a record without value (a tombstone).
   *
   * @throws {ClosedError} after `release()` of a zero-copy message.
   * @example
   * ```ts
   * const bytes = m.value ?? new Uint8Array();
   * ```
   */
  get value(): Uint8Array | null {
    const claim = this.#claim;
    if (claim !== undefined) {
      if (claim.copy !== null) return claim.copy; // copied out at the consumer's close
      if (claim.ev === null) throw new ClosedError("message (released; copy the value before release() to keep it)");
    }
    return this.#value;
  }

  /** True while `value` is a view on librdkafka's memory. @example `if (m.zeroCopy) m.release()` */
  get zeroCopy(): boolean {
    return this.#claim !== undefined && this.#claim.ev !== null;
  }

  /** The value decoded as UTF-8 ("" for null). @example `m.text()` */
  text(): string {
    const v = this.value;
    return v === null ? "" : decoder.decode(v);
  }

  /** The key decoded as UTF-8, or null. @example `m.keyText()` */
  keyText(): string | null {
    return this.key === null ? null : decoder.decode(this.key);
  }

  /**
   * The value parsed as JSON.
   *
   * @throws {SyntaxError} naming the topic, partition and offset when it is not JSON.
   * @example
   * ```ts
   * const order = m.json<{ id: string }>();
   * ```
   */
  json<T = unknown>(): T {
    try {
      return JSON.parse(this.text()) as T;
    } catch (e) {
      throw new SyntaxError(
        `message ${this.topic}[${this.partition}]@${this.offset}: value is not JSON (${(e as Error).message})`,
      );
    }
  }

  /** The first header with this name, or undefined. @example `m.header("trace-id")` */
  header(name: string): Uint8Array | null | undefined {
    for (const [n, v] of this.headers) if (n === name) return v;
    return undefined;
  }

  /**
   * Frees the native memory of a zero-copy message now (a no-op for a copied one).
   * Views taken from `value` are detached (length 0). Idempotent.
   *
   * @example
   * ```ts
   * using m = (await consumer.read())!; // released at the end of the block
   * ```
   */
  release(): void {
    const claim = this.#claim;
    if (claim === undefined || claim.ev === null) return;
    registry.unregister(claim);
    this.#value = null;
    claim.free();
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
