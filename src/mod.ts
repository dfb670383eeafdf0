/**
 * kafka-fast: a Kafka client for Bun and Deno over librdkafka, through each
 * runtime's FFI, that never blocks the event loop.
 *
 * @example
 * ```ts
 * import { MockCluster, Producer } from "kafka-fast";
 * await using cluster = await MockCluster.create();
 * await using producer = new Producer({ "bootstrap.servers": cluster.bootstrapServers });
 * console.log(await producer.send({ topic: "demo", value: "hello" }));
 * ```
 * @module
 */
export { Producer } from "./producer/producer.ts";
export type { ClientConfig, Headers, Payload, ProducerMessage } from "./producer/producer.ts";
export type {
  DeliveryReport,
  ProducerOptions,
  SendResult,
  Transaction,
  TransactionConsumer,
  TransactionOptions,
} from "./producer/types.ts";
export type { ConsumedRecord } from "./native/tplist.ts";
export { Consumer } from "./consumer/consumer.ts";
export type {
  ConsumerEvents,
  ConsumerOptions,
  PartitionEof,
  ReadOptions,
  RebalanceEvent,
  TopicPartition,
  TopicPartitionOffset,
} from "./consumer/consumer.ts";
export { Message } from "./consumer/message.ts";
export type { MessageHeader, TimestampType } from "./consumer/message.ts";
export { OFFSET } from "../ffi/constants.ts";
export { MockCluster } from "./mock.ts";
export type { MockClusterOptions, MockTopicOptions } from "./mock.ts";
export { ClosedError, ConfigError, ErrorCode, KafkaError, LibraryLoadError, LimitError } from "./errors.ts";
export type { ErrorCodeName, KafkaErrorFlags } from "./errors.ts";
export type { ClientEvents, LogEntry } from "./events.ts";
export { configure, currentLimits } from "./native/limits.ts";
export { CLOSE_MARGIN_MS } from "./native/client.ts";
export type { Limits } from "./native/limits.ts";
export type { OAuthBearerProvider, OAuthBearerToken } from "./native/oauth.ts";
export { librdkafkaVersion } from "../ffi/loader.ts";
export { AdminClient } from "./admin/admin.ts";
export type { AdminClientOptions } from "./admin/admin.ts";
export type { AdminCallOptions, BrokerNode } from "./admin/read.ts";
export type {
  ClusterDescription,
  ClusterMetadata,
  DescribeClusterOptions,
  MetadataOptions,
  PartitionInfo,
  PartitionMetadata,
  TopicDescription,
  TopicMetadata,
} from "./admin/cluster.ts";
export type { CreateOptions, DescribeTopicsOptions, NewPartitions, NewTopic, TopicResult } from "./admin/topics.ts";
export type {
  AlterConfigOp,
  AlterConfigsOptions,
  AlterConfigsResource,
  AlterConfigsResult,
  ConfigEntry,
  ConfigResource,
  ConfigResourceResult,
  IncrementalAlterConfigsResource,
} from "./admin/configs.ts";
export type {
  DescribeGroupsOptions,
  GroupDescription,
  GroupListing,
  GroupOffsets,
  GroupResult,
  ListGroupOffsetsOptions,
  ListGroupsOptions,
  ListGroupsResult,
  MemberDescription,
} from "./admin/groups.ts";
export type {
  DeleteRecordsRequest,
  DeleteRecordsResult,
  ListOffsetsOptions,
  ListOffsetsRequest,
  ListOffsetsResult,
  OffsetSpec,
} from "./admin/offsets.ts";
export type { AclBinding, AclBindingFilter, CreateAclResult, DeleteAclsResult, NewAclBinding } from "./admin/acls.ts";
export type {
  AlterScramResult,
  ScramCredentialAlteration,
  ScramCredentialInfo,
  ScramMechanism,
  UserScramCredentials,
} from "./admin/scram.ts";
