/**
 * The producer's public shapes, shared by the `Producer` class and its core
 * (`core.ts`), which settles each send with a {@link DeliveryReport} and reads
 * {@link ProducerOptions}: kept apart so that neither file imports the other.
 *
 * @module
 */
import type { KafkaError, LimitError } from "../errors.ts";

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
}
