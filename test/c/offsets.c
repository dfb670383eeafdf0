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

        printf("}\n");
        return 0;
}
