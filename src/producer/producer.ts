/**
 * The Producer: `send` and `sendMulti` settle at librdkafka's delivery reports.
 *
 * Each accepted message gets an integer id, passed to librdkafka as its
 * `msg_opaque`; delivery reports come back as events on the client's main queue
 * (`RD_KAFKA_EVENT_DR`, many messages per event) and settle the promise with that
 * id (DESIGN.md rule 6). The JS thread never waits: enqueueing is a
 * non-blocking call, reports arrive through the wake-up pipe, and `flush`/`close`
 * wait for the report count to reach zero instead of calling `rd_kafka_flush`.
 *
 * @module
 */
import { EVENT, RD_KAFKA_PRODUCER } from "../../ffi/mod.ts";
import { ClosedError } from "../errors.ts";
import { type ClientEvents, Emitter } from "../events.ts";
import { checkConfig, type ClientConfig } from "../native/conf.ts";
import { checkOptions as checkCallOptions, checkTimeout, closeTimeout } from "../validate.ts";
import { NativeClient, registerOwner } from "../native/client.ts";
import { checkProvider } from "../native/oauth.ts";
import { ProducerCore } from "./core.ts";
import { Transactions } from "./transactions.ts";
import type {
  DeliveryReport,
  ProducerOptions,
  SendResult,
  Transaction,
  TransactionConsumer,
  TransactionOptions,
} from "./types.ts";
import type { ConsumedRecord, TopicPartitionOffset } from "../native/tplist.ts";
import { normalize, normalizeAt, type Outgoing, type ProducerMessage } from "./encode.ts";

export type { Headers, Payload, ProducerMessage } from "./encode.ts";
export type { ClientConfig } from "../native/conf.ts";

const registry = new FinalizationRegistry<ProducerCore>((core) => {
  // The user dropped an open producer: deliver what it accepted, then free it.
  void core.close(30_000).catch(() => {});
});

/**
 * A Kafka producer for Bun and Deno.
 *
 * `config` is librdkafka's own property map. Defaults that differ from
 * librdkafka's: `partitioner` is `murmur2_random` (keyed messages land on the same
 * partition as with the Java client); `log.queue` is always on (logs are events).
 *
 * @example
 * ```ts
 * import { Producer } from "kafka-fast";
 * await using producer = new Producer({ "bootstrap.servers": "127.0.0.1:9092" });
 * const report = await producer.send({ topic: "events", key: "k", value: "hello" });
 * console.log(report.partition, report.offset);
 * ```
 */
export class Producer {
  #core: ProducerCore;
  #emitter = new Emitter();
  #txn: Transactions;

