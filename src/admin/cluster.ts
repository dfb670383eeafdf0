/**
 * Cluster metadata: `metadata()`, `listTopics()`, `describeCluster()`, and the
 * metadata form of `describeTopics()` used where librdkafka lacks DescribeTopics.
 *
 * `rd_kafka_metadata` waits for a broker, so it runs off the JS thread (DESIGN.md
 * rule 1), with its out-parameter an off-heap buffer passed by address. It always
 * asks for all topics and filters here: asking for one topic by handle would make
 * librdkafka track that topic, and a producer handle's metadata request may then
 * auto-create it on the broker.
 *
 * @module
 */
import { METADATA, METADATA_BROKER, METADATA_PARTITION, METADATA_TOPIC, type Ptr } from "../../ffi/mod.ts";
import { ErrorCode, KafkaError, kafkaError } from "../errors.ts";
import type { AdminCore } from "./core.ts";
import {
  type AdminCallOptions,
  type BrokerNode,
  checkArray,
  checkString,
  clampMs,
  countBuf,
  has,
  ints,
  list,
  needs,
  node,
  readCount,
  str,
  timeout,
} from "./read.ts";
import { backend, offHeap, rd } from "../native/lib.ts";
import { ACL_OPERATIONS, ADMIN_EVENT } from "../../ffi/constants_admin.ts";

/**
 * One partition as metadata shows it: broker ids, not nodes (see `brokers`).
 *
 * @example
 * ```ts
 * const p: PartitionMetadata = { partition: 0, leader: 1, replicas: [1], isr: [1] };
 * ```
 */
export interface PartitionMetadata {
  partition: number;
  /** The leader's broker id, -1 when there is none. */
  leader: number;
  replicas: number[];
  isr: number[];
  error?: KafkaError;
}

/** One topic in {@link ClusterMetadata}. @example `md.topics.find((t) => t.name === "orders")?.partitions.length` */
export interface TopicMetadata {
  name: string;
  /** e.g. `UNKNOWN_TOPIC_OR_PART` for a topic asked for that the cluster does not have. */
  error?: KafkaError;
  partitions: PartitionMetadata[];
}

/**
 * What {@link AdminClient.metadata} returns.
 *
 * @example
 * ```ts
 * const md = await admin.metadata({ topics: ["orders"] });
 * console.log(md.brokers.length, md.topics[0].partitions.length);
 * ```
 */
export interface ClusterMetadata {
  brokers: BrokerNode[];
  /** The broker that answered. */
  originatingBroker: { id: number; name: string };
  topics: TopicMetadata[];
}

/** Options of {@link AdminClient.metadata}. @example `{ topics: ["orders"], timeoutMs: 5000 }` */
export interface MetadataOptions extends AdminCallOptions {
  /** Only these topics (those the cluster lacks come back with an error). Default: every topic. */
  topics?: readonly string[];
}

/**
 * What {@link AdminClient.describeCluster} returns.
 *
 * @example
 * ```ts
 * const { clusterId, controller, brokers } = await admin.describeCluster();
 * ```
 */
export interface ClusterDescription {
  clusterId: string | null;
  controller: BrokerNode | null;
  brokers: BrokerNode[];
  /** With `includeAuthorizedOperations` (librdkafka ≥ 2.3.0): what this principal may do on the cluster. */
  authorizedOperations?: string[];
}

/** Options of {@link AdminClient.describeCluster}. @example `{ includeAuthorizedOperations: true }` */
export interface DescribeClusterOptions extends AdminCallOptions {
  /** Ask which operations this principal may perform (librdkafka ≥ 2.3.0). */
  includeAuthorizedOperations?: boolean;
}

/**
 * One topic as {@link AdminClient.describeTopics} reports it.
 *
 * @example
 * ```ts
 * const [d] = await admin.describeTopics(["orders"]);
 * console.log(d.partitions.map((p) => p.leader?.id));
 * ```
 */
export interface TopicDescription {
  name: string;
  /** e.g. `UNKNOWN_TOPIC_OR_PART`; the other fields are then empty. */
  error?: KafkaError;
  /** The topic id (base64), with librdkafka ≥ 2.3.0. */
  topicId?: string;
  /** With librdkafka ≥ 2.3.0. */
  isInternal?: boolean;
  partitions: PartitionInfo[];
  /** With `includeAuthorizedOperations` (librdkafka ≥ 2.3.0). */
  authorizedOperations?: string[];
}

