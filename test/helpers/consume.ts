/**
 * Shared set-up of the consumer test files: one cluster (mock or real, see
 * cluster.ts) and one producer per file, consumers closed at the end, and small
 * helpers to fill partitions and read back.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type ClientConfig,
  Consumer,
  type ConsumerOptions,
  type Message,
  Producer,
  type ProducerMessage,
} from "../../src/mod.ts";
import { type TestCluster, testCluster } from "./cluster.ts";
import { sleep } from "./runtime.ts";

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const bytes = (u: Uint8Array | null | undefined): number[] | null | undefined =>
  u === null || u === undefined ? u : Array.from(u);
export const uuid = (): string => crypto.randomUUID();

/** Reads until `n` messages arrived (readBatch), failing with what arrived when `timeoutMs` passes first. */
export async function readN(c: Consumer, n: number, timeoutMs = 20_000, maxMessages = 10_000): Promise<Message[]> {
  const out: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const batch = await c.readBatch({ maxMessages: Math.min(maxMessages, n - out.length), timeoutMs: left });
    out.push(...batch);
  }
  assert.equal(out.length, n, `read ${out.length} of ${n} messages within ${timeoutMs} ms`);
  return out;
}

/** Waits until `check()` holds (a test helper may poll; the library may not). */
export async function eventually(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`not within ${timeoutMs} ms: ${what}`);
    await sleep(10);
  }
}

export const offsetsOf = (ms: readonly Message[]): bigint[] => ms.map((m) => m.offset);
export const range = (from: number, to: number): bigint[] =>
  Array.from({ length: to - from }, (_, i) => BigInt(from + i));
export const byPartition = (ms: readonly Message[], p: number): Message[] => ms.filter((m) => m.partition === p);

/** One file's cluster, producer and consumers; call `setUp` in `before` and `tearDown` in `after`. */
export class ConsumerFixture {
  cluster!: TestCluster;
  bootstrap!: string;
  producer!: Producer;
  readonly open: Consumer[] = [];

  async setUp(): Promise<void> {
    this.cluster = await testCluster();
    this.bootstrap = this.cluster.bootstrapServers;
    // Idempotence keeps each partition in send order even when a request is retried (a new
    // topic's first produce often is, on a real broker): tests compare read order with send order.
    this.producer = new Producer({ "bootstrap.servers": this.bootstrap, "linger.ms": 5, "enable.idempotence": true });
  }

  async tearDown(): Promise<void> {
    await Promise.allSettled(this.open.map((c) => c.close({ timeoutMs: 5_000 })));
    await this.producer?.close();
    await this.cluster?.close();
  }

  /** A consumer closed at the end of the file if the test did not close it. */
  consumer = (config: ClientConfig = {}, options?: ConsumerOptions): Consumer => {
    const c = new Consumer(
      { "bootstrap.servers": this.bootstrap, "auto.offset.reset": "earliest", ...config },
      options,
    );
    this.open.push(c);
    return c;
  };

  /** A consumer with a fresh group and manual commits. */
  grouped = (config: ClientConfig = {}, options?: ConsumerOptions): Consumer =>
    this.consumer({ "group.id": `g-${uuid()}`, "enable.auto.commit": false, ...config }, options);

  newTopic = async (partitions: number): Promise<string> => {
    const t = `t-${uuid()}`;
    await this.cluster.createTopic(t, { partitions });
    return t;
  };

  /** Produces `msgs` (one sendMulti) and asserts every one was delivered. */
  produce = async (msgs: ProducerMessage[]): Promise<{ offset: bigint; partition: number }[]> => {
    const res = await this.producer.sendMulti(msgs);
    const failed = res.findIndex((r) => r.status !== "fulfilled");
    assert.equal(
      failed,
      -1,
      failed >= 0 ? `message ${failed}: ${String((res[failed] as PromiseRejectedResult).reason)}` : "",
    );
    return res.map((r) => (r as PromiseFulfilledResult<{ offset: bigint; partition: number }>).value);
  };

  /** `count` messages "v<i>" to one partition. */
  fill = (topic: string, partition: number, count: number, from = 0): Promise<unknown> =>
    this.produce(Array.from({ length: count }, (_, i) => ({ topic, partition, value: `v${from + i}` })));
}
