/**
 * The consumer's engine: turns events on the consumer queue into messages for
 * waiting reads (each decoded by decode.ts), hands rebalances to its rebalancer
 * (rebalance.ts, which reads this engine as a RebalanceHost) and commit results to its
 * commits (commits.ts, which reads it as a CommitHost), and closes in order.
 *
 * With no read waiting, the drain keeps polling but puts fetched messages aside
 * *unread* (at most UNREAD_CAP events), so errors, logs and rebalances behind them
 * still arrive while the application is idle. Unread messages of partitions that
 * are revoked, unassigned, sought or paused are dropped, as librdkafka drops its
 * own queued ones. librdkafka stored their offsets when they were taken from the
 * queue: the partition's floor (floors.ts) keeps the first offset not handed out,
 * which positions, commits and the offsets stored before librdkafka commits by
 * itself follow, so nothing is skipped and nobody reads them twice.
 *
 * @module
 */
import { EVENT, OFFSET } from "../../ffi/mod.ts";
import { ClosedError, ErrorCode, KafkaError, LimitError } from "../errors.ts";
import type { EventRelay } from "../events.ts";
import type { Claim, Message } from "./message.ts";
import type { EventSink, NativeClient } from "../native/client.ts";
import { after } from "../validate.ts";
import { backend, type Ptr, rd } from "../native/lib.ts";
import { currentLimits, heldBytesFull } from "../native/limits.ts";
import {
  destroyList,
  fromList,
  toList,
  type TopicPartition,
  type TopicPartitionOffset,
  tpKey,
  tpLabel,
} from "../native/tplist.ts";
import { type Floor, Floors, storeFloors } from "./floors.ts";
import { Decoder } from "./decode.ts";
import { type CommitHost, Commits } from "./commits.ts";
import { type RebalanceHost, type RebalanceOptions, Rebalancer } from "./rebalance.ts";

export type { RebalanceEvent } from "./rebalance.ts";

/** `enable.partition.eof`: the consumer reached the end of a partition. @example `consumer.on("eof", (e) => console.log(e.topic, e.partition, e.offset))` */
export interface PartitionEof {
  topic: string;
  partition: number;
  /** The offset of the next message to come. */
  offset: bigint;
}

/** A message taken from the queue and not handed out yet (its event owns it). */
interface Held {
  ev: Ptr;
  m: Ptr;
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

/** The engine's settings (from the Consumer's options). */
export interface CoreOptions extends RebalanceOptions {
  copyThreshold: number;
  /** librdkafka's `enable.auto.offset.store`: taking a message from the queue stores its offset. */
  autoStore: boolean;
}

/** Most events kept unread while no read waits; then the drain stops until one does. */
const UNREAD_CAP = 1024;

/** Internal: see the module comment. @example `const core = new ConsumerCore(emitter, opts)` */
export class ConsumerCore implements EventSink, CommitHost, RebalanceHost {
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
  #emitter: EventRelay;
  #opts: CoreOptions;
  #reads: ReadRequest[] = [];
  /** FETCH events taken from the queue but not read yet, and end-of-partition marks in their order. */
  #unread: (Held | PartitionEof)[] = [];
  /** Where librdkafka's stored offsets and positions run ahead of what reads were handed. */
  readonly floors = new Floors();
  /** Membership calls that change the assignment run: the queue is not served meanwhile (see gate()). */
  #gated = 0;
  #unreadHead = 0;
  /** After unsubscribe(), until the revoke: fetched messages go back unread. */
  #discarding = false;
  /**
   * The public Consumer, held while reads or commits wait. Nothing else here holds
   * it (so a dropped consumer can be collected), yet a caller awaiting a read may
   * hold no reference to it either: without this, the GC could close the consumer
   * under a pending read, which would then reject.
   */
  #pin: object | null = null;
  /** The public Consumer to pin while work is pending (set once by it). */
  owner: WeakRef<object> | undefined;
  /** Turns fetched messages into Messages, and tells where held ones belong (decode.ts). */
  readonly #decoder: Decoder;
  /** Commits and their results (commits.ts). */
  readonly #commits: Commits;
  /** Rebalances, told to the application and handed back (rebalance.ts). */
  readonly #rebalancer: Rebalancer;

