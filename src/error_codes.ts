// GENERATED FILE - DO NOT EDIT BY HAND (except RETRIABLE_CODES, which is curated).
//
// Generated once from librdkafka 2.0.2 (/usr/include/librdkafka/rdkafka.h) by calling
// rd_kafka_get_err_descs() and printing every entry (code, name, desc). The `_END` and
// `END_ALL` sentinels are skipped, as are the gaps in the table (entries with a NULL name).
// Names match rd_kafka_resp_err_t without the `RD_KAFKA_RESP_ERR_` prefix. The codes that
// librdkafka 2.12.0 added since 2.0.2 were appended from the same program run against it
// (marked "since 2.x"): a newer library reports them, so they need names here too.
//
// To regenerate (e.g. after a librdkafka upgrade), compile and run this C program, then turn
// its tab-separated output into the tables below:
//
//   #include <stdio.h>
//   #include <librdkafka/rdkafka.h>
//   int main(void) {
//     const struct rd_kafka_err_desc *d;
//     size_t n;
//     rd_kafka_get_err_descs(&d, &n);
//     for (size_t i = 0; i < n; i++)
//       if (d[i].name) printf("%d\t%s\t%s\n", d[i].code, d[i].name, d[i].desc ? d[i].desc : "");
//     return 0;
//   }
//
//   gcc errdescs.c -o errdescs -lrdkafka && ./errdescs

/**
 * Every `rd_kafka_resp_err_t` value of librdkafka 2.0.2 (and those 2.12.0 added), keyed by its name without the
 * `RD_KAFKA_RESP_ERR_` prefix. Negative codes starting with `_` are local (client-side)
 * errors raised by librdkafka itself; codes >= -1 are Kafka protocol (broker) errors.
 *
 * @example
 * ```ts
 * if (err === ErrorCode._QUEUE_FULL) {
 *   // the local producer queue is full: poll for delivery reports, then retry
 * }
 * ```
 */
