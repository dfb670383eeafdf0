/**
 * A three-node Apache Kafka cluster owned by one test file (scripts/kafka-cluster.sh
 * with its own port base and folder), for tests that kill and restart nodes: they
 * must never disturb the single broker other files use, nor each other.
 *
 * Node N of the script has `node.id` N, so a partition's leader id from metadata is
 * the node number to kill. Every command runs in a child process without blocking the
 * event loop, so producers and consumers keep working while a node goes down or comes
 * back; `waitInSync`, `leaderOf` and `coordinatorOf` read the cluster's state through
 * kafka-fast's own AdminClient (metadata, which any live broker answers on every
 * librdkafka version), and `readTopic` reads a topic back with its own Consumer.
 *
 * @module
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync, unlinkSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type AdminClient, Consumer, OFFSET, type PartitionMetadata } from "../../src/mod.ts";
import { requireJavaAndMaven, takeOwnership } from "./broker.ts";
import { sleep } from "./runtime.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SCRIPT = `${ROOT}scripts/kafka-cluster.sh`;

/** The node numbers of the cluster (also their broker ids). */
export const NODES = [1, 2, 3] as const;

/**
 * One file's cluster: `up()` in a `before` hook, `kill`/`stop`/`start` in tests,
 * `release()` in an `after` hook.
 *
 * @example
 * ```ts
 * const cluster = new Cluster3("failover3-bun", 19092, (s) => console.log(s));
 * before(() => cluster.up());
 * after(() => cluster.release());
 * await cluster.kill(2);
 * await cluster.start(2);
 * ```
 */
export class Cluster3 {
  /** `127.0.0.1:<port>` of the three PLAINTEXT listeners, comma-separated. */
  readonly bootstrap: string;
  readonly dir: string;
  #env: Record<string, string | undefined>;
  /** Holds the pid of the test process that owns the cluster (its folder is remade by `up`). */
  #owner: string;
  #report: (line: string) => void;

  constructor(name: string, portBase: number, report: (line: string) => void) {
    this.dir = `${ROOT}.cache/kafka/cluster-${name}`;
    this.bootstrap = NODES.map((n) => `127.0.0.1:${portBase + 10 * (n - 1)}`).join(",");
    this.#env = { ...process.env, KAFKA_CLUSTER_PORT_BASE: String(portBase), KAFKA_CLUSTER_DIR: this.dir };
    this.#owner = `${this.dir}.owner`;
    this.#report = report;
  }