  constructor(emitter: EventRelay, opts: CoreOptions) {
    this.#emitter = emitter;
    this.#opts = opts;
    this.#decoder = new Decoder(opts.copyThreshold, this.claims);
    this.#commits = new Commits(this);
    this.#rebalancer = new Rebalancer(this, emitter, opts, this.#decoder);
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
    this.pin();
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

  /** Holds the public Consumer while reads or commits wait (see #pin). */
  pin(): void {
    this.#pin ??= this.owner?.deref() ?? null;
  }

  /** Lets the GC have the consumer again once nothing waits. */
  unpin(): void {
    if (this.#reads.length === 0 && this.#commits.waiting === 0) this.#pin = null;
  }

  #finish(r: ReadRequest): void {
    if (r.done) return;
    r.done = true;
    r.cleanup?.();
    const i = this.#reads.indexOf(r);
    if (i >= 0) this.#reads.splice(i, 1);
    this.unpin();
    r.resolve(r.one ? (r.out[0] ?? null) : r.out);
  }

  #fail(r: ReadRequest, e: unknown): void {
    if (r.done) return;
    r.done = true;
    r.cleanup?.();
    const i = this.#reads.indexOf(r);
    if (i >= 0) this.#reads.splice(i, 1);
    this.unpin();
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
    while (this.#unreadHead < this.#unread.length) {
      const e = this.#unread[this.#unreadHead];
      // An end mark goes out as soon as every message before it has been handed out.
      if (isEof(e)) {
        this.#unread[this.#unreadHead++] = TAKEN;
        this.#emitter.emit("eof", e);
        continue;
      }
      const r = this.#target();
      if (r === undefined) break;
      this.#unread[this.#unreadHead++] = TAKEN;
      const msg = this.#decoder.decode(e.ev, e.m);
      if (this.floors.active) this.floors.handed(this.floors.key(msg.topic, msg.partition));
      r.out.push(msg);
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
    const keep: (Held | PartitionEof)[] = [];
    for (let i = this.#unreadHead; i < this.#unread.length; i++) {
      const e = this.#unread[i];
      if (isEof(e)) {
        if (keys !== undefined && !keys.has(tpKey(e.topic, e.partition))) keep.push(e);
        continue;
      }
      const { topic, partition, offset } = this.#decoder.locate(e.m);
      if (keys !== undefined && !keys.has(tpKey(topic, partition))) {
        keep.push(e);
        continue;
      }
      this.floors.drop(this.floors.key(topic, partition), topic, partition, offset);
      c.rd_kafka_event_destroy(e.ev);
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
    return !this.#rebalancer.busy && this.#gated === 0 && this.#unreadCount < UNREAD_CAP;
  }

  /** Stores the floors (with auto store on; otherwise the application's stores stand). */
  restore(keys?: ReadonlySet<string>): void {
    if (!this.#opts.autoStore) return;
    const floors = [...this.#floorsNow().values()];
    storeFloors(this.native.rk, keys ? floors.filter((f) => keys.has(tpKey(f.topic, f.partition))) : floors);
  }

  /**
   * Every partition's floor now: the first unread message of each (the list is in
   * queue order), or the first of those dropped unread, whichever is lower.
   */
  #floorsNow(): Map<number, Floor> {
    const out = new Map<number, Floor>();
    for (const [k, f] of this.floors.dropped()) out.set(k, { ...f });
    for (let i = this.#unreadHead; i < this.#unread.length; i++) {
      const e = this.#unread[i];
      if (isEof(e)) continue;
      const { topic, partition, offset } = this.#decoder.locate(e.m);
      const k = this.floors.key(topic, partition);
      const f = out.get(k);
      if (f === undefined) {
        out.set(k, { topic, partition, at: this.floors.isFresh(k) ? null : offset, first: offset });
      } else if (offset < f.first) {
        f.first = offset;
        if (f.at !== null && offset < f.at) f.at = offset;
      }
    }
    return out;
  }

  /** Where fetching must start again for a partition whose messages were dropped (resume): undefined when none were. */
  resumeAt(topic: string, partition: number): bigint | undefined {
    const f = this.floors.active ? this.#floorsNow().get(this.floors.key(topic, partition)) : undefined;
    return f === undefined ? undefined : f.at ?? f.first;
  }

  /**
   * Runs `call` (an assign or unassign off the JS thread, which makes librdkafka commit
   * the stored offsets) with the queue unserved: the floors stored first stay stored.
   */
  async gate<T>(call: () => Promise<T>): Promise<T> {
    this.#gated++;
    try {
      this.restore();
      return await call();
    } finally {
      this.#gated--;
      if (!this.native.closed) this.native.kick();
    }
  }

  peek(ev: Ptr): boolean {
    // Unread messages go first: a new one queues behind them (onEvent).
    if (this.closing || this.#discarding || this.#unreadCount > 0) return false;
    const r = this.#target();
    if (r === undefined) return false;
    const m: Ptr = rd().rd_kafka_event_message_next(ev);
    if (backend.isNull(m)) return false; // not a message: dispatched by type
    const msg = this.#decoder.decode(ev, m);
    // A partition whose dropped messages are fetched again (after a pause or seek) ends its
    // floor; the first message of a partition ends its freshness.
    if (this.floors.active) this.floors.handed(this.floors.key(msg.topic, msg.partition));
    r.out.push(msg);
    return true;
  }

  onEvent(type: number, ev: Ptr): number {
    this.adopted = false;
    if (type === EVENT.FETCH) {
      // Nobody asked (or older ones wait, or the consumer is leaving). Taking the message
      // stores its offset + 1 (and librdkafka goes on to serve transaction markers behind
      // it): its partition's floor takes that back until a read has it.
      const m: Ptr = rd().rd_kafka_event_message_next(ev);
      if (backend.isNull(m)) return 1;
      if (!this.closing && !this.#discarding) {
        this.#unread.push({ ev, m });
        this.adopted = true;
      } else {
        this.#dropOne(m);
      }
    } else if (type === EVENT.REBALANCE) {
      this.#rebalancer.onRebalance(ev);
    } else if (type === EVENT.OFFSET_COMMIT) {
      this.#commits.onResult(ev);
    }
    return 1;
  }

  resume(): number {
    return 0;
  }

  /** A message taken and dropped at once (the consumer closes, or leaves the group): it leaves a floor. */
  #dropOne(m: Ptr): void {
    const { topic, partition, offset } = this.#decoder.locate(m);
    this.floors.drop(this.floors.key(topic, partition), topic, partition, offset);
  }

  /** Partitions (re)assigned: nothing handed out of them since (see Floors.fresh). */
  markFresh(tps: readonly TopicPartition[]): void {
    this.floors.fresh(tps);
  }

  release(): void {
    const c = rd();
    for (let i = this.#unreadHead; i < this.#unread.length; i++) {
      const e = this.#unread[i];
      if (isEof(e)) continue;
      this.#dropOne(e.m);
      c.rd_kafka_event_destroy(e.ev);
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
    this.#commits.failCommits(err);
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

  // --- rebalances (rebalance.ts) --------------------------------------------------

  /** RebalanceHost: unsubscribe()'s discarding ends at the revoke it waited for. */
  stopDiscarding(): void {
    this.#discarding = false;
  }

  /** RebalanceHost: what this consumer committed of these partitions is forgotten. */
  forgetCommitted(keys: ReadonlySet<string>): void {
    for (const k of keys) this.#commits.committedView.delete(k);
  }

  /** After assign/unassign by the application: partitions and topic handles may be gone. */
  assignmentChanged(): void {
    this.assigned.clear();
    this.floors.forget();
    this.#commits.committedView.clear();
    this.#decoder.forgetTopics();
    this.#discarding = false;
  }

  /** Set by the Consumer while a subscription is in force. */
  subscribed = false;

  /** Resolves at the group's first assignment (why close may wait for it: Rebalancer.firstAssigned). */
  get firstAssigned(): Promise<void> {
    return this.#rebalancer.firstAssigned;
  }

  /** Whether close must wait for {@link firstAssigned} (see Rebalancer.mustAwaitFirstAssign). */
  get mustAwaitFirstAssign(): boolean {
    return this.#rebalancer.mustAwaitFirstAssign;
  }

  /** Waits for a rebalance being handled (close waits for it). */
  settled(): Promise<void> {
    return this.#rebalancer.settled();
  }

  // --- positions and commits -----------------------------------------------------

  /** The next offset a read gets per partition: librdkafka's position, held back to the floors. */
  positions(tps: readonly TopicPartition[]): TopicPartitionOffset[] {
    const list = toList(tps);
    try {
      rd().rd_kafka_position(this.native.rk, list);
      const floors = this.floors.active || this.#unreadCount > 0 ? this.#floorsNow() : undefined;
      return fromList(list).map((t) => {
        const floor = floors?.get(this.floors.key(t.topic, t.partition));
        return {
          topic: t.topic,
          partition: t.partition,
          offset: floor === undefined ? offsetOrUndefined(t.offset) : floor.at ?? undefined,
        };
      });
    } finally {
      destroyList(list);
    }
  }

  /** CommitHost: the partitions commit() with no argument covers (the assignment, and a revoke's in its hook). */
  committable(): TopicPartition[] {
    return [...this.assigned.values(), ...this.#rebalancer.revoking];
  }

  /** CommitHost: librdkafka's `enable.auto.offset.store`. */
  get autoStore(): boolean {
    return this.#opts.autoStore;
  }

  /** CommitHost: a rebalance is being handled (the auto-commit tick skips). */
  get rebalancing(): boolean {
    return this.#rebalancer.busy;
  }

  /** commit() with no argument: see Commits.commitPositions. */
  commitPositions(): Promise<TopicPartitionOffset[]> {
    return this.#commits.commitPositions();
  }

  /** Commits the positions every `ms` (see Commits.startAutoCommit); stopped by beginClose(). */
  startAutoCommit(ms: number): void {
    this.#commits.startAutoCommit(ms);
  }

  /** Commits `list` (NULL: the stored offsets); resolves with librdkafka's result. */
  commit(list: Ptr): Promise<TopicPartitionOffset[]> {
    return this.#commits.commit(list);
  }

  // --- close ---------------------------------------------------------------------

  /** Rejects waiting reads and refuses new ones. */
  beginClose(): void {
    this.closing = true;
    this.#commits.stopAutoCommit();
    for (const r of [...this.#reads]) this.#fail(r, new ClosedError("consumer"));
    this.release();
  }

  /**
   * Right before librdkafka's close, which commits the stored offsets (for an
   * assign()ed consumer while the drain still serves the queue): pausing the
   * assignment makes librdkafka drop what is queued for it unserved (no message or
   * transaction marker can store past the floors any more), then the floors are stored.
   */
  settleOffsets(): void {
    if (!this.#opts.autoStore) return;
    const tps = [...this.assigned.values()];
    if (tps.length > 0) {
      const list = toList(tps);
      try {
        rd().rd_kafka_pause_partitions(this.native.rk, list);
      } finally {
        destroyList(list);
      }
    }
    this.restore();
  }

  /** Copies out every zero-copy value users still hold, so destroy cannot wait on them. */
  copyOutAll(): void {
    for (const claim of [...this.claims]) claim.copyOut();
  }
}

/** A slot of the unread list already handed out (the list is compacted now and then). */
const TAKEN: PartitionEof = { topic: "", partition: -1, offset: -1n };

function isEof(e: Held | PartitionEof): e is PartitionEof {
  return "offset" in e;
}

/** Offsets librdkafka reports as "none" become undefined. @example `offsetOrUndefined(-1001n) === undefined` */
export function offsetOrUndefined(o: bigint | undefined): bigint | undefined {
  return o === undefined || o === OFFSET.INVALID ? undefined : o;
}
