/*
 * The C worker of the benchmark harness: librdkafka driven from C, with no FFI,
 * the ceiling every other client is measured against. It runs one scenario once
 * and prints one line, `RESULT {json}`, as bench/harness/PROTOCOL.md defines.
 *
 *   gcc -O2 -Wall -Wextra -o bench/native/build/bench bench/native/bench.c -lrdkafka
 *   bench/native/build/bench <scenario> <bootstrap> <topic> <size> <count> <partitions> <group>
 *
 * Scenarios (PROTOCOL.md has the full definitions):
 *   produce  warm-up, then `count` keyless messages spread by librdkafka; first send to last ack
 *   consume  high-level consumer in `group` reads the `count` messages the topic holds
 *   latency  linger.ms=0, `count` sends each awaited; p50/p99 from send to delivery report
 *   e2e      producer and consumer in one thread; p50/p99 from send to the consumer having it
 *   fill     `count` messages to partition i % partitions, all acked (the harness's pre-fill)
 *
 * Exit 0 with a result line; on failure `RESULT {"error": "..."}` and exit 1. Every wait
 * has a 120 s deadline, and teardown after the result line is cut short by an alarm,
 * so the worker never hangs. Anything on stderr (librdkafka's log) is ignored by the harness.
 */
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define WAIT_LIMIT_S 120.0   /* PROTOCOL.md: a scenario not done within 120 s fails */
#define TEARDOWN_LIMIT_S 20  /* close/destroy after the result line is printed */
#define LATENCY_WARMUP 100
#define E2E_WARMUP_SEQ UINT32_MAX /* never a sample's sequence number */

typedef struct {
  const char *scenario, *bootstrap, *topic, *group;
  int size, partitions;
  long count;
} spec_t;

/* The measured phase: wall clock and process CPU (all librdkafka threads included). */
typedef struct {
  double t0, cpu0, seconds, cpu_sec;
} phase_t;

/* ---------------------------------------------------------------- output */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void phase_start(phase_t *p) {
  p->t0 = now_s();
  p->cpu0 = cpu_s();
}

static void phase_stop(phase_t *p) {
  p->seconds = now_s() - p->t0;
  p->cpu_sec = cpu_s() - p->cpu0;
}

/* Peak resident set (VmHWM) in MiB, or -1 if /proc is not readable. */
static double rss_peak_mib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  double mib = -1;
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %lf kB", &mib) == 1) {
      mib /= 1024;
      break;
    }
  fclose(f);
  return mib;
}

static void print_json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

/* Prints the error result and exits 1 at once: librdkafka's threads may be stuck,
 * so no destructor runs (the harness has what it needs once the line is out). */
static void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void fail(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fputs("RESULT {\"error\":", stdout);
  print_json_string(msg);
  fputs(",\"runtime\":\"c\"}\n", stdout);
  fflush(stdout);
  _exit(1);
}

static void print_ms(const char *key, double ms, int has) {
  if (has) printf(",\"%s\":%.4f", key, ms);
  else printf(",\"%s\":null", key);
}

/* The result line; p50/p99 only when `latencies` (latency, e2e). */
static void report(const char *mode, long msgs, const phase_t *ph, int latencies, double p50, double p99) {
  printf("RESULT {\"client\":\"c\",\"version\":");
  print_json_string(rd_kafka_version_str());
  printf(",\"mode\":");
  print_json_string(mode);
  printf(",\"msgs\":%ld,\"seconds\":%.6f,\"cpuSec\":%.6f,\"lagP99Ms\":null,\"lagMaxMs\":null", msgs, ph->seconds,
         ph->cpu_sec);
  print_ms("p50Ms", p50, latencies);
  print_ms("p99Ms", p99, latencies);
  double rss = rss_peak_mib();
  if (rss >= 0) printf(",\"rssPeakMiB\":%.1f", rss);
  else printf(",\"rssPeakMiB\":null");
  printf(",\"runtime\":\"c\"}\n");
  fflush(stdout);
}

/* After the result line, closing the clients is courtesy: if it takes too long
 * (a consumer close can wait on the group coordinator), leave with success. */
static void on_teardown_alarm(int sig) {
  (void)sig;
  _exit(0);
}

static void teardown_guard(void) {
  signal(SIGALRM, on_teardown_alarm);
  alarm(TEARDOWN_LIMIT_S);
}

/* ---------------------------------------------------------------- deadlines */

/* Every wait (for one report, for room in the queue, for one e2e message, for the group
 * join plus all of consume) gets WAIT_LIMIT_S of its own. A whole loop of waits does not
 * share one limit: on the mock cluster one e2e sample alone takes fetch.wait.max.ms. */
static double deadline_in(void) {
  return now_s() + WAIT_LIMIT_S;
}