/** One partition of a {@link TopicDescription}. @example `p.isr.length < p.replicas.length // under-replicated` */
export interface PartitionInfo {
  partition: number;
  leader: BrokerNode | null;
  replicas: BrokerNode[];
  isr: BrokerNode[];
}

/** Topics Kafka itself keeps; `listTopics()` leaves them out unless asked. */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set([
  "__consumer_offsets",
  "__transaction_state",
  "__share_group_state",
]);

/** Background results are addresses (Bun) or pointer objects (Deno). */
function asPtr(v: unknown): Ptr {
  if (typeof v === "number" || typeof v === "bigint") return backend.fromAddress(v);
  return (v ?? backend.NULL) as Ptr;
}

/** One `rd_kafka_metadata` call for all topics, off the JS thread; the caller reads and frees it. */
async function fetchMetadata(core: AdminCore, timeoutMs: number, what: string): Promise<ClusterMetadata> {
  const out = offHeap(8);
  const args = [core.rk, 1, backend.NULL, backend.ptrOf(out), clampMs(timeoutMs)];
  const err = Number(await core.background("rd_kafka_metadata", args, { what, waitMs: timeoutMs }));
  if (err !== 0) throw new KafkaError(err, `${what}: ${kafkaError(err).message}`);
  const md = backend.fromAddress(new DataView(out.buffer).getBigUint64(0, true));
  try {
    return readMetadata(md);
  } finally {
    rd().rd_kafka_metadata_destroy(md);
  }
}

function readMetadata(md: Ptr): ClusterMetadata {
  const brokers: BrokerNode[] = [];
  const bcnt = backend.readI32(md, METADATA.broker_cnt);
  const barr = backend.readPtr(md, METADATA.brokers);
  for (let i = 0; i < bcnt; i++) {
    const b = backend.fromAddress(backend.address(barr) + i * METADATA_BROKER.size);
    brokers.push({
      id: backend.readI32(b, METADATA_BROKER.id),
      host: str(backend.readPtr(b, METADATA_BROKER.host)) ?? "",
      port: backend.readI32(b, METADATA_BROKER.port),
    });
  }
  brokers.sort((a, b) => a.id - b.id);
  const topics: TopicMetadata[] = [];
  const tcnt = backend.readI32(md, METADATA.topic_cnt);
  const tarr = backend.readPtr(md, METADATA.topics);
  for (let i = 0; i < tcnt; i++) {
    const t = backend.fromAddress(backend.address(tarr) + i * METADATA_TOPIC.size);
    const name = str(backend.readPtr(t, METADATA_TOPIC.topic)) ?? "";
    const partitions: PartitionMetadata[] = [];
    const pcnt = backend.readI32(t, METADATA_TOPIC.partition_cnt);
    const parr = backend.readPtr(t, METADATA_TOPIC.partitions);
    for (let j = 0; j < pcnt; j++) {
      const p = backend.fromAddress(backend.address(parr) + j * METADATA_PARTITION.size);
      const id = backend.readI32(p, METADATA_PARTITION.id);
      const pm: PartitionMetadata = {
        partition: id,
        leader: backend.readI32(p, METADATA_PARTITION.leader),
        replicas: ints(
          backend.readPtr(p, METADATA_PARTITION.replicas),
          backend.readI32(p, METADATA_PARTITION.replica_cnt),
        ),
        isr: ints(backend.readPtr(p, METADATA_PARTITION.isrs), backend.readI32(p, METADATA_PARTITION.isr_cnt)),
      };
      const perr = backend.readI32(p, METADATA_PARTITION.err);
      if (perr !== 0) pm.error = new KafkaError(perr, `${name}[${id}]: ${kafkaError(perr).message}`);
      partitions.push(pm);
    }
    partitions.sort((a, b) => a.partition - b.partition);
    const tm: TopicMetadata = { name, partitions };
    const terr = backend.readI32(t, METADATA_TOPIC.err);
    if (terr !== 0) tm.error = new KafkaError(terr, `topic ${name}: ${kafkaError(terr).message}`);
    topics.push(tm);
  }
  topics.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    brokers,
    originatingBroker: {
      id: backend.readI32(md, METADATA.orig_broker_id),
      name: str(backend.readPtr(md, METADATA.orig_broker_name)) ?? "",
    },
    topics,
  };
}

