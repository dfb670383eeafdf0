/**
 * Topic administration: create, delete, add partitions, describe.
 *
 * Each call is one admin request (`rd_kafka_CreateTopics`, …) answered on the
 * admin client's result queue. A topic the broker refuses (already exists, bad
 * config) comes back as that topic's `error`; only a failure of the whole request
 * rejects. Arguments are checked before anything is sent.
 *
 * @module
 */
import { ADMIN_EVENT, type Ptr } from "../../ffi/mod.ts";
import type { KafkaError } from "../errors.ts";
import type { AdminCore } from "./core.ts";
import {
  authorizedOps,
  controllerlessMetadata,
  describeTopicsFromMetadata,
  operations,
  type TopicDescription,
} from "./cluster.ts";
import {
  type AdminCallOptions,
  checkArray,
  checkInt,
  checkObject,
  codeError,
  cstrArray,
  errorOf,
  has,
  label,
  list,
  needs,
  node,
  pointerArray,
  str,
  timeout,
} from "./read.ts";
import { checkTopic } from "../validate.ts";
import { backend, cbufText, cstr, rd } from "../native/lib.ts";

/**
 * A topic to create.
 *
 * @example
 * ```ts
 * const t: NewTopic = { name: "orders", partitions: 6, replicationFactor: 3, configs: { "retention.ms": "86400000" } };
 * ```
 */
export interface NewTopic {
  name: string;
  /** Default: the broker's `num.partitions`. */
  partitions?: number;
  /** Default: the broker's `default.replication.factor`. */
  replicationFactor?: number;
  /** Topic configuration (`cleanup.policy`, `retention.ms`, …). */
  configs?: Record<string, string | number | boolean>;
  /** Broker ids per partition, instead of `partitions` and `replicationFactor`. */
  replicaAssignment?: readonly (readonly number[])[];
}

/** Options of {@link AdminClient.createTopics} and {@link AdminClient.createPartitions}. @example `{ validateOnly: true }` */
export interface CreateOptions extends AdminCallOptions {
  /** Let the broker check the request without applying it. */
  validateOnly?: boolean;
}

/**
 * The outcome for one topic; `error` is set when the broker refused it.
 *
 * @example
 * ```ts
 * for (const r of await admin.createTopics([{ name: "a" }, { name: "b" }])) if (r.error) console.error(r.name, r.error.name);
 * ```
 */
export interface TopicResult {
  name: string;
  error?: KafkaError;
}

/** Partitions to add to a topic. @example `{ topic: "orders", totalCount: 12 }` */
export interface NewPartitions {
  topic: string;
  /** The topic's partition count afterwards (more than it has now). */
  totalCount: number;
  /** Broker ids for each new partition. */
  assignment?: readonly (readonly number[])[];
}

/** Options of {@link AdminClient.describeTopics}. @example `{ includeAuthorizedOperations: true }` */
export interface DescribeTopicsOptions extends AdminCallOptions {
  /** Ask which operations this principal may perform (librdkafka ≥ 2.3.0). */
  includeAuthorizedOperations?: boolean;
}

/** Reads the `rd_kafka_topic_result_t` array of a topics result, in request order. */
function topicResults(arr: Ptr[], order: readonly string[]): TopicResult[] {
  const c = rd();
  const byName = new Map<string, TopicResult>();
  for (const tr of arr) {
    const name = str(c.rd_kafka_topic_result_name(tr)) ?? "";
    const r: TopicResult = { name };
    const error = codeError(
      c.rd_kafka_topic_result_error(tr),
      str(c.rd_kafka_topic_result_error_string(tr)),
      `topic ${name}`,
    );
    if (error) r.error = error;
    byName.set(name, r);
  }
  return order.map((n) => byName.get(n) ?? { name: n });
}

function unique(names: readonly string[], what: string): void {
  const seen = new Set<string>();
  names.forEach((n, i) => {
    if (seen.has(n)) throw new TypeError(`${what}[${i}] names ${JSON.stringify(n)} a second time`);
    seen.add(n);
  });
}