/* The last error librdkafka reported (it retries them), to say why a wait ran out. */
static char g_last_error[512];

static void note_error(const char *who, const char *what) {
  fprintf(stderr, "bench.c: %s: %s\n", who, what);
  snprintf(g_last_error, sizeof g_last_error, "%s: %s", who, what);
}

static void check_deadline(double until, const char *what) {
  if (now_s() <= until) return;
  if (g_last_error[0]) fail("%s: not done after %.0f s (last error: %s)", what, WAIT_LIMIT_S, g_last_error);
  fail("%s: not done after %.0f s", what, WAIT_LIMIT_S);
}

/* ---------------------------------------------------------------- helpers */

static void set(rd_kafka_conf_t *conf, const char *key, const char *value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key, value, err, sizeof err) != RD_KAFKA_CONF_OK) fail("config %s: %s", key, err);
}

/* The same bytes as payload() in bench/harness/common.mjs. */
static unsigned char *payload(int size) {
  unsigned char *v = malloc(size > 0 ? (size_t)size : 1);
  if (!v) fail("out of memory");
  for (int i = 0; i < size; i++) v[i] = (unsigned char)((i * 31 + 7) & 0xff);
  return v;
}

/* The value at quantile q of an ascending array, as quantile() in common.mjs. */
static double quantile(const double *sorted, long n, double q) {
  long i = (long)(n * q);
  return sorted[i < n - 1 ? i : n - 1];
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* ---------------------------------------------------------------- producer */

typedef struct {
  rd_kafka_t *rk;
  rd_kafka_queue_t *q; /* the main queue: delivery reports and errors arrive here as events */
  rd_kafka_topic_t *rkt;
  long sent, acked, failed;
  rd_kafka_resp_err_t first_err;
} producer_t;

/* acks=all, no compression, no idempotence: librdkafka's defaults, spelled out.
 * message.max.bytes 4 MiB as the JavaScript workers set it (so 10 KiB values fit
 * anywhere); it does not change batching, which batch.size (1 MB) bounds. */
static void producer_open(producer_t *p, const spec_t *s, const char *linger_ms) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", s->bootstrap);
  set(conf, "acks", "all");
  set(conf, "compression.codec", "none");
  set(conf, "enable.idempotence", "false");
  set(conf, "linger.ms", linger_ms);
  set(conf, "message.max.bytes", "4194304");
  /* Reports in batches as events: one queue poll drains many messages, no callback per message. */
  rd_kafka_conf_set_events(conf, RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR);
  memset(p, 0, sizeof *p);
  p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!p->rk) fail("producer: %s", err);
  p->q = rd_kafka_queue_get_main(p->rk);
  p->rkt = rd_kafka_topic_new(p->rk, s->topic, NULL);
  if (!p->rkt) fail("topic %s: %s", s->topic, rd_kafka_err2str(rd_kafka_last_error()));
}

static void producer_close(producer_t *p) {
  rd_kafka_topic_destroy(p->rkt);
  rd_kafka_queue_destroy(p->q);
  rd_kafka_destroy(p->rk);
}

/* Serves at most one event (waiting up to timeout_ms); returns 1 if there was one. */
static int producer_serve(producer_t *p, int timeout_ms) {
  rd_kafka_event_t *ev = rd_kafka_queue_poll(p->q, timeout_ms);
  if (!ev) return 0;
  if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_DR) {
    const rd_kafka_message_t *m;
    while ((m = rd_kafka_event_message_next(ev))) {
      p->acked++;
      if (m->err) {
        if (!p->failed) p->first_err = m->err;
        p->failed++;
      }
    }
  } else if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_ERROR) {
    /* Transport errors are retried by librdkafka; only a fatal one ends the run. */
    if (rd_kafka_event_error_is_fatal(ev)) fail("producer: fatal: %s", rd_kafka_event_error_string(ev));
    note_error("producer", rd_kafka_event_error_string(ev));
  }
  rd_kafka_event_destroy(ev);
  return 1;
}

/* Enqueues one message (copied); when librdkafka's queue is full, serves reports until
 * there is room: the queue's own limits are the window that bounds memory. */
static void produce_one(producer_t *p, int32_t partition, const void *value, size_t len) {
  double until = 0;
  while (rd_kafka_produce(p->rkt, partition, RD_KAFKA_MSG_F_COPY, (void *)value, len, NULL, 0, NULL) == -1) {
    rd_kafka_resp_err_t err = rd_kafka_last_error();
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) fail("produce: %s", rd_kafka_err2str(err));
    if (until == 0) until = deadline_in();
    producer_serve(p, 100);
    check_deadline(until, "produce: room in the queue");
  }
  p->sent++;
}