  /**
   * `scripts/kafka-cluster.sh <args>` for this cluster, in a child process; resolves
   * with its output, rejects with its output when it fails.
   */
  run(args: string[], timeoutMs = 180_000, env: Record<string, string> = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile("bash", [SCRIPT, ...args], { env: { ...this.#env, ...env }, encoding: "utf8", timeout: timeoutMs }, (
        err,
        stdout,
        stderr,
      ) => {
        if (err) reject(new Error(`kafka-cluster.sh ${args.join(" ")} failed: ${err.message}\n${stdout}\n${stderr}`));
        else resolve(String(stdout).trim());
      });
    });
  }

  /**
   * Formats and starts the three nodes and resolves once all are ready. Fails at once
   * without Java or Maven, or while another live test process owns this cluster.
   */
  async up(): Promise<void> {
    requireJavaAndMaven("a real cluster");
    await this.#claim();
    this.#report(await this.run(["up"], 600_000));
  }

  /** SIGKILLs node `n` (a crash); resolves once the process is gone. */
  kill(n: number): Promise<string> {
    return this.run(["kill", String(n)]);
  }

  /** Stops node `n` with SIGTERM (a controlled shutdown: leaderships move first). */
  stop(n: number): Promise<string> {
    return this.run(["stop", String(n)]);
  }

  /** Starts node `n` on its data; resolves once it accepts clients (unfenced). */
  start(n: number): Promise<string> {
    return this.run(["start", String(n)]);
  }

  /**
   * The node that is the active controller (the quorum's leader) as the running nodes'
   * logs last recorded it, or -1 when none says: client APIs cannot tell (in KRaft a
   * metadata answer names a random broker as the controller).
   */
  async controller(): Promise<number> {
    try {
      return Number(await this.run(["controller"], 10_000));
    } catch {
      return -1;
    }
  }

  /**
   * Resolves once every node has created its replica of each of `partitions`
   * partitions of `topic`, i.e. has applied the topic's creation to its metadata.
   * Metadata cannot tell: a new topic's ISR is all its replicas from the start, and a
   * metadata answer comes from whichever broker the client asks. A node that lags (a
   * busy machine: seen 2 s) answers that the topic does not exist, and librdkafka
   * 2.0.2 then fails the sends it holds for it with _UNKNOWN_TOPIC/_UNKNOWN_PARTITION.
   * Reads the nodes' logs (polling: fine in a test helper).
   *
   * @throws {Error} naming the nodes that lack a replica after `timeoutMs`.
   */
  async waitTopicOnAllNodes(topic: string, partitions: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let missing: string[] = [];
    for (;;) {
      missing = [];
      for (const n of NODES) {
        let text = "";
        try {
          text = readFileSync(`${this.dir}/node-${n}/logs/server.log`, "utf8");
        } catch { /* not written yet */ }
        for (let p = 0; p < partitions; p++) {
          if (!text.includes(`Created log for partition ${topic}-${p} in `)) missing.push(`node ${n}: ${topic}-${p}`);
        }
      }
      if (missing.length === 0) return;
      if (Date.now() > deadline) throw new Error(`not every node has the topic after ${timeoutMs} ms: ${missing}`);
      await sleep(100);
    }
  }

  /**
   * Copies every node's logs to a new folder beside the cluster's (the next `up`
   * deletes the cluster folder) and resolves with its path, for a failed test's report.
   */
  keepLogs(): Promise<string> {
    const to = `${this.dir}-failed-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    return new Promise((resolve) => {
      const script = `mkdir -p "$2" && for n in 1 2 3; do cp -r "$1/node-$n/logs" "$2/node-$n"; done`;
      execFile("bash", ["-c", script, "keep", this.dir, to], (err) => resolve(err ? `(failed: ${err.message})` : to));
    });
  }

  /**
   * Makes this process the cluster's only user: two runs of one file on one cluster
   * would kill nodes under each other. Fails clearly while another run is alive; takes
   * over (stopping its cluster) from one that died without cleaning up.
   */
  async #claim(): Promise<void> {
    for (let gone; (gone = takeOwnership(this.#owner, `the cluster in ${this.dir}`)) !== undefined;) {
      this.#report(`taking over from pid ${gone}, which is gone: ${await this.run(["down"])}`);
      unlinkSync(this.#owner);
    }
  }

  /**
   * Stops every node and gives the cluster up. The nodes get `stopTimeoutS` for a
   * controlled shutdown before SIGKILL: the data is thrown away by the next `up`, and
   * Bun ends an `after` hook at 5 s unless `bun test --timeout` says otherwise.
   */
  async release(stopTimeoutS = 3): Promise<void> {
    try {
      this.#report(await this.run(["down"], 60_000, { KAFKA_CLUSTER_STOP_TIMEOUT: String(stopTimeoutS) }));
    } finally {
      if (existsSync(this.#owner) && readFileSync(this.#owner, "utf8") === String(process.pid)) {
        unlinkSync(this.#owner);
      }
    }
  }
}

/**
 * The partitions of `topic` as a live broker's metadata shows them, in partition
 * order. Asks again (up to `timeoutMs`) while no broker answers, e.g. right after a kill.
 *
 * @throws {Error} with the last error when no metadata came within `timeoutMs`.
 * @example
 * ```ts
 * const parts = await partitionsOf(admin, "t");
 * console.log(parts.map((p) => `${p.partition}: leader ${p.leader}, isr ${p.isr}`));
 * ```
 */
export async function partitionsOf(
  admin: AdminClient,
  topic: string,
  timeoutMs = 15_000,
): Promise<PartitionMetadata[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const md = await admin.metadata({
        topics: [topic],
        timeoutMs: Math.max(500, Math.min(5_000, deadline - Date.now())),
      });
      const t = md.topics[0];
      if (t.error) throw t.error;
      return [...t.partitions].sort((a, b) => a.partition - b.partition);
    } catch (e) {
      if (Date.now() >= deadline) throw new Error(`metadata of "${topic}": ${(e as Error).message}`);
      await sleep(100);
    }
  }
}

/**
 * The node that leads `topic`/`partition` now (-1 while it has none).
 *
 * @example
 * ```ts
 * await cluster.kill(await leaderOf(admin, "t", 0));
 * ```
 */
export async function leaderOf(admin: AdminClient, topic: string, partition: number): Promise<number> {
  const p = (await partitionsOf(admin, topic)).find((x) => x.partition === partition);
  if (!p) throw new Error(`"${topic}" has no partition ${partition}`);
  return p.leader;
}

/**
 * Resolves once every partition of every topic named has a leader and all `replicas`
 * replicas in sync: a restarted node has caught up, so the next node may go down
 * without a partition falling under min.insync.replicas. Polls metadata (fine in a
 * test helper); the ISR shown is the broker's view, a moment behind the controller's.
 *
 * @throws {Error} naming the partitions still short of replicas after `timeoutMs`.
 * @example
 * ```ts
 * await waitInSync(admin, ["t", "__consumer_offsets"]);
 * ```
 */
export async function waitInSync(
  admin: AdminClient,
  topics: readonly string[],
  replicas = 3,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let short: string[] = ["no metadata yet"];
  while (Date.now() < deadline) {
    short = [];
    for (const t of topics) {
      const parts = await partitionsOf(admin, t, Math.max(1_000, deadline - Date.now()));
      for (const p of parts) {
        if (p.leader < 0 || p.isr.length < replicas) {
          short.push(`${t}[${p.partition}] leader ${p.leader} isr [${p.isr}]`);
        }
      }
    }
    if (short.length === 0) return;
    await sleep(100);
  }
  throw new Error(`not all replicas in sync after ${timeoutMs} ms: ${short.join("; ")}`);
}

/**
 * The node that coordinates a consumer group now: the leader of the group's partition of
 * `__consumer_offsets` (Kafka's `abs(groupId.hashCode()) % partitions`), from metadata.
 * Not `admin.describeGroups`: one whose timeout expires while the coordinator is
 * unreachable aborts the process inside librdkafka (2.0.2 and 2.12: "Assertion
 * `eonce->refcnt > 0' failed", confluentinc/librdkafka#4605).
 *
 * @example
 * ```ts
 * console.log(`coordinator: node ${await coordinatorOf(admin, "my-group")}`);
 * ```
 */
export async function coordinatorOf(admin: AdminClient, groupId: string): Promise<number> {
  const parts = await partitionsOf(admin, "__consumer_offsets");
  let h = 0; // Java's String.hashCode, over UTF-16 code units
  for (let i = 0; i < groupId.length; i++) h = (Math.imul(31, h) + groupId.charCodeAt(i)) | 0;
  return parts[(h & 0x7fffffff) % parts.length]?.leader ?? -1;
}

/** One message as {@link readTopic} returns it. */
export interface StoredMessage {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
}

/**
 * Every message of `topic` (partitions 0…partitions-1) from the beginning up to the
 * high watermarks seen at the start, with kafka-fast's own Consumer and a manual
 * assignment (no group, nothing committed). Messages come in arrival order: in
 * offset order within a partition.
 *
 * @throws {Error} when not everything arrived within `timeoutMs`, or a partition went backwards.
 * @example
 * ```ts
 * const all = await readTopic(cluster.bootstrap, "t", 3);
 * ```
 */
export async function readTopic(
  bootstrap: string,
  topic: string,
  partitions: number,
  timeoutMs = 60_000,
): Promise<StoredMessage[]> {
  const c = new Consumer({ "bootstrap.servers": bootstrap, "enable.partition.eof": false }, {
    assignment: Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: OFFSET.BEGINNING })),
  });
  c.on("log", () => {});
  try {
    const high: number[] = [];
    for (let p = 0; p < partitions; p++) high.push(Number((await c.watermarkOffsets(topic, p)).high));
    const next = new Array<number>(partitions).fill(0);
    const out: StoredMessage[] = [];
    const deadline = Date.now() + timeoutMs;
    while (!next.every((n, p) => n >= high[p])) {
      if (Date.now() > deadline) throw new Error(`read back only up to [${next}] of [${high}] in ${timeoutMs} ms`);
      for (const m of await c.readBatch({ maxMessages: 5_000, timeoutMs: 500 })) {
        const offset = Number(m.offset);
        if (offset < next[m.partition]) throw new Error(`partition ${m.partition} went back to ${offset}`);
        out.push({ partition: m.partition, offset, key: m.keyText(), value: m.text() });
        next[m.partition] = offset + 1;
      }
    }
    return out;
  } finally {
    await c.close({ timeoutMs: 5_000 });
  }
}