/** `metadata()`: see {@link AdminClient.metadata}. @example `await metadata(core, { topics: ["t"] })` */
export async function metadata(core: AdminCore, options: MetadataOptions = {}): Promise<ClusterMetadata> {
  const ms = timeout(options, "metadata");
  const wanted = options.topics === undefined
    ? undefined
    : checkArray<string>(options.topics, "metadata: topics", true).map((t, i) =>
      checkString(t, `metadata: topics[${i}]`)
    );
  const md = await fetchMetadata(core, ms, "metadata");
  return wanted === undefined ? md : pick(md, wanted);
}

/** Only the `wanted` topics of `md`, in that order; those it lacks with UNKNOWN_TOPIC_OR_PART. */
function pick(md: ClusterMetadata, wanted: readonly string[]): ClusterMetadata {
  const byName = new Map(md.topics.map((t) => [t.name, t]));
  return {
    ...md,
    topics: [...new Set(wanted)].map((name) =>
      byName.get(name) ?? {
        name,
        error: new KafkaError(
          ErrorCode.UNKNOWN_TOPIC_OR_PART,
          `topic ${name}: ${kafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PART).message}`,
        ),
        partitions: [],
      }
    ),
  };
}

/** `listTopics()`: see {@link AdminClient.listTopics}. @example `await listTopics(core, {})` */
export async function listTopics(
  core: AdminCore,
  options: AdminCallOptions & { includeInternal?: boolean } = {},
): Promise<string[]> {
  const md = await fetchMetadata(core, timeout(options, "listTopics"), "listTopics");
  return md.topics
    .filter((t) => t.error === undefined && (options.includeInternal || !INTERNAL_TOPICS.has(t.name)))
    .map((t) => t.name);
}

/**
 * `describeTopics()` from metadata, for librdkafka < 2.3.0: the same partitions,
 * leaders, replicas and ISR; no topic id, internal flag or authorized operations.
 *
 * @example
 * ```ts
 * await describeTopicsFromMetadata(core, ["t"], 30_000);
 * ```
 */
export async function describeTopicsFromMetadata(
  core: AdminCore,
  names: readonly string[],
  timeoutMs: number,
  all?: ClusterMetadata,
): Promise<TopicDescription[]> {
  const md = pick(all ?? await fetchMetadata(core, timeoutMs, "describeTopics"), names);
  const brokers = new Map(md.brokers.map((b) => [b.id, b]));
  const nodeOf = (id: number): BrokerNode => brokers.get(id) ?? { id, host: "", port: 0 };
  return md.topics.map((t) => {
    const d: TopicDescription = {
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partition: p.partition,
        leader: p.leader < 0 ? null : nodeOf(p.leader),
        replicas: p.replicas.map(nodeOf),
        isr: p.isr.map(nodeOf),
      })),
    };
    if (t.error) d.error = t.error;
    return d;
  });
}

/**
 * Metadata for the fallback when the controller-bound requests (DescribeTopics,
 * DescribeCluster) cannot work, or undefined when they can. librdkafka sends them
 * to the controller; a cluster whose controller id is no broker of its own
 * (librdkafka's mock cluster reports 0 with brokers 1…n) would leave them waiting
 * until their timeout. Checked once per client: a real cluster always has one.
 *
 * @example
 * ```ts
 * const md = await controllerlessMetadata(core, 30_000, "describeTopics");
 * if (md === undefined) { … native request … }
 * ```
 */
export async function controllerlessMetadata(
  core: AdminCore,
  timeoutMs: number,
  what: string,
): Promise<ClusterMetadata | undefined> {
  if (core.controllerUsable === true) return undefined;
  const md = await fetchMetadata(core, timeoutMs, what);
  // The metadata answer updated librdkafka's cached controller id: reading it does not wait.
  const id = Number(await core.background("rd_kafka_controllerid", [core.rk, 0], { what, waitMs: timeoutMs }));
  core.controllerUsable = md.brokers.some((b) => b.id === id);
  return core.controllerUsable ? undefined : md;
}

