/**
 * `MockCluster`: librdkafka's in-process mock Kafka cluster (`rd_kafka_mock_*`),
 * for demos, quick tests and users' own tests. It listens on 127.0.0.1 with real
 * TCP, so any Kafka client (kcat too) can connect to `bootstrapServers`.
 *
 * It is not Kafka: it keeps only about 5 MiB or 100k messages per partition
 * (older ones vanish), auto-creates unknown topics, and a group join takes about
 * 3 s. Every call that hands an op to its thread runs off the JS thread.
 *
 * @module
 */
import { type Ptr, RD_KAFKA_PRODUCER } from "../ffi/mod.ts";
import { ClosedError, ConfigError, KafkaError, kafkaError } from "./errors.ts";
import { runInBackground } from "./native/background.ts";
import { buildConf } from "./native/conf.ts";
import { backend, cbufText, cstr, rd } from "./native/lib.ts";
import { acquireClient, releaseClient } from "./native/limits.ts";
import { checkInt, checkOptions, checkTopic, MAX_TIMEOUT_MS, show } from "./validate.ts";

/** Options of {@link MockCluster.create}. @example `await MockCluster.create({ brokers: 3 })` */
export interface MockClusterOptions {
  /** Number of brokers (ids 1…n). Default 1. */
  brokers?: number;
}

/** Options of {@link MockCluster.createTopic}. @example `await cluster.createTopic("t", { partitions: 4 })` */
export interface MockTopicOptions {
  /** Default 1. */
  partitions?: number;
  /** At most the number of brokers. Default 1. */
  replicationFactor?: number;
}

interface Handles {
  rk: Ptr;
  mcluster: Ptr;
  /** Operations started and not finished: the cluster is freed only after them. */
  ops: Set<Promise<unknown>>;
  /** The last operation issued: each runs after the one before it. */
  tail: Promise<unknown>;
  destroyed?: Promise<void>;
}

/**
 * Frees the cluster once the operations already started have finished (each is
 * one quick op on the mock's thread): Bun's Worker pool may run jobs in another
 * order than they were issued, so an operation issued before close() could
 * otherwise run on a freed cluster (seen: the process hung in 4 of 6 runs).
 */
async function destroyHandles(h: Handles): Promise<void> {
  await Promise.allSettled([...h.ops]);
  // The cluster first (it runs on the handle's resources), then the handle.
  await runInBackground("rd_kafka_mock_cluster_destroy", [h.mcluster], { urgent: true });
  await runInBackground("rd_kafka_destroy", [h.rk], { urgent: true });
  releaseClient();
}

const registry = new FinalizationRegistry<Handles>((h) => {
  h.destroyed ??= destroyHandles(h);
});

/**
 * An in-process Kafka cluster for tests and demos.
 *
 * @example
 * ```ts
 * import { MockCluster, Producer } from "kafka-fast";
 * await using cluster = await MockCluster.create({ brokers: 3 });
 * await cluster.createTopic("orders", { partitions: 6, replicationFactor: 3 });
 * const producer = new Producer({ "bootstrap.servers": cluster.bootstrapServers });
 * ```
 */
export class MockCluster {
  #h: Handles;
  #bootstrap: string;
  #brokers: number;

  private constructor(h: Handles, bootstrap: string, brokers: number) {
    this.#h = h;
    this.#bootstrap = bootstrap;
    this.#brokers = brokers;
    registry.register(this, h, this);
  }

  /**
   * Starts a mock cluster. Counts as one client towards `maxClients`.
   *
   * @example
   * ```ts
   * const cluster = await MockCluster.create({ brokers: 3 });
   * ```
   */
  static create(options: MockClusterOptions = {}): Promise<MockCluster> {
    try {
      const brokers = checkInt(
        checkOptions(options, "MockCluster.create(options)").brokers ?? 1,
        "MockCluster brokers",
        1,
        64,
        TypeError,
      );
      const c = rd();
      acquireClient();
      let rk: Ptr;
      try {
        // A handle that never connects anywhere: it only hosts the mock cluster.
        const conf = buildConf({ "log_level": 3 });
        const errstr = new Uint8Array(512);
        rk = c.rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, 512n);
        if (backend.isNull(rk)) {
          c.rd_kafka_conf_destroy(conf);
          throw new ConfigError(undefined, `mock cluster: ${cbufText(errstr)}`);
        }
      } catch (e) {
        releaseClient();
        throw e;
      }
      const mcluster: Ptr = c.rd_kafka_mock_cluster_new(rk, brokers);
      if (backend.isNull(mcluster)) {
        void runInBackground("rd_kafka_destroy", [rk], { urgent: true }).then(releaseClient);
        throw new KafkaError(-195, "could not start the mock cluster (no free port on 127.0.0.1?)");
      }
      const bootstrap = backend.readCString(c.rd_kafka_mock_cluster_bootstraps(mcluster)) ?? "";
      return Promise.resolve(
        new MockCluster({ rk, mcluster, ops: new Set(), tail: Promise.resolve() }, bootstrap, brokers),
      );
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** `"127.0.0.1:port,…"`, for `bootstrap.servers`. @example `{ "bootstrap.servers": cluster.bootstrapServers }` */
  get bootstrapServers(): string {
    this.#check();
    return this.#bootstrap;
  }

  /** The number of brokers. @example `cluster.brokers // 3` */
  get brokers(): number {
    return this.#brokers;
  }

  /** True once closed. @example `cluster.closed` */
  get closed(): boolean {
    return this.#h.destroyed !== undefined;
  }

  #check(): void {
    if (this.#h.destroyed) throw new ClosedError("mock cluster");
  }

  /**
   * Runs one operation on the cluster off the JS thread, after the ones issued before
   * it (in parallel background slots, `setBrokerDown(1, true); setBrokerDown(1, false)`
   * left the broker down in 4 of 30 runs on Bun); close() waits for it. Arguments are checked.
   */
  async #op(symbol: string, args: unknown[], what: string, returnsError = true): Promise<void> {
    this.#check();
    const h = this.#h;
    // Outside maxBackgroundCalls (each takes milliseconds, one at a time per cluster): an outage
    // made with the mock must be able to end while the calls it stalls hold every slot
    // (librdkafka 2.0.2's watermark query holds one until the leader is back).
    const p = h.tail.then(() => runInBackground(symbol, [h.mcluster, ...args], { what, urgent: true }));
    h.tail = p.catch(() => {});
    const ops = this.#h.ops;
    ops.add(p);
    try {
      const err = Number(await p);
      if (returnsError && err !== 0) throw new KafkaError(err, `${what}: ${kafkaError(err).message}`);
    } finally {
      ops.delete(p);
    }
  }

