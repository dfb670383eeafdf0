/**
 * Consumer groups: list, describe, delete, and their committed offsets (list,
 * alter, delete).
 *
 * Each call is one admin request answered on the admin client's result queue. The
 * group calls go to every broker (list) or to each group's coordinator (describe,
 * delete); a group the broker refuses (not empty, not found) comes back as that
 * group's `error`. The offset calls take exactly one group (librdkafka refuses more
 * per request), so they take one `groupId`; a refused partition is that partition's
 * `error` (e.g. `GROUP_SUBSCRIBED_TO_TOPIC` when deleting the offsets of a topic the
 * group still consumes). Arguments are checked before anything is sent.
 *
 * @module
 */
import { ADMIN_EVENT, GROUP_STATES, GROUP_TYPES, type Ptr } from "../../ffi/mod.ts";
import { ErrorCode, KafkaError } from "../errors.ts";
import type { AdminCore } from "./core.ts";
import {
  type AdminCallOptions,
  type BrokerNode,
  checkArray,
  checkString,
  cstrArray,
  enumIndex,
  errorOf,
  has,
  label,
  list,
  needs,
  node,
  pointerArray,
  str,
  takeError,
  timeout,
} from "./read.ts";
import { authorizedOps, onMockCluster, operations } from "./cluster.ts";
import { checkTopicPartition, unique } from "./offsets.ts";
import { backend, cstr, rd } from "../native/lib.ts";
import {
  destroyList,
  fromList,
  toList,
  type TopicPartition,
  type TopicPartitionOffset,
  tpKey,
} from "../native/tplist.ts";

/** One group of {@link AdminClient.listGroups}. @example `groups.filter((g) => g.state === "Empty")` */
export interface GroupListing {
  groupId: string;
  isSimpleConsumerGroup: boolean;
  /** librdkafka's name: `"Stable"`, `"Empty"`, `"PreparingRebalance"`, `"CompletingRebalance"`, `"Dead"`, `"Unknown"`. */
  state: string;
  /** `"Classic"` or `"Consumer"` (KIP-848), with librdkafka ≥ 2.6.0. */
  type?: string;
}

/** Options of {@link AdminClient.listGroups}. @example `{ states: ["Stable"] }` */
export interface ListGroupsOptions extends AdminCallOptions {
  /** Only groups in these states (librdkafka's names, any case). */
  states?: readonly string[];
  /** Only groups of these types (`"Classic"`, `"Consumer"`; librdkafka ≥ 2.6.0). */
  types?: readonly string[];
}

/** What {@link AdminClient.listGroups} returns: the groups, and the brokers that could not answer. @example `const { groups, errors } = await admin.listGroups()` */
export interface ListGroupsResult {
  groups: GroupListing[];
  errors: KafkaError[];
}

/** One member of a {@link GroupDescription}. @example `m.assignment.map((tp) => tp.partition)` */
export interface MemberDescription {
  memberId: string;
  clientId: string;
  groupInstanceId: string | null;
  host: string;
  assignment: TopicPartition[];
}

/** One group of {@link AdminClient.describeGroups}. @example `d.members.length` */
export interface GroupDescription {
  groupId: string;
  /** e.g. `GROUP_ID_NOT_FOUND`; the other fields are then empty. */
  error?: KafkaError;
  isSimpleConsumerGroup: boolean;
  partitionAssignor: string;
  state: string;
  /** `"Classic"` or `"Consumer"`, with librdkafka ≥ 2.10.0. */
  type?: string;
  coordinator: BrokerNode | null;
  members: MemberDescription[];
  /** With `includeAuthorizedOperations` (librdkafka ≥ 2.3.0). */
  authorizedOperations?: string[];
}

/** Options of {@link AdminClient.describeGroups}. @example `{ includeAuthorizedOperations: true }` */
export interface DescribeGroupsOptions extends AdminCallOptions {
  includeAuthorizedOperations?: boolean;
}

