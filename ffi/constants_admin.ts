/**
 * Constants of librdkafka's Admin API and the layout of `rd_kafka_metadata_t`
 * (x86_64 / aarch64 LP64). `test/offsets.test.ts` checks every value here against the
 * installed headers with a compiled C program.
 *
 * Enum values are librdkafka's; the names kafka-fast shows users are librdkafka's
 * own names of them (`rd_kafka_AclOperation_name` and friends), kept here as tables
 * so that they are known before a library is loaded and can validate input.
 *
 * @module
 */

/** Result event types (`RD_KAFKA_EVENT_*_RESULT`). @example `ADMIN_EVENT.CREATETOPICS === 100` */
export const ADMIN_EVENT = {
  CREATETOPICS: 100,
  DELETETOPICS: 101,
  CREATEPARTITIONS: 102,
  ALTERCONFIGS: 103,
  DESCRIBECONFIGS: 104,
  DELETERECORDS: 105,
  DELETEGROUPS: 106,
  DELETECONSUMERGROUPOFFSETS: 107,
  CREATEACLS: 0x400,
  DESCRIBEACLS: 0x800,
  DELETEACLS: 0x1000,
  LISTCONSUMERGROUPS: 0x2000,
  DESCRIBECONSUMERGROUPS: 0x4000,
  LISTCONSUMERGROUPOFFSETS: 0x8000,
  ALTERCONSUMERGROUPOFFSETS: 0x10000,
  INCREMENTALALTERCONFIGS: 0x20000, // 2.2.0
  DESCRIBEUSERSCRAMCREDENTIALS: 0x40000, // 2.2.0
  ALTERUSERSCRAMCREDENTIALS: 0x80000, // 2.2.0
  DESCRIBETOPICS: 0x100000, // 2.3.0
  DESCRIBECLUSTER: 0x200000, // 2.3.0
  LISTOFFSETS: 0x400000, // 2.3.0
} as const;

/** `RD_KAFKA_ADMIN_OP_ANY`: options valid for every request (we set only what applies). @example `rd_kafka_AdminOptions_new(rk, ADMIN_OP_ANY)` */
export const ADMIN_OP_ANY = 0;

/** `rd_kafka_ResourceType_t`, indexed by value. @example `RESOURCE_TYPES.indexOf("TOPIC") === 2` */
export const RESOURCE_TYPES = ["UNKNOWN", "ANY", "TOPIC", "GROUP", "BROKER", "TRANSACTIONAL_ID"] as const;
/** `rd_kafka_ResourcePatternType_t`. @example `PATTERN_TYPES.indexOf("LITERAL") === 3` */
export const PATTERN_TYPES = ["UNKNOWN", "ANY", "MATCH", "LITERAL", "PREFIXED"] as const;
/** `rd_kafka_AclOperation_t`. @example `ACL_OPERATIONS.indexOf("READ") === 3` */
export const ACL_OPERATIONS = [
  "UNKNOWN",
  "ANY",
  "ALL",
  "READ",
  "WRITE",
  "CREATE",
  "DELETE",
  "ALTER",
  "DESCRIBE",
  "CLUSTER_ACTION",
  "DESCRIBE_CONFIGS",
  "ALTER_CONFIGS",
  "IDEMPOTENT_WRITE",
] as const;
/** `rd_kafka_AclPermissionType_t`. @example `ACL_PERMISSIONS.indexOf("ALLOW") === 3` */
export const ACL_PERMISSIONS = ["UNKNOWN", "ANY", "DENY", "ALLOW"] as const;
/** `rd_kafka_ConfigSource_t`. @example `CONFIG_SOURCES[1] === "DYNAMIC_TOPIC_CONFIG"` */
export const CONFIG_SOURCES = [
  "UNKNOWN_CONFIG",
  "DYNAMIC_TOPIC_CONFIG",
  "DYNAMIC_BROKER_CONFIG",
  "DYNAMIC_DEFAULT_BROKER_CONFIG",
  "STATIC_BROKER_CONFIG",
  "DEFAULT_CONFIG",
] as const;
/** `rd_kafka_consumer_group_state_t`, as `rd_kafka_consumer_group_state_name` spells them. @example `GROUP_STATES[3] === "Stable"` */
export const GROUP_STATES = [
  "Unknown",
  "PreparingRebalance",
  "CompletingRebalance",
  "Stable",
  "Dead",
  "Empty",
] as const;
/** `rd_kafka_consumer_group_type_t` (2.6.0). @example `GROUP_TYPES[2] === "Classic"` */
export const GROUP_TYPES = ["Unknown", "Consumer", "Classic"] as const;
/** `rd_kafka_AlterConfigOpType_t` (2.2.0). @example `ALTER_CONFIG_OPS.indexOf("SET") === 0` */
export const ALTER_CONFIG_OPS = ["SET", "DELETE", "APPEND", "SUBTRACT"] as const;
/** `rd_kafka_ScramMechanism_t` (2.2.0). @example `SCRAM_MECHANISMS[1] === "SCRAM-SHA-256"` */
export const SCRAM_MECHANISMS = ["UNKNOWN", "SCRAM-SHA-256", "SCRAM-SHA-512"] as const;
/** `rd_kafka_IsolationLevel_t` (2.3.0). @example `ISOLATION_LEVELS.indexOf("read_committed") === 1` */
export const ISOLATION_LEVELS = ["read_uncommitted", "read_committed"] as const;
/** `rd_kafka_OffsetSpec_t` (2.3.0): what ListOffsets takes in a partition's offset. @example `OFFSET_SPEC.LATEST === -1n` */
export const OFFSET_SPEC = { MAX_TIMESTAMP: -3n, EARLIEST: -2n, LATEST: -1n } as const;

/**
 * `rd_kafka_metadata_t` and its parts.
 *
 * @example
 * ```ts
 * const brokers = backend.readI32(md, METADATA.broker_cnt);
 * ```
 */
export const METADATA = {
  broker_cnt: 0, // int
  brokers: 8, // rd_kafka_metadata_broker_t *
  topic_cnt: 16, // int
  topics: 24, // rd_kafka_metadata_topic_t *
  orig_broker_id: 32, // int32_t
  orig_broker_name: 40, // char *
} as const;
/** @see METADATA @example `METADATA_BROKER.size === 24` */
export const METADATA_BROKER = { size: 24, id: 0, host: 8, port: 16 } as const;
/** @see METADATA @example `METADATA_TOPIC.size === 32` */
export const METADATA_TOPIC = { size: 32, topic: 0, partition_cnt: 8, partitions: 16, err: 24 } as const;
/** @see METADATA @example `METADATA_PARTITION.size === 40` */
export const METADATA_PARTITION = {
  size: 40,
  id: 0, // int32_t
  err: 4, // rd_kafka_resp_err_t
  leader: 8, // int32_t
  replica_cnt: 12, // int
  replicas: 16, // int32_t *
  isr_cnt: 24, // int
  isrs: 32, // int32_t *
} as const;
