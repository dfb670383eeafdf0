/**
 * The Consumer: group subscriptions or manual assignments, `read` that resolves
 * with `null` at its timeout ("read timeout"), batches, async iteration, commits
 * and rebalances, on librdkafka's consumer queue.
 *
 * The JS thread never waits: messages come through the wake-up pipe and are
 * polled with zero timeouts only while reads ask for them; calls that wait for a
 * broker or for librdkafka's main thread (subscribe, assign, committed, watermark
 * queries, close) run off the JS thread or in their queue form.
 *
 * @module
 */
import { EVENT, OFFSET, RD_KAFKA_CONSUMER } from "../../ffi/mod.ts";
import { ClosedError, ConfigError, type KafkaError, kafkaError } from "../errors.ts";
import { Emitter } from "../events.ts";
import { ConsumerCore, offsetOrUndefined } from "./core.ts";
import type { Message } from "./message.ts";
import { checkConfig, type ClientConfig, has } from "../native/conf.ts";
import { checkProvider } from "../native/oauth.ts";
import { NativeClient, registerOwner } from "../native/client.ts";
import { checkOptions as checkCallOptions, checkSignal, checkTimeout, closeTimeout, show } from "../validate.ts";
import {
  cachedHigh,
  checkAssignment,
  checkOptions,
  closeCore,
  type ConsumerEvents,
  type ConsumerOptions,
  offsetPlan,
  offsetsForTimes,
  type ReadOptions,
  readTimeout,
  subscription,
  watermarks,
} from "./ops.ts";
import { backend, cstr, type Ptr, rd } from "../native/lib.ts";
import {
  checkPartitions,
  destroyList,
  fromList,
  nextOffsets,
  toList,
  type TopicPartition,
  type TopicPartitionOffset,
  tpKey,
} from "../native/tplist.ts";

export type { PartitionEof, RebalanceEvent } from "./core.ts";
import type { RebalanceEvent } from "./core.ts";
export type { ConsumerEvents, ConsumerOptions, ReadOptions } from "./ops.ts";
export type { TopicPartition, TopicPartitionOffset } from "../native/tplist.ts";

/**
 * librdkafka stops fetching a partition for a fixed second once its prefetch
 * queue reaches `queued.min.messages` (confluentinc/librdkafka#2879). A consumer
 * slower than the fetcher then idles most of that second: measured 0.14 M msg/s
 * instead of 0.9-1.1 M at 100 B. From 2.2.0 the pause is `fetch.queue.backoff.ms`;
 * before, only a higher count threshold helps (the byte cap,
 * `queued.max.messages.kbytes`, still bounds the memory).
 */
function fetchQueueDefaults(): Record<string, string> {
  return (rd().rd_kafka_version() as number) >= 0x020200ff
    ? { "fetch.queue.backoff.ms": "10" }
    : { "queued.min.messages": "1000000" };
}

/**
 * Whether the group rebalances cooperatively: librdkafka allows no mix of eager
 * and cooperative assignors, so one `cooperative-sticky` decides; the KIP-848
 * protocol (`group.protocol=consumer`) is incremental too.
 */
function cooperative(config: ClientConfig): boolean {
  const assignors = String(config["partition.assignment.strategy"] ?? "").toLowerCase();
  return assignors.includes("cooperative-sticky") ||
    String(config["group.protocol"] ?? "").toLowerCase() === "consumer";
}

// The held value is the core alone: a closure made in the constructor would share
// its context, which holds `this`, and the consumer could never be collected.
const registry = new FinalizationRegistry<ConsumerCore>((core) => {
  void closeCore(core, 10_000, []).catch(() => {});
});

/**
 * A Kafka consumer for Bun and Deno.
 *
 * `config` is librdkafka's property map. Without `group.id` the consumer can
 * only `assign` partitions (auto-commit is then off).
 *
 * @example
 * ```ts
 * import { Consumer } from "kafka-fast";
 * await using consumer = new Consumer(
 *   { "bootstrap.servers": "127.0.0.1:9092", "group.id": "billing", "auto.offset.reset": "earliest" },
 *   { topics: ["orders"] },
 * );
 * for await (const m of consumer) console.log(m.offset, m.text());
 * ```
 */
