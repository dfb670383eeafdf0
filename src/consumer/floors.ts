/**
 * Offsets librdkafka stored past messages no read was handed, and how the
 * consumer takes them back before anything commits them.
 *
 * With `enable.auto.offset.store` on (librdkafka's default), librdkafka stores a
 * message's offset + 1 when the application takes it from the queue, and the
 * offset past a transaction marker when it serves the marker (a marker is never
 * handed out). The consumer takes fetched messages from the queue before any read
 * asks for them, so that rebalances and errors behind them still arrive while the
 * application is idle; it also takes (and drops) messages while it closes or
 * leaves the group. Left alone, a commit would then cover messages nobody read,
 * and they would be lost: measured on Kafka 4.1, a consumer that was idle while a
 * transaction arrived, then closed, committed past the whole transaction, and the
 * group's next consumer never saw it.
 *
 * So the first offset of a partition not handed out, its *floor*, decides:
 * - what `position()`, `lag()`, `commit()` and `sendOffsetsToTransaction` take
 *   (they build their offsets from the positions, on the JS thread);
 * - what librdkafka holds as stored right before it commits on its own (at a
 *   revoke, an unassign, close): the floors are stored with `rd_kafka_offset_store`
 *   (not refused with auto store on, unlike `rd_kafka_offsets_store`) while nothing
 *   is served from the queue;
 * - librdkafka's auto-commit timer, which reads the stored offsets on its own
 *   thread at any moment, is replaced by the consumer's own (on the JS thread,
 *   with explicit offsets).
 *
 * A partition's floor is its first unread message (found when asked: the
 * per-message paths only keep the unread list), or, for messages dropped unread
 * (pause, seek, revoke, close, unsubscribe), the first of those, kept here until a
 * message of the partition is handed out again (librdkafka then stored that one's
 * offset + 1) or the partition leaves the assignment. On a partition nothing was
 * handed out of since it was assigned, the floor is "nothing", as librdkafka's
 * position is then. Between the last message handed out and the first one held
 * back there is nothing to read (a transaction marker, aborted or compacted
 * records), so either offset is the position.
 *
 * @module
 */
import { OFFSET } from "../../ffi/mod.ts";
import { backend, cstr, type Ptr, rd } from "../native/lib.ts";
import { tpKey } from "../native/tplist.ts";

/** A partition's floor: `at` the first offset not handed out, null for "nothing". */
export interface Floor {
  topic: string;
  partition: number;
  at: bigint | null;
  /** The first message held back (where fetching starts again after a pause). */
  first: bigint;
}

/** Partitions are keyed by number on the per-message paths: a string key costs a concatenation and a hash each time. */
const SPAN = 2 ** 32;

/**
 * The floors of messages dropped unread, and the partitions nothing was handed out
 * of yet (see the module comment).
 *
 * @example
 * ```ts
 * const floors = new Floors();
 * floors.drop(floors.key("orders", 0), "orders", 0, 41n); // message 41 dropped unread
 * floors.dropped().get(floors.key("orders", 0))?.at; // 41n
 * ```
 */
export class Floors {
  #map = new Map<number, Floor>();
  #topicIds = new Map<string, number>();
  /** Assigned partitions no message was handed out of yet (emptied by the first hand-outs). */
  #fresh = new Set<number>();
  // Messages come in runs of one topic: its id is kept at hand.
  #lastTopic = "";
  #lastId = -1;

  /** Whether a hand-out must be noted (the hot path checks this first). */
  get active(): boolean {
    return this.#map.size > 0 || this.#fresh.size > 0;
  }

  /** The number naming this partition here (the topic's string is the one the consumer caches, so its hash is too). */
  key(topic: string, partition: number): number {
    if (topic !== this.#lastTopic) {
      let id = this.#topicIds.get(topic);
      if (id === undefined) {
        id = this.#topicIds.size;
        this.#topicIds.set(topic, id);
      }
      this.#lastTopic = topic;
      this.#lastId = id;
    }
    return this.#lastId * SPAN + partition;
  }

  /** Partitions (re)assigned: nothing handed out of them yet. */
  fresh(tps: readonly { topic: string; partition: number }[]): void {
    for (const tp of tps) this.#fresh.add(this.key(tp.topic, tp.partition));
  }

  /** Whether nothing was handed out of this partition since it was assigned. */
  isFresh(k: number): boolean {
    return this.#fresh.size > 0 && this.#fresh.has(k);
  }

  /** A message taken from the queue (librdkafka stored past it) and dropped unread. */
  drop(k: number, topic: string, partition: number, offset: bigint): void {
    const f = this.#map.get(k);
    if (f === undefined) {
      this.#map.set(k, { topic, partition, at: this.isFresh(k) ? null : offset, first: offset });
    } else if (offset < f.first) {
      f.first = offset;
      if (f.at !== null && offset < f.at) f.at = offset;
    }
  }

  /** A message of this partition handed to a read: librdkafka stored its offset + 1 (the position now). */
  handed(k: number): void {
    if (this.#fresh.size > 0) this.#fresh.delete(k);
    if (this.#map.size > 0) this.#map.delete(k);
  }

  /** The floors of messages dropped unread, by key. */
  dropped(): ReadonlyMap<number, Floor> {
    return this.#map;
  }

  /** The partitions left the assignment: librdkafka forgets what it stored for them too. */
  forget(keys?: ReadonlySet<string>): void {
    if (keys === undefined) {
      this.#map.clear();
      this.#fresh.clear();
      return;
    }
    for (const [k, f] of this.#map) if (keys.has(tpKey(f.topic, f.partition))) this.#map.delete(k);
    for (const [topic, id] of this.#topicIds) {
      for (const k of this.#fresh) {
        if (Math.floor(k / SPAN) === id && keys.has(tpKey(topic, k % SPAN))) this.#fresh.delete(k);
      }
    }
  }
}

/**
 * Stores each floor as its partition's offset to commit. Called right before
 * librdkafka may commit by itself, while nothing is served from the queue (no
 * message or marker can store past it in between).
 *
 * @example
 * ```ts
 * storeFloors(rk, [{ topic: "orders", partition: 0, at: 41n, first: 41n }]);
 * ```
 */
export function storeFloors(rk: Ptr, floors: Iterable<Floor>): void {
  const c = rd();
  for (const f of floors) {
    // The application's handle of the topic (librdkafka returns the existing one, counted).
    const rkt: Ptr = c.rd_kafka_topic_new(rk, cstr(f.topic), backend.NULL);
    if (backend.isNull(rkt)) continue;
    try {
      // Stores offset + 1 (INVALID, -1001, for "nothing": then nothing is committed). Refused
      // (_STATE) only for a partition no longer assigned, which librdkafka does not commit either.
      c.rd_kafka_offset_store(rkt, f.partition, (f.at ?? OFFSET.INVALID) - 1n);
    } finally {
      c.rd_kafka_topic_destroy(rkt);
    }
  }
}
