/*
 * The ceiling for bench/consume.ts: librdkafka's consumer driven from C, with no FFI.
 *
 * Pre-produces N messages of S bytes to a new topic, spread evenly over its
 * partitions (partition i % P; P from the same formula as bench/consume.ts, because
 * the mock cluster keeps only about 5 MiB and 100 000 messages per partition), on an
 * in-process mock cluster, or created (and deleted at the end) with the Admin API
 * on the broker at KAFKA_BOOTSTRAP. Then, REPS times, a fresh consumer (a random
 * group.id, no auto-commit, the prefetch queue below) assigns every partition
 * from offset 0 and reads the N messages with rd_kafka_consumer_poll,
 * touching each message's length only (no copy). The clock runs from the first
 * message to the last, as in consume.ts.
 *
 *   gcc -O2 -o consume consume.c -lrdkafka -lm && ./consume N SIZE REPS [big|default] [PREFILL_MS]
 *
 * The fourth argument sets the prefetch queue as consume.ts's --queue: "big" (the
 * default) gives it room for the whole data set (queued.min.messages 10000000,
 * queued.max.messages.kbytes 2097151), so that librdkafka 2.0.2's up-to-1-s fetch
 * backoff at a full queue (confluentinc/librdkafka#2879) stays out of the figures;
 * "default" keeps librdkafka's defaults. A fifth argument, PREFILL_MS, waits that long
 * after assign() before reading (consume.ts's --prefill): with the big queue the data
 * set is then fetched already, and the clock measures only the polling loop.
 *
 * Prints one line per repetition: "msg/s=<rate> MB/s=<rate> partitions=<P>".
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what) {
  fprintf(stderr, "consume.c: %s\n", what);
  exit(1);
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
  char err[512];
  if (rd_kafka_conf_set(conf, k, v, err, sizeof err)) die(err);
}

/* The same as partitionsFor() in bench/consume.ts. */
static int partitions_for(long count, int size) {
  long p = (long)ceil(count * (double)(size + 64) / (3.0 * 1024 * 1024));
  long by_count = (count + 59999) / 60000;
  if (by_count > p) p = by_count;
  if (p < 8) p = 8;
  if (p > 256) p = 256;
  return (int)p;
}

/* A real broker: creates the topic with the Admin API and waits until its metadata shows every partition. */
static void create_topic(const char *bootstrap, const char *topic, int parts) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", bootstrap);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) die(err);
  rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, parts, 1, err, sizeof err);
  if (!nt) die(err);
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
  if (!ev) die("CreateTopics: no answer within 30 s");
  size_t cnt;
  const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
  if (cnt != 1 || rd_kafka_topic_result_error(res[0])) die(cnt ? rd_kafka_topic_result_error_string(res[0]) : "CreateTopics");
  rd_kafka_event_destroy(ev);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  for (int tries = 0;; tries++) {
    const struct rd_kafka_metadata *md;
    int ready = 0;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ready = md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt == parts;
      for (int i = 0; ready && i < md->topics[0].partition_cnt; i++) ready = md->topics[0].partitions[i].leader >= 0;
      rd_kafka_metadata_destroy(md);
    }
    if (ready) break;
    if (tries > 100) die("the new topic's partitions have no leader");
    rd_kafka_poll(rk, 100);
  }
  rd_kafka_topic_destroy(rkt);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
}

static void delete_topic(const char *bootstrap, const char *topic) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", bootstrap);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) die(err);
  rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_DeleteTopics(rk, &dt, 1, NULL, q);
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000); /* best effort: the result is not checked */
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_DeleteTopic_destroy(dt);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
}

static long delivery_failures = 0;
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk, (void)opaque;
  if (m->err) delivery_failures++;
}

