/**
 * The producer's native side: the table of pending sends keyed by `msg_opaque`,
 * delivery-report handling, the wait-for-room queue, flush and close.
 *
 * Kept apart from the public `Producer` so that the native core never holds the
 * public object: a producer the user drops stays collectable, and its
 * `FinalizationRegistry` entry closes this core.
 *
 * @module
 */
import {
  EVENT,
  MESSAGE,
  PARTITION_UA,
  type Ptr,
  PURGE_F_INFLIGHT,
  PURGE_F_NON_BLOCKING,
  PURGE_F_QUEUE,
  TIMESTAMP_TYPE,
} from "../../ffi/mod.ts";
import { ClosedError, ErrorCode, KafkaError, kafkaError, LimitError } from "../errors.ts";
import type { EventRelay } from "../events.ts";
import { CLOSE_MARGIN_MS, type EventSink, type NativeClient } from "../native/client.ts";
import { after } from "../validate.ts";
import { backend, cstr, offHeap, rd } from "../native/lib.ts";
import { BATCH_FLAGS, Encoder, type Outgoing, type Payload } from "./encode.ts";
import type { DeliveryReport, ProducerOptions, SendResult } from "./types.ts";

/**
 * One message on its way: what to send (the validated message itself), and where
 * its outcome goes (a `send` promise, or a slot of a `sendMulti` batch). The
 * bookkeeping fields live on the `Outgoing` object: one allocation per message.
 */
interface Target extends Outgoing {
  resolve: ((r: DeliveryReport) => void) | undefined;
  batch: Batch | undefined;
}
interface Batch {
  results: SendResult[];
  remaining: number;
  resolve: (r: SendResult[]) => void;
}
interface FlushWaiter {
  resolve: () => void;
  reject: (e: Error) => void;
  cancel: () => void;
}

const MAX_TOPIC_HANDLES = 1024;
/** Initial size of the table of pending sends (a power of two). */
const PENDING_MIN = 1024;
const MESSAGE_SIZE = BigInt(MESSAGE.size);
/** Small BigInts for the vu count of `rd_kafka_produceva` (see the note on BigInt arguments). */
const BIG = Array.from({ length: 256 }, (_, i) => BigInt(i));
/**
 * Most messages and bytes enqueued from the backlog per macrotask, and the longest
 * such a slice runs (checked between `produce_batch` calls of at most PUMP_CHUNK
 * messages): a big batch never holds the event loop for long.
 */
const PUMP_MESSAGES = 5_000;
const PUMP_BYTES = 2 * 1024 * 1024;
const PUMP_SLICE_MS = 1;
const PUMP_CHUNK = 500;

/** Internal: see the module comment. @example `const core = new ProducerCore(emitter, opts)` */
export class ProducerCore implements EventSink {
  native!: NativeClient;
  closing = false;
  #opts: Required<Omit<ProducerOptions, "oauthBearerProvider">>;
  /**
   * Accepted by librdkafka, keyed by the id passed as `msg_opaque`: ids are
   * sequential and reports come back roughly in order, so a power-of-two table
   * indexed by `id & mask` holds them (each entry knows its id). An entry whose
   * slot is wanted by a newer id either makes the table grow (when it is at least
   * half full) or, a straggler in a sparse table, moves to #overflow.
   */
  #slots: Array<Target | undefined> = new Array(PENDING_MIN).fill(undefined);
  #mask = PENDING_MIN - 1;
  #inSlots = 0;
  #overflow = new Map<number, Target>();
  #nextId = 1;
  /** Not yet handed to librdkafka, in call order: batches being paced, sends waiting for room. */
  #backlog: Target[] = [];
  #head = 0;
  /** The last attempt found librdkafka's queue full: retry after the next delivery reports. */
  #full = false;
  #pumpScheduled = false;
  #deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  #flushWaiters: FlushWaiter[] = [];
  #topics = new Map<string, Ptr>();
  #topicAddr = new Map<string, number>();
  // Both start small and grow on demand. On Deno an ArrayBuffer's memory comes from glibc
  // malloc and is freed only when the GC finds it: 72 KiB per producer piled up between
  // collections, and glibc kept the high-water mark (~40 MiB over 10,000 create/close cycles).
  #enc = new Encoder(1024);
  #dr = offHeap(512);
  #drPtr = backend.ptrOf(this.#dr);
  #dr64 = new BigUint64Array(this.#dr.buffer);
  #msg = offHeap(MESSAGE.size);
  #msg32 = new Uint32Array(this.#msg.buffer);
  #msgI32 = new Int32Array(this.#msg.buffer);
  #msg64 = new BigInt64Array(this.#msg.buffer);
  #tsType = new Int32Array(1);
  /** A delivery-report event handled in part (its messages are in #dr), resumed next slice. */
  #held: Ptr | undefined;
  #heldNext = 0;
  #heldCount = 0;
  #closed: Promise<void> | undefined;
  /** Why the last purge happened (an authentication or TLS failure), for the purged reports. */
  #purgedBecause: KafkaError | undefined;

