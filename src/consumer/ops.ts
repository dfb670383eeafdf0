/**
 * The Consumer's options and events, and its helpers: argument checks, the
 * offset queries that run off the JS thread (watermarks, offsets for times), and
 * the close sequence.
 *
 * @module
 */
import { ClosedError, ConfigError, ErrorCode, KafkaError, kafkaError } from "../errors.ts";
import { type ConsumerCore, offsetOrUndefined } from "./core.ts";
import { CLOSE_MARGIN_MS, type NativeClient } from "../native/client.ts";
import { after, checkTimeout, MAX_TIMEOUT_MS, show } from "../validate.ts";
import { backend, cstr, offHeap, type Ptr, rd } from "../native/lib.ts";
import {
  checkPartitions,
  destroyList,
  fromList,
  toList,
  type TopicPartition,
  type TopicPartitionOffset,
  tpKey,
} from "../native/tplist.ts";
import type { ClientEvents } from "../events.ts";
import type { OAuthBearerProvider } from "../native/oauth.ts";
import type { PartitionEof, RebalanceEvent } from "./core.ts";

/**
 * Options of this library (not librdkafka properties).
 *
 * @example
 * ```ts
 * new Consumer(config, { topics: ["events"], copyThreshold: 64 * 1024 });
 * ```
 */
export interface ConsumerOptions {
  /** Subscribe to these at once (names, or RegExp / names starting with `^` as patterns). */
  topics?: readonly (string | RegExp)[];
  /** Or assign these partitions at once (no group membership needed). */
  assignment?: readonly (TopicPartition & { offset?: bigint })[];
  /**
   * Values longer than this many bytes are zero-copy views on librdkafka's memory
   * (release them, or let the GC); shorter ones are copied. Default 16 384
   * (measured: zero-copy pays from 4-16 KiB, by 3-7x from 32 KiB);
   * `Infinity` copies everything, 0 copies nothing.
   */
  copyThreshold?: number;
  /** Called at every rebalance; the assignment is handed back to librdkafka when its promise settles. */
  onRebalance?: (event: RebalanceEvent) => void | Promise<void>;
  /** Most events handled per macrotask. Default 2 000. */
  drainBudget?: number;
  /** Default `timeoutMs` of `read` and `readBatch`. Default 1 000 ms. */
  readTimeoutMs?: number;
  /**
   * Supplies SASL/OAUTHBEARER tokens from code (with `sasl.mechanisms: "OAUTHBEARER"`),
   * called when librdkafka needs one. See {@link OAuthBearerProvider}.
   */
  oauthBearerProvider?: OAuthBearerProvider;
}

/** Events of a consumer. @example `consumer.on("eof", (e) => console.log(e.partition))` */
export interface ConsumerEvents extends ClientEvents {
  rebalance: (e: RebalanceEvent) => void;
  eof: (e: PartitionEof) => void;
}

/** Options of {@link Consumer.read}. @example `{ timeoutMs: 500, signal: AbortSignal.timeout(1000) }` */
export interface ReadOptions {
  /** Resolve with null (read) or [] (readBatch) after this long. `Infinity` waits until a message or close. */
  timeoutMs?: number;
  /** Rejects the read with the signal's reason when aborted. */
  signal?: AbortSignal;
}

/**
 * Low and high watermarks: asked of the leader off the JS thread, or (`cached`)
 * what the last fetch saw.
 *
 * @example
 * ```ts
 * const { low, high } = await watermarks(native, "t", 0, { timeoutMs: 5000 });
 * ```
 */
export async function watermarks(
  native: NativeClient,
  topic: string,
  partition: number,
  options: { timeoutMs: number; cached?: boolean },
): Promise<{ low: bigint | undefined; high: bigint | undefined }> {
  const rk = native.rk;
  const outs = offHeap(16);
  let err: number;
  if (options.cached) {
    err = rd().rd_kafka_get_watermark_offsets(rk, cstr(topic), partition, outs, outs.subarray(8));
  } else {
    // A background call gets addresses: both buffers live until it returned.
    const name = cstr(topic);
    const nameBuf = offHeap(name.length);
    nameBuf.set(name);
    const out = backend.ptrOf(outs);
    const args = [
      rk,
      backend.ptrOf(nameBuf),
      partition,
      out,
      backend.fromAddress(backend.address(out) + 8),
      options.timeoutMs,
    ];
    const call = { what: "watermarkOffsets", waitMs: options.timeoutMs };
    // librdkafka 2.0.2 waits for the leader's answer without a deadline while the leader is
    // down; the answer is not awaited past timeoutMs (+ the margin librdkafka's own timeout
    // needs). The call itself goes on (holding its slot) until librdkafka returns.
    const ms = Math.min(options.timeoutMs + CLOSE_MARGIN_MS, MAX_TIMEOUT_MS);
    const running = native.background("rd_kafka_query_watermark_offsets", args, call);
    // librdkafka writes into both buffers when it returns, perhaps after we stopped
    // waiting: they stay referenced (alive) until then.
    running.then(() => void [outs, nameBuf], () => void [outs, nameBuf]);
    err = Number(
      await deadline(running, ms, () =>
        kafkaError(
          ErrorCode._TIMED_OUT,
          `watermarkOffsets(${topic}[${partition}]): no answer within ${options.timeoutMs} ms`,
        )),
    );
    void nameBuf.length;
  }
  if (err !== 0) throw kafkaError(err, `watermarkOffsets(${topic}[${partition}]): ${kafkaError(err).message}`);
  const dv = new DataView(outs.buffer);
  return { low: offsetOrUndefined(dv.getBigInt64(0, true)), high: offsetOrUndefined(dv.getBigInt64(8, true)) };
}