export class Consumer {
  #core: ConsumerCore;
  #emitter = new Emitter();
  #grouped: boolean;
  #readTimeout: number;
  #closed: Promise<void> | undefined;
  #onRebalance: ConsumerOptions["onRebalance"];
  #paused = new Map<string, bigint | undefined>();
  /** The classic protocol with `cooperative-sticky`: a changed subscription is applied incrementally. */
  #incrementalSubscribe: boolean;

  /**
   * @throws {ConfigError} for an unknown property, a value librdkafka refuses, or `transactional.id`.
   * @throws {LimitError} when `maxClients` clients are open.
   */
  constructor(config: ClientConfig, options: ConsumerOptions = {}) {
    const opts = checkOptions(options);
    checkConfig(config);
    if (has(config, "transactional.id")) {
      // librdkafka would only log that it ignores it: a consumer reads transactions
      // (isolation.level), a producer writes them.
      throw new ConfigError(
        "transactional.id",
        "transactional.id is a producer property: a Consumer cannot be transactional " +
          "(commit its offsets in a transaction with producer.sendOffsetsToTransaction)",
      );
    }
    this.#grouped = has(config, "group.id");
    const plan = offsetPlan(config, this.#grouped);
    this.#readTimeout = opts.readTimeoutMs;
    this.#onRebalance = options.onRebalance;
    this.#incrementalSubscribe = cooperative(config) &&
      String(config["group.protocol"] ?? "").toLowerCase() !== "consumer";
    const core = new ConsumerCore(this.#emitter.relay(), {
      copyThreshold: opts.copyThreshold,
      cooperative: cooperative(config),
      // Reached through a WeakRef: a hook that uses this consumer (to commit on revoke)
      // held by the core, which the registry holds, would keep it from ever being collected.
      onRebalance: options.onRebalance ? Consumer.#weakHook(new WeakRef(this)) : undefined,
      autoStore: plan.autoStore,
    });
    core.native = new NativeClient(config, {
      type: RD_KAFKA_CONSUMER,
      consumer: true,
      events: EVENT.FETCH | EVENT.REBALANCE | EVENT.OFFSET_COMMIT,
      defaults: {
        "client.software.name": "kafka-fast",
        ...fetchQueueDefaults(),
        ...(this.#grouped ? {} : { "enable.auto.commit": "false" }),
      },
      overrides: this.#grouped
        ? plan.overrides
        : { ...plan.overrides, "group.id": `kafka-fast-unnamed-${crypto.randomUUID()}` },
      drainBudget: opts.drainBudget,
      oauthBearerProvider: checkProvider(options.oauthBearerProvider, config),
      emitter: this.#emitter.relay(),
      sink: core,
    });
    core.results = core.native.addQueue();
    core.owner = new WeakRef(this);
    this.#core = core;
    registry.register(this, core, this);
    registerOwner(this, core.native);
    if (plan.timerMs > 0) core.startAutoCommit(plan.timerMs);
    // Checked above: only librdkafka can still refuse them, and says so as an `error` event.
    if (options.topics) this.subscribe(options.topics).catch((e) => this.#emitError(e));
    if (options.assignment) this.assign(options.assignment).catch((e) => this.#emitError(e));
  }

  /** librdkafka's name of this client. @example `consumer.name` */
  get name(): string {
    return this.#core.native.name;
  }

  /** True once `close()` was called. @example `if (consumer.closed) return` */
  get closed(): boolean {
    return this.#core.closing;
  }

  /**
   * Throws after close. Offset calls stay allowed while close() runs (until the
   * handle is destroyed), so an `onRebalance` hook can commit the final revoke.
   */
  #check(offsets = false): void {
    if (offsets ? this.#core.native.closed : this.#core.closing) throw new ClosedError("consumer");
  }

  /** The hook of `ref`'s consumer while it lives (a static method: the closure holds `ref` alone). */
  static #weakHook(ref: WeakRef<Consumer>): (e: RebalanceEvent) => void | Promise<void> {
    return (e) => {
      const c = ref.deref();
      return c === undefined ? undefined : c.#onRebalance?.(e);
    };
  }

  #emitError(e: unknown): void {
    if (!(e instanceof ClosedError)) this.#emitter.emit("error", e as KafkaError);
  }

  /**
   * A membership call (subscribe, assign, …) off the JS thread. One that close()
   * overtook rejects with ClosedError on every runtime: its effect died with the
   * group membership (Bun's Worker pool can even run it after close began).
   */
  async #membership(symbol: string, args: readonly unknown[], what: string): Promise<number> {
    const p = this.#core.native.background(symbol, args, { what, signal: this.#leaving.signal });
    this.#inFlight.add(p);
    const done = () => this.#inFlight.delete(p);
    p.then(done, done);
    const err = Number(await p);
    if (this.#core.closing) throw new ClosedError(`consumer (closed while ${what} ran)`);
    return err;
  }

  /** Whether the consumer has a member id in its group (`rd_kafka_memberid` waits for librdkafka's main thread). */
  async #isMember(): Promise<boolean> {
    const rk = this.#core.native.rk;
    const id = await this.#core.native.background("rd_kafka_memberid", [rk], {
      what: "subscribe",
      signal: this.#leaving.signal,
    }) as Ptr;
    if (backend.isNull(id)) return false;
    try {
      return (backend.readCString(id) ?? "") !== "";
    } finally {
      rd().rd_kafka_mem_free(rk, id);
    }
  }

  /** Aborted by close(): membership calls still waiting for a background slot never run. */
  #leaving = new AbortController();
  /** Membership calls running now: close() lets them finish before the group is left. */
  #inFlight = new Set<Promise<unknown>>();

  // --- membership ------------------------------------------------------------

  /**
   * Joins the group for these topics. A RegExp (or a string starting with `^`)
   * is a pattern: topics created later that match are picked up at the next
   * metadata refresh (`topic.metadata.refresh.interval.ms`).
   *
   * @throws {ConfigError} (rejects) without `group.id`.
   * @example
   * ```ts
   * await consumer.subscribe(["orders", /^audit-.*$/]);
   * ```
   */
  async subscribe(topics: readonly (string | RegExp)[]): Promise<void> {
    this.#check();
    if (!this.#grouped) throw new ConfigError("group.id", "subscribe() needs a group.id (use assign() without one)");
    const names = subscription(topics, "subscribe(topics): topics");
    const list = toList(names.map((topic) => ({ topic, partition: -1 })));
    try {
      // librdkafka (2.0.2 to 2.12 at least) aborts the process when a cooperative group's
      // subscription changes while the consumer rejoins without a member id (after
      // UNKNOWN_MEMBER_ID, a session timeout or a fencing): rd_kafka_cgrp_modify_subscription
      // asserts the join state is INIT or STEADY. Without a member id nothing is owned or
      // incremental, so the old subscription is dropped first and the new one is a fresh join.
      if (this.#incrementalSubscribe && this.#core.subscribed && !(await this.#isMember())) {
        const e = await this.#membership("rd_kafka_unsubscribe", [this.#core.native.rk], "subscribe");
        if (e !== 0) throw kafkaError(e, `subscribe(${names.join(", ")}): ${kafkaError(e).message}`);
      }
      const err = await this.#membership("rd_kafka_subscribe", [this.#core.native.rk, list], "subscribe");
      if (err !== 0) throw kafkaError(err, `subscribe(${names.join(", ")}): ${kafkaError(err).message}`);
      this.#core.subscribed = true;
    } finally {
      destroyList(list);
    }
  }

  /** Leaves the group (revoking the assignment through a rebalance). @example `await consumer.unsubscribe()` */
  async unsubscribe(): Promise<void> {
    this.#check();
    this.#core.discardUntilRevoke();
    const err = await this.#membership("rd_kafka_unsubscribe", [this.#core.native.rk], "unsubscribe");
    if (err !== 0) throw kafkaError(err, `unsubscribe: ${kafkaError(err).message}`);
    this.#core.subscribed = false;
  }

  /**
   * Consumes exactly these partitions (replacing any assignment), from `offset`
   * or else from the committed offset or `auto.offset.reset`.
   *
   * @example
   * ```ts
   * await consumer.assign([{ topic: "events", partition: 0, offset: 0n }]);
   * ```
   */
  async assign(partitions: readonly (TopicPartition & { offset?: bigint })[]): Promise<void> {
    this.#check();
    checkAssignment(partitions, "assign");
    const list = toList(partitions.map((p) => ({ ...p, offset: p.offset ?? OFFSET.STORED })));
    // The assignment is replaced: what was fetched for the old one is not read.
    this.#core.dropUnread();
    try {
      // librdkafka commits the old assignment's stored offsets: the floors are stored first.
      const err = await this.#core.gate(() =>
        this.#membership("rd_kafka_assign", [this.#core.native.rk, list], "assign")
      );
      if (err !== 0) throw kafkaError(err, `assign: ${kafkaError(err).message}`);
      this.#core.assignmentChanged();
      for (const p of partitions) {
        this.#core.assigned.set(tpKey(p.topic, p.partition), { topic: p.topic, partition: p.partition });
      }
      this.#core.markFresh(partitions);
    } finally {
      destroyList(list);
    }
  }

  /** Stops consuming every assigned partition. @example `await consumer.unassign()` */
  async unassign(): Promise<void> {
    this.#check();
    this.#core.dropUnread();
    const err = await this.#core.gate(() =>
      this.#membership("rd_kafka_assign", [this.#core.native.rk, backend.NULL], "unassign")
    );
    if (err !== 0) throw kafkaError(err, `unassign: ${kafkaError(err).message}`);
    this.#core.assignmentChanged();
  }

  /** The partitions assigned now. @example `consumer.assignment().length` */
  assignment(): TopicPartition[] {
    this.#check(true); // allowed while close runs: the final revoke's hook may ask
    return [...this.#core.assigned.values()].map((tp) => ({ ...tp }));
  }

  // --- reading -------------------------------------------------------------------

  /**
   * The next message, or `null` when none arrives within `timeoutMs` (default
   * `readTimeoutMs`, 1 000 ms). Never blocks the event loop.
   *
   * @throws {ClosedError} (rejects) after `close()`, or when close begins while it waits.
   * @throws {LimitError} (rejects) while unreleased zero-copy messages hold `maxHeldBytes`.
   * @example
   * ```ts
   * const m = await consumer.read({ timeoutMs: 100 });
   * if (m === null) console.log("read timeout");
   * ```
   */
  read(options?: ReadOptions): Promise<Message | null> {
    try {
      // Every argument is checked before the read registers: a refused read takes nothing.
      const o = checkCallOptions(options, "read(options)");
      return this.#core.readOne(readTimeout(o, this.#readTimeout), checkSignal(o.signal, "read: signal"));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Up to `maxMessages` messages, resolving as soon as at least one is there;
   * `[]` at the timeout.
   *
   * @example
   * ```ts
   * const batch = await consumer.readBatch({ maxMessages: 1000, timeoutMs: 100 });
   * ```
   */
  readBatch(options: ReadOptions & { maxMessages: number }): Promise<Message[]> {
    try {
      const o = checkCallOptions(options, "readBatch(options)");
      const max = o.maxMessages;
      if (typeof max !== "number" || !Number.isInteger(max) || max < 1) {
        throw new TypeError(`readBatch: maxMessages must be a positive integer, got ${show(max)}`);
      }
      return this.#core.read(max, readTimeout(o, this.#readTimeout), checkSignal(o.signal, "readBatch: signal"));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Messages as an async iterable; the loop ends at `close()` or when `signal`
   * aborts. Messages are taken one at a time, so leaving the loop takes (and
   * stores the offset of) nothing it did not yield.
   *
   * @example
   * ```ts
   * for await (const m of consumer.messages({ signal: AbortSignal.timeout(10_000) })) handle(m);
   * ```
   */
  async *messages(options?: { signal?: AbortSignal }): AsyncGenerator<Message, void, undefined> {
    const signal = checkSignal(checkCallOptions(options, "messages(options)").signal, "messages: signal");
    while (!this.#core.closing && !signal?.aborted) {
      let m: Message | null;
      try {
        m = await this.#core.readOne(Infinity, signal);
      } catch (e) {
        if (e instanceof ClosedError || signal?.aborted) return;
        throw e;
      }
      if (m) yield m;
    }
  }

  /** `for await (const m of consumer)`: see {@link messages}. */
  [Symbol.asyncIterator](): AsyncGenerator<Message, void, undefined> {
    return this.messages();
  }

  /**
   * A Web `ReadableStream` of messages (pull-based: nothing is taken before the
   * reader asks). Cancelling the stream does not close the consumer.
   *
   * @example
   * ```ts
   * const reader = consumer.stream().getReader();
   * const { value } = await reader.read();
   * ```
   */
  stream(): ReadableStream<Message> {
    const ac = new AbortController();
    return new ReadableStream<Message>({
      pull: async (controller) => {
        try {
          const m = await this.#core.readOne(Infinity, ac.signal);
          if (m) controller.enqueue(m);
        } catch (e) {
          // After cancel() the stream is already finished; closing it again would throw.
          if (ac.signal.aborted) return;
          if (e instanceof ClosedError) controller.close();
          else controller.error(e);
        }
      },
      cancel: () => ac.abort(),
    }, { highWaterMark: 0 });
  }

  // --- offsets ---------------------------------------------------------------------

  /**
   * Commits offsets to the group (queue form: the JS thread never waits). With no
   * argument, the offsets stored so far (every message read, unless
   * `enable.auto.offset.store` is false); with a message, its offset + 1; or
   * explicit offsets (the next offset to read). Resolves with what was committed
   * (`[]` when there was nothing new).
   *
   * @throws {KafkaError} (rejects) when the commit fails (per partition or whole).
   * @example
   * ```ts
   * const m = await consumer.read();
   * if (m) { handle(m); await consumer.commit(m); }
   * ```
   */
  commit(what?: Message | readonly (Message | TopicPartitionOffset)[]): Promise<TopicPartitionOffset[]> {
    try {
      this.#check(true);
      if (!this.#grouped) throw new ConfigError("group.id", "commit() needs a group.id");
    } catch (e) {
      return Promise.reject(e);
    }
    if (what === undefined) return this.#core.commitPositions();
    let list: Ptr;
    try {
      if (what === null || typeof what !== "object") {
        throw new TypeError(`commit: expected a Message, an array of messages or offsets, or nothing; got ${what}`);
      }
      list = toList(nextOffsets(Array.isArray(what) ? what : [what as Message], "commit"));
    } catch (e) {
      return Promise.reject(e);
    }
    try {
      return this.#core.commit(list);
    } finally {
      destroyList(list); // commit_queue copies the list
    }
  }

  /**
   * Stores offsets for the next commit (auto or `commit()`); needs
   * `enable.auto.offset.store=false`. A message stores its offset + 1.
   *
   * @example
   * ```ts
   * consumer.storeOffsets([m]);
   * ```
   */
  storeOffsets(what: readonly (Message | TopicPartitionOffset)[]): void {
    this.#check(true);
    const list = toList(nextOffsets(what, "storeOffsets"));
    try {
      const err: number = rd().rd_kafka_offsets_store(this.#core.native.rk, list);
      const failed = fromList(list).find((t) => t.error);
      if (err !== 0) throw kafkaError(err, `storeOffsets: ${kafkaError(err).message}`);
      if (failed) throw failed.error;
    } finally {
      destroyList(list);
    }
  }

  /**
   * The group's committed offsets for these partitions (default: the
   * assignment); `offset` is undefined where none is committed. Asks the
   * coordinator off the JS thread.
   *
   * @example
   * ```ts
   * const [c] = await consumer.committed([{ topic: "t", partition: 0 }], { timeoutMs: 5000 });
   * ```
   */
  async committed(
    partitions?: readonly TopicPartition[],
    options?: { timeoutMs?: number },
  ): Promise<TopicPartitionOffset[]> {
    this.#check(true);
    const timeoutMs = checkTimeout(
      checkCallOptions(options, "committed(options)").timeoutMs,
      "committed: timeoutMs",
      10_000,
      false,
    );
    const tps = partitions ?? this.assignment();
    checkPartitions(tps, "committed");
    const list = toList(tps);
    try {
      const args = [this.#core.native.rk, list, timeoutMs];
      const err = Number(
        await this.#core.native.background("rd_kafka_committed", args, { what: "committed", waitMs: timeoutMs }),
      );
      if (err !== 0) throw kafkaError(err, `committed: ${kafkaError(err).message}`);
      return fromList(list).map((t) => ({ ...t, offset: offsetOrUndefined(t.offset) }));
    } finally {
      destroyList(list);
    }
  }

  /**
   * The next offset this consumer will read per partition (default: the
   * assignment); undefined before the first message. Local: no broker call.
   *
   * @example
   * ```ts
   * consumer.position([{ topic: "t", partition: 0 }]);
   * ```
   */
  position(partitions?: readonly TopicPartition[]): TopicPartitionOffset[] {
    this.#check(true);
    const tps = partitions ?? this.assignment();
    checkPartitions(tps, "position");
    return this.#core.positions(tps);
  }

  /**
   * Moves an assigned partition's read position (`OFFSET.BEGINNING` -2n,
   * `OFFSET.END` -1n, or an offset). Messages of that partition already queued
   * are dropped. Asynchronous inside librdkafka; returns at once.
   *
   * @example
   * ```ts
   * consumer.seek({ topic: "t", partition: 0, offset: 0n });
   * ```
   */
  seek(to: TopicPartition & { offset: bigint }): void {
    this.#check();
    checkPartitions([to], "seek");
    if (typeof to.offset !== "bigint") throw new TypeError("seek: offset must be a bigint");
    this.#seek([to]);
  }

  #seek(tps: readonly (TopicPartition & { offset: bigint })[]): void {
    this.#core.dropUnread(new Set(tps.map((t) => tpKey(t.topic, t.partition))));
    const list = toList(tps);
    try {
      const e: Ptr = rd().rd_kafka_seek_partitions(this.#core.native.rk, list, 0);
      if (!backend.isNull(e)) {
        const code: number = rd().rd_kafka_error_code(e);
        rd().rd_kafka_error_destroy(e);
        throw kafkaError(code, `seek: ${kafkaError(code).message}`);
      }
    } finally {
      destroyList(list);
    }
  }

  /**
   * Stops fetching these partitions until `resume`; their queued messages are dropped
   * and fetched again after resume, from the position.
   *
   * @example
   * ```ts
   * consumer.pause([{ topic: "t", partition: 0 }]);
   * ```
   */
  pause(partitions: readonly TopicPartition[]): void {
    this.#check();
    checkPartitions(partitions, "pause");
    const keys = new Set(partitions.map((t) => tpKey(t.topic, t.partition)));
    this.#core.dropUnread(keys);
    for (const p of this.position(partitions)) this.#paused.set(tpKey(p.topic, p.partition), p.offset);
    this.#pauseResume("rd_kafka_pause_partitions", partitions);
  }

  /** Fetches paused partitions again. @example `consumer.resume([{ topic: "t", partition: 0 }])` */
  resume(partitions: readonly TopicPartition[]): void {
    this.#check();
    checkPartitions(partitions, "resume");
    this.#pauseResume("rd_kafka_resume_partitions", partitions);
    // librdkafka < 2.1.0 resumes from its fetch position, past the messages it
    // dropped at pause (fixed in 2.1.0); later versions resume from the position,
    // which is past the messages taken from the queue but not read yet (their
    // floor): seek back to where the application was.
    const old = (rd().rd_kafka_version() as number) < 0x020100ff;
    const back = partitions.flatMap((p) => {
      const key = tpKey(p.topic, p.partition);
      if (!this.#paused.has(key)) return [];
      const at = this.#core.resumeAt(p.topic, p.partition) ?? (old ? this.#paused.get(key) : undefined);
      return at === undefined ? [] : [{ ...p, offset: at }];
    });
    if (back.length > 0) this.#seek(back);
    for (const p of partitions) this.#paused.delete(tpKey(p.topic, p.partition));
  }

  #pauseResume(sym: string, partitions: readonly TopicPartition[]): void {
    const list = toList(partitions);
    try {
      const err: number = rd()[sym](this.#core.native.rk, list);
      if (err !== 0) throw kafkaError(err, `${sym.slice(9, -11)}: ${kafkaError(err).message}`);
    } finally {
      destroyList(list);
    }
  }

  /**
   * The low and high watermarks of a partition. Asks the leader off the JS thread;
   * with `cached: true`, returns what the last fetch saw (no broker call;
   * undefined values before any).
   *
   * @example
   * ```ts
   * const { low, high } = await consumer.watermarkOffsets("t", 0);
   * ```
   */
  async watermarkOffsets(
    topic: string,
    partition: number,
    options?: { timeoutMs?: number; cached?: boolean },
  ): Promise<{ low: bigint | undefined; high: bigint | undefined }> {
    this.#check();
    const o = checkCallOptions(options, "watermarkOffsets(options)");
    const timeoutMs = checkTimeout(o.timeoutMs, "watermarkOffsets: timeoutMs", 10_000, false);
    checkPartitions([{ topic, partition }], "watermarkOffsets");
    return await watermarks(this.#core.native, topic, partition, { timeoutMs, cached: o.cached === true });
  }

  /**
   * The earliest offset whose timestamp is at or after `timestamp` (ms), per
   * partition; undefined where there is none. Asks the leaders off the JS thread.
   *
   * @example
   * ```ts
   * const [o] = await consumer.offsetsForTimes([{ topic: "t", partition: 0, timestamp: Date.now() - 60_000 }]);
   * ```
   */
  async offsetsForTimes(
    query: readonly (TopicPartition & { timestamp: number })[],
    options?: { timeoutMs?: number },
  ): Promise<TopicPartitionOffset[]> {
    this.#check();
    const o = checkCallOptions(options, "offsetsForTimes(options)");
    const timeoutMs = checkTimeout(o.timeoutMs, "offsetsForTimes: timeoutMs", 10_000, false);
    checkPartitions(query, "offsetsForTimes");
    return await offsetsForTimes(this.#core.native, query, timeoutMs);
  }

  /**
   * Consumer lag per partition (default: the assignment): the last high
   * watermark a fetch saw minus the position. Local: no broker call; undefined
   * until both are known.
   *
   * @example
   * ```ts
   * for (const l of consumer.lag()) metrics.gauge("lag", Number(l.lag ?? 0n), l);
   * ```
   */
  lag(partitions?: readonly TopicPartition[]): (TopicPartition & { lag: bigint | undefined })[] {
    return this.position(partitions).map((p) => {
      const high = cachedHigh(this.#core.native.rk, p.topic, p.partition);
      const lag = high === undefined || p.offset === undefined ? undefined : high - p.offset;
      // A position past the last high watermark seen (it moves on) counts as no lag.
      return { topic: p.topic, partition: p.partition, lag: lag !== undefined && lag < 0n ? 0n : lag };
    });
  }

  // --- lifecycle -------------------------------------------------------------------

  /**
   * Leaves the group (revoking through `onRebalance`, committing stored offsets if
   * auto-commit is on), copies out zero-copy values still held, and frees the
   * client off the JS thread. Pending reads reject with `ClosedError`. Idempotent.
   *
   * @example
   * ```ts
   * await consumer.close({ timeoutMs: 10_000 });
   * ```
   */
  close(options?: { timeoutMs?: number }): Promise<void> {
    if (this.#closed) return this.#closed;
    let timeoutMs: number;
    try {
      // Checked before anything changes: a refused close leaves the consumer open, and registered.
      timeoutMs = closeTimeout(options);
    } catch (e) {
      return Promise.reject(e);
    }
    registry.unregister(this);
    this.#leaving.abort(new ClosedError("consumer (closed before the call could start)"));
    this.#closed = closeCore(this.#core, timeoutMs, [...this.#inFlight]);
    return this.#closed;
  }

  /** `await using consumer = new Consumer(…)` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Triggers a fatal error, as librdkafka's `rd_kafka_test_fatal_error` does, to
   * test how an application handles one (waiting reads reject with it). Testing only.
   *
   * @example
   * ```ts
   * consumer.testFatalError(ErrorCode.FENCED_INSTANCE_ID, "test");
   * ```
   */
  testFatalError(code: number, reason: string): void {
    this.#check();
    rd().rd_kafka_test_fatal_error(this.#core.native.rk, code, cstr(reason));
  }

  /** Listens to `error`, `log`, `stats`, `rebalance` or `eof`. @example `consumer.on("rebalance", (e) => console.log(e))` */
  on<E extends keyof ConsumerEvents>(event: E, listener: ConsumerEvents[E]): this {
    this.#emitter.on(event, listener);
    return this;
  }

  /** Removes a listener added with {@link on}. @example `consumer.off("eof", fn)` */
  off<E extends keyof ConsumerEvents>(event: E, listener: ConsumerEvents[E]): this {
    this.#emitter.off(event, listener);
    return this;
  }
}