  constructor(_emitter: EventRelay, opts: Required<Omit<ProducerOptions, "oauthBearerProvider">>) {
    this.#opts = opts;
  }

  get pendingCount(): number {
    return this.#inSlots + this.#overflow.size + this.#backlog.length - this.#head;
  }

  checkOpen(): void {
    if (this.closing) throw new ClosedError("producer");
    if (this.native.fatalError) throw this.native.fatalError;
  }

  send(out: Outgoing): Promise<DeliveryReport> {
    const { promise, resolve, reject } = Promise.withResolvers<DeliveryReport>();
    const target = out as Target;
    target.resolve = resolve;
    target.reject = reject;
    // Straight to librdkafka unless earlier messages still wait: order is call order.
    if (this.#head < this.#backlog.length) this.#enqueueLater([target]);
    else if (!this.#produceOne(target)) {
      if (this.#opts.queueFull === "error") {
        this.#settle(target, kafkaError(ErrorCode._QUEUE_FULL, `topic "${out.topic}": local queue full`));
      } else {
        this.#full = true; // retried after the next delivery reports make room
        this.#enqueueLater([target]);
      }
    }
    return promise;
  }

  sendMulti(outs: Outgoing[]): Promise<SendResult[]> {
    const n = outs.length;
    if (n === 0) return Promise.resolve([]);
    const { promise, resolve } = Promise.withResolvers<SendResult[]>();
    const batch: Batch = { results: new Array(n), remaining: n, resolve };
    const targets = outs as Target[];
    for (let i = 0; i < n; i++) {
      const t = targets[i];
      t.batch = batch;
      t.index = i;
    }
    this.#enqueueLater(targets);
    // The first slice goes now; the rest in later macrotasks.
    if (!this.#full) this.#pump();
    return promise;
  }

  /** Appends to the backlog (bounded by maxWaitingSends) and makes sure it gets pumped. */
  #enqueueLater(targets: Target[]): void {
    const deadline = Date.now() + this.#opts.queueFullTimeoutMs;
    const room = this.#opts.maxWaitingSends - (this.#backlog.length - this.#head);
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i];
      if (i >= room) {
        const max = this.#opts.maxWaitingSends;
        this.#settle(t, new LimitError("maxWaitingSends", max, "too many messages wait to enter the local queue"));
        continue;
      }
      t.deadline = deadline;
      this.#backlog.push(t);
    }
    this.#armDeadlineTimer();
    if (!this.#full) this.#schedulePump();
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      if (!this.native.closed && !this.#full) this.#pump();
    });
  }

  /**
   * Hands the backlog to librdkafka in call order, one slice per macrotask:
   * consecutive plain messages of one batch and topic as one `produce_batch`, others
   * one `produceva` each. Stops when librdkafka's queue is full (wait mode).
   */
  #pump(): void {
    const q = this.#backlog;
    const now = Date.now();
    const waitMode = this.#opts.queueFull === "wait";
    let messages = PUMP_MESSAGES;
    let bytes = PUMP_BYTES;
    const until = performance.now() + PUMP_SLICE_MS;
    this.#full = false;
    while (this.#head < q.length && messages > 0 && bytes > 0 && performance.now() < until) {
      const t = q[this.#head];
      if (t.deadline <= now) {
        const ms = this.#opts.queueFullTimeoutMs;
        this.#settle(t, kafkaError(ErrorCode._QUEUE_FULL, `topic "${t.topic}": local queue full for ${ms} ms`));
        q[this.#head++] = undefined as unknown as Target;
        continue;
      }
      if (t.batch !== undefined && simple(t)) {
        let j = this.#head + 1;
        let size = payloadSize(t);
        while (
          j < q.length && j - this.#head < PUMP_CHUNK && size < bytes && q[j].batch === t.batch &&
          q[j].topic === t.topic && simple(q[j])
        ) size += payloadSize(q[j++]);
        const stop = this.#produceBatch(q, this.#head, j);
        messages -= stop - this.#head;
        bytes -= size;
        for (let k = this.#head; k < stop; k++) q[k] = undefined as unknown as Target;
        this.#head = stop;
        if (stop < j) {
          this.#full = true;
          break;
        }
      } else {
        if (!this.#produceOne(t)) {
          if (waitMode) {
            this.#full = true;
            break;
          }
          this.#settle(t, kafkaError(ErrorCode._QUEUE_FULL, `topic "${t.topic}": local queue full`));
        }
        q[this.#head++] = undefined as unknown as Target;
        messages--;
        bytes -= payloadSize(t);
      }
    }
    if (this.#head === q.length) {
      this.#backlog = [];
      this.#head = 0;
    } else if (this.#head > 4096 && this.#head * 2 > q.length) {
      this.#backlog = q.slice(this.#head);
      this.#head = 0;
    }
    if (this.#head < this.#backlog.length && !this.#full) this.#schedulePump();
    this.#armDeadlineTimer();
  }

  /** Enqueues one message with `rd_kafka_produceva`; false when librdkafka's queue is full. */
  #produceOne(target: Target): boolean {
    const out = target;
    const c = rd();
    try {
      this.#topic(out.topic);
    } catch (e) {
      this.#settle(target, e as KafkaError);
      return true;
    }
    const id = this.#nextId++;
    const hdrs = out.headers === undefined ? undefined : headerList(out.headers);
    const n = this.#enc.encodeVa(out, this.#topicAddr.get(out.topic)!, id, hdrs ? backend.address(hdrs) : 0);
    const err: Ptr = c.rd_kafka_produceva(this.native.rk, this.#enc.ptr, n < 256 ? BIG[n] : BigInt(n));
    if (backend.isNull(err)) {
      this.#addPending(id, target); // librdkafka owns the headers list now
      return true;
    }
    if (hdrs) c.rd_kafka_headers_destroy(hdrs); // on failure it stays ours
    const code: number = c.rd_kafka_error_code(err);
    const text = backend.readCString(c.rd_kafka_error_string(err));
    c.rd_kafka_error_destroy(err);
    if (code === ErrorCode._QUEUE_FULL) return false;
    this.#settle(target, new KafkaError(code, `topic "${out.topic}": ${text}`));
    return true;
  }

  /**
   * Enqueues q[from, to) (one topic, plain messages) in one `rd_kafka_produce_batch`;
   * returns the index of the first message that found the queue full (wait mode), or `to`.
   */
  #produceBatch(q: Target[], from: number, to: number): number {
    const topic = q[from].topic;
    let rkt: Ptr;
    try {
      rkt = this.#topic(topic);
    } catch (e) {
      for (let i = from; i < to; i++) this.#settle(q[i], e as KafkaError);
      return to;
    }
    const count = to - from;
    const firstId = this.#nextId;
    this.#nextId += count;
    const enc = this.#enc;
    enc.encodeBatch(q, from, to, firstId);
    rd().rd_kafka_produce_batch(rkt, PARTITION_UA, BATCH_FLAGS, enc.ptr, count);
    const waitMode = this.#opts.queueFull === "wait";
    let full = to;
    for (let i = 0; i < count; i++) {
      const code = enc.batchError(i);
      if (code === 0) this.#addPending(firstId + i, q[from + i]);
      else if (code === ErrorCode._QUEUE_FULL && waitMode) full = Math.min(full, from + i);
      else this.#settle(q[from + i], new KafkaError(code, `topic "${topic}": ${kafkaError(code).message}`));
    }
    if (full < to) {
      // Keep call order: whatever librdkafka took after the first refusal is already
      // in flight; only the refused ones wait, so move them to the front.
      const refused = [];
      for (let i = full; i < to; i++) if (enc.batchError(i - from) === ErrorCode._QUEUE_FULL) refused.push(q[i]);
      for (let i = 0; i < refused.length; i++) q[full + i] = refused[i];
      for (let i = full + refused.length; i < to; i++) q[i] = undefined as unknown as Target;
      if (full + refused.length < to) {
        // Accepted entries past the refused ones leave the backlog.
        q.splice(full + refused.length, to - full - refused.length);
      }
    }
    return full;
  }

  #addPending(id: number, t: Target): void {
    t.id = id;
    let i = id & this.#mask;
    let old = this.#slots[i];
    while (old !== undefined) {
      if (this.#inSlots * 2 >= this.#slots.length) {
        this.#growPending();
        i = id & this.#mask;
        old = this.#slots[i];
      } else {
        this.#overflow.set(old.id, old);
        this.#inSlots--;
        old = undefined;
      }
    }
    this.#slots[i] = t;
    this.#inSlots++;
  }

  /** Doubles the table; entries distinct modulo the old size stay distinct. */
  #growPending(): void {
    const old = this.#slots;
    const size = old.length * 2;
    const slots: Array<Target | undefined> = new Array(size).fill(undefined);
    const mask = size - 1;
    for (let i = 0; i < old.length; i++) {
      const t = old[i];
      if (t !== undefined) slots[t.id & mask] = t;
    }
    this.#slots = slots;
    this.#mask = mask;
  }

  /** Removes and returns the pending message with this id, if any. */
  #takePending(id: number): Target | undefined {
    const i = id & this.#mask;
    const t = this.#slots[i];
    if (t !== undefined && t.id === id) {
      this.#slots[i] = undefined;
      this.#inSlots--;
      return t;
    }
    if (this.#overflow.size === 0) return undefined;
    const o = this.#overflow.get(id);
    if (o !== undefined) this.#overflow.delete(id);
    return o;
  }

  /** Empties the table; returns what it held in id order (the order they were accepted). */
  #clearPending(): Target[] {
    const all: Target[] = [...this.#overflow.values()];
    for (const t of this.#slots) if (t !== undefined) all.push(t);
    all.sort((a, b) => a.id - b.id);
    this.#slots = new Array(PENDING_MIN).fill(undefined);
    this.#mask = PENDING_MIN - 1;
    this.#inSlots = 0;
    this.#overflow.clear();
    return all;
  }

  #topic(name: string): Ptr {
    let rkt = this.#topics.get(name);
    if (rkt !== undefined) return rkt;
    const c = rd();
    rkt = c.rd_kafka_topic_new(this.native.rk, cstr(name), backend.NULL) as Ptr;
    if (backend.isNull(rkt)) {
      const code: number = c.rd_kafka_last_error();
      throw new KafkaError(code, `topic "${name}": ${kafkaError(code).message}`);
    }
    if (this.#topics.size >= MAX_TOPIC_HANDLES) {
      // librdkafka refcounts topics: messages in flight keep theirs alive.
      const [oldName, old] = this.#topics.entries().next().value!;
      this.#topics.delete(oldName);
      this.#topicAddr.delete(oldName);
      c.rd_kafka_topic_destroy(old);
    }
    this.#topics.set(name, rkt);
    this.#topicAddr.set(name, backend.address(rkt));
    return rkt;
  }

  #settle(t: Target, err: Error | undefined, report?: DeliveryReport): void {
    const b = t.batch;
    if (b === undefined) {
      if (err) t.reject!(err);
      else t.resolve!(report!);
      return;
    }
    b.results[t.index] = err
      ? { status: "rejected", reason: err as KafkaError }
      : { status: "fulfilled", value: report! };
    if (--b.remaining === 0) b.resolve(b.results);
  }

  /** A timer for the oldest waiting message's deadline (a timeout, not a poll). */
  #armDeadlineTimer(): void {
    if (this.#deadlineTimer !== undefined || this.#head >= this.#backlog.length) return;
    const wait = Math.max(0, this.#backlog[this.#head].deadline - Date.now());
    if (wait === Infinity) return; // queueFullTimeoutMs: Infinity waits for room as long as it takes
    this.#deadlineTimer = setTimeout(() => {
      this.#deadlineTimer = undefined;
      if (!this.native.closed) this.#pump();
      this.#checkFlush();
    }, wait + 1);
  }

  // --- EventSink ---------------------------------------------------------

  get holding(): boolean {
    return this.#held !== undefined;
  }

  onEvent(type: number, ev: Ptr, budget: number): number {
    if (type !== EVENT.DR) return 1;
    const c = rd();
    const count = Number(c.rd_kafka_event_message_count(ev));
    if (count * 8 > this.#dr.length) {
      this.#dr = offHeap(count * 16);
      this.#drPtr = backend.ptrOf(this.#dr);
      this.#dr64 = new BigUint64Array(this.#dr.buffer);
    }
    this.#heldCount = Number(c.rd_kafka_event_message_array(ev, this.#drPtr, BigInt(count)));
    this.#heldNext = 0;
    const spent = this.#settleReports(budget);
    // Not done within the budget: keep the event (its messages stay valid) for later slices.
    if (this.#heldNext < this.#heldCount) this.#held = ev;
    return spent;
  }

  /** Continues a kept delivery-report event; destroys it when done. */
  resume(budget: number): number {
    if (this.#held === undefined) return 0;
    const spent = this.#settleReports(budget);
    if (this.#heldNext >= this.#heldCount) this.release();
    return spent;
  }

  /** Settles up to `budget` of the reports listed in #dr. */
  #settleReports(budget: number): number {
    const c = rd();
    const a64 = this.#dr64;
    const mb = this.#msg;
    const m32 = this.#msg32;
    const mi32 = this.#msgI32;
    const m64 = this.#msg64;
    const end = Math.min(this.#heldCount, this.#heldNext + budget);
    for (let i = this.#heldNext; i < end; i++) {
      // One memcpy of the 72-byte rd_kafka_message_t, then plain typed-array reads.
      // Addresses stay BigInts: Deno passes a BigInt to a 64-bit parameter several
      // times faster than a number.
      const addr = a64[i];
      backend.copyFromAddress(mb, addr, MESSAGE_SIZE);
      const id = m32[MESSAGE._private >>> 2] + m32[(MESSAGE._private >>> 2) + 1] * 4294967296;
      const t = this.#takePending(id);
      if (t === undefined) continue; // already failed (fatal error or close)
      const err = mi32[MESSAGE.err >>> 2];
      const partition = mi32[MESSAGE.partition >>> 2];
      const topic = t.topic;
      if (err !== 0) {
        const where = partition >= 0 ? ` [${partition}]` : "";
        const cause = err === ErrorCode._PURGE_QUEUE ? this.#purgedBecause : undefined;
        this.#settle(
          t,
          cause
            ? new KafkaError(cause.code, `topic "${topic}"${where}: not sent: ${cause.message}`, {}, { cause })
            : new KafkaError(err, `topic "${topic}"${where}: ${kafkaError(err).message}`),
        );
      } else {
        const timestamp = Number(c.rd_kafka_message_timestamp_at(addr, this.#tsType));
        const timestampType = TIMESTAMP_TYPE[this.#tsType[0]] ?? "NotAvailable";
        const offset = m64[MESSAGE.offset >>> 3];
        this.#settle(t, undefined, { topic, partition, offset, timestamp, timestampType });
      }
    }
    const done = end - this.#heldNext;
    this.#heldNext = end;
    return done;
  }

  /** Destroys a held event (at the end of it, or at close). */
  release(): void {
    if (this.#held === undefined) return;
    rd().rd_kafka_event_destroy(this.#held);
    this.#held = undefined;
  }

  afterDrain(): void {
    if (this.#head < this.#backlog.length) this.#pump();
    this.#checkFlush();
  }

  /**
   * A refused login or an untrusted broker certificate will not fix itself, and
   * librdkafka would keep the messages until `message.timeout.ms` (5 minutes by
   * default) and then report only `_MSG_TIMED_OUT`. So, unless `failOnAuthError` is
   * off, the messages still queued are purged and fail with the real reason; those
   * already in flight to a broker that accepted us keep their own outcome.
   */
  onError(err: KafkaError): void {
    if (!this.#opts.failOnAuthError || !isAuthFailure(err) || this.closing) return;
    this.#purgedBecause = err;
    this.#failBacklog(new KafkaError(err.code, `not sent: ${err.message}`, {}, { cause: err }));
    if (this.#inSlots + this.#overflow.size > 0) {
      rd().rd_kafka_purge(this.native.rk, PURGE_F_QUEUE | PURGE_F_NON_BLOCKING);
    }
  }

  onFatal(err: KafkaError): void {
    // librdkafka will fail these too; report now, and ignore their late reports.
    for (const t of this.#clearPending()) this.#settle(t, err);
    this.#failBacklog(err);
    this.#checkFlush();
  }

  #failBacklog(err: Error): void {
    for (let i = this.#head; i < this.#backlog.length; i++) this.#settle(this.#backlog[i], err);
    this.#backlog = [];
    this.#head = 0;
  }

  // --- flush and close -----------------------------------------------------

  /** Resolves when nothing is pending; `_TIMED_OUT` after `timeoutMs` (checked: 0…2^31-1 or Infinity). */
  flush(timeoutMs: number): Promise<void> {
    if (this.pendingCount === 0) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const waiter: FlushWaiter = {
      resolve,
      reject,
      cancel: after(timeoutMs, () => {
        this.#flushWaiters = this.#flushWaiters.filter((w) => w !== waiter);
        reject(
          kafkaError(
            ErrorCode._TIMED_OUT,
            `flush timed out after ${timeoutMs} ms with ${this.pendingCount} messages undelivered`,
          ),
        );
      }),
    };
    this.#flushWaiters.push(waiter);
    return promise;
  }

  #checkFlush(): void {
    if (this.pendingCount !== 0 || this.#flushWaiters.length === 0) return;
    const ws = this.#flushWaiters;
    this.#flushWaiters = [];
    for (const w of ws) {
      w.cancel();
      w.resolve();
    }
  }

  testFatal(code: number, reason: string): void {
    rd().rd_kafka_test_fatal_error(this.native.rk, code, cstr(reason));
  }

  /** `before` runs first (a transaction's abort), given the close's deadline (`performance.now()` time). */
  close(timeoutMs: number, before?: (deadline: number) => Promise<void>): Promise<void> {
    this.#closed ??= this.#close(timeoutMs, before);
    return this.#closed;
  }

  /**
   * Flushes for up to `timeoutMs`, fails what is left with `_PURGE_QUEUE`, then
   * destroys; settles within `timeoutMs` + CLOSE_MARGIN_MS whatever the brokers do.
   */
  async #close(timeoutMs: number, before?: (deadline: number) => Promise<void>): Promise<void> {
    this.closing = true;
    const deadline = performance.now() + timeoutMs;
    if (before) await before(deadline);
    await this.flush(Math.max(0, Math.floor(deadline - performance.now()))).catch(() => {});
    if (this.pendingCount > 0) {
      const purged = (what: string) =>
        kafkaError(ErrorCode._PURGE_QUEUE, `${what}: purged, the producer was closed before delivery`);
      this.#failBacklog(purged("message not yet handed to librdkafka"));
      this.#purgedBecause = undefined; // purged because of close, not of a login failure
      rd().rd_kafka_purge(this.native.rk, PURGE_F_QUEUE | PURGE_F_INFLIGHT | PURGE_F_NON_BLOCKING);
      // librdkafka reports the purged messages at once (their reports say which were
      // in flight); whatever has not reported within the margin's half is failed here.
      await this.flush(CLOSE_MARGIN_MS / 2).catch(() => {});
      for (const t of this.#clearPending()) this.#settle(t, purged(`topic "${t.topic}"`));
      this.#checkFlush(); // a flush() issued before close (even with Infinity) settles now
    }
    if (this.#deadlineTimer !== undefined) clearTimeout(this.#deadlineTimer);
    await this.native.destroy(() => {
      for (const rkt of this.#topics.values()) rd().rd_kafka_topic_destroy(rkt);
      this.#topics.clear();
      this.#topicAddr.clear();
    }, { deadline: deadline + CLOSE_MARGIN_MS, what: `producer ${this.native.name}` });
  }
}

const utf8 = new TextEncoder();
/** A non-empty buffer for empty names and values: an empty array may have a null address. */
const EMPTY = new Uint8Array(1);

/** Builds an `rd_kafka_headers_t` (one call per header; librdkafka copies names and values). */
function headerList(headers: ReadonlyArray<readonly [string, Payload]>): Ptr {
  const c = rd();
  const list: Ptr = c.rd_kafka_headers_new(BigInt(headers.length));
  for (const [name, value] of headers) {
    const nb = utf8.encode(name);
    const vb = value === null ? null : typeof value === "string" ? utf8.encode(value) : value;
    c.rd_kafka_header_add(
      list,
      nb.length ? nb : EMPTY,
      BigInt(nb.length),
      vb === null ? null : vb.length ? vb : EMPTY,
      vb === null ? 0n : BigInt(vb.length),
    );
  }
  return list;
}

/** Errors no retry fixes: a refused login, or a broker certificate that does not verify. */
function isAuthFailure(err: KafkaError): boolean {
  if (err.code === ErrorCode._AUTHENTICATION || err.code === ErrorCode.SASL_AUTHENTICATION_FAILED) return true;
  return err.code === ErrorCode._SSL && /certificate verify failed/i.test(err.message);
}

function simple(o: Outgoing): boolean {
  return o.headers === undefined && o.timestamp === undefined;
}

function payloadSize(o: Outgoing): number {
  const v = o.value;
  const k = o.key;
  return (v === null ? 0 : v.length) + (k === null || k === undefined ? 0 : k.length);
}