/** The high watermark the last fetch saw, or undefined. @example `cachedHigh(rk, "t", 0)` */
export function cachedHigh(rk: Ptr, topic: string, partition: number): bigint | undefined {
  const outs = offHeap(16);
  const err: number = rd().rd_kafka_get_watermark_offsets(rk, cstr(topic), partition, outs, outs.subarray(8));
  return err === 0 ? offsetOrUndefined(new DataView(outs.buffer).getBigInt64(8, true)) : undefined;
}

/**
 * `rd_kafka_offsets_for_times` off the JS thread; offsets below 0 (none) become undefined.
 *
 * @example
 * ```ts
 * await offsetsForTimes(native, [{ topic: "t", partition: 0, timestamp: Date.now() - 60_000 }], 5000);
 * ```
 */
export async function offsetsForTimes(
  native: NativeClient,
  query: readonly (TopicPartition & { timestamp: number })[],
  timeoutMs: number,
): Promise<TopicPartitionOffset[]> {
  checkPartitions(query, "offsetsForTimes");
  // Kafka refuses a ListOffsets that names a partition twice (UNSUPPORTED_VERSION): say so plainly.
  const seen = new Set<string>();
  query.forEach((q, i) => {
    const k = tpKey(q.topic, q.partition);
    if (seen.has(k)) throw new TypeError(`offsetsForTimes: [${i}] names ${q.topic}[${q.partition}] a second time`);
    seen.add(k);
    if (typeof q.timestamp !== "number" || !Number.isFinite(q.timestamp)) {
      throw new TypeError(`offsetsForTimes: [${i}].timestamp must be a number (ms since the epoch)`);
    }
  });
  const list = toList(query.map((q) => ({ ...q, offset: BigInt(q.timestamp) })));
  try {
    const call = { what: "offsetsForTimes", waitMs: timeoutMs };
    const err = Number(await native.background("rd_kafka_offsets_for_times", [native.rk, list, timeoutMs], call));
    if (err !== 0) throw kafkaError(err, `offsetsForTimes: ${kafkaError(err).message}`);
    return fromList(list).map((t) => ({
      ...t,
      offset: t.offset !== undefined && t.offset >= 0n ? t.offset : undefined,
    }));
  } finally {
    destroyList(list);
  }
}

/**
 * The close sequence, bounded by `timeoutMs` (+ {@link CLOSE_MARGIN_MS}): refuse
 * reads, leave the group through a close queue (the final revoke goes through the
 * rebalance path, and librdkafka commits the stored offsets when auto-commit is
 * on), wait for what runs in the background, copy out held zero-copy values, then
 * destroy off the JS thread.
 *
 * librdkafka does not finish a group's close while a commit waits for an
 * unreachable coordinator (up to `session.timeout.ms`, and a retried request can
 * wait longer: confluentinc/librdkafka#3740, #4519), and `rd_kafka_destroy` waits
 * for that close, even with `RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE` (the final
 * auto-commit of revoked partitions still runs). So when the group has not closed
 * by the deadline, the commits still waiting reject with `_TIMED_OUT`, the handle
 * is destroyed without joining librdkafka's threads (they end on their own when
 * librdkafka gives up), and close rejects with `_TIMED_OUT` saying what was given up.
 *
 * @example
 * ```ts
 * await closeCore(core, 30_000, []);
 * ```
 */
