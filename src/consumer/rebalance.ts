/**
 * The consumer's group rebalances: a `REBALANCE` event is told to the application
 * (the `rebalance` event, then the `onRebalance` hook, awaited), and the partitions
 * are handed back to librdkafka afterwards, off the JS thread. The order is what
 * keeps offsets right: unread messages of revoked partitions are dropped first (their
 * floors kept), the hook may still commit the revoked partitions, and the floors are
 * stored before the unassign commits.
 *
 * Kept apart from the engine (core.ts), which it reaches only through a
 * {@link RebalanceHost} (and the decoder, whose topic handles it lets go): the unread
 * messages, the floors, the assignment and the commits stay there; while a rebalance
 * is handled ({@link Rebalancer.busy}) the engine does not serve the queue.
 *
 * @module
 */
import { ErrorCode, KafkaError, kafkaError } from "../errors.ts";
import type { EventRelay } from "../events.ts";
import type { NativeClient } from "../native/client.ts";
import { backend, type Ptr, rd } from "../native/lib.ts";
import { destroyList, fromList, type TopicPartition, type TopicPartitionOffset, tpKey } from "../native/tplist.ts";
import type { Floors } from "./floors.ts";
import type { Decoder } from "./decode.ts";

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

/**
 * The rebalance settings (from the Consumer's options; part of the engine's).
 *
 * @example
 * ```ts
 * const opts: RebalanceOptions = { cooperative: true, onRebalance: (e) => console.log(e.type) };
 * ```
 */
export interface RebalanceOptions {
  /** The group's rebalance protocol is cooperative (`cooperative-sticky`, or `group.protocol=consumer`). */
  cooperative: boolean;
  onRebalance?: (e: RebalanceEvent) => void | Promise<void>;
}

/**
 * What {@link Rebalancer} reads and changes of the consumer's engine (ConsumerCore
 * implements it). Read at each use: the client is set after the engine is built, the
 * rest changes as it runs.
 *
 * @example
 * ```ts
 * class ConsumerCore implements RebalanceHost {
 *   // native, subscribed, assigned, floors, dropUnread(), stopDiscarding(), restore(), forgetCommitted(), markFresh()
 *   #rebalancer = new Rebalancer(this, emitter, opts, decoder);
 * }
 * ```
 */
export interface RebalanceHost {
  readonly native: NativeClient;
  /** A subscription is in force (set by the Consumer). */
  readonly subscribed: boolean;
  /** Partitions assigned now: a rebalance adds or removes its own. */
  readonly assigned: Map<string, TopicPartition>;
  /** The floors of the engine: a revoke's are forgotten once handed back. */
  readonly floors: Floors;
  /** Drops unread messages (and end marks) of these partitions, or all of them. */
  dropUnread(keys?: Set<string>): void;
  /** The revoke unsubscribe() waited for has come: fetched messages are kept again. */
  stopDiscarding(): void;
  /** Stores the floors of these partitions, or all (with auto store on). */
  restore(keys?: ReadonlySet<string>): void;
  /** Forgets what this consumer's own commits committed for these partitions. */
  forgetCommitted(keys: ReadonlySet<string>): void;
  /** Partitions (re)assigned: nothing handed out of them since. */
  markFresh(tps: readonly TopicPartition[]): void;
}

/**
 * The rebalances of one consumer (see the module comment).
 *
 * @example
 * ```ts
 * const rebalancer = new Rebalancer(host, emitter, { cooperative: false }, decoder);
 * rebalancer.onRebalance(ev); // a REBALANCE event off the consumer queue
 * await rebalancer.settled(); // handed back to librdkafka
 * ```
 */
export class Rebalancer {
  #host: RebalanceHost;
  #emitter: EventRelay;
  #opts: RebalanceOptions;
  /** The engine's decoder: its topic handles are let go once partitions are handed back. */
  #decoder: Decoder;
  /** The protocol of the last rebalance ("NONE" before the first). */
  protocol: RebalanceEvent["protocol"] = "NONE";
  /** The partitions of a revoke being handled: still committable by its hook. */
  #revoking: TopicPartition[] = [];
  #rebalancing: Promise<void> | null = null;
  #firstAssign = Promise.withResolvers<void>();

