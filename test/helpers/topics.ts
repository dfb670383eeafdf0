/**
 * Topics for tests on a real broker, made with kafka-fast's own `AdminClient`.
 *
 * A created topic is not usable at once: the controller has accepted it, but the
 * broker may not have a leader for every partition yet, and a producer that asks
 * too early gets UNKNOWN_TOPIC_OR_PART or LEADER_NOT_AVAILABLE. So
 * {@link createReadyTopic} waits until the broker's metadata shows every partition
 * with a leader (polling with short sleeps: fine in a test helper, never in the
 * library).
 *
 * @module
 */
import type { AdminClient } from "../../src/mod.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Creates a topic and resolves once metadata shows `partitions` partitions, each
 * with a leader.
 *
 * @throws {Error} naming the broker's refusal (e.g. `TOPIC_ALREADY_EXISTS`) or the
 *   last metadata seen when the topic is not ready within `timeoutMs`.
 * @example
 * ```ts
 * await createReadyTopic(admin, `t-${crypto.randomUUID()}`, 3);
 * ```
 */
export async function createReadyTopic(
  admin: AdminClient,
  name: string,
  partitions: number,
  configs?: Record<string, string>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const [r] = await admin.createTopics([{ name, partitions, configs }], { timeoutMs });
  if (r.error) throw new Error(`createTopic "${name}": ${r.error.name}: ${r.error.message}`);
  await waitForLeaders(admin, name, partitions, deadline);
}

/**
 * Waits until metadata shows `name` with `partitions` partitions, each with a leader.
 *
 * @example
 * ```ts
 * await waitForLeaders(admin, "t", 4, Date.now() + 10_000);
 * ```
 */
export async function waitForLeaders(
  admin: AdminClient,
  name: string,
  partitions: number,
  deadline: number,
): Promise<void> {
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const md = await admin.metadata({
        topics: [name],
        timeoutMs: Math.max(100, Math.min(5_000, deadline - Date.now())),
      });
      const t = md.topics[0];
      if (!t.error && t.partitions.length === partitions && t.partitions.every((p) => !p.error && p.leader >= 0)) {
        return;
      }
      last = t.error ? t.error.name : `partitions ${JSON.stringify(t.partitions.map((p) => [p.partition, p.leader]))}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(20);
  }
  throw new Error(`topic "${name}": metadata did not show it ready in time (last: ${last})`);
}

/**
 * Resolves with the number of brokers once one answers a metadata request.
 *
 * @throws {Error} naming librdkafka's error (e.g. `_TRANSPORT`) when none answers in time.
 * @example
 * ```ts
 * await pingBroker(admin, 15_000);
 * ```
 */
export async function pingBroker(admin: AdminClient, timeoutMs: number): Promise<number> {
  try {
    return (await admin.metadata({ topics: [], timeoutMs })).brokers.length;
  } catch (e) {
    throw new Error(`no broker answered: ${(e as Error).name}: ${(e as Error).message}`);
  }
}
