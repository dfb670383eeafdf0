/**
 * The two places the benchmark runs: a real Kafka broker, and librdkafka's mock
 * cluster in a process of its own (bench/native/mock), so that every client, not only
 * the ones built on librdkafka, can be measured against the same mock.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { createTopic, deleteTopic, fillTopic } from "./topics.ts";

/** Where workers connect, and how topics come to exist there. @example `await tier.topic("t", 8)` */
export interface Tier {
  name: "kafka" | "mock";
  bootstrap: string;
  /** Creates a topic (an existing one of that name is replaced on a broker). */
  topic(name: string, partitions: number): Promise<void>;
  /** Produces exactly `count` messages of `size` bytes over its partitions. */
  fill(name: string, partitions: number, count: number, size: number): Promise<void>;
  /** Deletes a topic (the mock cannot; its memory goes with {@link Tier.close}). */
  drop(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real broker at `bootstrap` (the harness's caller started it).
 *
 * @example
 * ```ts
 * const tier = kafkaTier("127.0.0.1:9092");
 * ```
 */
export function kafkaTier(bootstrap: string, fillWith: Filler): Tier {
  return {
    name: "kafka",
    bootstrap,
    topic: (name, partitions) => createTopic(bootstrap, name, partitions),
    fill: (name, partitions, count, size) => fillWith(bootstrap, name, partitions, count, size),
    drop: (name) => deleteTopic(bootstrap, name),
    close: () => Promise.resolve(),
  };
}

/** How a topic is pre-filled: the C program when built (fastest), else kafka-fast. */
export type Filler = (
  bootstrap: string,
  name: string,
  partitions: number,
  count: number,
  size: number,
) => Promise<void>;

/** The kafka-fast filler. @example `kafkaTier(b, jsFiller)` */
export const jsFiller: Filler = fillTopic;

/**
 * A mock cluster of `brokers` brokers in its own process (bench/native/build/mock).
 *
 * @example
 * ```ts
 * const tier = await mockTier("bench/native/build/mock", 1, jsFiller);
 * await tier.close();
 * ```
 */
export async function mockTier(program: string, brokers: number, fillWith: Filler): Promise<Tier> {
  const child = spawn(program, [String(brokers)], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (what: string): Promise<string> => {
    const r = await lines.next();
    if (r.done) throw new Error(`mock cluster exited while ${what}`);
    return r.value;
  };
  const first = await next("starting");
  const m = /^BOOTSTRAP (\S+)/.exec(first);
  if (!m) throw new Error(`mock cluster said "${first}", not BOOTSTRAP`);
  const bootstrap = m[1];
  // One request at a time on the mock's stdin.
  let chain: Promise<unknown> = Promise.resolve();
  return {
    name: "mock",
    bootstrap,
    topic(name, partitions) {
      const p = chain.then(async () => {
        child.stdin!.write(`topic ${name} ${partitions}\n`);
        const reply = await next(`creating ${name}`);
        if (!reply.startsWith("ok")) throw new Error(`mock topic ${name}: ${reply}`);
      });
      chain = p.catch(() => {});
      return p;
    },
    fill: (name, partitions, count, size) => fillWith(bootstrap, name, partitions, count, size),
    drop: () => Promise.resolve(),
    async close() {
      const exited = new Promise((r) => child.once("exit", r));
      child.stdin!.end();
      const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}
