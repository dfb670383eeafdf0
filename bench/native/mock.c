/*
 * librdkafka's mock cluster as a standalone server, so that every client of the
 * benchmark (also JavaScript clients that cannot start an in-process mock) runs
 * against the same mock brokers.
 *
 *   gcc -O2 -Wall -Wextra -o bench/native/build/mock bench/native/mock.c -lrdkafka
 *   bench/native/build/mock [brokers]        # default 1 broker
 *
 * Protocol, one line each way, stdout flushed after every line:
 *   out: BOOTSTRAP 127.0.0.1:port[,...]      once the cluster listens
 *   in:  topic NAME PARTITIONS               creates the topic (replication factor 1)
 *   out: ok NAME | error <what>
 * At end of stdin the cluster is destroyed and the program exits 0. The mock has no
 * CreateTopics API, hence the commands. Keep in mind that a mock partition keeps only
 * about 5 MiB / 100 000 messages and silently drops older ones.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *fmt, const char *arg) {
  printf("error ");
  printf(fmt, arg);
  printf("\n");
  fflush(stdout);
  exit(1);
}

/* Handles one command line (without its newline) and answers it. */
static void handle(rd_kafka_mock_cluster_t *mc, char *line) {
  char name[512], extra;
  int partitions;
  if (line[0] == '\0') return;
  if (sscanf(line, "topic %511s %d %c", name, &partitions, &extra) != 2) {
    printf("error expected \"topic NAME PARTITIONS\", got \"%s\"\n", line);
  } else if (partitions < 1) {
    printf("error %s: partitions must be >= 1\n", name);
  } else {
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, name, partitions, 1);
    if (err) printf("error %s: %s\n", name, rd_kafka_err2str(err));
    else printf("ok %s\n", name);
  }
  fflush(stdout);
}

int main(int argc, char **argv) {
  char err[512];
  int brokers = argc > 1 ? atoi(argv[1]) : 1;
  if (brokers < 1) die("brokers must be >= 1, got \"%s\"", argv[1]);
  signal(SIGPIPE, SIG_IGN); /* a gone reader shows as a failed write, not a crash */

  /* A handle that never connects anywhere: it only hosts the mock cluster's thread. */
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err) != RD_KAFKA_CONF_OK) die("%s", err);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) die("%s", err);
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) die("%s", "could not start the mock cluster");
  printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);

  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, stdin)) != -1) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    handle(mc, line);
  }
  free(line);
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
