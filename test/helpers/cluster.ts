/**
 * The cluster an integration test runs against, chosen by the environment:
 *
 * - `KAFKA_BOOTSTRAP` unset: librdkafka's in-process `MockCluster` (the mock tier).
 * - `KAFKA_BOOTSTRAP=host:port`: that real broker (the kafka tier), e.g. the one
 *   `bash scripts/kafka.sh up` starts (`eval "$(bash scripts/kafka.sh env)"`).
 *
 * The same test file runs on both tiers. A test that needs a mock-only feature
 * (`setBrokerDown`, the mock's fixed LogAppendTime, pushed request errors) lives in
 * a `describe` that only the mock tier declares (see {@link clusterKind}), next to
 * a kafka-tier counterpart that asserts what the real broker does.
 *
 * On the kafka tier topics are created with kafka-fast's own `AdminClient`
 * (`./topics.ts`) and deleted again on `close()`. Topic names should be random
 * (`t-<uuid>`): the broker outlives one test run.
 *
 * @module
 */
import { backend } from "../../ffi/mod.ts";
import { AdminClient, MockCluster } from "../../src/mod.ts";
import { createReadyTopic, pingBroker } from "./topics.ts";

/** "mock" (MockCluster) or "kafka" (a real broker at `KAFKA_BOOTSTRAP`). */
export type ClusterKind = "mock" | "kafka";

/** Options of {@link TestCluster.createTopic}. */
export interface TestTopicOptions {
  partitions: number;
  /** Broker-side topic configuration; kafka tier only (the mock has none). */
  config?: Record<string, string>;
}

/** A cluster for one test file. */
export interface TestCluster {
  readonly kind: ClusterKind;
  readonly bootstrapServers: string;
  /** The MockCluster on the mock tier (for mock-only features), else `undefined`. */
  readonly mock: MockCluster | undefined;
  /** The AdminClient the kafka tier creates topics with, else `undefined` (the mock has no admin API). */
  readonly admin: AdminClient | undefined;
  /** Creates a topic and resolves once producers and consumers can use it. */
  createTopic(name: string, options: TestTopicOptions): Promise<void>;
  /** Deletes a topic, best effort (never rejects; a no-op on the mock tier). */
  deleteTopic(name: string): Promise<void>;
  /** Frees the cluster (mock) or deletes the topics it created and frees its admin handle (kafka). */
  close(): Promise<void>;
}

/**
 * The tier this process tests, from `KAFKA_BOOTSTRAP`; synchronous, so a test file
 * can declare tier-specific suites at load time.
 *
 * @example
 * ```ts
 * if (clusterKind() === "mock") describe("mock only", () => { … });
 * ```
 */
export function clusterKind(): ClusterKind {
  return backend.env("KAFKA_BOOTSTRAP") ? "kafka" : "mock";
}

/** A short name for test titles: "mock cluster" or "Kafka at 127.0.0.1:9092". */
export function clusterLabel(): string {
  const b = backend.env("KAFKA_BOOTSTRAP");
  return b ? `Kafka at ${b}` : "mock cluster";
}

class MockTestCluster implements TestCluster {
  readonly kind = "mock" as const;
  readonly admin = undefined;
  constructor(readonly mock: MockCluster) {}
  get bootstrapServers(): string {
    return this.mock.bootstrapServers;
  }
  async createTopic(name: string, options: TestTopicOptions): Promise<void> {
    if (options.config && Object.keys(options.config).length > 0) {
      throw new TypeError("topic configuration needs a real broker (the mock cluster has none)");
    }
    await this.mock.createTopic(name, { partitions: options.partitions });
  }
  async deleteTopic(): Promise<void> {}
  close(): Promise<void> {
    return this.mock.close();
  }
}

class KafkaTestCluster implements TestCluster {
  readonly kind = "kafka" as const;
  readonly mock = undefined;
  #created = new Set<string>();
  constructor(readonly bootstrapServers: string, readonly admin: AdminClient) {}
  async createTopic(name: string, options: TestTopicOptions): Promise<void> {
    await createReadyTopic(this.admin, name, options.partitions, options.config);
    this.#created.add(name);
  }
  async deleteTopic(name: string): Promise<void> {
    this.#created.delete(name);
    await this.admin.deleteTopics([name]).catch(() => {}); // best effort
  }
  async close(): Promise<void> {
    const names = [...this.#created];
    this.#created.clear();
    if (names.length > 0) {
      // best effort: the broker's data is thrown away on the next `kafka.sh up` anyway
      await this.admin.deleteTopics(names, { timeoutMs: 5_000 }).catch(() => {});
    }
    await this.admin.close();
  }
}

/**
 * The cluster of this tier: a new MockCluster, or the broker at `KAFKA_BOOTSTRAP`
 * (checked to answer within 15 s).
 *
 * @throws {Error} when `KAFKA_BOOTSTRAP` is set but no broker answers there.
 * @example
 * ```ts
 * const cluster = await testCluster();
 * await cluster.createTopic(`t-${crypto.randomUUID()}`, { partitions: 3 });
 * ```
 */
export async function testCluster(): Promise<TestCluster> {
  const bootstrap = backend.env("KAFKA_BOOTSTRAP");
  if (!bootstrap) return new MockTestCluster(await MockCluster.create());
  const admin = new AdminClient({ "bootstrap.servers": bootstrap, "log_level": 3 });
  try {
    await pingBroker(admin, 15_000);
  } catch (e) {
    await admin.close();
    throw new Error(
      `KAFKA_BOOTSTRAP=${bootstrap}: ${(e as Error).message} (start one with: bash scripts/kafka.sh up)`,
    );
  }
  return new KafkaTestCluster(bootstrap, admin);
}
