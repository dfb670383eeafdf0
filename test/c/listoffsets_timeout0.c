/*
 * librdkafka 2.12: rd_kafka_ListOffsets() with a request timeout of 0 frees the
 * request twice. The timeout timer fires at once on librdkafka's main thread
 * while rd_kafka_topic_partition_list_query_leaders_async() still runs the
 * request on the caller's thread: within the 3,000 calls below glibc aborts
 * ("double free or corruption", "free(): invalid pointer") or the process
 * segfaults, in 8 runs of 8 here.
 * With a timeout of 1,000 ms: 3,000 answered, every run. kafka-fast never gives
 * librdkafka an admin request timeout below 1 s (src/admin_core.ts,
 * MIN_REQUEST_TIMEOUT_MS) and keeps shorter ones with a timer of its own.
 * Found by the fuzzer (seed 7006); docs/RELIABILITY.md.
 *
 *   S=.cache/librdkafka-2.12/node_modules/node-rdkafka
 *   gcc -I$S/deps/librdkafka/src -o /tmp/lo0 test/c/listoffsets_timeout0.c \
 *     $S/build/deps/librdkafka.so.1 -Wl,-rpath,$PWD/$S/build/deps && /tmp/lo0
 */
#include <stdio.h>
#include <string.h>
#include "rdkafka.h"
#include "rdkafka_mock.h"
int main(void) {
  char err[512];
  rd_kafka_conf_t *mc = rd_kafka_conf_new();
  rd_kafka_t *mrk = rd_kafka_new(RD_KAFKA_PRODUCER, mc, err, sizeof err);
  rd_kafka_mock_cluster_t *m = rd_kafka_mock_cluster_new(mrk, 1);
  rd_kafka_mock_topic_create(m, "t", 2, 1);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", rd_kafka_mock_cluster_bootstraps(m), err, sizeof err);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  int ok = 0, failed = 0;
  for (int i = 0; i < 3000; i++) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, "t", i % 2)->offset = RD_KAFKA_OFFSET_SPEC_LATEST;
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_ANY);
    rd_kafka_AdminOptions_set_request_timeout(o, 0, err, sizeof err);
    rd_kafka_ListOffsets(rk, l, o, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 10000);
    if (ev && !rd_kafka_event_error(ev)) ok++; else failed++;
    if (ev) rd_kafka_event_destroy(ev);
  }
  printf("3000 ListOffsets with request timeout 0: %d answered, %d failed\n", ok, failed);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  rd_kafka_mock_cluster_destroy(m);
  rd_kafka_destroy(mrk);
  return 0;
}
