/**
 * The consumer's engine: turns events on the consumer queue into messages for
 * waiting reads, handles rebalances and commit results, and closes in order.
 *
 * A message's offset is stored (`rd_kafka_event_message_next`, for the next
 * commit) only when a read hands it out. With no read waiting, the drain keeps
 * polling but puts fetched messages aside *unread* (at most UNREAD_CAP events),
 * so errors, logs and rebalances behind them still arrive while the application
 * is idle. Unread messages of partitions that are revoked, unassigned, sought or
 * paused are dropped, as librdkafka drops its own queued ones: their offsets were
 * never stored, so nothing is skipped and nobody reads them twice.
 *
 * @module
 */
import { EVENT, OFFSET, TIMESTAMP_TYPE } from "../../ffi/mod.ts";
import { ClosedError, ErrorCode, KafkaError, kafkaError, LimitError } from "../errors.ts";
import type { EventRelay } from "../events.ts";
import { type Claim, Message, type MessageHeader } from "./message.ts";
import type { EventSink, NativeClient } from "../native/client.ts";
import { after } from "../validate.ts";
import { backend, offHeap, type Ptr, rd } from "../native/lib.ts";
import { currentLimits, heldBytesFull } from "../native/limits.ts";
import { destroyList, fromList, type TopicPartitionOffset, tpKey, tpLabel } from "../native/tplist.ts";

/**
 * A group rebalance, as the `rebalance` event and the `onRebalance` hook see it.
 *
 * @example
 * ```ts
 * consumer.on("rebalance", (e: RebalanceEvent) => console.log(e.type, e.partitions.length));
 * ```
 */
export interface RebalanceEvent {
  type: "assign" | "revoke";
  /** The partitions assigned or revoked (with `cooperative-sticky`, only the change). */
  partitions: TopicPartitionOffset[];
  protocol: "EAGER" | "COOPERATIVE" | "NONE";
  /** True when a revoke happens because the assignment was lost (session timeout, fatal). */
  lost: boolean;
}

/** `enable.partition.eof`: the consumer reached the end of a partition. @example `consumer.on("eof", (e) => console.log(e.topic, e.partition, e.offset))` */
export interface PartitionEof {
  topic: string;
  partition: number;
  /** The offset of the next message to come. */
  offset: bigint;
}

interface ReadRequest {
  max: number;
  out: Message[];
  done: boolean;
  /** Resolves with `out` (a batch) or with its first message or null (`read()`). */
  resolve(v: Message[] | Message | null): void;
  one: boolean;
  reject(e: unknown): void;
  cleanup?: () => void;
}

interface CommitWaiter {
  resolve(v: TopicPartitionOffset[]): void;
  reject(e: unknown): void;
}

/** The engine's settings (from the Consumer's options). */
export interface CoreOptions {
  copyThreshold: number;
  /** The group's rebalance protocol is cooperative (`cooperative-sticky`, or `group.protocol=consumer`). */
  cooperative: boolean;
  onRebalance?: (e: RebalanceEvent) => void | Promise<void>;
}

const SLAB = 64 * 1024;
/** Most events kept unread while no read waits; then the drain stops until one does. */
const UNREAD_CAP = 1024;
const HEADER_OUTS = 24;