/* Serves reports until every message sent has one; any failed report fails the run. */
static void producer_await_all(producer_t *p) {
  double until = deadline_in();
  while (p->acked < p->sent) {
    producer_serve(p, 100);
    check_deadline(until, "delivery reports");
  }
  if (p->failed) fail("%ld of %ld deliveries failed: %s", p->failed, p->sent, rd_kafka_err2str(p->first_err));
}

/* ---------------------------------------------------------------- consumer */

static rd_kafka_t *consumer_open(const spec_t *s, const char *offset_reset) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", s->bootstrap);
  set(conf, "group.id", s->group);
  set(conf, "auto.offset.reset", offset_reset);
  /* librdkafka before 2.2 stops fetching a partition for a whole second once its
   * prefetch queue holds queued.min.messages (confluentinc/librdkafka#2879); kafka-fast's
   * consumer raises the threshold to 1 000 000 on those versions by default, so this
   * ceiling does the same. queued.max.messages.kbytes (64 MiB) still bounds memory. */
  set(conf, "queued.min.messages", "1000000");
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) fail("consumer: %s", err);
  rd_kafka_poll_set_consumer(rk); /* one queue for messages, errors and rebalances */
  rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, s->topic, RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (e) fail("subscribe: %s", rd_kafka_err2str(e));
  return rk;
}

/* A consumer error is reported in a message: fatal ends the run, the rest (e.g. a broker
 * reconnect) librdkafka recovers from, so they are logged only. Returns 1 for a message. */
static int consumer_message_ok(rd_kafka_t *rk, const rd_kafka_message_t *m) {
  if (!m->err) return 1;
  if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
    char why[512];
    rd_kafka_fatal_error(rk, why, sizeof why);
    fail("consumer: fatal: %s", why);
  }
  if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) note_error("consumer", rd_kafka_message_errstr(m));
  return 0;
}

static void consumer_close(rd_kafka_t *rk) {
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
}

/* ---------------------------------------------------------------- scenarios */

/* produce, or fill when `explicit_partitions` (partition i % partitions, no warm-up). */
static void run_produce(const spec_t *s, int explicit_partitions) {
  producer_t p;
  phase_t ph;
  unsigned char *value = payload(s->size);
  producer_open(&p, s, "5");
  if (!explicit_partitions) {
    long warmup = s->count / 10 < 1000 ? s->count / 10 : 1000;
    for (long i = 0; i < warmup; i++) produce_one(&p, RD_KAFKA_PARTITION_UA, value, (size_t)s->size);
    producer_await_all(&p);
  }
  phase_start(&ph);
  for (long i = 0; i < s->count; i++) {
    int32_t partition = explicit_partitions ? (int32_t)(i % s->partitions) : RD_KAFKA_PARTITION_UA;
    produce_one(&p, partition, value, (size_t)s->size);
  }
  producer_await_all(&p);
  phase_stop(&ph);
  const char *mode = explicit_partitions ? "rd_kafka_produce (partition i % partitions)" : "rd_kafka_produce";
  report(mode, s->count, &ph, 0, 0, 0);
  teardown_guard();
  producer_close(&p);
  free(value);
}

static void run_consume(const spec_t *s) {
  phase_t ph = {0};
  long got = 0;
  long long bytes = 0;
  rd_kafka_t *rk = consumer_open(s, "earliest");
  /* The 120 s include the group join (about 3 s), which is not measured. */
  double until = deadline_in();
  while (got < s->count) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    check_deadline(until, "consume");
    if (!m) continue;
    if (consumer_message_ok(rk, m)) {
      if (got == 0) phase_start(&ph); /* the clock starts at the first message */
      got++;
      bytes += (long long)m->len;
    }
    rd_kafka_message_destroy(m);
  }
  phase_stop(&ph);
  if (bytes != (long long)s->count * s->size)
    fail("consumed %lld bytes, expected %lld (%ld x %d)", bytes, (long long)s->count * s->size, s->count, s->size);
  report("rd_kafka_consumer_poll", s->count, &ph, 0, 0, 0);
  teardown_guard();
  consumer_close(rk);
}

static void report_latencies(const char *mode, double *samples, long n, const phase_t *ph) {
  qsort(samples, (size_t)n, sizeof *samples, cmp_double);
  report(mode, n, ph, 1, quantile(samples, n, 0.5) * 1e3, quantile(samples, n, 0.99) * 1e3);
}

static void run_latency(const spec_t *s) {
  producer_t p;
  phase_t ph;
  unsigned char *value = payload(s->size);
  double *samples = malloc((size_t)s->count * sizeof *samples);
  if (!samples) fail("out of memory");
  producer_open(&p, s, "0");
  for (int i = 0; i < LATENCY_WARMUP; i++) {
    produce_one(&p, RD_KAFKA_PARTITION_UA, value, (size_t)s->size);
    producer_await_all(&p);
  }
  phase_start(&ph);
  for (long i = 0; i < s->count; i++) {
    double t0 = now_s();
    produce_one(&p, RD_KAFKA_PARTITION_UA, value, (size_t)s->size);
    producer_await_all(&p); /* the queue poll wakes as soon as the report is enqueued */
    samples[i] = now_s() - t0;
  }
  phase_stop(&ph);
  report_latencies("rd_kafka_produce", samples, s->count, &ph);
  teardown_guard();
  producer_close(&p);
  free(samples);
  free(value);
}

