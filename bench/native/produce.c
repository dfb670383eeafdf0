/*
 * The ceiling for bench/produce.ts: librdkafka driven from C, with no FFI.
 *
 * Produces N messages of S bytes to a topic (8 partitions, created on an in-process
 * mock cluster unless KAFKA_BOOTSTRAP is set) with the same settings as the
 * TypeScript benchmark (linger.ms=5, RD_KAFKA_MSG_F_COPY, delivery reports as
 * events on the main queue), and waits for every delivery report.
 *
 *   gcc -O2 -o produce produce.c -lrdkafka && ./produce N SIZE REPS
 *
 * Prints one line per repetition: "msg/s=<rate> MB/s=<rate>".
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
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
  fprintf(stderr, "produce.c: %s\n", what);
  exit(1);
}

static rd_kafka_t *new_producer(const char *bootstrap) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof err) ||
      rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err) ||
      rd_kafka_conf_set(conf, "partitioner", "murmur2_random", err, sizeof err) ||
      rd_kafka_conf_set(conf, "message.max.bytes", "4194304", err, sizeof err))
    die(err);
  rd_kafka_conf_set_events(conf, RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) die(err);
  return rk;
}

/* Serves the main queue until `want` delivery reports arrived; returns failures. */
static long wait_reports(rd_kafka_queue_t *q, long *seen, long want) {
  long failed = 0;
  while (*seen < want) {
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 100);
    if (!ev) continue;
    if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_DR) {
      const rd_kafka_message_t *m;
      while ((m = rd_kafka_event_message_next(ev))) {
        (*seen)++;
        if (m->err) failed++;
      }
    }
    rd_kafka_event_destroy(ev);
  }
  return failed;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  int size = argc > 2 ? atoi(argv[2]) : 100;
  int reps = argc > 3 ? atoi(argv[3]) : 3;
  const char *topic = "bench-native";
  const char *bootstrap = getenv("KAFKA_BOOTSTRAP");
  rd_kafka_t *mock_rk = NULL;
  rd_kafka_mock_cluster_t *mc = NULL;
  if (!bootstrap || !*bootstrap) {
    mock_rk = new_producer("");
    mc = rd_kafka_mock_cluster_new(mock_rk, 1);
    if (!mc) die("mock cluster");
    rd_kafka_mock_topic_create(mc, topic, 8, 1);
    bootstrap = rd_kafka_mock_cluster_bootstraps(mc);
  }
  rd_kafka_t *rk = new_producer(bootstrap);
  rd_kafka_queue_t *q = rd_kafka_queue_get_main(rk);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  char *payload = calloc(1, size);
  long seen = 0, sent = 0;

  /* Warm-up: connections and metadata. */
  for (int i = 0; i < 1000; i++, sent++)
    while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, payload, size, NULL, 0, NULL) == -1)
      wait_reports(q, &seen, seen + 1);
  wait_reports(q, &seen, sent);

  for (int r = 0; r < reps; r++) {
    double t0 = now_s();
    long target = sent + n, failed = 0;
    while (sent < target) {
      if (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, payload, size, NULL, 0, NULL) == -1) {
        /* Queue full: serve reports to make room, as the TypeScript client waits. */
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 10);
        if (ev) {
          if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_DR) {
            const rd_kafka_message_t *m;
            while ((m = rd_kafka_event_message_next(ev))) { seen++; if (m->err) failed++; }
          }
          rd_kafka_event_destroy(ev);
        }
        continue;
      }
      sent++;
    }
    failed += wait_reports(q, &seen, sent);
    double dt = now_s() - t0;
    printf("msg/s=%.0f MB/s=%.1f failed=%ld\n", n / dt, n * (double)size / dt / 1e6, failed);
    fflush(stdout);
  }
  rd_kafka_topic_destroy(rkt);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  if (mc) rd_kafka_mock_cluster_destroy(mc);
  if (mock_rk) rd_kafka_destroy(mock_rk);
  free(payload);
  return 0;
}