/** The outcome for one group of {@link AdminClient.deleteGroups}. @example `if (r.error?.name === "NON_EMPTY_GROUP") …` */
export interface GroupResult {
  groupId: string;
  error?: KafkaError;
}

/**
 * A group's offsets: what it has committed (list), or what a change did (alter,
 * delete). A partition with nothing committed has `offset: undefined`; a partition
 * the broker refused has `error`.
 *
 * @example
 * ```ts
 * const { partitions } = await admin.listGroupOffsets("billing");
 * ```
 */
export interface GroupOffsets {
  groupId: string;
  error?: KafkaError;
  partitions: TopicPartitionOffset[];
}

/** Options of {@link AdminClient.listGroupOffsets}. @example `{ requireStable: true }` */
export interface ListGroupOffsetsOptions extends AdminCallOptions {
  /** Wait for pending transactional offsets (the broker answers UNSTABLE_OFFSET_COMMIT meanwhile). */
  requireStable?: boolean;
}

/** librdkafka's name of a group state (the table first: it is known before loading). */
function stateName(n: number): string {
  return GROUP_STATES[n] ?? str(rd().rd_kafka_consumer_group_state_name(n)) ?? String(n);
}

function typeName(n: number): string {
  return GROUP_TYPES[n] ?? str(rd().rd_kafka_consumer_group_type_name(n)) ?? String(n);
}

/** A C array of enum values (`int`) for the match_* options; librdkafka copies it. */
function enumArray(values: readonly number[]): Uint8Array {
  return new Uint8Array(new Int32Array(values).buffer);
}

function checkGroupIds(ids: unknown, call: string): string[] {
  const out = checkArray<string>(ids, `${call}(groupIds)`).map((g, i) => checkString(g, `${call}: groupIds[${i}]`));
  const seen = new Set<string>();
  out.forEach((g, i) => {
    if (seen.has(g)) throw new TypeError(`${call}: groupIds[${i}] names ${JSON.stringify(g)} a second time`);
    seen.add(g);
  });
  return out;
}

/** `listGroups()`: see {@link AdminClient.listGroups}. @example `await listGroups(core, {})` */
export function listGroups(core: AdminCore, options: ListGroupsOptions = {}): Promise<ListGroupsResult> {
  try {
    const ms = timeout(options, "listGroups");
    const pick = (v: unknown, names: readonly string[], field: string) =>
      v === undefined
        ? undefined
        : checkArray<string>(v, `listGroups: ${field}`, true).map((s, i) =>
          enumIndex(s, names, `listGroups: ${field}[${i}]`)
        );
    const states = pick(options.states, GROUP_STATES, "states");
    const types = pick(options.types, GROUP_TYPES, "types");
    if (types?.length) needs("listGroups({ types })", "rd_kafka_AdminOptions_set_match_consumer_group_types");
    const c = rd();
    return core.request({
      what: "listGroups",
      event: ADMIN_EVENT.LISTCONSUMERGROUPS,
      timeoutMs: ms,
      options: (opts) => {
        if (states?.length) {
          takeError(
            c.rd_kafka_AdminOptions_set_match_consumer_group_states(opts, enumArray(states), BigInt(states.length)),
            "listGroups: states",
          );
        }
        if (types?.length) {
          takeError(
            c.rd_kafka_AdminOptions_set_match_consumer_group_types(opts, enumArray(types), BigInt(types.length)),
            "listGroups: types",
          );
        }
      },
      send: (opts, q) => c.rd_kafka_ListConsumerGroups(core.rk, opts, q),
      parse: (ev) => {
        const res: Ptr = c.rd_kafka_event_ListConsumerGroups_result(ev);
        const withType = has("rd_kafka_ConsumerGroupListing_type");
        const groups = list(c.rd_kafka_ListConsumerGroups_result_valid, res).map((g) => {
          const listing: GroupListing = {
            groupId: str(c.rd_kafka_ConsumerGroupListing_group_id(g)) ?? "",
            isSimpleConsumerGroup: c.rd_kafka_ConsumerGroupListing_is_simple_consumer_group(g) !== 0,
            state: stateName(c.rd_kafka_ConsumerGroupListing_state(g)),
          };
          if (withType) listing.type = typeName(c.rd_kafka_ConsumerGroupListing_type(g));
          return listing;
        }).sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
        const errors = list(c.rd_kafka_ListConsumerGroups_result_errors, res)
          .map((e) => errorOf(e, "listGroups"))
          .filter((e): e is KafkaError => e !== undefined);
        return { groups, errors };
      },
    });
  } catch (e) {
    return Promise.reject(e);
  }
}

