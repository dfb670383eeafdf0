/**
 * Transactions of a producer with `transactional.id`: librdkafka's transactional
 * API (`rd_kafka_init_transactions`, `_begin_transaction`,
 * `_send_offsets_to_transaction`, `_commit_transaction`, `_abort_transaction`),
 * each call run off the JS thread, and the `transaction(fn)` helper over them.
 *
 * Why each call runs in the background: all of them wait. `begin_transaction` too
 * hands an op to librdkafka's main thread and waits for the answer, and
 * `commit_transaction` flushes the transaction's messages first. Their delivery
 * reports keep arriving through the wake-up meanwhile, so the sends of the
 * transaction settle while the commit waits.
 *
 * Why calls are refused here before librdkafka sees them: librdkafka allows one
 * transactional call at a time (a second one gets `_CONFLICT`, or worse, waits
 * behind the first on a thread of the pool). So a call while another runs is
 * refused at once, as are calls in the wrong phase (begin before init, a send or
 * commit with no transaction open), each with the code librdkafka uses
 * (`_CONFLICT`, `_STATE`) and a message that says what to do. Everything else
 * (retriable, abortable and fatal errors) is librdkafka's own verdict, passed
 * through with its flags.
 *
 * @module
 */
import { ClosedError, ConfigError, ErrorCode, KafkaError } from "../errors.ts";
import { clientOf, type NativeClient } from "../native/client.ts";
import { backend, type Ptr, rd } from "../native/lib.ts";
import {
  type ConsumedRecord,
  destroyList,
  nextOffsets,
  toList,
  type TopicPartition,
  type TopicPartitionOffset,
} from "../native/tplist.ts";
import { after } from "../validate.ts";
import type { TransactionConsumer } from "./types.ts";

/** Where a transactional producer is, as far as this library must know (librdkafka keeps the rest). */
type Phase = "uninitialized" | "ready" | "open";

/** The longest abort `close()` runs when it was given no finite timeout. */
const CLOSE_ABORT_MAX_MS = 60_000;
/** Between two tries of a commit or abort the helper retries (a retriable error that came at once). */
const RETRY_PAUSE_MS = 100;

/** Internal: the transactional side of one producer. @example `const txn = new Transactions(true)` */
export class Transactions {
  readonly enabled: boolean;
  native!: NativeClient;
  /** Resolves when every message sent so far has its delivery report (the producer's flush). */
  flush: (timeoutMs: number) => Promise<void> = () => Promise.resolve();
  #phase: Phase = "uninitialized";
  #running: { name: string; done: Promise<void> } | undefined;
  /** The first fatal error a transactional call returned: every later call rejects with it. */
  #fatal: KafkaError | undefined;

  constructor(enabled: boolean) {
    this.enabled = enabled;
  }

  /** True between a successful `beginTransaction` and the commit or abort that ends it. */
  get open(): boolean {
    return this.#phase === "open";
  }

  /**
   * Throws what a send must be refused with on a transactional producer: none open,
   * or one being begun, committed or aborted. Nothing for a plain producer.
   */
  checkSend(call: string): void {
    if (!this.enabled) return;
    if (this.#fatal) throw this.#fatal;
    const running = this.#running?.name;
    if (running === "beginTransaction") {
      throw state(call, "beginTransaction() has not finished yet: await it before sending");
    }
    if (running === "commitTransaction" || running === "abortTransaction") {
      throw state(call, `the transaction is ending (${running} is running): send in the next one`);
    }
    if (this.#phase !== "open") {
      throw state(
        call,
        "this producer is transactional and no transaction is open: call beginTransaction() first" +
          (this.#phase === "uninitialized" ? " (after initTransactions())" : ""),
      );
    }
  }

  init(timeoutMs: number): Promise<void> {
    return this.#run("initTransactions", () => {
      if (this.#phase !== "uninitialized") throw state("initTransactions", "already done for this producer");
    }, async () => {
      await this.#call("initTransactions", "rd_kafka_init_transactions", [this.native.rk, timeoutMs], timeoutMs);
      this.#phase = "ready";
    });
  }

  begin(): Promise<void> {
    return this.#run("beginTransaction", () => {
      if (this.#phase === "uninitialized") throw state("beginTransaction", "call initTransactions() first");
      if (this.#phase === "open") {
        throw state("beginTransaction", "a transaction is already open: commit or abort it first");
      }
    }, async () => {
      await this.#call("beginTransaction", "rd_kafka_begin_transaction", [this.native.rk], 30_000);
      this.#phase = "open";
    });
  }