static void put_seq(unsigned char *v, uint32_t seq) {
  v[0] = seq & 0xff, v[1] = (seq >> 8) & 0xff, v[2] = (seq >> 16) & 0xff, v[3] = seq >> 24;
}

static uint32_t get_seq(const unsigned char *v) {
  return v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
}

/* Polls the consumer once (serving the producer's reports too, without waiting, as both
 * live in this one thread); returns the sequence number of a message, or -1 for none. */
static int64_t e2e_poll(producer_t *p, rd_kafka_t *consumer, int timeout_ms) {
  int64_t seq = -1;
  while (producer_serve(p, 0)) {
  }
  rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer, timeout_ms);
  if (!m) return -1;
  if (consumer_message_ok(consumer, m) && m->len >= 4) seq = get_seq(m->payload);
  rd_kafka_message_destroy(m);
  return seq;
}

static void run_e2e(const spec_t *s) {
  producer_t p;
  phase_t ph;
  if (s->size < 4) fail("e2e needs values of at least 4 bytes (the sequence number)");
  unsigned char *value = payload(s->size);
  double *samples = malloc((size_t)s->count * sizeof *samples);
  if (!samples) fail("out of memory");
  producer_open(&p, s, "0");
  rd_kafka_t *consumer = consumer_open(s, "latest");

  /* Warm-up: with offset reset "latest", messages sent before the consumer is assigned
   * and has its start offset are never seen, so keep sending until one arrives. */
  put_seq(value, E2E_WARMUP_SEQ);
  double until = deadline_in(), last_send = 0;
  for (;;) {
    if (now_s() - last_send >= 0.1) {
      produce_one(&p, RD_KAFKA_PARTITION_UA, value, (size_t)s->size);
      last_send = now_s();
    }
    if (e2e_poll(&p, consumer, 10) >= 0) break;
    check_deadline(until, "e2e warm-up");
  }

  phase_start(&ph);
  for (long i = 0; i < s->count; i++) {
    put_seq(value, (uint32_t)i);
    double t0 = now_s();
    produce_one(&p, RD_KAFKA_PARTITION_UA, value, (size_t)s->size);
    /* consumer_poll returns as soon as a message is enqueued; the timeout only bounds how
     * long the producer's reports wait. Other sequence numbers are warm-up leftovers. */
    for (until = deadline_in(); e2e_poll(&p, consumer, 10) != (int64_t)i;) check_deadline(until, "e2e: the consumer");
    samples[i] = now_s() - t0;
  }
  phase_stop(&ph);
  producer_await_all(&p);
  report_latencies("rd_kafka_produce + rd_kafka_consumer_poll", samples, s->count, &ph);
  teardown_guard();
  consumer_close(consumer);
  producer_close(&p);
  free(samples);
  free(value);
}

/* ---------------------------------------------------------------- main */

static long parse_long(const char *arg, const char *name, long min) {
  char *end;
  long v = strtol(arg, &end, 10);
  if (*arg == '\0' || *end != '\0' || v < min) fail("%s: expected an integer >= %ld, got \"%s\"", name, min, arg);
  return v;
}

int main(int argc, char **argv) {
  if (argc != 8)
    fail("usage: bench <produce|consume|latency|e2e|fill> <bootstrap> <topic> <size> <count> <partitions> <group>");
  spec_t s = {
      .scenario = argv[1],
      .bootstrap = argv[2],
      .topic = argv[3],
      .size = (int)parse_long(argv[4], "size", 0),
      .count = parse_long(argv[5], "count", 1),
      .partitions = (int)parse_long(argv[6], "partitions", 1),
      .group = argv[7],
  };
  if (s.size > 4194304) fail("size: at most 4194304 bytes (message.max.bytes)");
  signal(SIGPIPE, SIG_IGN); /* a closed stdout must not kill the worker mid-teardown */
  if (!strcmp(s.scenario, "produce")) run_produce(&s, 0);
  else if (!strcmp(s.scenario, "fill")) run_produce(&s, 1);
  else if (!strcmp(s.scenario, "consume")) run_consume(&s);
  else if (!strcmp(s.scenario, "latency")) run_latency(&s);
  else if (!strcmp(s.scenario, "e2e")) run_e2e(&s);
  else fail("unknown scenario \"%s\" (produce, consume, latency, e2e, fill)", s.scenario);
  return 0;
}