  /**
   * Creates a topic (the mock also auto-creates unknown topics on first use, with
   * librdkafka's default partition count).
   *
   * @example
   * ```ts
   * await cluster.createTopic("events", { partitions: 4 });
   * ```
   */
  async createTopic(name: string, options?: MockTopicOptions): Promise<void> {
    checkTopic(name, "topic");
    const o = checkOptions(options, "createTopic(options)");
    const partitions = checkInt(o.partitions ?? 1, "createTopic: partitions", 1, 100_000, TypeError);
    const rf = checkInt(o.replicationFactor ?? 1, "createTopic: replicationFactor", 1, this.#brokers, TypeError);
    await this.#op("rd_kafka_mock_topic_create", [cstr(name), partitions, rf], `create topic "${name}"`);
  }

  /**
   * Takes a broker down (its connections close and it refuses new ones) or brings it back up.
   *
   * @example
   * ```ts
   * await cluster.setBrokerDown(1, true);
   * ```
   */
  async setBrokerDown(brokerId: number, down: boolean): Promise<void> {
    checkInt(brokerId, "setBrokerDown: brokerId", 1, this.#brokers, TypeError);
    if (typeof down !== "boolean") throw new TypeError(`setBrokerDown: down must be a boolean, got ${show(down)}`);
    const sym = down ? "rd_kafka_mock_broker_set_down" : "rd_kafka_mock_broker_set_up";
    await this.#op(sym, [brokerId], `broker ${brokerId} ${down ? "down" : "up"}`);
  }

  /**
   * Adds a round-trip delay to every response of a broker.
   *
   * @example
   * ```ts
   * await cluster.setRtt(1, 50);
   * ```
   */
  async setRtt(brokerId: number, rttMs: number): Promise<void> {
    checkInt(brokerId, "setRtt: brokerId", 1, this.#brokers, TypeError);
    checkInt(rttMs, "setRtt: rttMs", 0, MAX_TIMEOUT_MS, TypeError);
    await this.#op("rd_kafka_mock_broker_set_rtt", [brokerId, rttMs], `broker ${brokerId} rtt`);
  }

  /**
   * Makes the next `errors.length` requests of the Kafka API `apiKey` fail with these codes.
   *
   * @example
   * ```ts
   * await cluster.pushRequestErrors(0, [ErrorCode.NOT_LEADER_FOR_PARTITION]); // Produce
   * ```
   */
  async pushRequestErrors(apiKey: number, errors: readonly number[]): Promise<void> {
    checkInt(apiKey, "pushRequestErrors: apiKey", 0, 32_767, TypeError);
    if (!Array.isArray(errors)) throw new TypeError(`pushRequestErrors: errors must be an array, got ${show(errors)}`);
    errors.forEach((e, i) => checkInt(e, `pushRequestErrors: errors[${i}]`, -200, 32_767, TypeError));
    const arr = new Int32Array(errors);
    const args = [apiKey, errors.length, new Uint8Array(arr.buffer)];
    await this.#op("rd_kafka_mock_push_request_errors_array", args, "pushRequestErrors", false); // returns void
  }

  /**
   * Stops the cluster and frees it, off the JS thread. Idempotent.
   *
   * @example
   * ```ts
   * await cluster.close();
   * ```
   */
  close(): Promise<void> {
    registry.unregister(this);
    this.#h.destroyed ??= destroyHandles(this.#h);
    return this.#h.destroyed;
  }

  /** `await using cluster = await MockCluster.create()` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