  constructor(host: RebalanceHost, emitter: EventRelay, opts: RebalanceOptions, decoder: Decoder) {
    this.#host = host;
    this.#emitter = emitter;
    this.#opts = opts;
    this.#decoder = decoder;
  }

  /** A rebalance is being handled: the queue is not served meanwhile. */
  get busy(): boolean {
    return this.#rebalancing !== null;
  }

  /** The partitions of a revoke being handled (its hook may still commit them); [] otherwise. */
  get revoking(): TopicPartition[] {
    return this.#revoking;
  }

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
    return this.#opts.cooperative && this.#host.subscribed && (rd().rd_kafka_version() as number) < 0x020300ff;
  }

  /** Waits for a rebalance being handled (close waits for it). */
  settled(): Promise<void> {
    return this.#rebalancing ?? Promise.resolve();
  }

  /** A `REBALANCE` event: handled in the background, the queue unserved until it is. */
  onRebalance(ev: Ptr): void {
    const host = this.#host;
    const c = rd();
    const code: number = c.rd_kafka_event_error(ev);
    const list: Ptr = c.rd_kafka_topic_partition_list_copy(c.rd_kafka_event_topic_partition_list(ev));
    const partitions = fromList(list).map(({ topic, partition }) => ({ topic, partition }));
    // Not rd_kafka_rebalance_protocol(): it waits for librdkafka's main thread (16-142 µs
    // measured, on the JS thread). The protocol follows from the configuration.
    this.protocol = this.#opts.cooperative ? "COOPERATIVE" : "EAGER";
    const type = code === ErrorCode._ASSIGN_PARTITIONS ? "assign" : "revoke";
    const lost = type === "revoke" && c.rd_kafka_assignment_lost(host.native.rk) !== 0;
    const event: RebalanceEvent = { type, partitions, protocol: this.protocol, lost };
    this.#rebalancing = this.#handleRebalance(event, list).catch((e) => {
      // Only a close racing the hand-back gets here (the handle went first): nothing is lost.
      if (!host.native.closed) this.#emitter.emit("error", e);
    }).finally(() => {
      this.#rebalancing = null;
      if (!host.native.closed) host.native.kick();
    });
  }

  async #handleRebalance(event: RebalanceEvent, list: Ptr): Promise<void> {
    const host = this.#host;
    const cooperative = this.protocol === "COOPERATIVE";
    const keys = new Set(event.partitions.map((tp) => tpKey(tp.topic, tp.partition)));
    try {
      if (event.type === "revoke") {
        for (const k of keys) host.assigned.delete(k);
        if (!cooperative) host.assigned.clear();
        host.dropUnread(cooperative ? keys : undefined);
        host.stopDiscarding();
        this.#revoking = event.partitions;
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
      if (host.native.closed) return;
      let err = 0;
      // The queue is not served while a rebalance is handled (wants()): what is stored now
      // is what the unassign commits.
      if (event.type === "revoke") host.restore(cooperative ? keys : undefined);
      host.forgetCommitted(keys);
      // Urgent: the group waits for this hand-back, so it never queues behind other calls.
      // Through the client, so that its destroy waits for the call.
      if (cooperative) {
        const sym = event.type === "assign" ? "rd_kafka_incremental_assign" : "rd_kafka_incremental_unassign";
        const e = (await host.native.background(sym, [host.native.rk, list], { urgent: true })) as Ptr;
        err = this.#takeError(e);
      } else {
        const arg = event.type === "assign" ? list : backend.NULL;
        err = Number(await host.native.background("rd_kafka_assign", [host.native.rk, arg], { urgent: true }));
      }
      if (err !== 0) {
        this.#emitter.emit(
          "error",
          kafkaError(err, `${event.type} after rebalance failed: ${kafkaError(err).message}`),
        );
      } else if (event.type === "assign") {
        for (const tp of event.partitions) host.assigned.set(tpKey(tp.topic, tp.partition), tp);
        host.markFresh(event.partitions);
        this.#firstAssign.resolve();
      } else {
        host.floors.forget(cooperative ? keys : undefined);
      }
      this.#revoking = [];
      // Topic handles of partitions no longer assigned may be freed: names are read again.
      this.#decoder.forgetTopics();
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
}