export const ErrorCode = {
  // Local (client-side) errors.
  _BEGIN: -200,
  _BAD_MSG: -199,
  _BAD_COMPRESSION: -198,
  _DESTROY: -197,
  _FAIL: -196,
  _TRANSPORT: -195,
  _CRIT_SYS_RESOURCE: -194,
  _RESOLVE: -193,
  _MSG_TIMED_OUT: -192,
  _PARTITION_EOF: -191,
  _UNKNOWN_PARTITION: -190,
  _FS: -189,
  _UNKNOWN_TOPIC: -188,
  _ALL_BROKERS_DOWN: -187,
  _INVALID_ARG: -186,
  _TIMED_OUT: -185,
  _QUEUE_FULL: -184,
  _ISR_INSUFF: -183,
  _NODE_UPDATE: -182,
  _SSL: -181,
  _WAIT_COORD: -180,
  _UNKNOWN_GROUP: -179,
  _IN_PROGRESS: -178,
  _PREV_IN_PROGRESS: -177,
  _EXISTING_SUBSCRIPTION: -176,
  _ASSIGN_PARTITIONS: -175,
  _REVOKE_PARTITIONS: -174,
  _CONFLICT: -173,
  _STATE: -172,
  _UNKNOWN_PROTOCOL: -171,
  _NOT_IMPLEMENTED: -170,
  _AUTHENTICATION: -169,
  _NO_OFFSET: -168,
  _OUTDATED: -167,
  _TIMED_OUT_QUEUE: -166,
  _UNSUPPORTED_FEATURE: -165,
  _WAIT_CACHE: -164,
  _INTR: -163,
  _KEY_SERIALIZATION: -162,
  _VALUE_SERIALIZATION: -161,
  _KEY_DESERIALIZATION: -160,
  _VALUE_DESERIALIZATION: -159,
  _PARTIAL: -158,
  _READ_ONLY: -157,
  _NOENT: -156,
  _UNDERFLOW: -155,
  _INVALID_TYPE: -154,
  _RETRY: -153,
  _PURGE_QUEUE: -152,
  _PURGE_INFLIGHT: -151,
  _FATAL: -150,
  _INCONSISTENT: -149,
  _GAPLESS_GUARANTEE: -148,
  _MAX_POLL_EXCEEDED: -147,
  _UNKNOWN_BROKER: -146,
  _NOT_CONFIGURED: -145,
  _FENCED: -144,
  _APPLICATION: -143,
  _ASSIGNMENT_LOST: -142,
  _NOOP: -141,
  _AUTO_OFFSET_RESET: -140,
  // Local errors of librdkafka newer than 2.0.2.
  _LOG_TRUNCATION: -139,
  _INVALID_DIFFERENT_RECORD: -138,
  _DESTROY_BROKER: -137,

  // Broker (Kafka protocol) errors.
  UNKNOWN: -1,
  NO_ERROR: 0,
  OFFSET_OUT_OF_RANGE: 1,
  INVALID_MSG: 2,
  UNKNOWN_TOPIC_OR_PART: 3,
  INVALID_MSG_SIZE: 4,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_FOR_PARTITION: 6,
  REQUEST_TIMED_OUT: 7,
  BROKER_NOT_AVAILABLE: 8,
  REPLICA_NOT_AVAILABLE: 9,
  MSG_SIZE_TOO_LARGE: 10,
  STALE_CTRL_EPOCH: 11,
  OFFSET_METADATA_TOO_LARGE: 12,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  TOPIC_EXCEPTION: 17,
  RECORD_LIST_TOO_LARGE: 18,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  INVALID_COMMIT_OFFSET_SIZE: 28,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  CLUSTER_AUTHORIZATION_FAILED: 31,
  INVALID_TIMESTAMP: 32,
  UNSUPPORTED_SASL_MECHANISM: 33,
  ILLEGAL_SASL_STATE: 34,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REPLICA_ASSIGNMENT: 39,
  INVALID_CONFIG: 40,
  NOT_CONTROLLER: 41,
  INVALID_REQUEST: 42,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  POLICY_VIOLATION: 44,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TXN_STATE: 48,
  INVALID_PRODUCER_ID_MAPPING: 49,
  INVALID_TRANSACTION_TIMEOUT: 50,
  CONCURRENT_TRANSACTIONS: 51,
  TRANSACTION_COORDINATOR_FENCED: 52,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  SECURITY_DISABLED: 54,
  OPERATION_NOT_ATTEMPTED: 55,
  KAFKA_STORAGE_ERROR: 56,
  LOG_DIR_NOT_FOUND: 57,
  SASL_AUTHENTICATION_FAILED: 58,
  UNKNOWN_PRODUCER_ID: 59,
  REASSIGNMENT_IN_PROGRESS: 60,
  DELEGATION_TOKEN_AUTH_DISABLED: 61,
  DELEGATION_TOKEN_NOT_FOUND: 62,
  DELEGATION_TOKEN_OWNER_MISMATCH: 63,
  DELEGATION_TOKEN_REQUEST_NOT_ALLOWED: 64,
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: 65,
  DELEGATION_TOKEN_EXPIRED: 66,
  INVALID_PRINCIPAL_TYPE: 67,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  FETCH_SESSION_ID_NOT_FOUND: 70,
  INVALID_FETCH_SESSION_EPOCH: 71,
  LISTENER_NOT_FOUND: 72,
  TOPIC_DELETION_DISABLED: 73,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  STALE_BROKER_EPOCH: 77,
  OFFSET_NOT_AVAILABLE: 78,
  MEMBER_ID_REQUIRED: 79,
  PREFERRED_LEADER_NOT_AVAILABLE: 80,
  GROUP_MAX_SIZE_REACHED: 81,
  FENCED_INSTANCE_ID: 82,
  ELIGIBLE_LEADERS_NOT_AVAILABLE: 83,
  ELECTION_NOT_NEEDED: 84,
  NO_REASSIGNMENT_IN_PROGRESS: 85,
  GROUP_SUBSCRIBED_TO_TOPIC: 86,
  INVALID_RECORD: 87,
  UNSTABLE_OFFSET_COMMIT: 88,
  THROTTLING_QUOTA_EXCEEDED: 89,
  PRODUCER_FENCED: 90,
  RESOURCE_NOT_FOUND: 91,
  DUPLICATE_RESOURCE: 92,
  UNACCEPTABLE_CREDENTIAL: 93,
  INCONSISTENT_VOTER_SET: 94,
  INVALID_UPDATE_VERSION: 95,
  FEATURE_UPDATE_FAILED: 96,
  PRINCIPAL_DESERIALIZATION_FAILURE: 97,
  // Broker errors librdkafka newer than 2.0.2 knows (KIP-516 topic ids, KIP-848 groups, KIP-714 telemetry).
  UNKNOWN_TOPIC_ID: 100,
  FENCED_MEMBER_EPOCH: 110,
  UNRELEASED_INSTANCE_ID: 111,
  UNSUPPORTED_ASSIGNOR: 112,
  STALE_MEMBER_EPOCH: 113,
  UNKNOWN_SUBSCRIPTION_ID: 117,
  TELEMETRY_TOO_LARGE: 118,
  REBOOTSTRAP_REQUIRED: 129,
} as const;