function checkAssignment(a: unknown, what: string): number[][] {
  return checkArray<readonly number[]>(a, what).map((brokers, i) =>
    checkArray<number>(brokers, `${what}[${i}]`).map((b, j) => checkInt(b, `${what}[${i}][${j}]`, 0))
  );
}

/** A topic's operation timeout: a little under the request's, so the broker answers first. */
function operationTimeout(ms: number): number {
  return Math.floor(ms * 0.9);
}

/** `createTopics()`: see {@link AdminClient.createTopics}. @example `await createTopics(core, [{ name: "t" }], {})` */
export function createTopics(
  core: AdminCore,
  topics: readonly NewTopic[],
  options: CreateOptions = {},
): Promise<TopicResult[]> {
  try {
    return sendCreateTopics(core, topics, options);
  } catch (e) {
    return Promise.reject(e);
  }
}

function sendCreateTopics(
  core: AdminCore,
  topics: readonly NewTopic[],
  options: CreateOptions,
): Promise<TopicResult[]> {
  const ms = timeout(options, "createTopics");
  const specs = checkArray<NewTopic>(topics, "createTopics(topics)").map((t, i) => {
    const at = `createTopics: topics[${i}]`;
    checkObject(t, at);
    const name = checkTopic(t.name, `${at}.name`);
    const assignment = t.replicaAssignment === undefined
      ? undefined
      : checkAssignment(t.replicaAssignment, `${at}.replicaAssignment`);
    const partitions = t.partitions === undefined
      ? (assignment?.length ?? -1)
      : checkInt(t.partitions, `${at}.partitions`, 1);
    const rf = t.replicationFactor === undefined ? -1 : checkInt(t.replicationFactor, `${at}.replicationFactor`, 1);
    if (assignment && (rf !== -1 || partitions !== assignment.length)) {
      throw new TypeError(`${at}: replicaAssignment gives the partitions and replicas; leave replicationFactor out`);
    }
    const configs = t.configs === undefined ? {} : checkObject(t.configs, `${at}.configs`);
    const entries = Object.entries(configs).map(([k, v]) => {
      if (!["string", "number", "boolean"].includes(typeof v)) {
        throw new TypeError(`${at}.configs["${k}"] must be a string, number or boolean`);
      }
      return [k, String(v)] as const;
    });
    return { name, partitions, rf, assignment, entries };
  });
  unique(specs.map((s) => s.name), "createTopics: topics[].name");
  const c = rd();
  const made: Ptr[] = [];
  try {
    const errstr = new Uint8Array(512);
    for (const s of specs) {
      const nt: Ptr = c.rd_kafka_NewTopic_new(cstr(s.name), s.partitions, s.rf, errstr, 512n);
      if (backend.isNull(nt)) throw new TypeError(`createTopics: topic ${s.name}: ${cbufText(errstr)}`);
      made.push(nt);
      s.assignment?.forEach((brokers, p) => {
        const ids = new Int32Array(brokers);
        const err = c.rd_kafka_NewTopic_set_replica_assignment(
          nt,
          p,
          new Uint8Array(ids.buffer),
          BigInt(ids.length),
          errstr,
          512n,
        );
        if (err !== 0) {
          throw new TypeError(`createTopics: topic ${s.name}: replicaAssignment[${p}]: ${cbufText(errstr)}`);
        }
      });
      for (const [k, v] of s.entries) {
        if (c.rd_kafka_NewTopic_set_config(nt, cstr(k), cstr(v)) !== 0) {
          throw new TypeError(`createTopics: topic ${s.name}: config "${k}" refused`);
        }
      }
    }
    const order = specs.map((s) => s.name);
    return core.request({
      what: `createTopics(${label(order)})`,
      event: ADMIN_EVENT.CREATETOPICS,
      timeoutMs: ms,
      operationTimeoutMs: operationTimeout(ms),
      validateOnly: options.validateOnly,
      send: (opts, q) => c.rd_kafka_CreateTopics(core.rk, pointerArray(made), BigInt(made.length), opts, q),
      parse: (ev) =>
        topicResults(list(c.rd_kafka_CreateTopics_result_topics, c.rd_kafka_event_CreateTopics_result(ev)), order),
    });
  } finally {
    // librdkafka copied them into the request.
    for (const nt of made) c.rd_kafka_NewTopic_destroy(nt);
  }
}