/** `describeGroups()`: see {@link AdminClient.describeGroups}. @example `await describeGroups(core, ["g"], {})` */
export function describeGroups(
  core: AdminCore,
  groupIds: readonly string[],
  options: DescribeGroupsOptions = {},
): Promise<GroupDescription[]> {
  try {
    const ms = timeout(options, "describeGroups");
    const order = checkGroupIds(groupIds, "describeGroups");
    const withOps = options.includeAuthorizedOperations === true;
    if (withOps) {
      needs(
        "describeGroups({ includeAuthorizedOperations })",
        "rd_kafka_AdminOptions_set_include_authorized_operations",
      );
    }
    return unlessMock(
      core,
      ms,
      "DescribeGroups",
      () => sendDescribeGroups(core, order, ms, withOps),
      (why) =>
        order.map((groupId) => ({
          groupId,
          error: new KafkaError(ErrorCode._UNSUPPORTED_FEATURE, `group ${groupId}: ${why}`),
          isSimpleConsumerGroup: false,
          partitionAssignor: "",
          state: "Unknown",
          coordinator: null,
          members: [],
        })),
    );
  } catch (e) {
    return Promise.reject(e);
  }
}

function sendDescribeGroups(
  core: AdminCore,
  order: readonly string[],
  ms: number,
  withOps: boolean,
): Promise<GroupDescription[]> {
  const c = rd();
  const names = cstrArray(order);
  try {
    return core.request({
      what: `describeGroups(${label(order)})`,
      event: ADMIN_EVENT.DESCRIBECONSUMERGROUPS,
      timeoutMs: ms,
      options: withOps ? authorizedOps : undefined,
      send: (opts, q) => c.rd_kafka_DescribeConsumerGroups(core.rk, names.array, BigInt(order.length), opts, q),
      parse: (ev) => {
        const res: Ptr = c.rd_kafka_event_DescribeConsumerGroups_result(ev);
        const byId = new Map<string, GroupDescription>();
        for (const gd of list(c.rd_kafka_DescribeConsumerGroups_result_groups, res)) {
          const d = readGroup(gd, withOps);
          byId.set(d.groupId, d);
        }
        return order.map((g) =>
          byId.get(g) ?? {
            groupId: g,
            isSimpleConsumerGroup: false,
            partitionAssignor: "",
            state: "Unknown",
            coordinator: null,
            members: [],
          }
        );
      },
    });
  } finally {
    void names.keep.length; // the strings' memory stays alive until librdkafka copied them
  }
}

