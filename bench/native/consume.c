/*
 * The ceiling for bench/consume.ts: librdkafka's consumer driven from C, with no FFI.
 *
 * Pre-produces N messages of S bytes to a new topic, spread evenly over its
 * partitions (partition i % P; P from the same formula as bench/consume.ts, because
 * the mock cluster keeps only about 5 MiB and 100 000 messages per partition), on an
 * in-process mock cluster unless KAFKA_BOOTSTRAP is set. Then, REPS times, a fresh
 * consumer (librdkafka defaults, a random group.id, no auto-commit) assigns every
 * partition from offset 0 and reads the N messages with rd_kafka_consumer_poll,
 * touching each message's length only (no copy). The clock runs from the first
 * message to the last, as in consume.ts.
 *
 *   gcc -O2 -o consume consume.c -lrdkafka && ./consume N SIZE REPS
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

static void produce_all(const char *bootstrap, const char *topic, long n, int size, int parts) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", bootstrap);
  set(conf, "message.max.bytes", "4194304");
  set(conf, "batch.size", "1048576");
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) die(err);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  char *payload = malloc(size);
  memset(payload, 'a', size);
  for (long i = 0; i < n; i++)
    while (rd_kafka_produce(rkt, (int32_t)(i % parts), RD_KAFKA_MSG_F_COPY, payload, size, NULL, 0, NULL) == -1)
      rd_kafka_poll(rk, 10);
  while (rd_kafka_outq_len(rk) > 0) rd_kafka_poll(rk, 50);
  free(payload);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
}

/* Reads n messages from offset 0 of every partition; returns msg/s from the first message to the last. */
static double consume_all(const char *bootstrap, const char *topic, long n, int parts, long *bytes) {
  char err[512], group[64];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  snprintf(group, sizeof group, "bench-native-%ld-%d", (long)time(NULL), rand());
  set(conf, "bootstrap.servers", bootstrap);
  set(conf, "group.id", group);
  set(conf, "enable.auto.commit", "false");
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) die(err);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(parts);
  for (int p = 0; p < parts; p++) rd_kafka_topic_partition_list_add(list, topic, p)->offset = 0;
  if (rd_kafka_assign(rk, list)) die("assign");
  rd_kafka_topic_partition_list_destroy(list);
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
    /* A real broker: the topic is auto-created with the broker's default partition count. */
    fprintf(stderr, "consume.c: KAFKA_BOOTSTRAP set; topic %s must allow %d partitions (auto-create)\n", topic, parts);
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
  if (mc) rd_kafka_mock_cluster_destroy(mc);
  if (mock_rk) rd_kafka_destroy(mock_rk);
  return 0;
}
