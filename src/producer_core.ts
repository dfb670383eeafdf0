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
  PARTITION_UA,
  type Ptr,
  PURGE_F_INFLIGHT,
  PURGE_F_NON_BLOCKING,
  PURGE_F_QUEUE,
  TIMESTAMP_TYPE,
} from "../ffi/mod.ts";
import { ClosedError, ErrorCode, KafkaError, kafkaError, LimitError } from "./errors.ts";
import type { Emitter } from "./events.ts";
import type { EventSink, NativeClient } from "./native/client.ts";
import { backend, cstr, offHeap, rd } from "./native/lib.ts";
import { BATCH_FLAGS, Encoder, type Outgoing } from "./producer_encode.ts";
import type { DeliveryReport, ProducerOptions, SendResult } from "./producer.ts";

/** Where one message's outcome goes: a `send` promise, or a slot of a `sendMulti` batch. */
interface Target {
  topic: string;
  resolve: ((r: DeliveryReport) => void) | undefined;
  reject: ((e: Error) => void) | undefined;
  batch: Batch | undefined;
  index: number;
}
interface Batch {
  results: SendResult[];
  remaining: number;
  resolve: (r: SendResult[]) => void;
}
interface Blocked {
  out: Outgoing;
  target: Target;
  deadline: number;
}
interface FlushWaiter {
  resolve: () => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

const MAX_TOPIC_HANDLES = 1024;
const BATCH_CHUNK = 10_000;

/** Internal: see the module comment. @example `const core = new ProducerCore(emitter, opts)` */
export class ProducerCore implements EventSink {
  native!: NativeClient;
  closing = false;
  #opts: Required<ProducerOptions>;
  #pending = new Map<number, Target>();
  #nextId = 1;
  #blocked: Blocked[] = [];
  #blockedHead = 0;
  #blockTimer: ReturnType<typeof setTimeout> | undefined;
  #flushWaiters: FlushWaiter[] = [];
  #topics = new Map<string, Ptr>();
  #enc = new Encoder();
  #dr = offHeap(8 * 1024);
  #drPtr = backend.ptrOf(this.#dr);
  #tsType = new Int32Array(1);
  #closed: Promise<void> | undefined;

  constructor(_emitter: Emitter, opts: Required<ProducerOptions>) {
    this.#opts = opts;
  }

  get pendingCount(): number {
    return this.#pending.size + this.#blocked.length - this.#blockedHead;
  }

  checkOpen(): void {
    if (this.closing) throw new ClosedError("producer");
    if (this.native.fatalError) throw this.native.fatalError;
  }

