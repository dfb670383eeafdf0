/**
 * librdkafka's Admin API and the cluster queries that wait, declared once for both
 * runtimes (merged into `SYMBOLS` by `symbols.ts`).
 *
 * Order follows `rdkafka.h`. Every admin request is fire-and-forget: it copies its
 * arguments and options, returns at once, and answers with one result event on the
 * queue it was given, tagged with the options' opaque (our integer request id).
 * Result objects belong to that event and die with it. `since` marks functions newer
 * than 2.0.2 (the versions are those of the first librdkafka header that has them).
 * The calls that wait for a broker (`rd_kafka_metadata`, `rd_kafka_controllerid`,
 * `rd_kafka_clusterid`) have background variants only (DESIGN.md rule 1).
 *
 * @module
 */
import type { SymbolSpec } from "./types.ts";

const s = (
  parameters: SymbolSpec["parameters"],
  result: SymbolSpec["result"],
  extra: Omit<SymbolSpec, "parameters" | "result"> = {},
): SymbolSpec => ({ parameters, result, ...extra });

const V2_2 = { since: "2.2.0" } as const;
const V2_3 = { since: "2.3.0" } as const;
const V2_6 = { since: "2.6.0" } as const;
const V2_10 = { since: "2.10.0" } as const;

/**
 * The admin functions kafka-fast calls.
 *
 * @example
 * ```ts
 * import { ADMIN_SYMBOLS } from "./symbols_admin.ts";
 * console.log(ADMIN_SYMBOLS.rd_kafka_DescribeTopics.since); // "2.3.0"
 * ```
 */
