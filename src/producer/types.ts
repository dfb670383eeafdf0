/**
 * The producer's public shapes, shared by the `Producer` class and its core
 * (`core.ts`), which settles each send with a {@link DeliveryReport} and reads
 * {@link ProducerOptions}: kept apart so that neither file imports the other.
 *
 * @module
 */
import type { KafkaError, LimitError } from "../errors.ts";
import type { ConsumedRecord, TopicPartitionOffset } from "../native/tplist.ts";
import type { OAuthBearerProvider } from "../native/oauth.ts";
import type { ProducerMessage } from "./encode.ts";
import type { TopicPartition } from "../native/tplist.ts";

/**
 * What a delivered message got from the broker.
 *
 * @example
 * ```ts
 * const { partition, offset } = await producer.send({ topic: "t", value: "v" });
 * ```
 */
export interface DeliveryReport {
  topic: string;
  partition: number;
  offset: bigint;
  /** Milliseconds since the epoch: the message's CreateTime, or the broker's LogAppendTime. */
  timestamp: number;
  /** Which of the two `timestamp` is (librdkafka's mock cluster answers LogAppendTime 1234). */
  timestampType: "CreateTime" | "LogAppendTime" | "NotAvailable";
}

/**
 * One message's outcome in {@link Producer.sendMulti}, in the shape of `Promise.allSettled`.
 *
 * @example
 * ```ts
 * for (const r of await producer.sendMulti(msgs)) if (r.status === "rejected") console.error(r.reason.name);
 * ```
 */
export type SendResult =
  | { status: "fulfilled"; value: DeliveryReport }
  | { status: "rejected"; reason: KafkaError | LimitError };

/**
 * Options of this library (not librdkafka properties).
 *
 * @example
 * ```ts
 * new Producer(config, { queueFull: "error" });
 * ```
 */
export interface ProducerOptions {
  /**
   * When librdkafka's local queue is full (`queue.buffering.max.messages` /
   * `.kbytes`): `"wait"` (default) holds the send until delivery reports make room,
   * in call order; `"error"` rejects at once with `_QUEUE_FULL`.
   */
  queueFull?: "wait" | "error";
  /** Longest a send waits for room before it rejects with `_QUEUE_FULL`. Default 30 000 ms. */
  queueFullTimeoutMs?: number;
  /** Most sends waiting for room at once; more reject with {@link LimitError}. Default 1 000 000. */
  maxWaitingSends?: number;
  /** Most delivery reports handled per macrotask. Default 2 000. */
  drainBudget?: number;
  /**
   * When librdkafka reports a refused login (`_AUTHENTICATION`,
   * `SASL_AUTHENTICATION_FAILED`) or a broker certificate that fails verification
   * (`_SSL`), fail the messages still queued with that error at once instead of
   * letting them wait for `message.timeout.ms`. Default true.
   */
  failOnAuthError?: boolean;
  /**
   * Supplies SASL/OAUTHBEARER tokens from code (with `sasl.mechanisms: "OAUTHBEARER"`),
   * called when librdkafka needs one. See {@link OAuthBearerProvider}.
   */
  oauthBearerProvider?: OAuthBearerProvider;
}

/**
 * What the callback of {@link Producer.transaction} sends with: the producer's
 * `send` and `sendMulti`, tracked so that the transaction commits only after each
 * of them was delivered, and `sendOffsets`, the consumer's progress committed with
 * the transaction.
 *
 * @example
 * ```ts
 * await producer.transaction(async (tx) => {
 *   tx.send({ topic: "out", value: transform(m.value) });
 *   await tx.sendOffsets(consumer, [m]);
 * });
 * ```
 */
export interface Transaction {
  /** As `producer.send`; a failure aborts the transaction. */
  send(message: ProducerMessage): Promise<DeliveryReport>;
  /** As `producer.sendMulti`; a message that failed aborts the transaction. */
  sendMulti(messages: readonly ProducerMessage[]): Promise<SendResult[]>;
  /**
   * As `producer.sendOffsetsToTransaction`: consumed messages (each stands for its
   * offset + 1) or next offsets; the consumer's positions when left out.
   */
  sendOffsets(
    consumer: TransactionConsumer,
    offsets?: readonly (TopicPartitionOffset | ConsumedRecord)[],
  ): Promise<void>;
}

/** Options of the transactional calls. @example `await producer.commitTransaction({ timeoutMs: 10_000 })` */
export interface TransactionOptions {
  /** Longest the call (for `transaction()`: its commit or abort, retries included) waits. Default 30 000 ms. */
  timeoutMs?: number;
}

/**
 * The consumer whose progress a transaction commits: a `Consumer` of this library
 * (its group metadata is read from its handle; its positions are the default offsets).
 *
 * @example
 * ```ts
 * await producer.sendOffsetsToTransaction(consumer); // consumer: Consumer
 * ```
 */
export interface TransactionConsumer {
  position(partitions?: readonly TopicPartition[]): TopicPartitionOffset[];
}
