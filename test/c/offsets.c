/*
 * Prints, as one JSON object, the struct layouts and constants that
 * ffi/constants.ts hard-codes, as the installed librdkafka headers define them.
 * Compiled and run by test/offsets.test.ts; the JSON keys mirror the names in
 * ffi/constants.ts so the test can compare whole objects.
 */
#include <stddef.h>
#include <stdio.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static int first;

static void open_obj(const char *name) {
        printf("%s\"%s\":{", first ? "" : ",", name);
        first = 1;
}
static void close_obj(void) {
        printf("}");
        first = 0;
}
static void field(const char *name, long long value) {
        printf("%s\"%s\":%lld", first ? "" : ",", name, value);
        first = 0;
}

#define OFF(type, member, name) field(name, (long long)offsetof(type, member))
#define SIZE(type) field("size", (long long)sizeof(type))
#define CONST(prefix, name) field(#name, (long long)(prefix##name))

int main(void) {
        printf("{");
        first = 1;

        field("RD_KAFKA_VERSION", (long long)RD_KAFKA_VERSION);

        open_obj("MESSAGE");
        SIZE(rd_kafka_message_t);
        OFF(rd_kafka_message_t, err, "err");
        OFF(rd_kafka_message_t, rkt, "rkt");
        OFF(rd_kafka_message_t, partition, "partition");
        OFF(rd_kafka_message_t, payload, "payload");
        OFF(rd_kafka_message_t, len, "len");
        OFF(rd_kafka_message_t, key, "key");
        OFF(rd_kafka_message_t, key_len, "key_len");
        OFF(rd_kafka_message_t, offset, "offset");
        OFF(rd_kafka_message_t, _private, "_private");
        close_obj();

        open_obj("VU");
        SIZE(rd_kafka_vu_t);
        OFF(rd_kafka_vu_t, vtype, "vtype");
        OFF(rd_kafka_vu_t, u, "u");
        OFF(rd_kafka_vu_t, u.mem.size, "memSize");
        OFF(rd_kafka_vu_t, u.header.val, "headerValue");
        OFF(rd_kafka_vu_t, u.header.size, "headerSize");
        close_obj();

        open_obj("TOPIC_PARTITION");
        SIZE(rd_kafka_topic_partition_t);
        OFF(rd_kafka_topic_partition_t, topic, "topic");
        OFF(rd_kafka_topic_partition_t, partition, "partition");
        OFF(rd_kafka_topic_partition_t, offset, "offset");
        OFF(rd_kafka_topic_partition_t, metadata, "metadata");
        OFF(rd_kafka_topic_partition_t, metadata_size, "metadata_size");
        OFF(rd_kafka_topic_partition_t, opaque, "opaque");
        OFF(rd_kafka_topic_partition_t, err, "err");
        OFF(rd_kafka_topic_partition_t, _private, "_private");
        close_obj();

        open_obj("TOPIC_PARTITION_LIST");
        OFF(rd_kafka_topic_partition_list_t, cnt, "cnt");
        OFF(rd_kafka_topic_partition_list_t, size, "size");
        OFF(rd_kafka_topic_partition_list_t, elems, "elems");
        close_obj();

        open_obj("CONST");
        CONST(RD_KAFKA_, PRODUCER);
        CONST(RD_KAFKA_, CONSUMER);
        CONST(RD_KAFKA_, CONF_UNKNOWN);
        CONST(RD_KAFKA_, CONF_INVALID);
        CONST(RD_KAFKA_, CONF_OK);
        CONST(RD_KAFKA_, PARTITION_UA);
        CONST(RD_KAFKA_, MSG_F_FREE);
        CONST(RD_KAFKA_, MSG_F_COPY);
        CONST(RD_KAFKA_, MSG_F_BLOCK);
        CONST(RD_KAFKA_, MSG_F_PARTITION);
        CONST(RD_KAFKA_, PURGE_F_QUEUE);
        CONST(RD_KAFKA_, PURGE_F_INFLIGHT);
        CONST(RD_KAFKA_, PURGE_F_NON_BLOCKING);
        close_obj();

        open_obj("EVENT");
        CONST(RD_KAFKA_EVENT_, NONE);
        CONST(RD_KAFKA_EVENT_, DR);
        CONST(RD_KAFKA_EVENT_, FETCH);
        CONST(RD_KAFKA_EVENT_, LOG);
        CONST(RD_KAFKA_EVENT_, ERROR);
        CONST(RD_KAFKA_EVENT_, REBALANCE);
        CONST(RD_KAFKA_EVENT_, OFFSET_COMMIT);
        CONST(RD_KAFKA_EVENT_, STATS);
        CONST(RD_KAFKA_EVENT_, OAUTHBEARER_TOKEN_REFRESH);
        close_obj();

        open_obj("VTYPE");
        CONST(RD_KAFKA_VTYPE_, END);
        CONST(RD_KAFKA_VTYPE_, TOPIC);
        CONST(RD_KAFKA_VTYPE_, RKT);
        CONST(RD_KAFKA_VTYPE_, PARTITION);
        CONST(RD_KAFKA_VTYPE_, VALUE);
        CONST(RD_KAFKA_VTYPE_, KEY);
        CONST(RD_KAFKA_VTYPE_, OPAQUE);
        CONST(RD_KAFKA_VTYPE_, MSGFLAGS);
        CONST(RD_KAFKA_VTYPE_, TIMESTAMP);
        CONST(RD_KAFKA_VTYPE_, HEADER);
        CONST(RD_KAFKA_VTYPE_, HEADERS);
        close_obj();

        /* Keyed by the names ffi/constants.ts TIMESTAMP_TYPE uses at each index. */
        open_obj("TIMESTAMP_TYPE");
        field("NotAvailable", (long long)RD_KAFKA_TIMESTAMP_NOT_AVAILABLE);
        field("CreateTime", (long long)RD_KAFKA_TIMESTAMP_CREATE_TIME);
        field("LogAppendTime", (long long)RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME);
        close_obj();

        open_obj("OFFSET");
        CONST(RD_KAFKA_OFFSET_, BEGINNING);
        CONST(RD_KAFKA_OFFSET_, END);
        CONST(RD_KAFKA_OFFSET_, STORED);
        CONST(RD_KAFKA_OFFSET_, INVALID);
        close_obj();

        open_obj("METADATA");
        OFF(rd_kafka_metadata_t, broker_cnt, "broker_cnt");
        OFF(rd_kafka_metadata_t, brokers, "brokers");
        OFF(rd_kafka_metadata_t, topic_cnt, "topic_cnt");
        OFF(rd_kafka_metadata_t, topics, "topics");
        OFF(rd_kafka_metadata_t, orig_broker_id, "orig_broker_id");
        OFF(rd_kafka_metadata_t, orig_broker_name, "orig_broker_name");
        close_obj();

        open_obj("METADATA_BROKER");
        SIZE(rd_kafka_metadata_broker_t);
        OFF(rd_kafka_metadata_broker_t, id, "id");
        OFF(rd_kafka_metadata_broker_t, host, "host");
        OFF(rd_kafka_metadata_broker_t, port, "port");
        close_obj();

        open_obj("METADATA_TOPIC");
        SIZE(rd_kafka_metadata_topic_t);
        OFF(rd_kafka_metadata_topic_t, topic, "topic");
        OFF(rd_kafka_metadata_topic_t, partition_cnt, "partition_cnt");
        OFF(rd_kafka_metadata_topic_t, partitions, "partitions");
        OFF(rd_kafka_metadata_topic_t, err, "err");
        close_obj();

        open_obj("METADATA_PARTITION");
        SIZE(rd_kafka_metadata_partition_t);
        OFF(rd_kafka_metadata_partition_t, id, "id");
        OFF(rd_kafka_metadata_partition_t, err, "err");
        OFF(rd_kafka_metadata_partition_t, leader, "leader");
        OFF(rd_kafka_metadata_partition_t, replica_cnt, "replica_cnt");
        OFF(rd_kafka_metadata_partition_t, replicas, "replicas");
        OFF(rd_kafka_metadata_partition_t, isr_cnt, "isr_cnt");
        OFF(rd_kafka_metadata_partition_t, isrs, "isrs");
        close_obj();

        /* Admin result events; those newer than the headers are left out (the test
         * compares only the names the headers have, and says which it skipped). */
        open_obj("ADMIN_EVENT");
        CONST(RD_KAFKA_EVENT_, CREATETOPICS_RESULT);
        CONST(RD_KAFKA_EVENT_, DELETETOPICS_RESULT);
        CONST(RD_KAFKA_EVENT_, CREATEPARTITIONS_RESULT);
        CONST(RD_KAFKA_EVENT_, ALTERCONFIGS_RESULT);
        CONST(RD_KAFKA_EVENT_, DESCRIBECONFIGS_RESULT);
        CONST(RD_KAFKA_EVENT_, DELETERECORDS_RESULT);
        CONST(RD_KAFKA_EVENT_, DELETEGROUPS_RESULT);
        CONST(RD_KAFKA_EVENT_, DELETECONSUMERGROUPOFFSETS_RESULT);
        CONST(RD_KAFKA_EVENT_, CREATEACLS_RESULT);
        CONST(RD_KAFKA_EVENT_, DESCRIBEACLS_RESULT);
        CONST(RD_KAFKA_EVENT_, DELETEACLS_RESULT);
        CONST(RD_KAFKA_EVENT_, LISTCONSUMERGROUPS_RESULT);
        CONST(RD_KAFKA_EVENT_, DESCRIBECONSUMERGROUPS_RESULT);
        CONST(RD_KAFKA_EVENT_, LISTCONSUMERGROUPOFFSETS_RESULT);
        CONST(RD_KAFKA_EVENT_, ALTERCONSUMERGROUPOFFSETS_RESULT);
#ifdef RD_KAFKA_EVENT_INCREMENTALALTERCONFIGS_RESULT
        CONST(RD_KAFKA_EVENT_, INCREMENTALALTERCONFIGS_RESULT);
        CONST(RD_KAFKA_EVENT_, DESCRIBEUSERSCRAMCREDENTIALS_RESULT);
        CONST(RD_KAFKA_EVENT_, ALTERUSERSCRAMCREDENTIALS_RESULT);
#endif
#ifdef RD_KAFKA_EVENT_DESCRIBETOPICS_RESULT
        CONST(RD_KAFKA_EVENT_, DESCRIBETOPICS_RESULT);
        CONST(RD_KAFKA_EVENT_, DESCRIBECLUSTER_RESULT);
        CONST(RD_KAFKA_EVENT_, LISTOFFSETS_RESULT);
#endif
        close_obj();

        /* Enums, keyed by the names ffi/constants_admin.ts lists at each index. */
        open_obj("ADMIN_ENUMS");
        field("ADMIN_OP_ANY", (long long)RD_KAFKA_ADMIN_OP_ANY);
        field("RESOURCE_UNKNOWN", (long long)RD_KAFKA_RESOURCE_UNKNOWN);
        field("RESOURCE_ANY", (long long)RD_KAFKA_RESOURCE_ANY);
        field("RESOURCE_TOPIC", (long long)RD_KAFKA_RESOURCE_TOPIC);
        field("RESOURCE_GROUP", (long long)RD_KAFKA_RESOURCE_GROUP);
        field("RESOURCE_BROKER", (long long)RD_KAFKA_RESOURCE_BROKER);
#if RD_KAFKA_VERSION >= 0x020600ff
        field("RESOURCE_TRANSACTIONAL_ID", (long long)RD_KAFKA_RESOURCE_TRANSACTIONAL_ID);
#endif
        field("PATTERN_UNKNOWN", (long long)RD_KAFKA_RESOURCE_PATTERN_UNKNOWN);
        field("PATTERN_ANY", (long long)RD_KAFKA_RESOURCE_PATTERN_ANY);
        field("PATTERN_MATCH", (long long)RD_KAFKA_RESOURCE_PATTERN_MATCH);
        field("PATTERN_LITERAL", (long long)RD_KAFKA_RESOURCE_PATTERN_LITERAL);
        field("PATTERN_PREFIXED", (long long)RD_KAFKA_RESOURCE_PATTERN_PREFIXED);
        field("ACL_OPERATION_UNKNOWN", (long long)RD_KAFKA_ACL_OPERATION_UNKNOWN);
        field("ACL_OPERATION_ANY", (long long)RD_KAFKA_ACL_OPERATION_ANY);
        field("ACL_OPERATION_ALL", (long long)RD_KAFKA_ACL_OPERATION_ALL);
        field("ACL_OPERATION_READ", (long long)RD_KAFKA_ACL_OPERATION_READ);
        field("ACL_OPERATION_WRITE", (long long)RD_KAFKA_ACL_OPERATION_WRITE);
        field("ACL_OPERATION_CREATE", (long long)RD_KAFKA_ACL_OPERATION_CREATE);
        field("ACL_OPERATION_DELETE", (long long)RD_KAFKA_ACL_OPERATION_DELETE);
        field("ACL_OPERATION_ALTER", (long long)RD_KAFKA_ACL_OPERATION_ALTER);
        field("ACL_OPERATION_DESCRIBE", (long long)RD_KAFKA_ACL_OPERATION_DESCRIBE);
        field("ACL_OPERATION_CLUSTER_ACTION", (long long)RD_KAFKA_ACL_OPERATION_CLUSTER_ACTION);
        field("ACL_OPERATION_DESCRIBE_CONFIGS", (long long)RD_KAFKA_ACL_OPERATION_DESCRIBE_CONFIGS);
        field("ACL_OPERATION_ALTER_CONFIGS", (long long)RD_KAFKA_ACL_OPERATION_ALTER_CONFIGS);
        field("ACL_OPERATION_IDEMPOTENT_WRITE", (long long)RD_KAFKA_ACL_OPERATION_IDEMPOTENT_WRITE);
        field("ACL_PERMISSION_UNKNOWN", (long long)RD_KAFKA_ACL_PERMISSION_TYPE_UNKNOWN);
        field("ACL_PERMISSION_ANY", (long long)RD_KAFKA_ACL_PERMISSION_TYPE_ANY);
        field("ACL_PERMISSION_DENY", (long long)RD_KAFKA_ACL_PERMISSION_TYPE_DENY);
        field("ACL_PERMISSION_ALLOW", (long long)RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW);
        field("CONFIG_SOURCE_UNKNOWN_CONFIG", (long long)RD_KAFKA_CONFIG_SOURCE_UNKNOWN_CONFIG);
        field("CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG", (long long)RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG);
        field("CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG", (long long)RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG);
        field("CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG",
              (long long)RD_KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG);
        field("CONFIG_SOURCE_STATIC_BROKER_CONFIG", (long long)RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG);
        field("CONFIG_SOURCE_DEFAULT_CONFIG", (long long)RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG);
        field("GROUP_STATE_Unknown", (long long)RD_KAFKA_CONSUMER_GROUP_STATE_UNKNOWN);
        field("GROUP_STATE_PreparingRebalance", (long long)RD_KAFKA_CONSUMER_GROUP_STATE_PREPARING_REBALANCE);
        field("GROUP_STATE_CompletingRebalance", (long long)RD_KAFKA_CONSUMER_GROUP_STATE_COMPLETING_REBALANCE);
        field("GROUP_STATE_Stable", (long long)RD_KAFKA_CONSUMER_GROUP_STATE_STABLE);
        field("GROUP_STATE_Dead", (long long)RD_KAFKA_CONSUMER_GROUP_STATE_DEAD);
        field("GROUP_STATE_Empty", (long long)RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY);
#if RD_KAFKA_VERSION >= 0x020200ff
        field("ALTER_CONFIG_OP_SET", (long long)RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET);
        field("ALTER_CONFIG_OP_DELETE", (long long)RD_KAFKA_ALTER_CONFIG_OP_TYPE_DELETE);
        field("ALTER_CONFIG_OP_APPEND", (long long)RD_KAFKA_ALTER_CONFIG_OP_TYPE_APPEND);
        field("ALTER_CONFIG_OP_SUBTRACT", (long long)RD_KAFKA_ALTER_CONFIG_OP_TYPE_SUBTRACT);
        field("SCRAM_MECHANISM_UNKNOWN", (long long)RD_KAFKA_SCRAM_MECHANISM_UNKNOWN);
        field("SCRAM_MECHANISM_SCRAM-SHA-256", (long long)RD_KAFKA_SCRAM_MECHANISM_SHA_256);
        field("SCRAM_MECHANISM_SCRAM-SHA-512", (long long)RD_KAFKA_SCRAM_MECHANISM_SHA_512);
#endif
#if RD_KAFKA_VERSION >= 0x020300ff
        field("ISOLATION_LEVEL_read_uncommitted", (long long)RD_KAFKA_ISOLATION_LEVEL_READ_UNCOMMITTED);
        field("ISOLATION_LEVEL_read_committed", (long long)RD_KAFKA_ISOLATION_LEVEL_READ_COMMITTED);
        field("OFFSET_SPEC_MAX_TIMESTAMP", (long long)RD_KAFKA_OFFSET_SPEC_MAX_TIMESTAMP);
        field("OFFSET_SPEC_EARLIEST", (long long)RD_KAFKA_OFFSET_SPEC_EARLIEST);
        field("OFFSET_SPEC_LATEST", (long long)RD_KAFKA_OFFSET_SPEC_LATEST);
#endif
#if RD_KAFKA_VERSION >= 0x020600ff
        field("GROUP_TYPE_Unknown", (long long)RD_KAFKA_CONSUMER_GROUP_TYPE_UNKNOWN);
        field("GROUP_TYPE_Consumer", (long long)RD_KAFKA_CONSUMER_GROUP_TYPE_CONSUMER);
        field("GROUP_TYPE_Classic", (long long)RD_KAFKA_CONSUMER_GROUP_TYPE_CLASSIC);
#endif
        close_obj();

        printf("}\n");
        return 0;
}