export async function closeCore(
  core: ConsumerCore,
  timeoutMs: number,
  membership: readonly Promise<unknown>[],
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const left = () => Math.max(0, deadline - performance.now());
  core.beginClose();
  const c = rd();
  let clean = false;
  // A subscribe (or assign) that reaches librdkafka's group after its close began
  // trips an assertion that aborts the process (rd_kafka_cgrp_destroy_final:
  // !rkcg->rkcg_subscription): the calls already running go first. Each waits only
  // for librdkafka's main thread; if one has not returned by the deadline, the
  // group is not closed at all and the handle is freed once the call returns.
  const settledInTime = await within(Promise.allSettled(membership), left());
  if (core.mustAwaitFirstAssign) await within(core.firstAssigned, left());
  // A rebalance being handed back (rd_kafka_assign after an assign event) goes first too:
  // librdkafka 2.12 can end the group between that call's op being queued and served, and
  // the call then waits forever on a worker thread (gdb: rd_kafka_op_req, timeout -1), so
  // the handle is never freed; 1 close in about 10 right after a join, on a loaded machine.
  await within(core.settled(), left());
  if (!core.fatal && settledInTime) {
    // The close queue receives the last rebalance (revoke) and the end of the close.
    const q = core.native.addQueue();
    core.settleOffsets();
    const e: Ptr = c.rd_kafka_consumer_close_queue(core.native.rk, q);
    if (backend.isNull(e)) clean = await waitClosed(core, left());
    else c.rd_kafka_error_destroy(e);
  }
  // A rebalance hook still running (an application's onRebalance) is waited for, within the deadline.
  await within(core.settled(), left());
  // Results that arrived (commits) settle their promises; those still waiting never will.
  core.native.drainNow();
  const gaveUp = !clean && core.fatal === undefined;
  // After a clean close no commit waits (the group's close waits for them), but one made
  // after the group ended may never hear back: nothing is left pending past the handle.
  core.failCommits(
    gaveUp
      ? new KafkaError(
        ErrorCode._TIMED_OUT,
        `commit: no answer from the group coordinator before close() gave up (timeoutMs ${timeoutMs}); ` +
          "the offsets may not be committed",
      )
      : new ClosedError("consumer (closed before the commit's result came)"),
  );
  core.copyOutAll();
  await core.native.destroy(undefined, {
    noConsumerClose: true,
    abandon: gaveUp,
    deadline: deadline + CLOSE_MARGIN_MS,
    what: `consumer ${core.native.name}`,
  });
  if (gaveUp) {
    throw new KafkaError(
      ErrorCode._TIMED_OUT,
      `consumer ${core.native.name} close: the group was not left within ${timeoutMs} ms (` +
        (settledInTime
          ? "the group coordinator did not answer: a final offset commit or the leave still waited"
          : "a subscribe, assign or unsubscribe made before close still ran") +
        "); the commits still waiting were rejected, and librdkafka's threads were left to end on " +
        "their own, which they do when librdkafka gives up (session.timeout.ms)",
    );
  }
}

/** `p`, or a rejection with `error()` after `ms` if it has not settled by then. */
function deadline<T>(p: Promise<T>, ms: number, error: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cancel = after(ms, () => reject(error()));
    p.then((v) => {
      cancel();
      resolve(v);
    }, (e) => {
      cancel();
      reject(e);
    });
  });
}

/** True when `p` settles within `ms`, false after `ms` (never rejects). */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const cancel = after(ms, () => resolve(false));
    const done = () => {
      cancel();
      resolve(true);
    };
    p.then(done, done);
  });
}

/** Resolves true when librdkafka reports the consumer closed, false at the timeout. */
function waitClosed(core: ConsumerCore, timeoutMs: number): Promise<boolean> {
  const c = rd();
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      cancel();
      core.afterClose = undefined;
      resolve(ok);
    };
    const cancel = after(timeoutMs, () => {
      // The last event may be queued but not drained yet: look once more.
      core.native.drainNow();
      finish(c.rd_kafka_consumer_closed(core.native.rk) === 1);
    });
    // Checked after every drain: the close's last event wakes us like any other.
    core.afterClose = () => {
      if (c.rd_kafka_consumer_closed(core.native.rk) === 1) finish(true);
    };
    core.native.kick();
  });
}

/** `timeoutMs` of a read, checked. @example `readTimeout({ timeoutMs: 5 }, 1000)` */
export function readTimeout(o: ReadOptions, d: number): number {
  return checkTimeout(o.timeoutMs, "read: timeoutMs", d, true);
}