function readGroup(gd: Ptr, withOps: boolean): GroupDescription {
  const c = rd();
  const groupId = str(c.rd_kafka_ConsumerGroupDescription_group_id(gd)) ?? "";
  const d: GroupDescription = {
    groupId,
    isSimpleConsumerGroup: c.rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(gd) !== 0,
    partitionAssignor: str(c.rd_kafka_ConsumerGroupDescription_partition_assignor(gd)) ?? "",
    state: stateName(c.rd_kafka_ConsumerGroupDescription_state(gd)),
    coordinator: node(c.rd_kafka_ConsumerGroupDescription_coordinator(gd)),
    members: [],
  };
  const error = errorOf(c.rd_kafka_ConsumerGroupDescription_error(gd), `group ${groupId}`);
  if (error) d.error = error;
  if (has("rd_kafka_ConsumerGroupDescription_type")) d.type = typeName(c.rd_kafka_ConsumerGroupDescription_type(gd));
  const n = Number(c.rd_kafka_ConsumerGroupDescription_member_count(gd));
  for (let i = 0; i < n; i++) {
    const m: Ptr = c.rd_kafka_ConsumerGroupDescription_member(gd, BigInt(i));
    if (backend.isNull(m)) continue;
    const assignment: Ptr = c.rd_kafka_MemberDescription_assignment(m);
    d.members.push({
      memberId: str(c.rd_kafka_MemberDescription_consumer_id(m)) ?? "",
      clientId: str(c.rd_kafka_MemberDescription_client_id(m)) ?? "",
      groupInstanceId: str(c.rd_kafka_MemberDescription_group_instance_id(m)),
      host: str(c.rd_kafka_MemberDescription_host(m)) ?? "",
      assignment: backend.isNull(assignment) ? [] : fromList(c.rd_kafka_MemberAssignment_partitions(assignment))
        .map(({ topic, partition }) => ({ topic, partition }))
        .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)),
    });
  }
  if (withOps) d.authorizedOperations = operations(c.rd_kafka_ConsumerGroupDescription_authorized_operations, gd);
  return d;
}

/** `deleteGroups()`: see {@link AdminClient.deleteGroups}. @example `await deleteGroups(core, ["g"], {})` */
export function deleteGroups(
  core: AdminCore,
  groupIds: readonly string[],
  options: AdminCallOptions = {},
): Promise<GroupResult[]> {
  try {
    const ms = timeout(options, "deleteGroups");
    const order = checkGroupIds(groupIds, "deleteGroups");
    return unlessMock(
      core,
      ms,
      "DeleteGroups",
      () => sendDeleteGroups(core, order, ms),
      (why) =>
        order.map((groupId) => ({
          groupId,
          error: new KafkaError(ErrorCode._UNSUPPORTED_FEATURE, `group ${groupId}: ${why}`),
        })),
    );
  } catch (e) {
    return Promise.reject(e);
  }
}

function sendDeleteGroups(core: AdminCore, order: readonly string[], ms: number): Promise<GroupResult[]> {
  const c = rd();
  const made: Ptr[] = order.map((g) => c.rd_kafka_DeleteGroup_new(cstr(g)));
  try {
    return core.request({
      what: `deleteGroups(${label(order)})`,
      event: ADMIN_EVENT.DELETEGROUPS,
      timeoutMs: ms,
      send: (opts, q) => c.rd_kafka_DeleteGroups(core.rk, pointerArray(made), BigInt(made.length), opts, q),
      parse: (ev) => {
        const byId = new Map<string, GroupResult>();
        for (const gr of list(c.rd_kafka_DeleteGroups_result_groups, c.rd_kafka_event_DeleteGroups_result(ev))) {
          const groupId = str(c.rd_kafka_group_result_name(gr)) ?? "";
          const r: GroupResult = { groupId };
          const error = errorOf(c.rd_kafka_group_result_error(gr), `group ${groupId}`);
          if (error) r.error = error;
          byId.set(groupId, r);
        }
        return order.map((g) => byId.get(g) ?? { groupId: g });
      },
    });
  } finally {
    for (const d of made) c.rd_kafka_DeleteGroup_destroy(d); // copied into the request
  }
}

/**
 * Sends a group request unless the cluster is librdkafka's mock cluster, which
 * lacks it: a refused group request there aborts the process or stalls the handle
 * (see `onMockCluster`), so the call answers `refused(why)` without sending.
 */