export const ADMIN_SYMBOLS = {
  // --- cluster queries that wait: background only -------------------------
  // Out-parameters are addresses of off-heap buffers: on Bun the call runs in a
  // Worker, where a Uint8Array would arrive as a copy.
  rd_kafka_metadata: s(
    [
      "ptr", /* rd_kafka_t *rk */
      "i32", /* int all_topics */
      "ptr", /* rd_kafka_topic_t *only_rkt */
      "ptr", /* const struct rd_kafka_metadata **metadatap */
      "i32", /* int timeout_ms */
    ],
    "i32",
    { background: true },
  ),
  rd_kafka_metadata_destroy: s(["ptr" /* const struct rd_kafka_metadata *metadata */], "void"),
  rd_kafka_controllerid: s(["ptr", /* rd_kafka_t *rk */ "i32" /* int timeout_ms */], "i32", { background: true }),
  // char * (free with rd_kafka_mem_free), or NULL
  rd_kafka_clusterid: s(["ptr", /* rd_kafka_t *rk */ "i32" /* int timeout_ms */], "ptr", { background: true }),

  // --- nodes, group states --------------------------------------------------
  rd_kafka_Node_id: s(["ptr" /* const rd_kafka_Node_t *node */], "i32"),
  rd_kafka_Node_host: s(["ptr" /* const rd_kafka_Node_t *node */], "ptr"),
  rd_kafka_Node_port: s(["ptr" /* const rd_kafka_Node_t *node */], "i32"), // uint16_t: mask it
  rd_kafka_Node_rack: s(["ptr" /* const rd_kafka_Node_t *node */], "ptr", V2_3),
  rd_kafka_consumer_group_state_name: s(["i32" /* rd_kafka_consumer_group_state_t state */], "ptr"),
  rd_kafka_consumer_group_type_name: s(["i32" /* rd_kafka_consumer_group_type_t type */], "ptr", V2_6),

  // --- result events ----------------------------------------------------------
  rd_kafka_event_CreateTopics_result: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr"),
  rd_kafka_event_DeleteTopics_result: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr"),
  rd_kafka_event_CreatePartitions_result: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr"),
  rd_kafka_event_AlterConfigs_result: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr"),
  rd_kafka_event_IncrementalAlterConfigs_result: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr", V2_2),
  rd_kafka_event_DescribeConfigs_result: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr"),
  rd_kafka_event_DeleteRecords_result: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr"),
  rd_kafka_event_ListConsumerGroups_result: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr"),
  rd_kafka_event_DescribeConsumerGroups_result: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr"),
  rd_kafka_event_DescribeTopics_result: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr", V2_3),
  rd_kafka_event_DescribeCluster_result: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr", V2_3),
  rd_kafka_event_DeleteGroups_result: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr"),
  rd_kafka_event_DeleteConsumerGroupOffsets_result: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr"),
  rd_kafka_event_CreateAcls_result: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr"),
  rd_kafka_event_DescribeAcls_result: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr"),
  rd_kafka_event_DeleteAcls_result: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr"),
  rd_kafka_event_ListConsumerGroupOffsets_result: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr"),
  rd_kafka_event_AlterConsumerGroupOffsets_result: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr"),
  rd_kafka_event_ListOffsets_result: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr", V2_3),
  rd_kafka_event_DescribeUserScramCredentials_result: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr", V2_2),
  rd_kafka_event_AlterUserScramCredentials_result: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr", V2_2),

  // --- per-object results -------------------------------------------------------
  rd_kafka_topic_result_error: s(["ptr" /* const rd_kafka_topic_result_t *topicres */], "i32"),
  rd_kafka_topic_result_error_string: s(["ptr" /* const rd_kafka_topic_result_t *topicres */], "ptr"),
  rd_kafka_topic_result_name: s(["ptr" /* const rd_kafka_topic_result_t *topicres */], "ptr"),
  // const rd_kafka_error_t * (owned by the result: never destroyed by us)
  rd_kafka_group_result_error: s(["ptr" /* const rd_kafka_group_result_t *groupres */], "ptr"),
  rd_kafka_group_result_name: s(["ptr" /* const rd_kafka_group_result_t *groupres */], "ptr"),
  rd_kafka_group_result_partitions: s(["ptr" /* const rd_kafka_group_result_t *groupres */], "ptr"),

  // --- options ------------------------------------------------------------------
  rd_kafka_AdminOptions_new: s(["ptr", /* rd_kafka_t *rk */ "i32" /* rd_kafka_admin_op_t for_api */], "ptr"),
  rd_kafka_AdminOptions_destroy: s(["ptr" /* rd_kafka_AdminOptions_t *options */], "void"),
  rd_kafka_AdminOptions_set_request_timeout: s([
    "ptr", /* rd_kafka_AdminOptions_t *options */
    "i32", /* int timeout_ms */
    "buf", /* char *errstr */
    "usize", /* size_t errstr_size */
  ], "i32"),
  rd_kafka_AdminOptions_set_operation_timeout: s([
    "ptr", /* rd_kafka_AdminOptions_t *options */
    "i32", /* int timeout_ms */
    "buf", /* char *errstr */
    "usize", /* size_t errstr_size */
  ], "i32"),
  rd_kafka_AdminOptions_set_validate_only: s([
    "ptr", /* rd_kafka_AdminOptions_t *options */
    "i32", /* int true_or_false */
    "buf", /* char *errstr */
    "usize", /* size_t errstr_size */
  ], "i32"),
  rd_kafka_AdminOptions_set_require_stable_offsets: s([
    "ptr", /* rd_kafka_AdminOptions_t *options */
    "i32", /* int true_or_false */
  ], "ptr"), // rd_kafka_error_t *
  rd_kafka_AdminOptions_set_include_authorized_operations: s(
    [
      "ptr", /* rd_kafka_AdminOptions_t *options */
      "i32", /* int true_or_false */
    ],
    "ptr",
    V2_3,
  ),
  rd_kafka_AdminOptions_set_match_consumer_group_states: s([
    "ptr", /* rd_kafka_AdminOptions_t *options */
    "buf", /* const rd_kafka_consumer_group_state_t *consumer_group_states */
    "usize", /* size_t consumer_group_states_cnt */
  ], "ptr"),
  rd_kafka_AdminOptions_set_match_consumer_group_types: s(
    [
      "ptr", /* rd_kafka_AdminOptions_t *options */
      "buf", /* const rd_kafka_consumer_group_type_t *consumer_group_types */
      "usize", /* size_t consumer_group_types_cnt */
    ],
    "ptr",
    V2_6,
  ),
  rd_kafka_AdminOptions_set_isolation_level: s(
    [
      "ptr", /* rd_kafka_AdminOptions_t *options */
      "i32", /* rd_kafka_IsolationLevel_t value */
    ],
    "ptr",
    V2_3,
  ),
  rd_kafka_AdminOptions_set_opaque: s(["ptr", /* options */ "usize" /* void *ev_opaque (an integer id) */], "void"),

  // --- topics ---------------------------------------------------------------------
  rd_kafka_NewTopic_new: s([
    "buf", /* const char *topic */
    "i32", /* int num_partitions */
    "i32", /* int replication_factor */
    "buf", /* char *errstr */
    "usize", /* size_t errstr_size */
  ], "ptr"),
  rd_kafka_NewTopic_destroy: s(["ptr" /* rd_kafka_NewTopic_t *new_topic */], "void"),
  rd_kafka_NewTopic_set_replica_assignment: s([
    "ptr", /* rd_kafka_NewTopic_t *new_topic */
    "i32", /* int32_t partition */
    "buf", /* int32_t *broker_ids */
    "usize", /* size_t broker_id_cnt */
    "buf", /* char *errstr */
    "usize", /* size_t errstr_size */
  ], "i32"),
  rd_kafka_NewTopic_set_config: s([
    "ptr", /* rd_kafka_NewTopic_t *new_topic */
    "buf", /* const char *name */
    "buf", /* const char *value */
  ], "i32"),
  rd_kafka_CreateTopics: s([
    "ptr", /* rd_kafka_t *rk */
    "buf", /* rd_kafka_NewTopic_t **new_topics */
    "usize", /* size_t new_topic_cnt */
    "ptr", /* const rd_kafka_AdminOptions_t *options */
    "ptr", /* rd_kafka_queue_t *rkqu */
  ], "void"),
  rd_kafka_CreateTopics_result_topics: s(["ptr", /* result */ "buf" /* size_t *cntp */], "ptr"),
  rd_kafka_DeleteTopic_new: s(["buf" /* const char *topic */], "ptr"),
  rd_kafka_DeleteTopic_destroy: s(["ptr" /* rd_kafka_DeleteTopic_t *del_topic */], "void"),
  rd_kafka_DeleteTopics: s([
    "ptr", /* rd_kafka_t *rk */
    "buf", /* rd_kafka_DeleteTopic_t **del_topics */
    "usize", /* size_t del_topic_cnt */
    "ptr", /* const rd_kafka_AdminOptions_t *options */
    "ptr", /* rd_kafka_queue_t *rkqu */
  ], "void"),
  rd_kafka_DeleteTopics_result_topics: s(["ptr", /* result */ "buf" /* size_t *cntp */], "ptr"),
  rd_kafka_NewPartitions_new: s([
    "buf", /* const char *topic */
    "usize", /* size_t new_total_cnt */
    "buf", /* char *errstr */
    "usize", /* size_t errstr_size */
  ], "ptr"),
  rd_kafka_NewPartitions_destroy: s(["ptr" /* rd_kafka_NewPartitions_t *new_parts */], "void"),
  rd_kafka_NewPartitions_set_replica_assignment: s([
    "ptr", /* rd_kafka_NewPartitions_t *new_parts */
    "i32", /* int32_t new_partition_idx */
    "buf", /* int32_t *broker_ids */
    "usize", /* size_t broker_id_cnt */
    "buf", /* char *errstr */
    "usize", /* size_t errstr_size */
  ], "i32"),
  rd_kafka_CreatePartitions: s([
    "ptr", /* rd_kafka_t *rk */
    "buf", /* rd_kafka_NewPartitions_t **new_parts */
    "usize", /* size_t new_parts_cnt */
    "ptr", /* const rd_kafka_AdminOptions_t *options */
    "ptr", /* rd_kafka_queue_t *rkqu */
  ], "void"),
  rd_kafka_CreatePartitions_result_topics: s(["ptr", /* result */ "buf" /* size_t *cntp */], "ptr"),

  // --- configs ----------------------------------------------------------------------
  rd_kafka_ConfigEntry_name: s(["ptr" /* const rd_kafka_ConfigEntry_t *entry */], "ptr"),
  rd_kafka_ConfigEntry_value: s(["ptr" /* const rd_kafka_ConfigEntry_t *entry */], "ptr"),
  rd_kafka_ConfigEntry_source: s(["ptr" /* const rd_kafka_ConfigEntry_t *entry */], "i32"),
  rd_kafka_ConfigEntry_is_read_only: s(["ptr" /* const rd_kafka_ConfigEntry_t *entry */], "i32"),
  rd_kafka_ConfigEntry_is_default: s(["ptr" /* const rd_kafka_ConfigEntry_t *entry */], "i32"),
  rd_kafka_ConfigEntry_is_sensitive: s(["ptr" /* const rd_kafka_ConfigEntry_t *entry */], "i32"),
  rd_kafka_ConfigEntry_is_synonym: s(["ptr" /* const rd_kafka_ConfigEntry_t *entry */], "i32"),
  rd_kafka_ConfigEntry_synonyms: s(["ptr", /* entry */ "buf" /* size_t *cntp */], "ptr"),
  rd_kafka_ConfigResource_new: s(["i32", /* rd_kafka_ResourceType_t restype */ "buf" /* const char *resname */], "ptr"),
  rd_kafka_ConfigResource_destroy: s(["ptr" /* rd_kafka_ConfigResource_t *config */], "void"),
  rd_kafka_ConfigResource_set_config: s([
    "ptr", /* rd_kafka_ConfigResource_t *config */
    "buf", /* const char *name */
    "buf", /* const char *value (NULL: revert to default) */
  ], "i32"),
  rd_kafka_ConfigResource_add_incremental_config: s(
    [
      "ptr", /* rd_kafka_ConfigResource_t *config */
      "buf", /* const char *name */
      "i32", /* rd_kafka_AlterConfigOpType_t op_type */
      "ptr", /* const char *value (NULL for DELETE): an off-heap string or NULL */
    ],
    "ptr",
    V2_2,
  ), // rd_kafka_error_t *
  rd_kafka_ConfigResource_configs: s(["ptr", /* config */ "buf" /* size_t *cntp */], "ptr"),
  rd_kafka_ConfigResource_type: s(["ptr" /* const rd_kafka_ConfigResource_t *config */], "i32"),
  rd_kafka_ConfigResource_name: s(["ptr" /* const rd_kafka_ConfigResource_t *config */], "ptr"),
  rd_kafka_ConfigResource_error: s(["ptr" /* const rd_kafka_ConfigResource_t *config */], "i32"),
  rd_kafka_ConfigResource_error_string: s(["ptr" /* const rd_kafka_ConfigResource_t *config */], "ptr"),
  rd_kafka_AlterConfigs: s([
    "ptr", /* rd_kafka_t *rk */
    "buf", /* rd_kafka_ConfigResource_t **configs */
    "usize", /* size_t config_cnt */
    "ptr", /* const rd_kafka_AdminOptions_t *options */
    "ptr", /* rd_kafka_queue_t *rkqu */
  ], "void"),
  rd_kafka_AlterConfigs_result_resources: s(["ptr", /* result */ "buf" /* size_t *cntp */], "ptr"),
  rd_kafka_IncrementalAlterConfigs: s(
    [
      "ptr", /* rd_kafka_t *rk */
      "buf", /* rd_kafka_ConfigResource_t **configs */
      "usize", /* size_t config_cnt */
      "ptr", /* const rd_kafka_AdminOptions_t *options */
      "ptr", /* rd_kafka_queue_t *rkqu */
    ],
    "void",
    V2_2,
  ),
  rd_kafka_IncrementalAlterConfigs_result_resources: s(["ptr", /* result */ "buf" /* size_t *cntp */], "ptr", V2_2),
  rd_kafka_DescribeConfigs: s([
    "ptr", /* rd_kafka_t *rk */
    "buf", /* rd_kafka_ConfigResource_t **configs */
    "usize", /* size_t config_cnt */
    "ptr", /* const rd_kafka_AdminOptions_t *options */
    "ptr", /* rd_kafka_queue_t *rkqu */
  ], "void"),
  rd_kafka_DescribeConfigs_result_resources: s(["ptr", /* result */ "buf" /* size_t *cntp */], "ptr"),

  // --- records ------------------------------------------------------------------------
  rd_kafka_DeleteRecords_new: s(["ptr" /* const rd_kafka_topic_partition_list_t *before_offsets */], "ptr"),
  rd_kafka_DeleteRecords_destroy: s(["ptr" /* rd_kafka_DeleteRecords_t *del_records */], "void"),
  rd_kafka_DeleteRecords: s([
    "ptr", /* rd_kafka_t *rk */
    "buf", /* rd_kafka_DeleteRecords_t **del_records */
    "usize", /* size_t del_record_cnt */
    "ptr", /* const rd_kafka_AdminOptions_t *options */
    "ptr", /* rd_kafka_queue_t *rkqu */
  ], "void"),
  rd_kafka_DeleteRecords_result_offsets: s(["ptr" /* const rd_kafka_DeleteRecords_result_t *result */], "ptr"),

  // --- topic and cluster descriptions (2.3.0) ---------------------------------------
  rd_kafka_TopicCollection_of_topic_names: s(
    ["buf", /* const char **topics */ "usize" /* size_t topics_cnt */],
    "ptr",
    V2_3,
  ),
  rd_kafka_TopicCollection_destroy: s(["ptr" /* rd_kafka_TopicCollection_t *topics */], "void", V2_3),
  rd_kafka_DescribeTopics: s(
    [
      "ptr", /* rd_kafka_t *rk */
      "ptr", /* const rd_kafka_TopicCollection_t *topics */
      "ptr", /* const rd_kafka_AdminOptions_t *options */
      "ptr", /* rd_kafka_queue_t *rkqu */
    ],
    "void",
    V2_3,
  ),
  rd_kafka_DescribeTopics_result_topics: s(["ptr", /* result */ "buf" /* size_t *cntp */], "ptr", V2_3),
  rd_kafka_TopicDescription_partitions: s(["ptr", /* topicdesc */ "buf" /* size_t *cntp */], "ptr", V2_3),
  rd_kafka_TopicPartitionInfo_partition: s(["ptr" /* const rd_kafka_TopicPartitionInfo_t *partition */], "i32", V2_3),
  rd_kafka_TopicPartitionInfo_leader: s(["ptr" /* const rd_kafka_TopicPartitionInfo_t *partition */], "ptr", V2_3),
  rd_kafka_TopicPartitionInfo_isr: s(["ptr", /* partition */ "buf" /* size_t *cntp */], "ptr", V2_3),
  rd_kafka_TopicPartitionInfo_replicas: s(["ptr", /* partition */ "buf" /* size_t *cntp */], "ptr", V2_3),
  // const rd_kafka_AclOperation_t * (an int array)
  rd_kafka_TopicDescription_authorized_operations: s(["ptr", /* topicdesc */ "buf" /* size_t *cntp */], "ptr", V2_3),
  rd_kafka_TopicDescription_name: s(["ptr" /* const rd_kafka_TopicDescription_t *topicdesc */], "ptr", V2_3),
  rd_kafka_TopicDescription_topic_id: s(["ptr" /* const rd_kafka_TopicDescription_t *topicdesc */], "ptr", V2_3),
  rd_kafka_TopicDescription_is_internal: s(["ptr" /* const rd_kafka_TopicDescription_t *topicdesc */], "i32", V2_3),
  rd_kafka_TopicDescription_error: s(["ptr" /* const rd_kafka_TopicDescription_t *topicdesc */], "ptr", V2_3),
  rd_kafka_Uuid_base64str: s(["ptr" /* const rd_kafka_Uuid_t *uuid */], "ptr", V2_3),
  rd_kafka_DescribeCluster: s(
    [
      "ptr", /* rd_kafka_t *rk */
      "ptr", /* const rd_kafka_AdminOptions_t *options */
      "ptr", /* rd_kafka_queue_t *rkqu */
    ],
    "void",
    V2_3,
  ),
  rd_kafka_DescribeCluster_result_nodes: s(["ptr", /* result */ "buf" /* size_t *cntp */], "ptr", V2_3),
  rd_kafka_DescribeCluster_result_authorized_operations: s(["ptr", /* result */ "buf" /* size_t *cntp */], "ptr", V2_3),
  rd_kafka_DescribeCluster_result_controller: s(["ptr" /* result */], "ptr", V2_3),
  rd_kafka_DescribeCluster_result_cluster_id: s(["ptr" /* result */], "ptr", V2_3),

  // --- consumer groups -------------------------------------------------------------
  rd_kafka_ListConsumerGroups: s([
    "ptr", /* rd_kafka_t *rk */
    "ptr", /* const rd_kafka_AdminOptions_t *options */
    "ptr", /* rd_kafka_queue_t *rkqu */
  ], "void"),
  rd_kafka_ConsumerGroupListing_group_id: s(["ptr" /* const rd_kafka_ConsumerGroupListing_t *grplist */], "ptr"),
  rd_kafka_ConsumerGroupListing_is_simple_consumer_group: s(["ptr" /* grplist */], "i32"),
  rd_kafka_ConsumerGroupListing_state: s(["ptr" /* grplist */], "i32"),
  rd_kafka_ConsumerGroupListing_type: s(["ptr" /* grplist */], "i32", V2_6),
  rd_kafka_ListConsumerGroups_result_valid: s(["ptr", /* result */ "buf" /* size_t *cntp */], "ptr"),
  rd_kafka_ListConsumerGroups_result_errors: s(["ptr", /* result */ "buf" /* size_t *cntp */], "ptr"),
  rd_kafka_DescribeConsumerGroups: s([
    "ptr", /* rd_kafka_t *rk */
    "buf", /* const char **groups */
    "usize", /* size_t groups_cnt */
    "ptr", /* const rd_kafka_AdminOptions_t *options */
    "ptr", /* rd_kafka_queue_t *rkqu */
  ], "void"),
  rd_kafka_DescribeConsumerGroups_result_groups: s(["ptr", /* result */ "buf" /* size_t *cntp */], "ptr"),
  rd_kafka_ConsumerGroupDescription_group_id: s(["ptr" /* grpdesc */], "ptr"),
  rd_kafka_ConsumerGroupDescription_error: s(["ptr" /* grpdesc */], "ptr"),
  rd_kafka_ConsumerGroupDescription_is_simple_consumer_group: s(["ptr" /* grpdesc */], "i32"),
  rd_kafka_ConsumerGroupDescription_partition_assignor: s(["ptr" /* grpdesc */], "ptr"),
  rd_kafka_ConsumerGroupDescription_authorized_operations: s(
    ["ptr", /* grpdesc */ "buf" /* size_t *cntp */],
    "ptr",
    V2_3,
  ),
  rd_kafka_ConsumerGroupDescription_state: s(["ptr" /* grpdesc */], "i32"),
  rd_kafka_ConsumerGroupDescription_coordinator: s(["ptr" /* grpdesc */], "ptr"),
  rd_kafka_ConsumerGroupDescription_type: s(["ptr" /* grpdesc */], "i32", V2_10),
  rd_kafka_ConsumerGroupDescription_member_count: s(["ptr" /* grpdesc */], "usize"),
  rd_kafka_ConsumerGroupDescription_member: s(["ptr", /* grpdesc */ "usize" /* size_t idx */], "ptr"),
  rd_kafka_MemberDescription_client_id: s(["ptr" /* const rd_kafka_MemberDescription_t *member */], "ptr"),
  rd_kafka_MemberDescription_group_instance_id: s(["ptr" /* member */], "ptr"),
  rd_kafka_MemberDescription_consumer_id: s(["ptr" /* member */], "ptr"),
  rd_kafka_MemberDescription_host: s(["ptr" /* member */], "ptr"),
  rd_kafka_MemberDescription_assignment: s(["ptr" /* member */], "ptr"),
  rd_kafka_MemberAssignment_partitions: s(["ptr" /* const rd_kafka_MemberAssignment_t *assignment */], "ptr"),
  rd_kafka_DeleteGroup_new: s(["buf" /* const char *group */], "ptr"),
  rd_kafka_DeleteGroup_destroy: s(["ptr" /* rd_kafka_DeleteGroup_t *del_group */], "void"),
  rd_kafka_DeleteGroups: s([
    "ptr", /* rd_kafka_t *rk */
    "buf", /* rd_kafka_DeleteGroup_t **del_groups */
    "usize", /* size_t del_group_cnt */
    "ptr", /* const rd_kafka_AdminOptions_t *options */
    "ptr", /* rd_kafka_queue_t *rkqu */
  ], "void"),
  rd_kafka_DeleteGroups_result_groups: s(["ptr", /* result */ "buf" /* size_t *cntp */], "ptr"),
  rd_kafka_ListConsumerGroupOffsets_new: s(["buf", /* const char *group_id */ "ptr" /* partitions (or NULL) */], "ptr"),
  rd_kafka_ListConsumerGroupOffsets_destroy: s(["ptr" /* list_grpoffsets */], "void"),
  rd_kafka_ListConsumerGroupOffsets: s([
    "ptr", /* rd_kafka_t *rk */
    "buf", /* rd_kafka_ListConsumerGroupOffsets_t **list_grpoffsets */
    "usize", /* size_t list_grpoffsets_cnt (must be 1) */
    "ptr", /* const rd_kafka_AdminOptions_t *options */
    "ptr", /* rd_kafka_queue_t *rkqu */
  ], "void"),
  rd_kafka_ListConsumerGroupOffsets_result_groups: s(["ptr", /* result */ "buf" /* size_t *cntp */], "ptr"),
  rd_kafka_AlterConsumerGroupOffsets_new: s(["buf", /* const char *group_id */ "ptr" /* partitions */], "ptr"),
  rd_kafka_AlterConsumerGroupOffsets_destroy: s(["ptr" /* alter_grpoffsets */], "void"),
  rd_kafka_AlterConsumerGroupOffsets: s([
    "ptr", /* rd_kafka_t *rk */
    "buf", /* rd_kafka_AlterConsumerGroupOffsets_t **alter_grpoffsets */
    "usize", /* size_t alter_grpoffsets_cnt (must be 1) */
    "ptr", /* const rd_kafka_AdminOptions_t *options */
    "ptr", /* rd_kafka_queue_t *rkqu */
  ], "void"),
  rd_kafka_AlterConsumerGroupOffsets_result_groups: s(["ptr", /* result */ "buf" /* size_t *cntp */], "ptr"),
  rd_kafka_DeleteConsumerGroupOffsets_new: s(["buf", /* const char *group */ "ptr" /* partitions */], "ptr"),
  rd_kafka_DeleteConsumerGroupOffsets_destroy: s(["ptr" /* del_grpoffsets */], "void"),
  rd_kafka_DeleteConsumerGroupOffsets: s([
    "ptr", /* rd_kafka_t *rk */
    "buf", /* rd_kafka_DeleteConsumerGroupOffsets_t **del_grpoffsets */
    "usize", /* size_t del_grpoffsets_cnt (must be 1) */
    "ptr", /* const rd_kafka_AdminOptions_t *options */
    "ptr", /* rd_kafka_queue_t *rkqu */
  ], "void"),
  rd_kafka_DeleteConsumerGroupOffsets_result_groups: s(["ptr", /* result */ "buf" /* size_t *cntp */], "ptr"),

  // --- offsets (2.3.0) -------------------------------------------------------------
  // (declared in rdkafka.h's topic-partition section; used only for ListOffsets results)
  rd_kafka_topic_partition_get_leader_epoch: s(
    ["ptr" /* const rd_kafka_topic_partition_t *rktpar */],
    "i32",
    { since: "2.1.0" },
  ),
  rd_kafka_ListOffsetsResultInfo_topic_partition: s(["ptr" /* result_info */], "ptr", V2_3),
  rd_kafka_ListOffsetsResultInfo_timestamp: s(["ptr" /* result_info */], "i64", V2_3),
  rd_kafka_ListOffsets_result_infos: s(["ptr", /* result */ "buf" /* size_t *cntp */], "ptr", V2_3),
  rd_kafka_ListOffsets: s(
    [
      "ptr", /* rd_kafka_t *rk */
      "ptr", /* rd_kafka_topic_partition_list_t *topic_partitions */
      "ptr", /* const rd_kafka_AdminOptions_t *options */
      "ptr", /* rd_kafka_queue_t *rkqu */
    ],
    "void",
    V2_3,
  ),

  // --- SCRAM credentials (2.2.0) ---------------------------------------------------
  rd_kafka_ScramCredentialInfo_mechanism: s(["ptr" /* scram_credential_info */], "i32", V2_2),
  rd_kafka_ScramCredentialInfo_iterations: s(["ptr" /* scram_credential_info */], "i32", V2_2),
  rd_kafka_UserScramCredentialsDescription_user: s(["ptr" /* description */], "ptr", V2_2),
  rd_kafka_UserScramCredentialsDescription_error: s(["ptr" /* description */], "ptr", V2_2),
  rd_kafka_UserScramCredentialsDescription_scramcredentialinfo_count: s(["ptr" /* description */], "usize", V2_2),
  rd_kafka_UserScramCredentialsDescription_scramcredentialinfo: s(
    ["ptr", /* description */ "usize" /* size_t idx */],
    "ptr",
    V2_2,
  ),
  rd_kafka_DescribeUserScramCredentials_result_descriptions: s(
    ["ptr", /* result */ "buf" /* size_t *cntp */],
    "ptr",
    V2_2,
  ),
  rd_kafka_DescribeUserScramCredentials: s(
    [
      "ptr", /* rd_kafka_t *rk */
      "buf", /* const char **users */
      "usize", /* size_t user_cnt */
      "ptr", /* const rd_kafka_AdminOptions_t *options */
      "ptr", /* rd_kafka_queue_t *rkqu */
    ],
    "void",
    V2_2,
  ),
  rd_kafka_UserScramCredentialUpsertion_new: s(
    [
      "buf", /* const char *username */
      "i32", /* rd_kafka_ScramMechanism_t mechanism */
      "i32", /* int32_t iterations */
      "buf", /* const unsigned char *password */
      "usize", /* size_t password_size */
      "ptr", /* const unsigned char *salt (NULL: librdkafka makes one) */
      "usize", /* size_t salt_size */
    ],
    "ptr",
    V2_2,
  ),
  rd_kafka_UserScramCredentialDeletion_new: s(["buf", /* const char *username */ "i32" /* mechanism */], "ptr", V2_2),
  rd_kafka_UserScramCredentialAlteration_destroy: s(["ptr" /* alteration */], "void", V2_2),
  rd_kafka_AlterUserScramCredentials_result_response_user: s(["ptr" /* response */], "ptr", V2_2),
  rd_kafka_AlterUserScramCredentials_result_response_error: s(["ptr" /* response */], "ptr", V2_2),
  rd_kafka_AlterUserScramCredentials_result_responses: s(["ptr", /* result */ "buf" /* size_t *cntp */], "ptr", V2_2),
  rd_kafka_AlterUserScramCredentials: s(
    [
      "ptr", /* rd_kafka_t *rk */
      "buf", /* rd_kafka_UserScramCredentialAlteration_t **alterations */
      "usize", /* size_t alteration_cnt */
      "ptr", /* const rd_kafka_AdminOptions_t *options */
      "ptr", /* rd_kafka_queue_t *rkqu */
    ],
    "void",
    V2_2,
  ),

  // --- ACLs ------------------------------------------------------------------------
  rd_kafka_acl_result_error: s(["ptr" /* const rd_kafka_acl_result_t *aclres */], "ptr"),
  rd_kafka_AclBinding_new: s([
    "i32", /* rd_kafka_ResourceType_t restype */
    "buf", /* const char *name */
    "i32", /* rd_kafka_ResourcePatternType_t resource_pattern_type */
    "buf", /* const char *principal */
    "buf", /* const char *host */
    "i32", /* rd_kafka_AclOperation_t operation */
    "i32", /* rd_kafka_AclPermissionType_t permission_type */
    "buf", /* char *errstr */
    "usize", /* size_t errstr_size */
  ], "ptr"),
  // Filters take NULL for "any" name, principal or host: those are pointers here.
  rd_kafka_AclBindingFilter_new: s([
    "i32", /* rd_kafka_ResourceType_t restype */
    "ptr", /* const char *name (NULL: any) */
    "i32", /* rd_kafka_ResourcePatternType_t resource_pattern_type */
    "ptr", /* const char *principal (NULL: any) */
    "ptr", /* const char *host (NULL: any) */
    "i32", /* rd_kafka_AclOperation_t operation */
    "i32", /* rd_kafka_AclPermissionType_t permission_type */
    "buf", /* char *errstr */
    "usize", /* size_t errstr_size */
  ], "ptr"),
  rd_kafka_AclBinding_restype: s(["ptr" /* const rd_kafka_AclBinding_t *acl */], "i32"),
  rd_kafka_AclBinding_name: s(["ptr" /* acl */], "ptr"),
  rd_kafka_AclBinding_principal: s(["ptr" /* acl */], "ptr"),
  rd_kafka_AclBinding_host: s(["ptr" /* acl */], "ptr"),
  rd_kafka_AclBinding_operation: s(["ptr" /* acl */], "i32"),
  rd_kafka_AclBinding_permission_type: s(["ptr" /* acl */], "i32"),
  rd_kafka_AclBinding_resource_pattern_type: s(["ptr" /* acl */], "i32"),
  rd_kafka_AclBinding_destroy: s(["ptr" /* rd_kafka_AclBinding_t *acl_binding */], "void"),
  rd_kafka_CreateAcls_result_acls: s(["ptr", /* result */ "buf" /* size_t *cntp */], "ptr"),
  rd_kafka_CreateAcls: s([
    "ptr", /* rd_kafka_t *rk */
    "buf", /* rd_kafka_AclBinding_t **new_acls */
    "usize", /* size_t new_acls_cnt */
    "ptr", /* const rd_kafka_AdminOptions_t *options */
    "ptr", /* rd_kafka_queue_t *rkqu */
  ], "void"),
  rd_kafka_DescribeAcls_result_acls: s(["ptr", /* result */ "buf" /* size_t *cntp */], "ptr"),
  rd_kafka_DescribeAcls: s([
    "ptr", /* rd_kafka_t *rk */
    "ptr", /* rd_kafka_AclBindingFilter_t *acl_filter */
    "ptr", /* const rd_kafka_AdminOptions_t *options */
    "ptr", /* rd_kafka_queue_t *rkqu */
  ], "void"),
  rd_kafka_DeleteAcls_result_responses: s(["ptr", /* result */ "buf" /* size_t *cntp */], "ptr"),
  rd_kafka_DeleteAcls_result_response_error: s(["ptr" /* result_response */], "ptr"),
  rd_kafka_DeleteAcls_result_response_matching_acls: s(["ptr", /* result_response */ "buf" /* size_t *cntp */], "ptr"),
  rd_kafka_DeleteAcls: s([
    "ptr", /* rd_kafka_t *rk */
    "buf", /* rd_kafka_AclBindingFilter_t **del_acls */
    "usize", /* size_t del_acls_cnt */
    "ptr", /* const rd_kafka_AdminOptions_t *options */
    "ptr", /* rd_kafka_queue_t *rkqu */
  ], "void"),
} as const satisfies Record<string, SymbolSpec>;