/** The Consumer's own options, checked, with defaults. @example `checkOptions({ copyThreshold: 0 })` */
export function checkOptions(
  o: ConsumerOptions,
): Required<Omit<ConsumerOptions, "topics" | "assignment" | "onRebalance" | "oauthBearerProvider">> {
  if (o === null || typeof o !== "object" || Array.isArray(o)) {
    throw new TypeError(`Consumer options must be an object, got ${show(o)}`);
  }
  const known = [
    "topics",
    "assignment",
    "copyThreshold",
    "onRebalance",
    "drainBudget",
    "readTimeoutMs",
    "oauthBearerProvider",
  ];
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) {
      throw new TypeError(`unknown Consumer option "${k}" (librdkafka properties go in the first argument)`);
    }
  }
  const num = (k: "copyThreshold" | "drainBudget", d: number, min: number) => {
    const v = o[k] ?? d;
    if (typeof v !== "number" || Number.isNaN(v) || v < min) {
      throw new TypeError(`Consumer option ${k} must be a number >= ${min}, got ${show(v)}`);
    }
    return v;
  };
  if (o.onRebalance !== undefined && typeof o.onRebalance !== "function") {
    throw new TypeError("Consumer option onRebalance must be a function");
  }
  // Checked here, at construction: a bad list would otherwise surface only as an
  // `error` event nobody listens to yet, and every read would time out.
  if (o.topics !== undefined) subscription(o.topics, "Consumer option topics");
  if (o.assignment !== undefined) checkAssignment(o.assignment, "Consumer option assignment");
  if (o.topics !== undefined && o.assignment !== undefined) {
    throw new TypeError("Consumer options topics and assignment exclude each other: subscribe or assign");
  }
  return {
    copyThreshold: num("copyThreshold", 16 * 1024, 0),
    drainBudget: Math.floor(num("drainBudget", 2_000, 1)),
    readTimeoutMs: checkTimeout(o.readTimeoutMs, "Consumer option readTimeoutMs", 1_000, true),
  };
}

/**
 * A subscription's topic list as librdkafka takes it: names as they are, RegExps
 * as `^`-anchored patterns.
 *
 * @throws {TypeError} naming the bad element, or for an empty or non-array list.
 * @example
 * ```ts
 * subscription(["orders", /^audit-/], "subscribe(topics)"); // ["orders", "^audit-"]
 * ```
 */
export function subscription(topics: unknown, what: string): string[] {
  if (!Array.isArray(topics) || topics.length === 0) {
    throw new TypeError(`${what} must be a non-empty array of names or RegExps, got ${show(topics)}`);
  }
  return topics.map((t, i) => {
    if (t instanceof RegExp) return t.source.startsWith("^") ? t.source : `^${t.source}`;
    if (typeof t !== "string" || t === "") throw new TypeError(`${what}[${i}] must be a name or a RegExp`);
    return t;
  });
}

/**
 * Partitions to assign, with optional start offsets (bigints), checked before any
 * native list is built.
 *
 * @example
 * ```ts
 * checkAssignment([{ topic: "t", partition: 0, offset: 5n }], "assign");
 * ```
 */
export function checkAssignment(
  partitions: readonly (TopicPartition & { offset?: bigint })[],
  what: string,
): void {
  checkPartitions(partitions, what);
  partitions.forEach((p, i) => {
    if (p.offset !== undefined && typeof p.offset !== "bigint") {
      throw new TypeError(`${what}: partitions[${i}].offset must be a bigint, got ${show(p.offset)}`);
    }
  });
}

/** librdkafka's reading of a boolean property (true/t/1, false/f/0); `dflt` when unset or unreadable. */
function flag(v: string | number | boolean | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  const s = String(v).toLowerCase();
  if (s === "true" || s === "t" || s === "1") return true;
  if (s === "false" || s === "f" || s === "0") return false;
  return dflt; // librdkafka refuses it when the client is built
}

/**
 * How offsets are stored and auto-committed. With auto store and auto-commit on
 * (librdkafka's defaults, with a `group.id`), the consumer commits on its own timer
 * and librdkafka's is turned off: that one reads the stored offsets on librdkafka's
 * thread, where they may run ahead of what reads were handed (floors.ts).
 *
 * @throws {ConfigError} for an `auto.commit.interval.ms` librdkafka would refuse.
 * @example
 * ```ts
 * offsetPlan({ "group.id": "g" }, true); // { autoStore: true, timerMs: 5000, overrides: { "auto.commit.interval.ms": "0" } }
 * ```
 */
export function offsetPlan(
  config: Record<string, string | number | boolean>,
  grouped: boolean,
): { autoStore: boolean; timerMs: number; overrides: Record<string, string> } {
  const autoStore = flag(config["enable.auto.offset.store"], true);
  const autoCommit = grouped && flag(config["enable.auto.commit"], true);
  const raw = config["auto.commit.interval.ms"];
  const ms = raw === undefined ? 5000 : Number(raw);
  const bad = typeof raw === "boolean" || (typeof raw === "string" && raw.trim() === "");
  if (bad || !Number.isInteger(ms) || ms < 0 || ms > 86_400_000) {
    throw new ConfigError(
      "auto.commit.interval.ms",
      `config "auto.commit.interval.ms": expected an integer from 0 to 86400000, got ${show(raw)}`,
    );
  }
  if (!autoStore || !autoCommit || ms === 0) return { autoStore, timerMs: 0, overrides: {} };
  return { autoStore, timerMs: ms, overrides: { "auto.commit.interval.ms": "0" } };
}