/**
 * The name of a librdkafka error code, e.g. `"_QUEUE_FULL"` or `"MSG_SIZE_TOO_LARGE"`.
 *
 * @example
 * ```ts
 * const name: ErrorCodeName = "REQUEST_TIMED_OUT";
 * const code = ErrorCode[name]; // 7
 * ```
 */
export type ErrorCodeName = keyof typeof ErrorCode;

/**
 * librdkafka's human-readable description of each error code, as returned by
 * `rd_kafka_err2str()`. `_BEGIN` has no description in librdkafka and is absent here.
 *
 * @example
 * ```ts
 * ERROR_DESCRIPTIONS[ErrorCode._QUEUE_FULL]; // "Local: Queue full"
 * ```
 */
export const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = Object.freeze({
  [ErrorCode._BAD_MSG]: "Local: Bad message format",
  [ErrorCode._BAD_COMPRESSION]: "Local: Invalid compressed data",
  [ErrorCode._DESTROY]: "Local: Broker handle destroyed",
  [ErrorCode._FAIL]: "Local: Communication failure with broker",
  [ErrorCode._TRANSPORT]: "Local: Broker transport failure",
  [ErrorCode._CRIT_SYS_RESOURCE]: "Local: Critical system resource failure",
  [ErrorCode._RESOLVE]: "Local: Host resolution failure",
  [ErrorCode._MSG_TIMED_OUT]: "Local: Message timed out",
  [ErrorCode._PARTITION_EOF]: "Broker: No more messages",
  [ErrorCode._UNKNOWN_PARTITION]: "Local: Unknown partition",
  [ErrorCode._FS]: "Local: File or filesystem error",
  [ErrorCode._UNKNOWN_TOPIC]: "Local: Unknown topic",
  [ErrorCode._ALL_BROKERS_DOWN]: "Local: All broker connections are down",
  [ErrorCode._INVALID_ARG]: "Local: Invalid argument or configuration",
  [ErrorCode._TIMED_OUT]: "Local: Timed out",
  [ErrorCode._QUEUE_FULL]: "Local: Queue full",
  [ErrorCode._ISR_INSUFF]: "Local: ISR count insufficient",
  [ErrorCode._NODE_UPDATE]: "Local: Broker node update",
  [ErrorCode._SSL]: "Local: SSL error",
  [ErrorCode._WAIT_COORD]: "Local: Waiting for coordinator",
  [ErrorCode._UNKNOWN_GROUP]: "Local: Unknown group",
  [ErrorCode._IN_PROGRESS]: "Local: Operation in progress",
  [ErrorCode._PREV_IN_PROGRESS]: "Local: Previous operation in progress",
  [ErrorCode._EXISTING_SUBSCRIPTION]: "Local: Existing subscription",
  [ErrorCode._ASSIGN_PARTITIONS]: "Local: Assign partitions",
  [ErrorCode._REVOKE_PARTITIONS]: "Local: Revoke partitions",
  [ErrorCode._CONFLICT]: "Local: Conflicting use",
  [ErrorCode._STATE]: "Local: Erroneous state",
  [ErrorCode._UNKNOWN_PROTOCOL]: "Local: Unknown protocol",
  [ErrorCode._NOT_IMPLEMENTED]: "Local: Not implemented",
  [ErrorCode._AUTHENTICATION]: "Local: Authentication failure",
  [ErrorCode._NO_OFFSET]: "Local: No offset stored",
  [ErrorCode._OUTDATED]: "Local: Outdated",
  [ErrorCode._TIMED_OUT_QUEUE]: "Local: Timed out in queue",
  [ErrorCode._UNSUPPORTED_FEATURE]: "Local: Required feature not supported by broker",
  [ErrorCode._WAIT_CACHE]: "Local: Awaiting cache update",
  [ErrorCode._INTR]: "Local: Operation interrupted",
  [ErrorCode._KEY_SERIALIZATION]: "Local: Key serialization error",
  [ErrorCode._VALUE_SERIALIZATION]: "Local: Value serialization error",
  [ErrorCode._KEY_DESERIALIZATION]: "Local: Key deserialization error",
  [ErrorCode._VALUE_DESERIALIZATION]: "Local: Value deserialization error",
  [ErrorCode._PARTIAL]: "Local: Partial response",
  [ErrorCode._READ_ONLY]: "Local: Read-only object",
  [ErrorCode._NOENT]: "Local: No such entry",
  [ErrorCode._UNDERFLOW]: "Local: Read underflow",
  [ErrorCode._INVALID_TYPE]: "Local: Invalid type",
  [ErrorCode._RETRY]: "Local: Retry operation",
  [ErrorCode._PURGE_QUEUE]: "Local: Purged in queue",
  [ErrorCode._PURGE_INFLIGHT]: "Local: Purged in flight",
  [ErrorCode._FATAL]: "Local: Fatal error",
  [ErrorCode._INCONSISTENT]: "Local: Inconsistent state",
  [ErrorCode._GAPLESS_GUARANTEE]: "Local: Gap-less ordering would not be guaranteed if proceeding",
  [ErrorCode._MAX_POLL_EXCEEDED]: "Local: Maximum application poll interval (max.poll.interval.ms) exceeded",
  [ErrorCode._UNKNOWN_BROKER]: "Local: Unknown broker",
  [ErrorCode._NOT_CONFIGURED]: "Local: Functionality not configured",
  [ErrorCode._FENCED]: "Local: This instance has been fenced by a newer instance",
  [ErrorCode._APPLICATION]: "Local: Application generated error",
  [ErrorCode._ASSIGNMENT_LOST]: "Local: Group partition assignment lost",
  [ErrorCode._NOOP]: "Local: No operation performed",
  [ErrorCode._AUTO_OFFSET_RESET]: "Local: No offset to automatically reset to",
  [ErrorCode.UNKNOWN]: "Unknown broker error",
  [ErrorCode.NO_ERROR]: "Success",
  [ErrorCode.OFFSET_OUT_OF_RANGE]: "Broker: Offset out of range",
  [ErrorCode.INVALID_MSG]: "Broker: Invalid message",
  [ErrorCode.UNKNOWN_TOPIC_OR_PART]: "Broker: Unknown topic or partition",
  [ErrorCode.INVALID_MSG_SIZE]: "Broker: Invalid message size",
  [ErrorCode.LEADER_NOT_AVAILABLE]: "Broker: Leader not available",
  [ErrorCode.NOT_LEADER_FOR_PARTITION]: "Broker: Not leader for partition",
  [ErrorCode.REQUEST_TIMED_OUT]: "Broker: Request timed out",
  [ErrorCode.BROKER_NOT_AVAILABLE]: "Broker: Broker not available",
  [ErrorCode.REPLICA_NOT_AVAILABLE]: "Broker: Replica not available",
  [ErrorCode.MSG_SIZE_TOO_LARGE]: "Broker: Message size too large",
  [ErrorCode.STALE_CTRL_EPOCH]: "Broker: StaleControllerEpochCode",
  [ErrorCode.OFFSET_METADATA_TOO_LARGE]: "Broker: Offset metadata string too large",
  [ErrorCode.NETWORK_EXCEPTION]: "Broker: Broker disconnected before response received",
  [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]: "Broker: Coordinator load in progress",
  [ErrorCode.COORDINATOR_NOT_AVAILABLE]: "Broker: Coordinator not available",
  [ErrorCode.NOT_COORDINATOR]: "Broker: Not coordinator",
  [ErrorCode.TOPIC_EXCEPTION]: "Broker: Invalid topic",
  [ErrorCode.RECORD_LIST_TOO_LARGE]: "Broker: Message batch larger than configured server segment size",
  [ErrorCode.NOT_ENOUGH_REPLICAS]: "Broker: Not enough in-sync replicas",
  [ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND]: "Broker: Message(s) written to insufficient number of in-sync replicas",
  [ErrorCode.INVALID_REQUIRED_ACKS]: "Broker: Invalid required acks value",
  [ErrorCode.ILLEGAL_GENERATION]: "Broker: Specified group generation id is not valid",
  [ErrorCode.INCONSISTENT_GROUP_PROTOCOL]: "Broker: Inconsistent group protocol",
  [ErrorCode.INVALID_GROUP_ID]: "Broker: Invalid group.id",
  [ErrorCode.UNKNOWN_MEMBER_ID]: "Broker: Unknown member",
  [ErrorCode.INVALID_SESSION_TIMEOUT]: "Broker: Invalid session timeout",
  [ErrorCode.REBALANCE_IN_PROGRESS]: "Broker: Group rebalance in progress",
  [ErrorCode.INVALID_COMMIT_OFFSET_SIZE]: "Broker: Commit offset data size is not valid",
  [ErrorCode.TOPIC_AUTHORIZATION_FAILED]: "Broker: Topic authorization failed",
  [ErrorCode.GROUP_AUTHORIZATION_FAILED]: "Broker: Group authorization failed",
  [ErrorCode.CLUSTER_AUTHORIZATION_FAILED]: "Broker: Cluster authorization failed",
  [ErrorCode.INVALID_TIMESTAMP]: "Broker: Invalid timestamp",
  [ErrorCode.UNSUPPORTED_SASL_MECHANISM]: "Broker: Unsupported SASL mechanism",
  [ErrorCode.ILLEGAL_SASL_STATE]: "Broker: Request not valid in current SASL state",
  [ErrorCode.UNSUPPORTED_VERSION]: "Broker: API version not supported",
  [ErrorCode.TOPIC_ALREADY_EXISTS]: "Broker: Topic already exists",
  [ErrorCode.INVALID_PARTITIONS]: "Broker: Invalid number of partitions",
  [ErrorCode.INVALID_REPLICATION_FACTOR]: "Broker: Invalid replication factor",
  [ErrorCode.INVALID_REPLICA_ASSIGNMENT]: "Broker: Invalid replica assignment",
  [ErrorCode.INVALID_CONFIG]: "Broker: Configuration is invalid",
  [ErrorCode.NOT_CONTROLLER]: "Broker: Not controller for cluster",
  [ErrorCode.INVALID_REQUEST]: "Broker: Invalid request",
  [ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT]: "Broker: Message format on broker does not support request",
  [ErrorCode.POLICY_VIOLATION]: "Broker: Policy violation",
  [ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER]: "Broker: Broker received an out of order sequence number",
  [ErrorCode.DUPLICATE_SEQUENCE_NUMBER]: "Broker: Broker received a duplicate sequence number",
  [ErrorCode.INVALID_PRODUCER_EPOCH]: "Broker: Producer attempted an operation with an old epoch",
  [ErrorCode.INVALID_TXN_STATE]: "Broker: Producer attempted a transactional operation in an invalid state",
  [ErrorCode.INVALID_PRODUCER_ID_MAPPING]:
    "Broker: Producer attempted to use a producer id which is not currently assigned to its " +
    "transactional id",
  [ErrorCode.INVALID_TRANSACTION_TIMEOUT]:
    "Broker: Transaction timeout is larger than the maximum value allowed by the broker's " +
    "max.transaction.timeout.ms",
  [ErrorCode.CONCURRENT_TRANSACTIONS]:
    "Broker: Producer attempted to update a transaction while another concurrent operation on " +
    "the same transaction was ongoing",
  [ErrorCode.TRANSACTION_COORDINATOR_FENCED]:
    "Broker: Indicates that the transaction coordinator sending a WriteTxnMarker is no longer " +
    "the current coordinator for a given producer",
  [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]: "Broker: Transactional Id authorization failed",
  [ErrorCode.SECURITY_DISABLED]: "Broker: Security features are disabled",
  [ErrorCode.OPERATION_NOT_ATTEMPTED]: "Broker: Operation not attempted",
  [ErrorCode.KAFKA_STORAGE_ERROR]: "Broker: Disk error when trying to access log file on disk",
  [ErrorCode.LOG_DIR_NOT_FOUND]: "Broker: The user-specified log directory is not found in the broker config",
  [ErrorCode.SASL_AUTHENTICATION_FAILED]: "Broker: SASL Authentication failed",
  [ErrorCode.UNKNOWN_PRODUCER_ID]: "Broker: Unknown Producer Id",
  [ErrorCode.REASSIGNMENT_IN_PROGRESS]: "Broker: Partition reassignment is in progress",
  [ErrorCode.DELEGATION_TOKEN_AUTH_DISABLED]: "Broker: Delegation Token feature is not enabled",
  [ErrorCode.DELEGATION_TOKEN_NOT_FOUND]: "Broker: Delegation Token is not found on server",
  [ErrorCode.DELEGATION_TOKEN_OWNER_MISMATCH]: "Broker: Specified Principal is not valid Owner/Renewer",
  [ErrorCode.DELEGATION_TOKEN_REQUEST_NOT_ALLOWED]:
    "Broker: Delegation Token requests are not allowed on this connection",
  [ErrorCode.DELEGATION_TOKEN_AUTHORIZATION_FAILED]: "Broker: Delegation Token authorization failed",
  [ErrorCode.DELEGATION_TOKEN_EXPIRED]: "Broker: Delegation Token is expired",
  [ErrorCode.INVALID_PRINCIPAL_TYPE]: "Broker: Supplied principalType is not supported",
  [ErrorCode.NON_EMPTY_GROUP]: "Broker: The group is not empty",
  [ErrorCode.GROUP_ID_NOT_FOUND]: "Broker: The group id does not exist",
  [ErrorCode.FETCH_SESSION_ID_NOT_FOUND]: "Broker: The fetch session ID was not found",
  [ErrorCode.INVALID_FETCH_SESSION_EPOCH]: "Broker: The fetch session epoch is invalid",
  [ErrorCode.LISTENER_NOT_FOUND]: "Broker: No matching listener",
  [ErrorCode.TOPIC_DELETION_DISABLED]: "Broker: Topic deletion is disabled",
  [ErrorCode.FENCED_LEADER_EPOCH]: "Broker: Leader epoch is older than broker epoch",
  [ErrorCode.UNKNOWN_LEADER_EPOCH]: "Broker: Leader epoch is newer than broker epoch",
  [ErrorCode.UNSUPPORTED_COMPRESSION_TYPE]: "Broker: Unsupported compression type",
  [ErrorCode.STALE_BROKER_EPOCH]: "Broker: Broker epoch has changed",
  [ErrorCode.OFFSET_NOT_AVAILABLE]: "Broker: Leader high watermark is not caught up",
  [ErrorCode.MEMBER_ID_REQUIRED]: "Broker: Group member needs a valid member ID",
  [ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE]: "Broker: Preferred leader was not available",
  [ErrorCode.GROUP_MAX_SIZE_REACHED]: "Broker: Consumer group has reached maximum size",
  [ErrorCode.FENCED_INSTANCE_ID]: "Broker: Static consumer fenced by other consumer with same group.instance.id",
  [ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE]: "Broker: Eligible partition leaders are not available",
  [ErrorCode.ELECTION_NOT_NEEDED]: "Broker: Leader election not needed for topic partition",
  [ErrorCode.NO_REASSIGNMENT_IN_PROGRESS]: "Broker: No partition reassignment is in progress",
  [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]:
    "Broker: Deleting offsets of a topic while the consumer group is subscribed to it",
  [ErrorCode.INVALID_RECORD]: "Broker: Broker failed to validate record",
  [ErrorCode.UNSTABLE_OFFSET_COMMIT]: "Broker: There are unstable offsets that need to be cleared",
  [ErrorCode.THROTTLING_QUOTA_EXCEEDED]: "Broker: Throttling quota has been exceeded",
  [ErrorCode.PRODUCER_FENCED]:
    "Broker: There is a newer producer with the same transactionalId which fences the current one",
  [ErrorCode.RESOURCE_NOT_FOUND]: "Broker: Request illegally referred to resource that does not exist",
  [ErrorCode.DUPLICATE_RESOURCE]: "Broker: Request illegally referred to the same resource twice",
  [ErrorCode.UNACCEPTABLE_CREDENTIAL]: "Broker: Requested credential would not meet criteria for acceptability",
  [ErrorCode.INCONSISTENT_VOTER_SET]:
    "Broker: Indicates that the either the sender or recipient of a voter-only request is not " +
    "one of the expected voters",
  [ErrorCode.INVALID_UPDATE_VERSION]: "Broker: Invalid update version",
  [ErrorCode.FEATURE_UPDATE_FAILED]: "Broker: Unable to update finalized features due to server error",
  [ErrorCode.PRINCIPAL_DESERIALIZATION_FAILURE]: "Broker: Request principal deserialization failed during forwarding",
  [ErrorCode._LOG_TRUNCATION]: "Local: Partition log truncation detected",
  [ErrorCode._INVALID_DIFFERENT_RECORD]:
    "Local: an invalid record in the same batch caused the failure of this message too",
  [ErrorCode._DESTROY_BROKER]: "Local: Broker handle destroyed without termination",
  [ErrorCode.UNKNOWN_TOPIC_ID]: "Broker: Unknown topic id",
  [ErrorCode.FENCED_MEMBER_EPOCH]: "Broker: The member epoch is fenced by the group coordinator",
  [ErrorCode.UNRELEASED_INSTANCE_ID]: "Broker: The instance ID is still used by another member in the consumer group",
  [ErrorCode.UNSUPPORTED_ASSIGNOR]: "Broker: The assignor or its version range is not supported by the consumer group",
  [ErrorCode.STALE_MEMBER_EPOCH]: "Broker: The member epoch is stale",
  [ErrorCode.UNKNOWN_SUBSCRIPTION_ID]:
    "Broker: Client sent a push telemetry request with an invalid or outdated subscription ID",
  [ErrorCode.TELEMETRY_TOO_LARGE]:
    "Broker: Client sent a push telemetry request larger than the maximum size the broker will accept",
  [ErrorCode.REBOOTSTRAP_REQUIRED]:
    "Broker: Client metadata is stale, client should rebootstrap to obtain new metadata",
});