/**
 * True when the client talks to librdkafka's mock cluster (its cluster id is
 * "mockCluster…"). The mock lacks DeleteGroups, OffsetDelete and DescribeGroups,
 * and librdkafka aborts the whole process when a group request meets a
 * coordinator without the API (confluentinc/librdkafka#3663; 2.0.2's handle also
 * stops answering group requests after a refused DescribeGroups), so those calls
 * must not be sent there. The id comes from metadata, once per client.
 *
 * @example
 * ```ts
 * if (await onMockCluster(core, 30_000)) return unsupported();
 * ```
 */
export async function onMockCluster(core: AdminCore, timeoutMs: number): Promise<boolean> {
  if (core.clusterId === undefined) {
    const p = asPtr(
      await core.background("rd_kafka_clusterid", [core.rk, clampMs(timeoutMs)], {
        what: "clusterId",
        waitMs: timeoutMs,
      }),
    );
    if (backend.isNull(p)) return false; // no answer in time: the request itself will say so
    core.clusterId = str(p);
    rd().rd_kafka_mem_free(core.rk, p);
  }
  return core.clusterId?.startsWith("mockCluster") === true;
}

/** `describeCluster()`: see {@link AdminClient.describeCluster}. @example `await describeCluster(core, {})` */
export async function describeCluster(
  core: AdminCore,
  options: DescribeClusterOptions = {},
): Promise<ClusterDescription> {
  const ms = timeout(options, "describeCluster");
  const c = rd();
  const native = has("rd_kafka_DescribeCluster");
  const md = native && !options.includeAuthorizedOperations
    ? await controllerlessMetadata(core, ms, "describeCluster")
    : undefined;
  if (native && md === undefined) {
    return core.request({
      what: "describeCluster",
      event: ADMIN_EVENT.DESCRIBECLUSTER,
      timeoutMs: ms,
      options: options.includeAuthorizedOperations ? (o) => authorizedOps(o) : undefined,
      send: (opts, q) => c.rd_kafka_DescribeCluster(core.rk, opts, q),
      parse: (ev) => {
        const res: Ptr = c.rd_kafka_event_DescribeCluster_result(ev);
        const d: ClusterDescription = {
          clusterId: str(c.rd_kafka_DescribeCluster_result_cluster_id(res)),
          controller: node(c.rd_kafka_DescribeCluster_result_controller(res)),
          brokers: list(c.rd_kafka_DescribeCluster_result_nodes, res).map((n) => node(n)!).sort((a, b) => a.id - b.id),
        };
        if (options.includeAuthorizedOperations) {
          d.authorizedOperations = operations(c.rd_kafka_DescribeCluster_result_authorized_operations, res);
        }
        return d;
      },
    });
  }
  if (options.includeAuthorizedOperations) {
    needs("describeCluster({ includeAuthorizedOperations })", "rd_kafka_DescribeCluster");
  }
  // librdkafka < 2.3.0 (or no usable controller): the metadata answer also updates
  // the cached controller and cluster id, which the two calls then return without waiting.
  const meta = md ?? await fetchMetadata(core, ms, "describeCluster");
  const bg = { what: "describeCluster", waitMs: ms };
  const controllerId = Number(await core.background("rd_kafka_controllerid", [core.rk, 0], bg));
  const idPtr = asPtr(await core.background("rd_kafka_clusterid", [core.rk, 0], bg));
  let clusterId: string | null = null;
  if (!backend.isNull(idPtr)) {
    clusterId = str(idPtr);
    c.rd_kafka_mem_free(core.rk, idPtr);
  }
  return {
    clusterId,
    controller: meta.brokers.find((b) => b.id === controllerId) ?? null,
    brokers: meta.brokers,
  };
}

/** Sets `include_authorized_operations` (2.3.0). @example `authorizedOps(opts)` */
export function authorizedOps(opts: Ptr): void {
  const e: Ptr = rd().rd_kafka_AdminOptions_set_include_authorized_operations(opts, 1);
  if (!backend.isNull(e)) rd().rd_kafka_error_destroy(e);
}

/** Reads a `const rd_kafka_AclOperation_t *` + count as librdkafka's names. @example `operations(fn, res)` */
export function operations(fn: (obj: Ptr, cntp: Uint8Array) => Ptr, obj: Ptr): string[] {
  const n = countBuf();
  const arr = fn(obj, n);
  return ints(arr, readCount(n)).map((op) => ACL_OPERATIONS[op] ?? String(op));
}
