/**
 * What every example starts with: a cluster and a fresh topic on it. Without
 * `KAFKA_BOOTSTRAP` that is an embedded {@link MockCluster}; with it, the broker it
 * names, where the topic is created with {@link AdminClient} and deleted at the end.
 *
 * @module
 */
import { AdminClient, MockCluster } from "../src/mod.ts";

/**
 * A cluster with one topic for an example; `await using` tears both down.
 *
 * @example
 * ```ts
 * await using cluster: ExampleCluster = await exampleCluster("consume", 2);
 * console.log(cluster.mock ? "mock" : "broker", cluster.bootstrap, cluster.topic);
 * ```
 */
export interface ExampleCluster extends AsyncDisposable {
  readonly bootstrap: string;
  readonly topic: string;
  /** `topic`, then the `more` topics asked for (same partition count). */
  readonly topics: readonly string[];
  /** True on the embedded mock cluster. */
  readonly mock: boolean;
}

/**
 * A topic named `example-<name>-<random>` with `partitions` partitions (and `more`
 * topics like it, named `…-1`, `…-2`).
 *
 * @example
 * ```ts
 * await using cluster = await exampleCluster("produce", 3);
 * new Producer({ "bootstrap.servers": cluster.bootstrap });
 * ```
 */
export async function exampleCluster(name: string, partitions: number, more = 0): Promise<ExampleCluster> {
  const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
  const external = env?.KAFKA_BOOTSTRAP;
  const topic = `example-${name}-${crypto.randomUUID().slice(0, 8)}`;
  const topics = [topic, ...Array.from({ length: more }, (_, i) => `${topic}-${i + 1}`)];
  if (!external) {
    const mock = await MockCluster.create();
    for (const t of topics) await mock.createTopic(t, { partitions });
    return { bootstrap: mock.bootstrapServers, topic, topics, mock: true, [Symbol.asyncDispose]: () => mock.close() };
  }
  const admin = new AdminClient({ "bootstrap.servers": external });
  const created = await admin.createTopics(topics.map((t) => ({ name: t, partitions, replicationFactor: 1 })));
  for (const c of created) if (c.error) throw c.error;
  // A new topic's partitions get leaders a moment later: wait for them, so the first send finds them.
  for (let i = 0; i < 100; i++) {
    const ds = await admin.describeTopics(topics).catch(() => []);
    const ready = ds.length === topics.length &&
      ds.every((t) => t.partitions.length === partitions && t.partitions.every((p) => p.leader));
    if (ready) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    bootstrap: external,
    topic,
    topics,
    mock: false,
    async [Symbol.asyncDispose]() {
      await admin.deleteTopics(topics).catch(() => {});
      await admin.close();
    },
  };
}