/** `deleteTopics()`: see {@link AdminClient.deleteTopics}. @example `await deleteTopics(core, ["t"], {})` */
export function deleteTopics(
  core: AdminCore,
  names: readonly string[],
  options: AdminCallOptions = {},
): Promise<TopicResult[]> {
  let made: Ptr[] = [];
  const c = rd();
  try {
    const ms = timeout(options, "deleteTopics");
    const order = checkArray<string>(names, "deleteTopics(names)").map((n, i) =>
      checkTopic(n, `deleteTopics: names[${i}]`)
    );
    unique(order, "deleteTopics: names");
    made = order.map((n) => c.rd_kafka_DeleteTopic_new(cstr(n)));
    return core.request({
      what: `deleteTopics(${label(order)})`,
      event: ADMIN_EVENT.DELETETOPICS,
      timeoutMs: ms,
      operationTimeoutMs: operationTimeout(ms),
      send: (opts, q) => c.rd_kafka_DeleteTopics(core.rk, pointerArray(made), BigInt(made.length), opts, q),
      parse: (ev) =>
        topicResults(list(c.rd_kafka_DeleteTopics_result_topics, c.rd_kafka_event_DeleteTopics_result(ev)), order),
    });
  } catch (e) {
    return Promise.reject(e);
  } finally {
    for (const d of made) c.rd_kafka_DeleteTopic_destroy(d);
  }
}

/** `createPartitions()`: see {@link AdminClient.createPartitions}. @example `await createPartitions(core, [{ topic: "t", totalCount: 4 }], {})` */
export function createPartitions(
  core: AdminCore,
  items: readonly NewPartitions[],
  options: CreateOptions = {},
): Promise<TopicResult[]> {
  const made: Ptr[] = [];
  const c = rd();
  try {
    const ms = timeout(options, "createPartitions");
    const specs = checkArray<NewPartitions>(items, "createPartitions(partitions)").map((p, i) => {
      const at = `createPartitions: partitions[${i}]`;
      checkObject(p, at);
      return {
        topic: checkTopic(p.topic, `${at}.topic`),
        total: checkInt(p.totalCount, `${at}.totalCount`, 1),
        assignment: p.assignment === undefined ? undefined : checkAssignment(p.assignment, `${at}.assignment`),
      };
    });
    unique(specs.map((s) => s.topic), "createPartitions: partitions[].topic");
    const errstr = new Uint8Array(512);
    for (const s of specs) {
      const np: Ptr = c.rd_kafka_NewPartitions_new(cstr(s.topic), BigInt(s.total), errstr, 512n);
      if (backend.isNull(np)) throw new TypeError(`createPartitions: topic ${s.topic}: ${cbufText(errstr)}`);
      made.push(np);
      s.assignment?.forEach((brokers, idx) => {
        const ids = new Int32Array(brokers);
        const err = c.rd_kafka_NewPartitions_set_replica_assignment(
          np,
          idx,
          new Uint8Array(ids.buffer),
          BigInt(ids.length),
          errstr,
          512n,
        );
        if (err !== 0) {
          throw new TypeError(`createPartitions: topic ${s.topic}: assignment[${idx}]: ${cbufText(errstr)}`);
        }
      });
    }
    const order = specs.map((s) => s.topic);
    return core.request({
      what: `createPartitions(${label(order)})`,
      event: ADMIN_EVENT.CREATEPARTITIONS,
      timeoutMs: ms,
      operationTimeoutMs: operationTimeout(ms),
      validateOnly: options.validateOnly,
      send: (opts, q) => c.rd_kafka_CreatePartitions(core.rk, pointerArray(made), BigInt(made.length), opts, q),
      parse: (ev) =>
        topicResults(
          list(c.rd_kafka_CreatePartitions_result_topics, c.rd_kafka_event_CreatePartitions_result(ev)),
          order,
        ),
    });
  } catch (e) {
    return Promise.reject(e);
  } finally {
    for (const np of made) c.rd_kafka_NewPartitions_destroy(np);
  }
}