  send(out: Outgoing): Promise<DeliveryReport> {
    const { promise, resolve, reject } = Promise.withResolvers<DeliveryReport>();
    const target: Target = { topic: out.topic, resolve, reject, batch: undefined, index: 0 };
    if (this.#blocked.length > this.#blockedHead || !this.#produceOne(out, target)) this.#block(out, target);
    return promise;
  }

  sendMulti(outs: Outgoing[]): Promise<SendResult[]> {
    const n = outs.length;
    if (n === 0) return Promise.resolve([]);
    const { promise, resolve } = Promise.withResolvers<SendResult[]>();
    const batch: Batch = { results: new Array(n), remaining: n, resolve };
    const targets: Target[] = outs.map((o, index) => ({
      topic: o.topic,
      resolve: undefined,
      reject: undefined,
      batch,
      index,
    }));
    let i = this.#blocked.length > this.#blockedHead ? 0 : -1; // -1: nothing blocked, try now
    if (i < 0) {
      i = 0;
      while (i < n) {
        if (simple(outs[i])) {
          let j = i + 1;
          while (j < n && j - i < BATCH_CHUNK && outs[j].topic === outs[i].topic && simple(outs[j])) j++;
          const full = this.#produceBatch(outs, i, j, targets);
          if (full < j) {
            i = full;
            break;
          }
          i = j;
        } else {
          if (!this.#produceOne(outs[i], targets[i])) break;
          i++;
        }
      }
    }
    for (; i < n; i++) this.#block(outs[i], targets[i]);
    return promise;
  }

  /** Returns false when librdkafka's queue is full (nothing was enqueued). */
  #produceOne(out: Outgoing, target: Target): boolean {
    const c = rd();
    let rkt: Ptr;
    try {
      rkt = this.#topic(out.topic);
    } catch (e) {
      this.#settle(target, e as KafkaError, undefined);
      return true;
    }
    const id = this.#nextId++;
    const n = this.#enc.encodeVa(out, backend.address(rkt), id);
    const err: Ptr = c.rd_kafka_produceva(this.native.rk, this.#enc.ptr, n);
    if (backend.isNull(err)) {
      this.#pending.set(id, target);
      return true;
    }
    const code: number = c.rd_kafka_error_code(err);
    const text = backend.readCString(c.rd_kafka_error_string(err));
    c.rd_kafka_error_destroy(err);
    if (code === ErrorCode._QUEUE_FULL) return false;
    this.#settle(target, new KafkaError(code, `topic "${out.topic}": ${text}`), undefined);
    return true;
  }

  /** Enqueues outs[from, to) (one topic) in one call; returns the index of the first that found the queue full, or `to`. */
  #produceBatch(outs: Outgoing[], from: number, to: number, targets: Target[]): number {
    let rkt: Ptr;
    try {
      rkt = this.#topic(outs[from].topic);
    } catch (e) {
      for (let i = from; i < to; i++) this.#settle(targets[i], e as KafkaError, undefined);
      return to;
    }
    const ids: number[] = new Array(to - from);
    for (let i = 0; i < ids.length; i++) ids[i] = this.#nextId++;
    const enc = this.#enc;
    enc.encodeBatch(outs, from, to, ids);
    rd().rd_kafka_produce_batch(rkt, PARTITION_UA, BATCH_FLAGS, enc.ptr, to - from);
    let full = to;
    for (let i = 0; i < ids.length; i++) {
      const code = enc.batchError(i);
      if (code === 0) this.#pending.set(ids[i], targets[from + i]);
      else if (code === ErrorCode._QUEUE_FULL) full = Math.min(full, from + i);
      else {this.#settle(
          targets[from + i],
          new KafkaError(code, `topic "${outs[from + i].topic}": ${kafkaError(code).message}`),
          undefined,
        );}
    }
    return full;
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
      c.rd_kafka_topic_destroy(old);
    }
    this.#topics.set(name, rkt);
    return rkt;
  }

  #settle(t: Target, err: Error | undefined, report: DeliveryReport | undefined): void {
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