/** Internal: see the module comment. @example `const core = new ConsumerCore(emitter, opts)` */
export class ConsumerCore implements EventSink {
  native!: NativeClient;
  /** Results of commits (never held back by the demand gate). */
  results!: Ptr;
  readonly holding = false;
  adopted = false;
  closing = false;
  fatal: KafkaError | undefined;
  readonly claims = new Set<Claim>();
  /** Partitions assigned now, tracked from rebalances and assign calls. */
  readonly assigned = new Map<string, { topic: string; partition: number }>();
  protocol: RebalanceEvent["protocol"] = "NONE";
  #emitter: EventRelay;
  #opts: CoreOptions;
  #reads: ReadRequest[] = [];
  /** FETCH events taken from the queue but not read yet, and end-of-partition marks in their order. */
  #unread: (Ptr | PartitionEof)[] = [];
  #unreadHead = 0;
  /** After unsubscribe(), until the revoke: fetched messages go back unread. */
  #discarding = false;
  #rebalancing: Promise<void> | null = null;
  #commits = new Map<number, CommitWaiter>();
  /**
   * The public Consumer, held while reads or commits wait. Nothing else here holds
   * it (so a dropped consumer can be collected), yet a caller awaiting a read may
   * hold no reference to it either: without this, the GC could close the consumer
   * under a pending read, which would then reject.
   */
  #pin: object | null = null;
  /** The public Consumer to pin while work is pending (set once by it). */
  owner: WeakRef<object> | undefined;
  #nextCommit = 1;
  #topics = new Map<number | bigint, string>();
  /** The previous message's topic name (its handle: see MessageReader.sameTopic). */
  #lastTopic: string | undefined;
  #reader = backend.messageReader();
  #tsType = offHeap(8);
  #hdrOut = offHeap(8);
  #hdrOuts = offHeap(HEADER_OUTS);
  /** Allocated at the first copy (see ProducerCore's buffers: a consumer that never copies never pays for it). */
  #slab = new ArrayBuffer(0);
  #slabOff = SLAB;
  #epoch: ((m: Ptr) => number) | undefined;

  constructor(emitter: EventRelay, opts: CoreOptions) {
    this.#emitter = emitter;
    this.#opts = opts;
    const lib = rd() as unknown as Record<string, ((m: Ptr) => number) | undefined>;
    this.#epoch = lib.rd_kafka_message_leader_epoch;
  }

  // --- reads ---------------------------------------------------------------

  /** One message, or null at the timeout. */
  readOne(timeoutMs: number, signal: AbortSignal | undefined): Promise<Message | null> {
    return this.#request(1, true, timeoutMs, signal) as Promise<Message | null>;
  }

  /** Up to `max` messages; [] at the timeout. */
  read(max: number, timeoutMs: number, signal: AbortSignal | undefined): Promise<Message[]> {
    return this.#request(max, false, timeoutMs, signal) as Promise<Message[]>;
  }

  #request(
    max: number,
    one: boolean,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<Message[] | Message | null> {
    if (this.closing) return Promise.reject(new ClosedError("consumer"));
    if (this.fatal) return Promise.reject(this.fatal);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (heldBytesFull()) {
      const l = currentLimits();
      return Promise.reject(
        new LimitError(
          "maxHeldBytes",
          l.maxHeldBytes,
          `unreleased zero-copy messages hold ${l.heldBytes} bytes; release() them (or raise configure({ maxHeldBytes }))`,
        ),
      );
    }
    let r!: ReadRequest;
    const p = new Promise<Message[] | Message | null>((resolve, reject) => {
      r = { max, out: [], done: false, resolve, reject, one };
    });
    this.#reads.push(r);
    this.#pin ??= this.owner?.deref() ?? null;
    if (this.#unreadHead < this.#unread.length) this.#handUnread();
    this.native.drainInTurn();
    this.afterDrain();
    if (r.done) return p;
    // The arguments were checked by the caller (validate.ts): nothing below can throw.
    const cancel = after(timeoutMs, () => this.#finish(r));
    let onAbort: (() => void) | undefined;
    if (signal) {
      onAbort = () => this.#fail(r, signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
    }
    r.cleanup = () => {
      cancel();
      if (onAbort) signal!.removeEventListener("abort", onAbort);
    };
    return p;
  }

  /** Lets the GC have the consumer again once nothing waits. */
  #unpin(): void {
    if (this.#reads.length === 0 && this.#commits.size === 0) this.#pin = null;
  }

  #finish(r: ReadRequest): void {
    if (r.done) return;
    r.done = true;
    r.cleanup?.();
    const i = this.#reads.indexOf(r);
    if (i >= 0) this.#reads.splice(i, 1);
    this.#unpin();
    r.resolve(r.one ? (r.out[0] ?? null) : r.out);
  }

  #fail(r: ReadRequest, e: unknown): void {
    if (r.done) return;
    r.done = true;
    r.cleanup?.();
    const i = this.#reads.indexOf(r);
    if (i >= 0) this.#reads.splice(i, 1);
    this.#unpin();
    // A read holds messages only inside one drain slice (afterDrain resolves it), and
    // timers, aborts and close never run inside a slice: nothing is dropped here. Only a
    // fatal error (handled inside a slice) can drop them, and the consumer is done then.
    r.reject(e);
  }

