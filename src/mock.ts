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
import { checkTopic } from "./producer_encode.ts";

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
  destroyed?: Promise<void>;
}

async function destroyHandles(h: Handles): Promise<void> {
  // The cluster first (it runs on the handle's resources), then the handle.
  await runInBackground("rd_kafka_mock_cluster_destroy", [h.mcluster]);
  await runInBackground("rd_kafka_destroy", [h.rk]);
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
      const brokers = options.brokers ?? 1;
      if (!Number.isInteger(brokers) || brokers < 1 || brokers > 64) {
        throw new TypeError(`MockCluster brokers must be an integer from 1 to 64, got ${String(brokers)}`);
      }
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
        const h = { rk, mcluster };
        void runInBackground("rd_kafka_destroy", [rk]).then(releaseClient);
        void h;
        throw new KafkaError(-195, "could not start the mock cluster (no free port on 127.0.0.1?)");
      }
      const bootstrap = backend.readCString(c.rd_kafka_mock_cluster_bootstraps(mcluster)) ?? "";
      return Promise.resolve(new MockCluster({ rk, mcluster }, bootstrap, brokers));
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

  async #op(symbol: string, args: unknown[], what: string): Promise<void> {
    this.#check();
    const err = Number(await runInBackground(symbol, [this.#h.mcluster, ...args]));
    if (err !== 0) throw new KafkaError(err, `${what}: ${kafkaError(err).message}`);
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
  async createTopic(name: string, options: MockTopicOptions = {}): Promise<void> {
    checkTopic(name, "topic");
    const partitions = options.partitions ?? 1;
    const rf = options.replicationFactor ?? 1;
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new TypeError(`partitions must be a positive integer, got ${String(partitions)}`);
    }
    if (!Number.isInteger(rf) || rf < 1 || rf > this.#brokers) {
      throw new TypeError(`replicationFactor must be an integer from 1 to ${this.#brokers}, got ${String(rf)}`);
    }
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
    this.#check();
    const arr = new Int32Array(errors);
    await runInBackground("rd_kafka_mock_push_request_errors_array", [
      this.#h.mcluster,
      apiKey,
      errors.length,
      new Uint8Array(arr.buffer),
    ]);
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