/** `describeTopics()`: see {@link AdminClient.describeTopics}. @example `await describeTopics(core, ["t"], {})` */
export async function describeTopics(
  core: AdminCore,
  names: readonly string[],
  options: DescribeTopicsOptions = {},
): Promise<TopicDescription[]> {
  const ms = timeout(options, "describeTopics");
  const order = checkArray<string>(names, "describeTopics(names)").map((n, i) =>
    checkTopic(n, `describeTopics: names[${i}]`)
  );
  unique(order, "describeTopics: names");
  const c = rd();
  if (!has("rd_kafka_DescribeTopics")) {
    if (options.includeAuthorizedOperations) {
      needs("describeTopics({ includeAuthorizedOperations })", "rd_kafka_DescribeTopics");
    }
    return describeTopicsFromMetadata(core, order, ms);
  }
  if (!options.includeAuthorizedOperations) {
    const md = await controllerlessMetadata(core, ms, "describeTopics");
    if (md) return describeTopicsFromMetadata(core, order, ms, md);
  }
  const strings = cstrArray(order);
  const coll: Ptr = c.rd_kafka_TopicCollection_of_topic_names(strings.array, BigInt(order.length));
  try {
    return await core.request({
      what: `describeTopics(${label(order)})`,
      event: ADMIN_EVENT.DESCRIBETOPICS,
      timeoutMs: ms,
      options: options.includeAuthorizedOperations ? authorizedOps : undefined,
      send: (opts, q) => c.rd_kafka_DescribeTopics(core.rk, coll, opts, q),
      parse: (ev) => {
        const byName = new Map<string, TopicDescription>();
        for (const td of list(c.rd_kafka_DescribeTopics_result_topics, c.rd_kafka_event_DescribeTopics_result(ev))) {
          const d = readDescription(td, options.includeAuthorizedOperations === true);
          byName.set(d.name, d);
        }
        return order.map((n) => byName.get(n) ?? { name: n, partitions: [] });
      },
    });
  } finally {
    c.rd_kafka_TopicCollection_destroy(coll);
    void strings.keep.length;
  }
}

function readDescription(td: Ptr, withOps: boolean): TopicDescription {
  const c = rd();
  const name = str(c.rd_kafka_TopicDescription_name(td)) ?? "";
  const d: TopicDescription = { name, partitions: [] };
  const error = errorOf(c.rd_kafka_TopicDescription_error(td), `topic ${name}`);
  if (error) {
    d.error = error;
    return d;
  }
  const uuid: Ptr = c.rd_kafka_TopicDescription_topic_id(td);
  if (!backend.isNull(uuid)) d.topicId = str(c.rd_kafka_Uuid_base64str(uuid)) ?? undefined;
  d.isInternal = c.rd_kafka_TopicDescription_is_internal(td) !== 0;
  d.partitions = list(c.rd_kafka_TopicDescription_partitions, td).map((p) => ({
    partition: c.rd_kafka_TopicPartitionInfo_partition(p) as number,
    leader: node(c.rd_kafka_TopicPartitionInfo_leader(p)),
    replicas: list(c.rd_kafka_TopicPartitionInfo_replicas, p).map((n) => node(n)!),
    isr: list(c.rd_kafka_TopicPartitionInfo_isr, p).map((n) => node(n)!),
  })).sort((a, b) => a.partition - b.partition);
  if (withOps) d.authorizedOperations = operations(c.rd_kafka_TopicDescription_authorized_operations, td);
  return d;
}