  /** The first read that still has room. */
  #target(): ReadRequest | undefined {
    for (const r of this.#reads) if (r.out.length < r.max) return r;
    return undefined;
  }

  /** Gives unread messages (and end-of-partition marks) to reads, in queue order. */
  #handUnread(): void {
    const c = rd();
    while (this.#unreadHead < this.#unread.length) {
      const e = this.#unread[this.#unreadHead];
      // An end mark goes out as soon as every message before it has been handed out.
      if (isEof(e)) {
        this.#unread[this.#unreadHead++] = backend.NULL;
        this.#emitter.emit("eof", e);
        continue;
      }
      const r = this.#target();
      if (r === undefined) break;
      this.#unread[this.#unreadHead++] = backend.NULL;
      const m: Ptr = c.rd_kafka_event_message_next(e);
      if (backend.isNull(m)) c.rd_kafka_event_destroy(e);
      else r.out.push(this.#decode(e, m));
    }
    this.#compactUnread();
  }

  #compactUnread(): void {
    if (this.#unreadHead === this.#unread.length) {
      this.#unread.length = 0;
      this.#unreadHead = 0;
    } else if (this.#unreadHead > 256 && this.#unreadHead * 2 > this.#unread.length) {
      this.#unread = this.#unread.slice(this.#unreadHead);
      this.#unreadHead = 0;
    }
  }

  get #unreadCount(): number {
    return this.#unread.length - this.#unreadHead;
  }

  /**
   * Drops unread messages (and end marks) of these partitions, or all of them.
   * Their offsets were never stored: the partition's next reader gets them.
   */
  dropUnread(keys?: Set<string>): void {
    if (this.#unreadCount === 0) return;
    const c = rd();
    const keep: (Ptr | PartitionEof)[] = [];
    for (let i = this.#unreadHead; i < this.#unread.length; i++) {
      const e = this.#unread[i];
      let key: string | undefined;
      if (keys !== undefined) {
        if (isEof(e)) key = tpKey(e.topic, e.partition);
        else {
          const tp: Ptr = c.rd_kafka_event_topic_partition(e);
          if (!backend.isNull(tp)) {
            key = tpKey(backend.readCString(backend.readPtr(tp, 0)) ?? "", backend.readI32(tp, 8));
            c.rd_kafka_topic_partition_destroy(tp);
          }
        }
      }
      if (keys === undefined || key === undefined || keys.has(key)) {
        if (!isEof(e)) c.rd_kafka_event_destroy(e);
      } else {
        keep.push(e);
      }
    }
    this.#unread = keep;
    this.#unreadHead = 0;
    // There may be room again: events behind the unread ones can come through.
    this.native.kick();
  }

  /** unsubscribe(): drop what is unread, and what comes, until librdkafka revokes. */
  discardUntilRevoke(): void {
    this.#discarding = true;
    this.dropUnread();
  }

  // --- EventSink -------------------------------------------------------------

  wants(): boolean {
    return this.#rebalancing === null && this.#unreadCount < UNREAD_CAP;
  }

  peek(ev: Ptr): boolean {
    // Unread messages go first: a new one queues behind them (onEvent).
    if (this.closing || this.#discarding || this.#unreadCount > 0) return false;
    const r = this.#target();
    if (r === undefined) return false;
    const m: Ptr = rd().rd_kafka_event_message_next(ev);
    if (backend.isNull(m)) return false; // not a message: dispatched by type
    r.out.push(this.#decode(ev, m));
    return true;
  }

  onEvent(type: number, ev: Ptr): number {
    this.adopted = false;
    if (type === EVENT.FETCH) {
      // Nobody asked (or older ones wait): keep it unread, its offset not stored, until a read does.
      if (!this.closing && !this.#discarding) {
        this.#unread.push(ev);
        this.adopted = true;
      }
    } else if (type === EVENT.REBALANCE) {
      this.#onRebalance(ev);
    } else if (type === EVENT.OFFSET_COMMIT) {
      this.#onCommitResult(ev);
    }
    return 1;
  }

  resume(): number {
    return 0;
  }

  release(): void {
    const c = rd();
    for (let i = this.#unreadHead; i < this.#unread.length; i++) {
      const e = this.#unread[i];
      if (!isEof(e)) c.rd_kafka_event_destroy(e);
    }
    this.#unread = [];
    this.#unreadHead = 0;
  }

  /** Set while close waits: checked after every drain. */
  afterClose: (() => void) | undefined;

  afterDrain(): void {
    this.afterClose?.();
    for (let i = 0; i < this.#reads.length;) {
      const r = this.#reads[i];
      if (r.out.length > 0) this.#finish(r);
      else i++;
    }
  }

  onFatal(err: KafkaError): void {
    this.fatal = err;
    for (const r of [...this.#reads]) this.#fail(r, err);
    this.failCommits(err);
  }

  /** Rejects every commit still waiting for its result (fatal error, or a close that gave up). */
  failCommits(err: Error): void {
    for (const w of this.#commits.values()) w.reject(err);
    this.#commits.clear();
    this.#unpin();
  }

  onError(): void {}

  claimError(code: number, ev: Ptr): boolean {
    const c = rd();
    const tpPtr: Ptr = c.rd_kafka_event_topic_partition(ev);
    if (backend.isNull(tpPtr)) return false;
    let topic: string;
    let partition: number;
    let offset: bigint;
    try {
      topic = backend.readCString(backend.readPtr(tpPtr, 0)) ?? "";
      partition = backend.readI32(tpPtr, 8);
      offset = backend.readI64(tpPtr, 16);
    } finally {
      c.rd_kafka_topic_partition_destroy(tpPtr);
    }
    if (code === ErrorCode._PARTITION_EOF) {
      const eof: PartitionEof = { topic, partition, offset };
      // Behind unread messages, the end mark waits for them to be read.
      if (this.#unreadCount > 0) this.#unread.push(eof);
      else this.#emitter.emit("eof", eof);
      return true;
    }
    const text = backend.readCString(c.rd_kafka_event_error_string(ev)) ?? "";
    this.#emitter.emit("error", new KafkaError(code, `${tpLabel({ topic, partition })}: ${text}`));
    return true;
  }

  // --- messages --------------------------------------------------------------

  /** Reads one message (the event stays alive only for a zero-copy value). */
  #decode(ev: Ptr, m: Ptr): Message {
    const c = rd();
    const r = this.#reader;
    r.load(m);
    let topic = this.#lastTopic;
    if (!r.sameTopic || topic === undefined) {
      topic = this.#topics.get(r.topicKey) ?? this.#topicName(r.topicKey);
      this.#lastTopic = topic;
    }
    const len = r.len;
    const key = r.hasKey ? this.#copy(r.keyLen, true) : null;
    const timestamp = Number(c.rd_kafka_message_timestamp(m, this.#tsType));
    const timestampType = TIMESTAMP_TYPE[this.#tsType[0]] ?? "NotAvailable";
    const headers = !this.#mayHaveHeaders()
      ? []
      : c.rd_kafka_message_headers(m, this.#hdrOut) === 0
      ? this.#headers()
      : [];
    const epoch = this.#epoch?.(m);
    const leaderEpoch = epoch === undefined || epoch < 0 ? undefined : epoch;
    const zeroCopy = r.hasValue && len > this.#opts.copyThreshold && !heldBytesFull();
    const value = !r.hasValue ? null : zeroCopy ? new Uint8Array(r.valueView()) : this.#copy(len, false);
    const msg = new Message(topic, r.partition, r.offset, key, value, headers, timestamp, timestampType, leaderEpoch);
    if (zeroCopy) msg.adopt(ev, len, this.claims);
    else c.rd_kafka_event_destroy(ev);
    return msg;
  }

  /**
   * False when the loaded message surely has no headers, without asking librdkafka:
   * for a record without headers `rd_kafka_message_headers` still builds and frees a
   * parse buffer (about 0.45 µs, measured: a sixth of a message's cost on Bun).
   *
   * A v2 record (Kafka 0.11 and later) ends `… valueLength value headerCount
   * headers`, and librdkafka points `payload` into the record, so the byte after the
   * value starts the header count, and 0 means none. A v0/v1 message has no headers
   * and ends with its value; the 4 bytes before the value are its big-endian length,
   * which is how one is recognised (then the byte after the value is not read, as it
   * may be past the buffer). A v2 record whose bytes before the value happen to read
   * as its length, a null or empty value (librdkafka points an empty one at a static
   * ""), or a count that is not 0: librdkafka answers.
   */
  #mayHaveHeaders(): boolean {
    const r = this.#reader;
    // An empty value points at a static "" in librdkafka, not into the record.
    if (!r.hasValue || r.len === 0) return true;
    if (r.beforeValue() === r.len) return true;
    return r.afterValue() !== 0;
  }

  /** Copies the loaded message's key or value into JS memory: small ones share 64 KiB slabs. */
  #copy(len: number, key: boolean): Uint8Array {
    if (len === 0) return new Uint8Array(0);
    const out = this.#room(len);
    if (key) this.#reader.copyKey(out);
    else this.#reader.copyValue(out);
    return out;
  }

  /** `len` bytes of JS memory: a slice of the current slab, or their own buffer when large. */
  #room(len: number): Uint8Array {
    if (len > SLAB / 4) return new Uint8Array(len);
    if (this.#slabOff + len > SLAB) {
      this.#slab = new ArrayBuffer(SLAB);
      this.#slabOff = 0;
    }
    // Not subarray(): JavaScriptCore's species lookup made it a tenth of the time per message.
    const out = new Uint8Array(this.#slab, this.#slabOff, len);
    this.#slabOff += (len + 7) & ~7;
    return out;
  }

  /** The loaded message's topic name, read once per topic handle. */
  #topicName(rkt: number | bigint): string {
    const name = backend.readCString(rd().rd_kafka_topic_name(this.#reader.topic())) ?? "";
    this.#topics.set(rkt, name);
    return name;
  }

  #headers(): MessageHeader[] {
    const c = rd();
    const hdrs = backend.readPtr(backend.ptrOf(this.#hdrOut), 0);
    const outs = this.#hdrOuts;
    const dv = new DataView(outs.buffer);
    const out: MessageHeader[] = [];
    for (let i = 0;; i++) {
      if (c.rd_kafka_header_get_all(hdrs, BigInt(i), outs, outs.subarray(8), outs.subarray(16)) !== 0) break;
      const name = backend.readCString(backend.fromAddress(dv.getBigUint64(0, true))) ?? "";
      const valAddr = dv.getBigUint64(8, true);
      const size = Number(dv.getBigUint64(16, true));
      out.push([name, valAddr === 0n ? null : backend.copyBytes(backend.fromAddress(valAddr), size)]);
    }
    return out;
  }

  // --- rebalances --------------------------------------------------------------

  #onRebalance(ev: Ptr): void {
    const c = rd();
    const code: number = c.rd_kafka_event_error(ev);
    const list: Ptr = c.rd_kafka_topic_partition_list_copy(c.rd_kafka_event_topic_partition_list(ev));
    const partitions = fromList(list).map(({ topic, partition }) => ({ topic, partition }));
    // Not rd_kafka_rebalance_protocol(): it waits for librdkafka's main thread (16-142 µs
    // measured, on the JS thread). The protocol follows from the configuration.
    this.protocol = this.#opts.cooperative ? "COOPERATIVE" : "EAGER";
    const type = code === ErrorCode._ASSIGN_PARTITIONS ? "assign" : "revoke";
    const lost = type === "revoke" && c.rd_kafka_assignment_lost(this.native.rk) !== 0;
    const event: RebalanceEvent = { type, partitions, protocol: this.protocol, lost };
    this.#rebalancing = this.#handleRebalance(event, list).catch((e) => {
      // Only a close racing the hand-back gets here (the handle went first): nothing is lost.
      if (!this.native.closed) this.#emitter.emit("error", e);
    }).finally(() => {
      this.#rebalancing = null;
      if (!this.native.closed) this.native.kick();
    });
  }

  async #handleRebalance(event: RebalanceEvent, list: Ptr): Promise<void> {
    const cooperative = this.protocol === "COOPERATIVE";
    try {
      if (event.type === "revoke") {
        const keys = new Set(event.partitions.map((tp) => tpKey(tp.topic, tp.partition)));
        for (const k of keys) this.assigned.delete(k);
        if (!cooperative) this.assigned.clear();
        this.dropUnread(cooperative ? keys : undefined);
        this.#discarding = false;
      }
      this.#emitter.emit("rebalance", event);
      try {
        await this.#opts.onRebalance?.(event);
      } catch (e) {
        this.#emitter.emit(
          "error",
          new KafkaError(ErrorCode._FAIL, `onRebalance hook failed: ${String(e)}`, {}, {
            cause: e,
          }),
        );
      }
      // A hook that outlived the close: the handle is gone (or going); nothing to hand back.
      if (this.native.closed) return;
      let err = 0;
      // Urgent: the group waits for this hand-back, so it never queues behind other calls.
      // Through the client, so that its destroy waits for the call.
      if (cooperative) {
        const sym = event.type === "assign" ? "rd_kafka_incremental_assign" : "rd_kafka_incremental_unassign";
        const e = (await this.native.background(sym, [this.native.rk, list], { urgent: true })) as Ptr;
        err = this.#takeError(e);
      } else {
        const arg = event.type === "assign" ? list : backend.NULL;
        err = Number(await this.native.background("rd_kafka_assign", [this.native.rk, arg], { urgent: true }));
      }
      if (err !== 0) {
        this.#emitter.emit(
          "error",
          kafkaError(err, `${event.type} after rebalance failed: ${kafkaError(err).message}`),
        );
      } else if (event.type === "assign") {
        for (const tp of event.partitions) this.assigned.set(tpKey(tp.topic, tp.partition), tp);
        this.#firstAssign.resolve();
      }
      // Topic handles of partitions no longer assigned may be freed: names are read again.
      this.#topics.clear();
      this.#lastTopic = undefined;
    } finally {
      destroyList(list);
    }
  }

  /** Reads and destroys an `rd_kafka_error_t *` (as an address or pointer); 0 when none. */
  #takeError(e: unknown): number {
    if (e === null || e === 0 || e === undefined) return 0;
    const p = typeof e === "number" || typeof e === "bigint" ? backend.fromAddress(e) : (e as Ptr);
    if (backend.isNull(p)) return 0;
    const c = rd();
    const code: number = c.rd_kafka_error_code(p);
    c.rd_kafka_error_destroy(p);
    return code;
  }

  /** After assign/unassign by the application: partitions and topic handles may be gone. */
  assignmentChanged(): void {
    this.assigned.clear();
    this.#topics.clear();
    this.#lastTopic = undefined;
    this.#discarding = false;
  }

  /** Set by the Consumer while a subscription is in force. */
  subscribed = false;
  #firstAssign = Promise.withResolvers<void>();

  /**
   * Resolves at the group's first assignment. librdkafka < 2.3.0 aborts the process
   * when a cooperative-sticky consumer's group is closed before its first assignment
   * (confluentinc/librdkafka#4381, rd_kafka_sticky_assignor_state_destroy): close waits
   * for it first, within its timeout.
   */
  get firstAssigned(): Promise<void> {
    return this.#firstAssign.promise;
  }

  /** Whether close must wait for {@link firstAssigned} (see there). */
  get mustAwaitFirstAssign(): boolean {
    return this.#opts.cooperative && this.subscribed && (rd().rd_kafka_version() as number) < 0x020300ff;
  }

  /** Waits for a rebalance being handled (close waits for it). */
  settled(): Promise<void> {
    return this.#rebalancing ?? Promise.resolve();
  }

  // --- commits -------------------------------------------------------------------

  /** Commits `list` (NULL: the stored offsets); resolves with librdkafka's result. */
  commit(list: Ptr): Promise<TopicPartitionOffset[]> {
    if (this.fatal) return Promise.reject(this.fatal);
    const id = this.#nextCommit++;
    const err: number = rd().rd_kafka_commit_queue(this.native.rk, list, this.results, backend.NULL, BigInt(id));
    if (err !== 0) return Promise.reject(kafkaError(err, `commit: ${kafkaError(err).message}`));
    this.#pin ??= this.owner?.deref() ?? null;
    return new Promise((resolve, reject) => this.#commits.set(id, { resolve, reject }));
  }

  #onCommitResult(ev: Ptr): void {
    const c = rd();
    const id = Number(c.rd_kafka_event_opaque(ev));
    const w = this.#commits.get(id);
    if (!w) return;
    this.#commits.delete(id);
    this.#unpin();
    const err: number = c.rd_kafka_event_error(ev);
    const tps = fromList(c.rd_kafka_event_topic_partition_list(ev));
    if (err === ErrorCode._NO_OFFSET) return w.resolve([]); // nothing new to commit
    if (err !== 0) {
      const text = backend.readCString(c.rd_kafka_event_error_string(ev)) ?? kafkaError(err).message;
      return w.reject(new KafkaError(err, `commit failed: ${text}`));
    }
    const failed = tps.find((t) => t.error);
    if (failed) return w.reject(failed.error);
    // Partitions with nothing to commit come back with RD_KAFKA_OFFSET_INVALID: leave them out.
    w.resolve(
      tps.filter((t) => t.offset !== undefined && t.offset >= 0n).map((t) => ({
        topic: t.topic,
        partition: t.partition,
        offset: t.offset,
      })),
    );
  }

  // --- close ---------------------------------------------------------------------

  /** Rejects waiting reads and refuses new ones. */
  beginClose(): void {
    this.closing = true;
    for (const r of [...this.#reads]) this.#fail(r, new ClosedError("consumer"));
    this.release();
  }

  /** Copies out every zero-copy value users still hold, so destroy cannot wait on them. */
  copyOutAll(): void {
    for (const claim of [...this.claims]) claim.copyOut();
  }
}

function isEof(e: Ptr | PartitionEof): e is PartitionEof {
  return e !== null && typeof e === "object" && "offset" in e;
}

/** Offsets librdkafka reports as "none" become undefined. @example `offsetOrUndefined(-1001n) === undefined` */
export function offsetOrUndefined(o: bigint | undefined): bigint | undefined {
  return o === undefined || o === OFFSET.INVALID ? undefined : o;
}
