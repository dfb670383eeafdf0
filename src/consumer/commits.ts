/**
 * The consumer's commits: each `rd_kafka_commit_queue` call waits for its result on
 * the consumer's results queue, matched by an id passed as the opaque; what this
 * consumer committed is remembered per partition, so that commit() with no argument
 * and the auto-commit timer send only what moved.
 *
 * Kept apart from the engine (core.ts), which it reaches only through a
 * {@link CommitHost}: the positions (and the floors behind them), the assignment and
 * the pinning of the public Consumer stay there.
 *
 * @module
 */
import { ErrorCode, KafkaError, kafkaError } from "../errors.ts";
import type { NativeClient } from "../native/client.ts";
import { backend, type Ptr, rd } from "../native/lib.ts";
import {
  destroyList,
  fromList,
  toList,
  type TopicPartition,
  type TopicPartitionOffset,
  tpKey,
} from "../native/tplist.ts";

/**
 * What {@link Commits} reads of the consumer's engine (ConsumerCore implements it).
 * Read at each use: the client and the results queue are set after the engine is
 * built, the rest changes as it runs.
 *
 * @example
 * ```ts
 * class ConsumerCore implements CommitHost {
 *   // native, results, fatal, closing, autoStore, rebalancing, committable(), positions(), pin(), unpin()
 *   #commits = new Commits(this);
 * }
 * ```
 */
export interface CommitHost {
  readonly native: NativeClient;
  /** The queue commit results arrive on (never held back by the demand gate). */
  readonly results: Ptr;
  readonly fatal: KafkaError | undefined;
  readonly closing: boolean;
  /** librdkafka's `enable.auto.offset.store` (off: commit() with no argument commits the stored offsets). */
  readonly autoStore: boolean;
  /** A rebalance is being handled: the auto-commit tick skips. */
  readonly rebalancing: boolean;
  /** The partitions commit() with no argument covers: the assignment, and a revoke's partitions in its hook. */
  committable(): TopicPartition[];
  /** The next offset a read gets per partition (the engine's positions, held back to the floors). */
  positions(tps: readonly TopicPartition[]): TopicPartitionOffset[];
  /** Holds the public Consumer while a commit waits (see ConsumerCore's pin). */
  pin(): void;
  /** Lets it go again once nothing waits. */
  unpin(): void;
}

interface CommitWaiter {
  resolve(v: TopicPartitionOffset[]): void;
  reject(e: unknown): void;
}

/**
 * The commits of one consumer and their waiters (see the module comment).
 *
 * @example
 * ```ts
 * const commits = new Commits(host);
 * const done = await commits.commitPositions(); // resolves when the result event is handled
 * ```
 */
export class Commits {
  #host: CommitHost;
  #commits = new Map<number, CommitWaiter>();
  #nextCommit = 1;
  #autoCommit: ReturnType<typeof setInterval> | undefined;
  /** What this consumer's own commits committed, per partition (commit() leaves those out). */
  readonly committedView = new Map<string, bigint>();

  constructor(host: CommitHost) {
    this.#host = host;
  }

  /** How many commits wait for their result (the Consumer stays pinned meanwhile). */
  get waiting(): number {
    return this.#commits.size;
  }

  /** The positions not committed by this consumer yet (the assignment, and a revoke's partitions in its hook). */
  #due(): TopicPartitionOffset[] {
    const tps = this.#host.committable();
    if (tps.length === 0) return [];
    const seen = new Set<string>();
    return this.#host.positions(tps).filter((p) => {
      const key = tpKey(p.topic, p.partition);
      if (p.offset === undefined || p.offset < 0n || seen.has(key)) return false;
      seen.add(key);
      return this.committedView.get(key) !== p.offset;
    });
  }

  /**
   * commit() with no argument. With auto store on, the positions (what reads were
   * handed), as explicit offsets: librdkafka would read its stored offsets later, on
   * its own thread, when the next drain may have stored past unread messages.
   */
  commitPositions(): Promise<TopicPartitionOffset[]> {
    if (!this.#host.autoStore) return this.commit(backend.NULL);
    let due: TopicPartitionOffset[];
    try {
      due = this.#due();
    } catch (e) {
      return Promise.reject(e);
    }
    if (due.length === 0) return Promise.resolve([]);
    const list = toList(due);
    try {
      return this.commit(list);
    } finally {
      destroyList(list); // commit_queue copies the list
    }
  }

  /**
   * Commits the positions every `ms`, in place of librdkafka's auto-commit timer (which
   * the Consumer turns off: it reads the stored offsets on librdkafka's thread).
   */
  startAutoCommit(ms: number): void {
    const host = this.#host;
    this.#autoCommit = setInterval(() => {
      if (host.closing || host.fatal || host.native.closed || host.rebalancing) return;
      // Failures are retried at the next tick, as librdkafka's timer does.
      this.commitPositions().catch(() => {});
    }, ms);
  }

  /** Stops the auto-commit timer (the consumer closes). */
  stopAutoCommit(): void {
    clearInterval(this.#autoCommit);
  }

  /** Commits `list` (NULL: the stored offsets); resolves with librdkafka's result. */
  commit(list: Ptr): Promise<TopicPartitionOffset[]> {
    const host = this.#host;
    if (host.fatal) return Promise.reject(host.fatal);
    const id = this.#nextCommit++;
    const err: number = rd().rd_kafka_commit_queue(host.native.rk, list, host.results, backend.NULL, BigInt(id));
    if (err !== 0) return Promise.reject(kafkaError(err, `commit: ${kafkaError(err).message}`));
    host.pin();
    return new Promise((resolve, reject) => this.#commits.set(id, { resolve, reject }));
  }

  /** An `OFFSET_COMMIT` event: settles the commit it answers. */
  onResult(ev: Ptr): void {
    const c = rd();
    const id = Number(c.rd_kafka_event_opaque(ev));
    const w = this.#commits.get(id);
    if (!w) return;
    this.#commits.delete(id);
    this.#host.unpin();
    const err: number = c.rd_kafka_event_error(ev);
    const tps = fromList(c.rd_kafka_event_topic_partition_list(ev));
    if (err === ErrorCode._NO_OFFSET) return w.resolve([]); // nothing new to commit
    if (err !== 0) {
      const text = backend.readCString(c.rd_kafka_event_error_string(ev)) ?? kafkaError(err).message;
      return w.reject(new KafkaError(err, `commit failed: ${text}`));
    }
    for (const t of tps) {
      if (!t.error && t.offset !== undefined && t.offset >= 0n) {
        this.committedView.set(tpKey(t.topic, t.partition), t.offset);
      }
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

  /** Rejects every commit still waiting for its result (fatal error, or a close that gave up). */
  failCommits(err: Error): void {
    for (const w of this.#commits.values()) w.reject(err);
    this.#commits.clear();
    this.#host.unpin();
  }
}