async function unlessMock<T>(
  core: AdminCore,
  ms: number,
  api: string,
  send: () => Promise<T>,
  refused: (why: string) => T,
): Promise<T> {
  if (!(await onMockCluster(core, ms))) return send();
  return refused(
    `librdkafka's mock cluster has no ${api}, and a group request it refuses can abort the process or stall ` +
      "the client (confluentinc/librdkafka#3663): not sent",
  );
}

// --- committed offsets ------------------------------------------------------------

/** Kinds of group-offset request: the C names differ only in their prefix. */
type OffsetsOp = "ListConsumerGroupOffsets" | "AlterConsumerGroupOffsets" | "DeleteConsumerGroupOffsets";

const EVENTS: Record<OffsetsOp, number> = {
  ListConsumerGroupOffsets: ADMIN_EVENT.LISTCONSUMERGROUPOFFSETS,
  AlterConsumerGroupOffsets: ADMIN_EVENT.ALTERCONSUMERGROUPOFFSETS,
  DeleteConsumerGroupOffsets: ADMIN_EVENT.DELETECONSUMERGROUPOFFSETS,
};

/**
 * Sends one group-offset request for `groupId` and `partitions` (null: every
 * partition, list only) and reads the one group result it answers with.
 */
function groupOffsetsRequest(
  core: AdminCore,
  op: OffsetsOp,
  call: string,
  groupId: string,
  partitions: (TopicPartition & { offset?: bigint })[] | null,
  ms: number,
  options?: (opts: Ptr) => void,
): Promise<GroupOffsets> {
  // deno-lint-ignore no-explicit-any
  const c = rd() as Record<string, (...a: any[]) => any>;
  const tpl = partitions === null ? backend.NULL : toList(partitions);
  let obj: Ptr | undefined;
  try {
    obj = c[`rd_kafka_${op}_new`](cstr(groupId), tpl) as Ptr;
    const made = obj;
    return core.request({
      what: `${call}(${groupId})`,
      event: EVENTS[op],
      timeoutMs: ms,
      options,
      send: (opts, q) => c[`rd_kafka_${op}`](core.rk, pointerArray([made]), 1n, opts, q),
      parse: (ev) => {
        const res = c[`rd_kafka_event_${op}_result`](ev) as Ptr;
        const [gr] = list(c[`rd_kafka_${op}_result_groups`], res);
        return readGroupOffsets(gr, groupId, partitions, op !== "DeleteConsumerGroupOffsets");
      },
    });
  } finally {
    if (obj !== undefined) c[`rd_kafka_${op}_destroy`](obj);
    if (partitions !== null) destroyList(tpl);
  }
}

/** One `rd_kafka_group_result_t`; partitions in request order (all: sorted). */
function readGroupOffsets(
  gr: Ptr | undefined,
  groupId: string,
  order: readonly TopicPartition[] | null,
  withOffsets: boolean,
): GroupOffsets {
  const c = rd();
  const out: GroupOffsets = { groupId, partitions: [] };
  if (gr === undefined) return out;
  const error = errorOf(c.rd_kafka_group_result_error(gr), `group ${groupId}`);
  if (error) out.error = error;
  const got = fromList(c.rd_kafka_group_result_partitions(gr)).map((t) => {
    const r: TopicPartitionOffset = { topic: t.topic, partition: t.partition };
    // -1001 (RD_KAFKA_OFFSET_INVALID): nothing committed.
    if (withOffsets) r.offset = t.offset !== undefined && t.offset >= 0n ? t.offset : undefined;
    if (t.error) r.error = t.error;
    return r;
  });
  if (order === null) {
    out.partitions = got.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  } else {
    const byKey = new Map(got.map((t) => [tpKey(t.topic, t.partition), t]));
    out.partitions = order.map(({ topic, partition }) =>
      byKey.get(tpKey(topic, partition)) ??
        (withOffsets ? { topic, partition, offset: undefined } : { topic, partition })
    );
  }
  return out;
}