  #block(out: Outgoing, target: Target): void {
    const waiting = this.#blocked.length - this.#blockedHead;
    if (this.#opts.queueFull === "error") {
      this.#settle(target, kafkaError(ErrorCode._QUEUE_FULL, `topic "${out.topic}": local queue full`), undefined);
    } else if (waiting >= this.#opts.maxWaitingSends) {
      this.#settle(
        target,
        new LimitError(
          "maxWaitingSends",
          this.#opts.maxWaitingSends,
          "too many sends wait for room in the local queue",
        ),
        undefined,
      );
    } else {
      this.#blocked.push({ out, target, deadline: Date.now() + this.#opts.queueFullTimeoutMs });
      this.#armBlockTimer();
    }
  }

  /** Retries waiting sends in call order until the queue is full again. */
  #retryBlocked(): void {
    const now = Date.now();
    while (this.#blockedHead < this.#blocked.length) {
      const b = this.#blocked[this.#blockedHead];
      if (b.deadline <= now) {
        const ms = this.#opts.queueFullTimeoutMs;
        this.#settle(
          b.target,
          kafkaError(ErrorCode._QUEUE_FULL, `topic "${b.out.topic}": local queue full for ${ms} ms`),
          undefined,
        );
      } else if (!this.#produceOne(b.out, b.target)) break;
      this.#blocked[this.#blockedHead++] = undefined as unknown as Blocked;
    }
    if (this.#blockedHead === this.#blocked.length) {
      this.#blocked = [];
      this.#blockedHead = 0;
    } else if (this.#blockedHead > 4096 && this.#blockedHead * 2 > this.#blocked.length) {
      this.#blocked = this.#blocked.slice(this.#blockedHead);
      this.#blockedHead = 0;
    }
    this.#armBlockTimer();
  }

  /** A timer for the oldest waiting send's deadline (a timeout, not a poll). */
  #armBlockTimer(): void {
    if (this.#blockTimer !== undefined || this.#blockedHead >= this.#blocked.length) return;
    const wait = Math.max(0, this.#blocked[this.#blockedHead].deadline - Date.now());
    this.#blockTimer = setTimeout(() => {
      this.#blockTimer = undefined;
      if (!this.native.closed) this.#retryBlocked();
      this.#checkFlush();
    }, wait + 1);
  }

  // --- EventSink ---------------------------------------------------------

  onEvent(type: number, ev: Ptr): number {
    if (type !== EVENT.DR) return 1;
    const c = rd();
    const count = Number(c.rd_kafka_event_message_count(ev));
    if (count * 8 > this.#dr.length) {
      this.#dr = offHeap(count * 16);
      this.#drPtr = backend.ptrOf(this.#dr);
    }
    const arr = this.#drPtr;
    const n = Number(c.rd_kafka_event_message_array(ev, arr, count));
    const pending = this.#pending;
    for (let i = 0; i < n; i++) {
      const m = backend.readPtr(arr, i * 8);
      const id = backend.readUsize(m, 64);
      const t = pending.get(id);
      if (t === undefined) continue; // already failed (fatal error or close)
      pending.delete(id);
      const err = backend.readI32(m, 0);
      const partition = backend.readI32(m, 16);
      if (err !== 0) {
        const where = partition >= 0 ? ` [${partition}]` : "";
        this.#settle(t, new KafkaError(err, `topic "${t.topic}"${where}: ${kafkaError(err).message}`), undefined);
      } else {
        const timestamp = Number(c.rd_kafka_message_timestamp(m, this.#tsType));
        const timestampType = TIMESTAMP_TYPE[this.#tsType[0]] ?? "NotAvailable";
        this.#settle(t, undefined, {
          topic: t.topic,
          partition,
          offset: backend.readI64(m, 56),
          timestamp,
          timestampType,
        });
      }
    }
    return n;
  }

  afterDrain(): void {
    if (this.#blockedHead < this.#blocked.length) this.#retryBlocked();
    this.#checkFlush();
  }

  onFatal(err: KafkaError): void {
    // librdkafka will fail these too; report now, and ignore their late reports.
    for (const t of this.#pending.values()) this.#settle(t, err, undefined);
    this.#pending.clear();
    this.#failBlocked(err);
    this.#checkFlush();
  }

  #failBlocked(err: Error): void {
    for (let i = this.#blockedHead; i < this.#blocked.length; i++) {
      this.#settle(this.#blocked[i].target, err, undefined);
    }
    this.#blocked = [];
    this.#blockedHead = 0;
  }

  // --- flush and close -----------------------------------------------------

  flush(timeoutMs: number): Promise<void> {
    if (this.pendingCount === 0) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const waiter: FlushWaiter = {
      resolve,
      reject,
      timer: setTimeout(() => {
        this.#flushWaiters = this.#flushWaiters.filter((w) => w !== waiter);
        reject(
          kafkaError(
            ErrorCode._TIMED_OUT,
            `flush timed out after ${timeoutMs} ms with ${this.pendingCount} messages undelivered`,
          ),
        );
      }, timeoutMs),
    };
    this.#flushWaiters.push(waiter);
    return promise;
  }

  #checkFlush(): void {
    if (this.pendingCount !== 0 || this.#flushWaiters.length === 0) return;
    const ws = this.#flushWaiters;
    this.#flushWaiters = [];
    for (const w of ws) {
      clearTimeout(w.timer);
      w.resolve();
    }
  }

  testFatal(code: number, reason: string): void {
    rd().rd_kafka_test_fatal_error(this.native.rk, code, cstr(reason));
  }

  close(timeoutMs: number): Promise<void> {
    this.#closed ??= this.#close(timeoutMs);
    return this.#closed;
  }

  async #close(timeoutMs: number): Promise<void> {
    this.closing = true;
    await this.flush(timeoutMs).catch(() => {});
    if (this.pendingCount > 0) {
      const purged = (what: string) =>
        kafkaError(ErrorCode._PURGE_QUEUE, `${what}: purged, the producer was closed before delivery`);
      this.#failBlocked(purged("message waiting for room in the local queue"));
      rd().rd_kafka_purge(this.native.rk, PURGE_F_QUEUE | PURGE_F_INFLIGHT | PURGE_F_NON_BLOCKING);
      await this.flush(5_000).catch(() => {});
      for (const t of this.#pending.values()) this.#settle(t, purged(`topic "${t.topic}"`), undefined);
      this.#pending.clear();
    }
    if (this.#blockTimer !== undefined) clearTimeout(this.#blockTimer);
    await this.native.destroy(() => {
      for (const rkt of this.#topics.values()) rd().rd_kafka_topic_destroy(rkt);
      this.#topics.clear();
    });
  }
}

function simple(o: Outgoing): boolean {
  return o.headers === undefined && o.timestamp === undefined;
}