  /**
   * @throws {ConfigError} for an unknown property or a value librdkafka refuses.
   * @throws {LimitError} when `maxClients` clients are open.
   * @throws {LibraryLoadError} when librdkafka cannot be loaded.
   */
  constructor(config: ClientConfig, options: ProducerOptions = {}) {
    checkConfig(config);
    const opts = checkOptions(options);
    const core = new ProducerCore(this.#emitter.relay(), opts);
    core.native = new NativeClient(config, {
      type: RD_KAFKA_PRODUCER,
      events: EVENT.DR,
      defaults: { partitioner: "murmur2_random", "client.software.name": "kafka-fast" },
      drainBudget: opts.drainBudget,
      oauthBearerProvider: checkProvider(options.oauthBearerProvider, config),
      emitter: this.#emitter.relay(),
      sink: core,
    });
    this.#core = core;
    const tid = config["transactional.id"];
    this.#txn = new Transactions(tid !== undefined && tid !== "");
    this.#txn.native = core.native;
    this.#txn.flush = (ms) => core.flush(ms);
    registry.register(this, core, this);
    registerOwner(this, core.native);
  }

  /** librdkafka's name of this client, e.g. `"rdkafka#producer-1"`. @example `producer.name` */
  get name(): string {
    return this.#core.native.name;
  }

  /** True once `close()` was called. @example `if (!producer.closed) …` */
  get closed(): boolean {
    return this.#core.closing;
  }

  /** Messages accepted (or waiting for room) whose report has not come yet. @example `producer.pending` */
  get pending(): number {
    return this.#core.pendingCount;
  }

  /**
   * Produces one message; resolves at its delivery report.
   *
   * @throws {TypeError} (rejects) for a field of the wrong type, naming it.
   * @throws {KafkaError} (rejects) when the message cannot be delivered.
   * @throws {ClosedError} (rejects) after `close()`.
   * @example
   * ```ts
   * const r = await producer.send({ topic: "t", key: "k", value: new Uint8Array([1, 2]), headers: { h: "v" } });
   * ```
   */
  send(message: ProducerMessage): Promise<DeliveryReport> {
    let out: Outgoing;
    try {
      this.#core.checkOpen();
      this.#txn.checkSend("send");
      out = normalize(message, "message");
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#core.send(out);
  }

  /**
   * Produces a batch with as few FFI crossings as librdkafka allows: consecutive
   * messages for one topic without headers or timestamps cross as one
   * `rd_kafka_produce_batch` call; others as one `rd_kafka_produceva` call each.
   *
   * Resolves once every message has its report, with one {@link SendResult} per
   * message in input order (`Promise.allSettled`'s shape); it never rejects for a
   * per-message failure. If any message is malformed the call rejects with a
   * `TypeError` naming it (`messages[3].value`) and nothing is sent.
   *
   * @example
   * ```ts
   * const results = await producer.sendMulti([{ topic: "t", value: "a" }, { topic: "t", value: "b" }]);
   * const failed = results.filter((r) => r.status === "rejected");
   * ```
   */
  sendMulti(messages: readonly ProducerMessage[]): Promise<SendResult[]> {
    let outs: Outgoing[];
    try {
      this.#core.checkOpen();
      this.#txn.checkSend("sendMulti");
      if (!Array.isArray(messages)) throw new TypeError("sendMulti(messages): messages must be an array");
      const n = messages.length;
      outs = new Array(n);
      for (let i = 0; i < n; i++) outs[i] = normalizeAt(messages[i], "messages", i);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#core.sendMulti(outs);
  }

  /**
   * Resolves when every message accepted so far has its delivery report.
   *
   * @throws {KafkaError} (rejects) `_TIMED_OUT` when `timeoutMs` passes first.
   * @example
   * ```ts
   * await producer.flush({ timeoutMs: 10_000 });
   * ```
   */
  flush(options?: { timeoutMs?: number }): Promise<void> {
    if (this.#core.closing) return Promise.reject(new ClosedError("producer"));
    try {
      const o = checkCallOptions(options, "flush(options)");
      return this.#core.flush(checkTimeout(o.timeoutMs, "flush: timeoutMs", 30_000, true));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  // --- transactions (a producer with `transactional.id`) ------------------------

  /** True while a transaction is open (begun, not yet committed or aborted). @example `if (producer.inTransaction) …` */
  get inTransaction(): boolean {
    return this.#txn.open;
  }

  /**
   * Registers the `transactional.id` with the cluster's transaction coordinator,
   * fencing older producers with the same id and finishing what they left open.
   * Once per producer, before the first transaction. Runs off the JS thread.
   *
   * @throws {ConfigError} (rejects) without `transactional.id`.
   * @throws {KafkaError} (rejects) librdkafka's error, with its `retriable` and `fatal` flags
   *   (`_TIMED_OUT` is retriable: call again); `_CONFLICT` while another transactional call runs.
   * @example
   * ```ts
   * const producer = new Producer({ "bootstrap.servers": brokers, "transactional.id": "orders-1" });
   * await producer.initTransactions({ timeoutMs: 30_000 });
   * ```
   */
  initTransactions(options?: TransactionOptions): Promise<void> {
    return this.#txnCall(options, "initTransactions", (ms) => this.#txn.init(ms));
  }

  /**
   * Begins a transaction: sends from now on belong to it. Resolves once librdkafka
   * has begun it (send after that).
   *
   * @throws {KafkaError} (rejects) `_STATE` before `initTransactions()` or with a transaction open.
   * @example
   * ```ts
   * await producer.beginTransaction();
   * producer.send({ topic: "out", value: "v" });
   * await producer.commitTransaction();
   * ```
   */
  beginTransaction(): Promise<void> {
    return this.#txnCall(undefined, "beginTransaction", () => this.#txn.begin());
  }

  /**
   * Commits the open transaction: waits for its messages to be delivered (their
   * sends settle meanwhile), then makes them and its offsets visible to
   * `read_committed` consumers.
   *
   * @throws {KafkaError} (rejects) with librdkafka's flags: `retriable` (call again to
   *   resume), `txnRequiresAbort` (call `abortTransaction()`), or `fatal` (the producer is
   *   unusable; every later call rejects with that error).
   * @example
   * ```ts
   * await producer.commitTransaction({ timeoutMs: 10_000 });
   * ```
   */
  commitTransaction(options?: TransactionOptions): Promise<void> {
    return this.#txnCall(options, "commitTransaction", (ms) => this.#txn.commit(ms));
  }

  /**
   * Aborts the open transaction: messages not yet delivered fail (`_PURGE_QUEUE` /
   * `_PURGE_INFLIGHT`), and what was written is marked aborted, never shown to
   * `read_committed` consumers.
   *
   * @throws {KafkaError} (rejects) as {@link commitTransaction}.
   * @example
   * ```ts
   * await producer.abortTransaction({ timeoutMs: 10_000 });
   * ```
   */
  abortTransaction(options?: TransactionOptions): Promise<void> {
    return this.#txnCall(options, "abortTransaction", (ms) => this.#txn.abort(ms));
  }

  /**
   * Adds a consumer's progress to the open transaction, committed (to the consumer's
   * group) only if the transaction commits: the exactly-once step of a
   * consume-transform-produce loop. `offsets` are consumed messages (each stands for
   * its offset + 1) or next offsets to read; left out, the consumer's positions (what
   * it has handed out).
   *
   * @throws {TypeError} (rejects) for a consumer that is not a kafka-fast `Consumer`, or bad offsets.
   * @throws {ConfigError} (rejects) for a consumer without `group.id`.
   * @throws {KafkaError} (rejects) as {@link commitTransaction}.
   * @example
   * ```ts
   * const m = await consumer.read();
   * await producer.beginTransaction();
   * producer.send({ topic: "out", value: m!.value });
   * await producer.sendOffsetsToTransaction(consumer, [m!]);
   * await producer.commitTransaction();
   * ```
   */
  sendOffsetsToTransaction(
    consumer: TransactionConsumer,
    offsets?: readonly (TopicPartitionOffset | ConsumedRecord)[],
    options?: TransactionOptions,
  ): Promise<void> {
    return this.#txnCall(options, "sendOffsetsToTransaction", (ms) => this.#txn.sendOffsets(consumer, offsets, ms));
  }

  /**
   * Runs `fn` in a transaction: begins (after `initTransactions()` if it was not
   * called), runs `fn`, waits for every send made through `tx`, and commits. When
   * `fn` throws or a send fails, aborts and rethrows that error. librdkafka's error
   * classes decide the rest: a retriable commit or abort error is retried until
   * `timeoutMs`; an abortable one aborts and rejects with it; a fatal one rejects
   * with it, and the producer is unusable.
   *
   * @throws whatever `fn` threw, the first send that failed, or the {@link KafkaError} of the commit.
   * @example
   * ```ts
   * for await (const m of consumer) {
   *   await producer.transaction(async (tx) => {
   *     tx.send({ topic: "out", key: m.key, value: m.value });
   *     await tx.sendOffsets(consumer, [m]);
   *   });
   * }
   * ```
   */
  transaction<T>(fn: (tx: Transaction) => T | Promise<T>, options?: TransactionOptions): Promise<T> {
    let timeoutMs: number;
    try {
      if (typeof fn !== "function") throw new TypeError("transaction(fn): fn must be a function");
      timeoutMs = this.#txnTimeout(options, "transaction");
      this.#checkUsable();
    } catch (e) {
      return Promise.reject(e);
    }
    const sends: Promise<unknown>[] = [];
    const track = <R>(p: Promise<R>): Promise<R> => {
      p.catch(() => {}); // a send the callback does not await must not be an unhandled rejection
      sends.push(p);
      return p;
    };
    const tx: Transaction = {
      send: (m) => track(this.send(m)),
      sendMulti: (ms) => track(this.sendMulti(ms)),
      sendOffsets: (consumer, offsets) => this.sendOffsetsToTransaction(consumer, offsets, { timeoutMs }),
    };
    const settled = async (): Promise<Error | undefined> => {
      for (const r of await Promise.allSettled(sends)) {
        if (r.status === "rejected") return r.reason as Error;
        if (Array.isArray(r.value)) {
          const bad = (r.value as SendResult[]).find((x) => x.status === "rejected");
          if (bad?.status === "rejected") return bad.reason;
        }
      }
      return undefined;
    };
    return this.#txn.run(() => fn(tx), settled, timeoutMs);
  }

  #checkUsable(): void {
    if (this.#core.closing) throw new ClosedError("producer");
  }

  #txnTimeout(options: TransactionOptions | undefined, call: string): number {
    const o = checkCallOptions(options, `${call}(options)`);
    return checkTimeout(o.timeoutMs, `${call}: timeoutMs`, 30_000, false);
  }

  #txnCall(options: TransactionOptions | undefined, call: string, run: (timeoutMs: number) => Promise<void>) {
    try {
      const timeoutMs = this.#txnTimeout(options, call);
      this.#checkUsable();
      return run(timeoutMs);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Flushes (up to `timeoutMs`), fails what is still undelivered with `_PURGE_QUEUE`,
   * and frees the client off the JS thread. Idempotent. A transaction still open is
   * aborted first (within the same `timeoutMs`); one left to the garbage collector is
   * not, and the broker aborts it after `transaction.timeout.ms`.
   *
   * @example
   * ```ts
   * await producer.close({ timeoutMs: 5_000 });
   * ```
   */
  close(options?: { timeoutMs?: number }): Promise<void> {
    let timeoutMs: number;
    try {
      // Checked before anything changes: a refused close leaves the producer open, and registered.
      timeoutMs = closeTimeout(options);
    } catch (e) {
      return Promise.reject(e);
    }
    registry.unregister(this);
    const txn = this.#txn;
    return this.#core.close(timeoutMs, txn.enabled ? (deadline) => txn.closing(deadline) : undefined);
  }

  /** `await using producer = new Producer(…)` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Listens to `error`, `log` or `stats`.
   *
   * @example
   * ```ts
   * producer.on("error", (e) => { if (e.fatal) alert(e); });
   * ```
   */
  on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this {
    this.#emitter.on(event, listener);
    return this;
  }

  /** Removes a listener added with {@link on}. @example `producer.off("log", fn)` */
  off<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this {
    this.#emitter.off(event, listener);
    return this;
  }

  /**
   * Triggers a fatal error, as librdkafka's `rd_kafka_test_fatal_error` does, to
   * test how an application handles one. Testing only.
   *
   * @example
   * ```ts
   * producer.testFatalError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, "test");
   * ```
   */
  testFatalError(code: number, reason: string): void {
    this.#core.checkOpen();
    this.#core.testFatal(code, reason);
  }
}

function checkOptions(o: ProducerOptions): Required<Omit<ProducerOptions, "oauthBearerProvider">> {
  if (o === null || typeof o !== "object" || Array.isArray(o)) {
    throw new TypeError("Producer options must be an object");
  }
  const known = [
    "queueFull",
    "queueFullTimeoutMs",
    "maxWaitingSends",
    "drainBudget",
    "failOnAuthError",
    "oauthBearerProvider",
  ];
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) {
      throw new TypeError(`unknown Producer option "${k}" (librdkafka properties go in the first argument)`);
    }
  }
  const int = (k: keyof ProducerOptions, d: number, min: number) => {
    const v = o[k] ?? d;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      throw new TypeError(`Producer option ${k} must be an integer >= ${min}, got ${String(v)}`);
    }
    return v;
  };
  const queueFull = o.queueFull ?? "wait";
  if (queueFull !== "wait" && queueFull !== "error") {
    throw new TypeError(`Producer option queueFull must be "wait" or "error", got ${String(queueFull)}`);
  }
  const failOnAuthError = o.failOnAuthError ?? true;
  if (typeof failOnAuthError !== "boolean") {
    throw new TypeError(`Producer option failOnAuthError must be a boolean, got ${String(failOnAuthError)}`);
  }
  return {
    failOnAuthError,
    queueFull,
    queueFullTimeoutMs: checkTimeout(o.queueFullTimeoutMs, "Producer option queueFullTimeoutMs", 30_000, true),
    maxWaitingSends: int("maxWaitingSends", 1_000_000, 0),
    drainBudget: int("drainBudget", 2_000, 1),
  };
}
