/**
 * Consumer groups: list, describe, delete, and their committed offsets (list,
 * alter, delete).
 *
 * @module
 */
import type { KafkaError } from "./errors.ts";
import type { AdminCore } from "./admin_core.ts";
import type { AdminCallOptions, BrokerNode } from "./admin_read.ts";
import type { TopicPartition, TopicPartitionOffset } from "./native/tplist.ts";

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

/** `listGroups()`: see {@link AdminClient.listGroups}. @example `await listGroups(core, {})` */
export function listGroups(_core: AdminCore, _options: ListGroupsOptions = {}): Promise<ListGroupsResult> {
  return Promise.reject(new Error("listGroups: not implemented yet"));
}

/** `describeGroups()`: see {@link AdminClient.describeGroups}. @example `await describeGroups(core, ["g"], {})` */
export function describeGroups(
  _core: AdminCore,
  _groupIds: readonly string[],
  _options: DescribeGroupsOptions = {},
): Promise<GroupDescription[]> {
  return Promise.reject(new Error("describeGroups: not implemented yet"));
}

/** `deleteGroups()`: see {@link AdminClient.deleteGroups}. @example `await deleteGroups(core, ["g"], {})` */
export function deleteGroups(
  _core: AdminCore,
  _groupIds: readonly string[],
  _options: AdminCallOptions = {},
): Promise<GroupResult[]> {
  return Promise.reject(new Error("deleteGroups: not implemented yet"));
}

/** `listGroupOffsets()`: see {@link AdminClient.listGroupOffsets}. @example `await listGroupOffsets(core, "g", undefined, {})` */
export function listGroupOffsets(
  _core: AdminCore,
  _groupId: string,
  _partitions: readonly TopicPartition[] | undefined,
  _options: ListGroupOffsetsOptions = {},
): Promise<GroupOffsets> {
  return Promise.reject(new Error("listGroupOffsets: not implemented yet"));
}

/** `alterGroupOffsets()`: see {@link AdminClient.alterGroupOffsets}. @example `await alterGroupOffsets(core, "g", [{ topic: "t", partition: 0, offset: 5n }], {})` */
export function alterGroupOffsets(
  _core: AdminCore,
  _groupId: string,
  _offsets: readonly (TopicPartition & { offset: bigint })[],
  _options: AdminCallOptions = {},
): Promise<GroupOffsets> {
  return Promise.reject(new Error("alterGroupOffsets: not implemented yet"));
}

/** `deleteGroupOffsets()`: see {@link AdminClient.deleteGroupOffsets}. @example `await deleteGroupOffsets(core, "g", [{ topic: "t", partition: 0 }], {})` */
export function deleteGroupOffsets(
  _core: AdminCore,
  _groupId: string,
  _partitions: readonly TopicPartition[],
  _options: AdminCallOptions = {},
): Promise<GroupOffsets> {
  return Promise.reject(new Error("deleteGroupOffsets: not implemented yet"));
}