static void produce_all(const char *bootstrap, const char *topic, long n, int size, int parts) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", bootstrap);
  set(conf, "message.max.bytes", "4194304");
  set(conf, "batch.size", "1048576");
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) die(err);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  char *payload = malloc(size);
  memset(payload, 'a', size);
  for (long i = 0; i < n; i++)
    while (rd_kafka_produce(rkt, (int32_t)(i % parts), RD_KAFKA_MSG_F_COPY, payload, size, NULL, 0, NULL) == -1)
      rd_kafka_poll(rk, 10);
  while (rd_kafka_outq_len(rk) > 0) rd_kafka_poll(rk, 50);
  if (delivery_failures) die("pre-produce: some messages were not delivered");
  free(payload);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
}

/* Reads n messages from offset 0 of every partition; returns msg/s from the first message to the last. */
static int big_queue = 1;
static int prefill_ms = 0;

static double consume_all(const char *bootstrap, const char *topic, long n, int parts, long *bytes) {
  char err[512], group[64];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  snprintf(group, sizeof group, "bench-native-%ld-%d", (long)time(NULL), rand());
  set(conf, "bootstrap.servers", bootstrap);
  set(conf, "group.id", group);
  set(conf, "enable.auto.commit", "false");
  if (big_queue) {
    set(conf, "queued.min.messages", "10000000");
    set(conf, "queued.max.messages.kbytes", "2097151");
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) die(err);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(parts);
  for (int p = 0; p < parts; p++) rd_kafka_topic_partition_list_add(list, topic, p)->offset = 0;
  if (rd_kafka_assign(rk, list)) die("assign");
  rd_kafka_topic_partition_list_destroy(list);
  if (prefill_ms > 0) {
    struct timespec ts = {prefill_ms / 1000, (prefill_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  long got = 0;
  double t0 = 0, t1 = 0, idle_since = now_s();
  *bytes = 0;
  while (got < n) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    if (!m) {
      if (now_s() - idle_since > 30) die("no message for 30 s");
      continue;
    }
    if (m->err) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) fprintf(stderr, "consume.c: %s\n", rd_kafka_message_errstr(m));
    } else {
      if (got == 0) t0 = now_s();
      got++;
      *bytes += (long)m->len;
    }
    rd_kafka_message_destroy(m);
    idle_since = now_s();
  }
  t1 = now_s();
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return (n - 1) / (t1 - t0);
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  int size = argc > 2 ? atoi(argv[2]) : 100;
  int reps = argc > 3 ? atoi(argv[3]) : 3;
  if (argc > 4) big_queue = strcmp(argv[4], "default") != 0;
  if (argc > 5) prefill_ms = atoi(argv[5]);
  int parts = partitions_for(n, size);
  char topic[64];
  srand((unsigned)time(NULL));
  snprintf(topic, sizeof topic, "bench-consume-native-%d-%d", size, rand());
  const char *bootstrap = getenv("KAFKA_BOOTSTRAP");
  rd_kafka_t *mock_rk = NULL;
  rd_kafka_mock_cluster_t *mc = NULL;
  if (!bootstrap || !*bootstrap) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "log_level", "3");
    mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!mock_rk) die(err);
    mc = rd_kafka_mock_cluster_new(mock_rk, 1);
    if (!mc) die("mock cluster");
    rd_kafka_mock_topic_create(mc, topic, parts, 1);
    bootstrap = rd_kafka_mock_cluster_bootstraps(mc);
  } else {
    create_topic(bootstrap, topic, parts);
  }
  produce_all(bootstrap, topic, n, size, parts);
  /* Warm-up: a tenth, not measured. */
  long bytes;
  consume_all(bootstrap, topic, n / 10 > 0 ? n / 10 : 1, parts, &bytes);
  for (int r = 0; r < reps; r++) {
    double rate = consume_all(bootstrap, topic, n, parts, &bytes);
    if (bytes != n * (long)size) die("read the wrong number of bytes");
    printf("msg/s=%.0f MB/s=%.1f partitions=%d\n", rate, rate * size / 1e6, parts);
    fflush(stdout);
  }
  if (!mc) delete_topic(bootstrap, topic);
  if (mc) rd_kafka_mock_cluster_destroy(mc);
  if (mock_rk) rd_kafka_destroy(mock_rk);
  return 0;
}