  commit(timeoutMs: number): Promise<void> {
    return this.#run("commitTransaction", () => this.#needOpen("commitTransaction"), async () => {
      // librdkafka's commit flushes what it has been given, but a big sendMulti is handed
      // over in slices, one per macrotask, and a slice that arrives once the commit began
      // is refused (_STATE). So every accepted send is delivered first, then the commit
      // (which then has nothing left to flush) runs in what remains of the timeout.
      await this.#end("commitTransaction", "rd_kafka_commit_transaction", timeoutMs, timeoutMs, false);
    });
  }

  abort(timeoutMs: number, urgent = false): Promise<void> {
    return this.#run("abortTransaction", () => this.#needOpen("abortTransaction"), async () => {
      // librdkafka sends EndTxn while an AddPartitionsToTxn of the transaction may still
      // be in flight; the broker then answers CONCURRENT_TRANSACTIONS, the retry gets
      // INVALID_TXN_STATE, and librdkafka makes that fatal (confluentinc/librdkafka#4849;
      // 1 abort in 3 right after a commit on 2.0.2 here). A message delivered means its
      // partition was registered: wait for the transaction's messages first, for at most
      // half the time, then abort (what is still undelivered is purged).
      await this.#end("abortTransaction", "rd_kafka_abort_transaction", timeoutMs, Math.floor(timeoutMs / 2), urgent);
    });
  }

  /**
   * Adds a consumer's offsets to the transaction: `offsets` (the next offset to
   * read per partition, or consumed messages, each standing for its offset + 1), or
   * the consumer's positions when left out.
   */
  sendOffsets(
    consumer: TransactionConsumer,
    offsets: readonly (TopicPartitionOffset | ConsumedRecord)[] | undefined,
    timeoutMs: number,
  ): Promise<void> {
    const call = "sendOffsetsToTransaction";
    let source: NativeClient;
    let tps: (TopicPartition & { offset: bigint })[] = [];
    return this.#run(call, () => {
      this.#needOpen(call);
      const c = clientOf(consumer);
      if (!c || !c.isConsumer) throw new TypeError(`${call}: consumer must be a Consumer of kafka-fast`);
      if (c.closed) throw new ClosedError(`${call}: the consumer`);
      if (c.groupId === undefined) throw new ConfigError("group.id", `${call}: the consumer has no group.id`);
      source = c;
      if (offsets === undefined) {
        // What the consumer handed out so far (a message read is a position + 1).
        for (const p of consumer.position()) {
          if (p.offset !== undefined && p.offset >= 0n) tps.push({ ...p, offset: p.offset });
        }
      } else {
        if (!Array.isArray(offsets)) throw new TypeError(`${call}: offsets must be an array`);
        tps = nextOffsets(offsets, `${call}: offsets`);
        const bad = tps.findIndex((t) => t.offset < 0n);
        if (bad >= 0) throw new RangeError(`${call}: offsets[${bad}].offset must be >= 0n, got ${tps[bad].offset}`);
      }
    }, async () => {
      if (tps.length === 0) return; // librdkafka, too, does nothing for no offsets
      const md = await source.background("rd_kafka_consumer_group_metadata", [source.rk], { what: call }) as Ptr;
      if (backend.isNull(md)) throw new ConfigError("group.id", `${call}: the consumer has no group.id`);
      const list = toList(tps);
      try {
        await this.#call(
          call,
          "rd_kafka_send_offsets_to_transaction",
          [this.native.rk, list, md, timeoutMs],
          timeoutMs,
        );
      } finally {
        destroyList(list);
        rd().rd_kafka_consumer_group_metadata_destroy(md);
      }
    });
  }

  /**
   * At close: waits (until `deadline`) for a transactional call still running, then
   * aborts a transaction still open, within what is left. Never throws.
   */
  async closing(deadline: number): Promise<void> {
    const left = () => Math.max(0, deadline - performance.now());
    const running = this.#running?.done;
    if (running) {
      let cancel = () => {};
      await Promise.race([running.catch(() => {}), new Promise<void>((r) => (cancel = after(left(), r)))]);
      cancel();
    }
    if (this.#phase !== "open" || this.#running || this.#fatal || this.native.fatalError) return;
    await this.abort(Math.floor(Math.min(left(), CLOSE_ABORT_MAX_MS)), true).catch(() => {});
  }

  /**
   * Begins a transaction (initializing first if needed), runs `fn`, waits for the
   * sends it made, then commits; aborts when `fn` throws or a send fails and
   * rethrows that. Retriable errors retry the commit or abort until `timeoutMs`.
   */
  async run<T>(fn: () => T | Promise<T>, settled: () => Promise<Error | undefined>, timeoutMs: number): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    const left = () => Math.max(0, Math.floor(deadline - performance.now()));
    if (this.#phase === "uninitialized") await this.init(left());
    await this.begin();
    let result: T;
    try {
      result = await fn();
      const failed = await settled();
      if (failed) throw failed;
    } catch (e) {
      await this.#retrying(() => this.abort(left()), left).catch(() => {});
      throw e;
    }
    try {
      await this.#retrying(() => this.commit(left()), left);
    } catch (e) {
      // Abortable (a message failed, the epoch was bumped), or refused outright: end the
      // transaction here. Fatal: nothing can end it, the producer is unusable. Retriable
      // with no time left: the commit may still complete; commitTransaction() resumes it.
      const k = e as KafkaError;
      if (!k.fatal && !(k.retriable && this.#phase === "open" && left() === 0)) {
        await this.#retrying(() => this.abort(left()), left).catch(() => {});
      }
      throw e;
    }
    return result;
  }

  async #retrying(attempt: () => Promise<void>, left: () => number): Promise<void> {
    for (;;) {
      try {
        return await attempt();
      } catch (e) {
        if (!(e instanceof KafkaError) || !e.retriable || left() <= 0) throw e;
        await new Promise((r) => setTimeout(r, Math.min(RETRY_PAUSE_MS, left())));
      }
    }
  }

  #needOpen(call: string): void {
    if (this.#phase === "uninitialized") throw state(call, "call initTransactions() first");
    if (this.#phase !== "open") throw state(call, "no transaction is open: call beginTransaction() first");
  }

  /** Refuses synchronously (no side effect), else runs `body` as the one transactional call in flight. */
  #run(name: string, check: () => void, body: () => Promise<void>): Promise<void> {
    try {
      if (!this.enabled) {
        throw new ConfigError("transactional.id", `${name}: this producer has no transactional.id`);
      }
      if (this.#fatal) throw this.#fatal;
      if (this.native.fatalError) throw this.native.fatalError;
      if (this.#running) {
        throw new KafkaError(
          ErrorCode._CONFLICT,
          `${name}: ${this.#running.name} is still running; await it before the next transactional call`,
          { retriable: false },
        );
      }
      check();
    } catch (e) {
      return Promise.reject(e);
    }
    const done = body();
    this.#running = { name, done };
    const clear = () => {
      if (this.#running?.done === done) this.#running = undefined;
    };
    done.then(clear, clear);
    return done;
  }

  /**
   * Ends the transaction (commit or abort): waits up to `flushMs` for the sends accepted
   * so far, then runs the librdkafka call in what is left of `timeoutMs`.
   */
  async #end(name: string, symbol: string, timeoutMs: number, flushMs: number, urgent: boolean): Promise<void> {
    const start = performance.now();
    await this.flush(flushMs).catch(() => {});
    const ms = Math.max(0, Math.floor(timeoutMs - (performance.now() - start)));
    await this.#call(name, symbol, [this.native.rk, ms], ms, urgent);
    this.#phase = "ready";
  }

  async #call(name: string, symbol: string, args: unknown[], waitMs: number, urgent = false): Promise<void> {
    const e = await this.native.background(symbol, args, { what: name, waitMs, urgent }) as Ptr;
    if (backend.isNull(e)) return;
    const err = takeError(e, name);
    if (err.fatal) this.#fatal ??= err;
    throw err;
  }
}

/** The `_STATE` error of a call made in the wrong phase. */
function state(call: string, why: string): KafkaError {
  return new KafkaError(ErrorCode._STATE, `${call}: ${why}`, { retriable: false });
}

/** Turns an owned `rd_kafka_error_t *` into a KafkaError with librdkafka's flags, and frees it. */
function takeError(e: Ptr, call: string): KafkaError {
  const c = rd();
  try {
    const code: number = c.rd_kafka_error_code(e);
    const text = backend.readCString(c.rd_kafka_error_string(e)) ?? "";
    return new KafkaError(code, `${call}: ${text}`, {
      fatal: c.rd_kafka_error_is_fatal(e) !== 0,
      retriable: c.rd_kafka_error_is_retriable(e) !== 0,
      txnRequiresAbort: c.rd_kafka_error_txn_requires_abort(e) !== 0,
    });
  } finally {
    c.rd_kafka_error_destroy(e);
  }
}