function checkGroupPartitions(v: unknown, call: string): TopicPartition[] {
  const tps = checkArray<TopicPartition>(v, `${call}(partitions)`).map((tp, i) =>
    checkTopicPartition(tp, `${call}: partitions[${i}]`)
  );
  unique(tps, call);
  return tps;
}

/** `listGroupOffsets()`: see {@link AdminClient.listGroupOffsets}. @example `await listGroupOffsets(core, "g", undefined, {})` */
export function listGroupOffsets(
  core: AdminCore,
  groupId: string,
  partitions: readonly TopicPartition[] | undefined,
  options: ListGroupOffsetsOptions = {},
): Promise<GroupOffsets> {
  try {
    const ms = timeout(options, "listGroupOffsets");
    const group = checkString(groupId, "listGroupOffsets: groupId");
    const tps = partitions === undefined ? null : checkGroupPartitions(partitions, "listGroupOffsets");
    const stable = options.requireStable === true;
    return groupOffsetsRequest(
      core,
      "ListConsumerGroupOffsets",
      "listGroupOffsets",
      group,
      tps,
      ms,
      stable
        ? (opts) => takeError(rd().rd_kafka_AdminOptions_set_require_stable_offsets(opts, 1), "requireStable")
        : undefined,
    );
  } catch (e) {
    return Promise.reject(e);
  }
}

/** `alterGroupOffsets()`: see {@link AdminClient.alterGroupOffsets}. @example `await alterGroupOffsets(core, "g", [{ topic: "t", partition: 0, offset: 5n }], {})` */
export function alterGroupOffsets(
  core: AdminCore,
  groupId: string,
  offsets: readonly (TopicPartition & { offset: bigint })[],
  options: AdminCallOptions = {},
): Promise<GroupOffsets> {
  try {
    const ms = timeout(options, "alterGroupOffsets");
    const group = checkString(groupId, "alterGroupOffsets: groupId");
    const items = checkArray<TopicPartition & { offset: bigint }>(offsets, "alterGroupOffsets(offsets)").map(
      (o, i) => {
        const at = `alterGroupOffsets: offsets[${i}]`;
        const tp = checkTopicPartition(o, at);
        if (typeof o.offset !== "bigint") throw new TypeError(`${at}.offset must be a bigint, got ${typeof o.offset}`);
        if (o.offset < 0n) {
          throw new RangeError(`${at}.offset must be >= 0n (the next offset to read), got ${o.offset}`);
        }
        return { ...tp, offset: o.offset };
      },
    );
    unique(items, "alterGroupOffsets");
    return groupOffsetsRequest(core, "AlterConsumerGroupOffsets", "alterGroupOffsets", group, items, ms);
  } catch (e) {
    return Promise.reject(e);
  }
}

/** `deleteGroupOffsets()`: see {@link AdminClient.deleteGroupOffsets}. @example `await deleteGroupOffsets(core, "g", [{ topic: "t", partition: 0 }], {})` */
export function deleteGroupOffsets(
  core: AdminCore,
  groupId: string,
  partitions: readonly TopicPartition[],
  options: AdminCallOptions = {},
): Promise<GroupOffsets> {
  try {
    const ms = timeout(options, "deleteGroupOffsets");
    const group = checkString(groupId, "deleteGroupOffsets: groupId");
    const tps = checkGroupPartitions(partitions, "deleteGroupOffsets");
    return unlessMock(
      core,
      ms,
      "OffsetDelete",
      () => groupOffsetsRequest(core, "DeleteConsumerGroupOffsets", "deleteGroupOffsets", group, tps, ms),
      (why) => {
        throw new KafkaError(ErrorCode._UNSUPPORTED_FEATURE, `deleteGroupOffsets(${group}): ${why}`);
      },
    );
  } catch (e) {
    return Promise.reject(e);
  }
}