/**
 * Error codes that are transient by nature, so the failed operation may succeed if retried
 * (typically after a metadata refresh or a backoff).
 *
 * @example
 * ```ts
 * if (RETRIABLE_CODES.has(err)) {
 *   await sleep(backoffMs);
 *   return retry();
 * }
 * ```
 */
export const RETRIABLE_CODES: ReadonlySet<number> = new Set<number>([
  // Broker errors: those the Kafka protocol marks retriable (org.apache.kafka.common.errors
  // RetriableException subclasses, "Retriable: True" in the protocol guide's error table).
  ErrorCode.INVALID_MSG,
  ErrorCode.UNKNOWN_TOPIC_OR_PART,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_FOR_PARTITION,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.NOT_CONTROLLER,
  ErrorCode.CONCURRENT_TRANSACTIONS,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.FETCH_SESSION_ID_NOT_FOUND,
  ErrorCode.INVALID_FETCH_SESSION_EPOCH,
  ErrorCode.LISTENER_NOT_FOUND,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.OFFSET_NOT_AVAILABLE,
  ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
  ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
  ErrorCode.ELECTION_NOT_NEEDED,
  ErrorCode.UNSTABLE_OFFSET_COMMIT,
  ErrorCode.THROTTLING_QUOTA_EXCEEDED,
  ErrorCode.UNKNOWN_TOPIC_ID,
  // Local errors: transient transport, timeout and back-pressure conditions in librdkafka.
  ErrorCode._TRANSPORT,
  ErrorCode._RESOLVE,
  ErrorCode._MSG_TIMED_OUT,
  ErrorCode._ALL_BROKERS_DOWN,
  ErrorCode._TIMED_OUT,
  ErrorCode._QUEUE_FULL,
  ErrorCode._WAIT_COORD,
  ErrorCode._TIMED_OUT_QUEUE,
]);

const NAMES_BY_CODE: ReadonlyMap<number, string> = new Map<number, string>(
  Object.entries(ErrorCode).map(([name, code]) => [code, name]),
);

/**
 * Returns the librdkafka name of an error code (without the `RD_KAFKA_RESP_ERR_` prefix),
 * or `"UNKNOWN_<code>"` if the code is not in librdkafka 2.0.2's table.
 *
 * @example
 * ```ts
 * errorCodeName(-184); // "_QUEUE_FULL"
 * errorCodeName(10); // "MSG_SIZE_TOO_LARGE"
 * errorCodeName(12345); // "UNKNOWN_12345"
 * ```
 */
export function errorCodeName(code: number): string {
  return NAMES_BY_CODE.get(code) ?? `UNKNOWN_${code}`;
}
