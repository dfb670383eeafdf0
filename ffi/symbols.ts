/**
 * The librdkafka symbol table, declared once for both runtimes.
 *
 * Order follows `rdkafka.h` then `rdkafka_mock.h` (librdkafka 2.0.2), with the Admin
 * API in `symbols_admin.ts`; each parameter
 * carries its C type in a comment. `since` marks symbols newer than the minimum
 * supported librdkafka (2.0.2): they are optional, and the loader reports the
 * version a missing one needs. `background: true` adds a second binding that runs
 * off the JS thread, for calls that can wait (DESIGN.md rule 1).
 *
 * @module
 */
import type { SymbolSpec } from "./types.ts";
import { ADMIN_SYMBOLS } from "./symbols_admin.ts";

const s = (
  parameters: SymbolSpec["parameters"],
  result: SymbolSpec["result"],
  extra: Omit<SymbolSpec, "parameters" | "result"> = {},
): SymbolSpec => ({ parameters, result, ...extra });

/**
 * Every librdkafka function kafka-fast calls.
 *
 * @example
 * ```ts
 * import { SYMBOLS } from "./symbols.ts";
 * console.log(SYMBOLS.rd_kafka_produceva.parameters); // ["ptr", "ptr", "usize"]
 * ```
 */
export const SYMBOLS = {
  // --- version and errors -------------------------------------------------
  rd_kafka_version: s([], "i32"),
  rd_kafka_version_str: s([], "ptr"), // const char *
  rd_kafka_err2str: s(["i32" /* rd_kafka_resp_err_t err */], "ptr"),
  rd_kafka_err2name: s(["i32" /* rd_kafka_resp_err_t err */], "ptr"),
  rd_kafka_last_error: s([], "i32"),
  rd_kafka_fatal_error: s([
    "ptr", /* rd_kafka_t *rk */
    "buf", /* char *errstr */
    "usize", /* size_t errstr_size */
  ], "i32"),
  rd_kafka_test_fatal_error: s([
    "ptr", /* rd_kafka_t *rk */
    "i32", /* rd_kafka_resp_err_t err */
    "buf", /* const char *reason */
  ], "i32"),
  rd_kafka_error_code: s(["ptr" /* const rd_kafka_error_t *error */], "i32"),
  rd_kafka_error_string: s(["ptr" /* const rd_kafka_error_t *error */], "ptr"),
  rd_kafka_error_is_fatal: s(["ptr" /* const rd_kafka_error_t *error */], "i32"),
  rd_kafka_error_is_retriable: s(["ptr" /* const rd_kafka_error_t *error */], "i32"),
  rd_kafka_error_txn_requires_abort: s(["ptr" /* const rd_kafka_error_t *error */], "i32"),
  rd_kafka_error_destroy: s(["ptr" /* rd_kafka_error_t *error */], "void"),

  // --- topic partition lists ----------------------------------------------
  rd_kafka_topic_partition_list_new: s(["i32" /* int size */], "ptr"),
  rd_kafka_topic_partition_list_destroy: s(["ptr" /* rd_kafka_topic_partition_list_t *rkparlist */], "void"),
  rd_kafka_topic_partition_list_copy: s(["ptr" /* const rd_kafka_topic_partition_list_t *src */], "ptr"),
  rd_kafka_topic_partition_destroy: s(["ptr" /* rd_kafka_topic_partition_t *rktpar */], "void"),
  rd_kafka_topic_partition_list_add: s([
    "ptr", /* rd_kafka_topic_partition_list_t *rktparlist */
    "buf", /* const char *topic */
    "i32", /* int32_t partition */
  ], "ptr"), // rd_kafka_topic_partition_t *
  rd_kafka_topic_partition_list_set_offset: s([
    "ptr", /* rd_kafka_topic_partition_list_t *rktparlist */
    "buf", /* const char *topic */
    "i32", /* int32_t partition */
    "i64", /* int64_t offset */
  ], "i32"),

  // --- messages and headers -----------------------------------------------
  rd_kafka_headers_new: s(["usize" /* size_t initial_count */], "ptr"),
  rd_kafka_headers_destroy: s(["ptr" /* rd_kafka_headers_t *hdrs */], "void"),
  rd_kafka_header_add: s([
    "ptr", /* rd_kafka_headers_t *hdrs */
    "buf", /* const char *name */
    "isize", /* ssize_t name_size */
    "buf", /* const void *value */
    "isize", /* ssize_t value_size */
  ], "i32"),
  rd_kafka_message_destroy: s(["ptr" /* rd_kafka_message_t *rkmessage */], "void"),
  rd_kafka_message_timestamp: s([
    "ptr", /* const rd_kafka_message_t *rkmessage */
    "buf", /* rd_kafka_timestamp_type_t *tstype */
  ], "i64"),
  // The same function taking the message's address as an integer: delivery reports
  // read message addresses out of an array, and a Deno pointer object per message
  // would be garbage on the hot path.
  rd_kafka_message_timestamp_at: s(
    [
      "usize", /* const rd_kafka_message_t *rkmessage */
      "buf", /* rd_kafka_timestamp_type_t *tstype */
    ],
    "i64",
    { symbol: "rd_kafka_message_timestamp" },
  ),
  rd_kafka_message_headers: s([
    "ptr", /* const rd_kafka_message_t *rkmessage */
    "buf", /* rd_kafka_headers_t **hdrsp */
  ], "i32"),
  rd_kafka_header_get_all: s([
    "ptr", /* const rd_kafka_headers_t *hdrs */
    "usize", /* size_t idx */
    "buf", /* const char **namep */
    "buf", /* const void **valuep */
    "buf", /* size_t *sizep */
  ], "i32"),

  // --- configuration -------------------------------------------------------
  rd_kafka_conf_new: s([], "ptr"), // rd_kafka_conf_t *
  rd_kafka_conf_destroy: s(["ptr" /* rd_kafka_conf_t *conf */], "void"),
  rd_kafka_conf_set: s([
    "ptr", /* rd_kafka_conf_t *conf */
    "buf", /* const char *name */
    "buf", /* const char *value */
    "buf", /* char *errstr */
    "usize", /* size_t errstr_size */
  ], "i32"), // rd_kafka_conf_res_t
  rd_kafka_conf_set_events: s(["ptr", /* rd_kafka_conf_t *conf */ "i32" /* int events */], "void"),

  // --- handles ------------------------------------------------------------
  rd_kafka_new: s([
    "i32", /* rd_kafka_type_t type */
    "ptr", /* rd_kafka_conf_t *conf */
    "buf", /* char *errstr */
    "usize", /* size_t errstr_size */
  ], "ptr"), // rd_kafka_t *
  // Joins librdkafka's threads: only ever called through the background variant.
  rd_kafka_destroy: s(["ptr" /* rd_kafka_t *rk */], "void", { background: true }),
  rd_kafka_name: s(["ptr" /* const rd_kafka_t *rk */], "ptr"),
  rd_kafka_topic_new: s([
    "ptr", /* rd_kafka_t *rk */
    "buf", /* const char *topic */
    "ptr", /* rd_kafka_topic_conf_t *conf */
  ], "ptr"), // rd_kafka_topic_t *
  rd_kafka_topic_destroy: s(["ptr" /* rd_kafka_topic_t *rkt */], "void"),

  // --- queues -------------------------------------------------------------
  rd_kafka_queue_new: s(["ptr" /* rd_kafka_t *rk */], "ptr"), // rd_kafka_queue_t *
  rd_kafka_queue_destroy: s(["ptr" /* rd_kafka_queue_t *rkqu */], "void"),
  rd_kafka_queue_get_main: s(["ptr" /* rd_kafka_t *rk */], "ptr"),
  rd_kafka_queue_get_consumer: s(["ptr" /* rd_kafka_t *rk */], "ptr"),
  rd_kafka_set_log_queue: s(["ptr", /* rd_kafka_t *rk */ "ptr" /* rd_kafka_queue_t *rkqu */], "i32"),
  rd_kafka_queue_length: s(["ptr" /* rd_kafka_queue_t *rkqu */], "usize"),
  rd_kafka_queue_io_event_enable: s([
    "ptr", /* rd_kafka_queue_t *rkqu */
    "i32", /* int fd */
    "buf", /* const void *payload */
    "usize", /* size_t size */
  ], "void"),

  // --- consumer -----------------------------------------------------------
  // Calls that send an op to librdkafka's main thread and wait for its answer
  // (subscribe, assign, ...) have background variants; the Consumer uses those.
  rd_kafka_consumer_poll: s(["ptr", /* rd_kafka_t *rk */ "i32" /* int timeout_ms */], "ptr"),
  rd_kafka_consumer_close: s(["ptr" /* rd_kafka_t *rk */], "i32", { background: true }),
  rd_kafka_consumer_close_queue: s([
    "ptr", /* rd_kafka_t *rk */
    "ptr", /* rd_kafka_queue_t *rkqu */
  ], "ptr"), // rd_kafka_error_t *
  rd_kafka_consumer_closed: s(["ptr" /* rd_kafka_t *rk */], "i32"),
  rd_kafka_subscribe: s(
    [
      "ptr", /* rd_kafka_t *rk */
      "ptr", /* const rd_kafka_topic_partition_list_t *topics */
    ],
    "i32",
    { background: true },
  ),
  rd_kafka_unsubscribe: s(["ptr" /* rd_kafka_t *rk */], "i32", { background: true }),
  rd_kafka_assign: s(
    [
      "ptr", /* rd_kafka_t *rk */
      "ptr", /* const rd_kafka_topic_partition_list_t *partitions */
    ],
    "i32",
    { background: true },
  ),
  rd_kafka_incremental_assign: s(
    [
      "ptr", /* rd_kafka_t *rk */
      "ptr", /* const rd_kafka_topic_partition_list_t *partitions */
    ],
    "ptr",
    { background: true },
  ), // rd_kafka_error_t *
  rd_kafka_incremental_unassign: s(
    [
      "ptr", /* rd_kafka_t *rk */
      "ptr", /* const rd_kafka_topic_partition_list_t *partitions */
    ],
    "ptr",
    { background: true },
  ), // rd_kafka_error_t *
  rd_kafka_assignment: s(
    [
      "ptr", /* rd_kafka_t *rk */
      "ptr", /* rd_kafka_topic_partition_list_t **partitions */
    ],
    "i32",
    { background: true },
  ),
  rd_kafka_assignment_lost: s(["ptr" /* rd_kafka_t *rk */], "i32"),
  rd_kafka_rebalance_protocol: s(["ptr" /* rd_kafka_t *rk */], "ptr"), // const char *
  rd_kafka_commit_queue: s([
    "ptr", /* rd_kafka_t *rk */
    "ptr", /* const rd_kafka_topic_partition_list_t *offsets */
    "ptr", /* rd_kafka_queue_t *rkqu */
    "ptr", /* void (*cb)(...) (always NULL: the result is an event) */
    "usize", /* void *commit_opaque (an integer id) */
  ], "i32"),
  rd_kafka_offsets_store: s([
    "ptr", /* rd_kafka_t *rk */
    "ptr", /* rd_kafka_topic_partition_list_t *offsets */
  ], "i32"),
  // The per-partition form: unlike rd_kafka_offsets_store it is not refused while
  // enable.auto.offset.store is on, which is how the consumer takes back offsets
  // librdkafka stored for messages no read was handed (src/consumer/floors.ts).
  rd_kafka_offset_store: s([
    "ptr", /* rd_kafka_topic_t *rkt */
    "i32", /* int32_t partition */
    "i64", /* int64_t offset (stores offset + 1) */
  ], "i32"),
  rd_kafka_position: s([
    "ptr", /* rd_kafka_t *rk */
    "ptr", /* rd_kafka_topic_partition_list_t *partitions */
  ], "i32"),
  // Waits for the coordinator: background only.
  rd_kafka_committed: s(
    [
      "ptr", /* rd_kafka_t *rk */
      "ptr", /* rd_kafka_topic_partition_list_t *partitions */
      "i32", /* int timeout_ms */
    ],
    "i32",
    { background: true },
  ),
  // Called with timeout_ms = 0 only: starts the seek and returns.
  rd_kafka_seek_partitions: s([
    "ptr", /* rd_kafka_t *rk */
    "ptr", /* rd_kafka_topic_partition_list_t *partitions */
    "i32", /* int timeout_ms */
  ], "ptr"), // rd_kafka_error_t *
  rd_kafka_pause_partitions: s([
    "ptr", /* rd_kafka_t *rk */
    "ptr", /* rd_kafka_topic_partition_list_t *partitions */
  ], "i32"),
  rd_kafka_resume_partitions: s([
    "ptr", /* rd_kafka_t *rk */
    "ptr", /* rd_kafka_topic_partition_list_t *partitions */
  ], "i32"),
  // Both wait for brokers: background only.
  rd_kafka_query_watermark_offsets: s(
    [
      "ptr", /* rd_kafka_t *rk */
      "ptr", /* const char *topic */
      "i32", /* int32_t partition */
      "ptr", /* int64_t *low */
      "ptr", /* int64_t *high */
      "i32", /* int timeout_ms */
    ],
    "i32",
    { background: true },
  ),
  rd_kafka_offsets_for_times: s(
    [
      "ptr", /* rd_kafka_t *rk */
      "ptr", /* rd_kafka_topic_partition_list_t *offsets */
      "i32", /* int timeout_ms */
    ],
    "i32",
    { background: true },
  ),
  rd_kafka_get_watermark_offsets: s([
    "ptr", /* rd_kafka_t *rk */
    "buf", /* const char *topic */
    "i32", /* int32_t partition */
    "buf", /* int64_t *low */
    "buf", /* int64_t *high */
  ], "i32"),
  rd_kafka_topic_name: s(["ptr" /* const rd_kafka_topic_t *rkt */], "ptr"), // const char *
  // Waits for the group's answer from librdkafka's main thread: background only.
  rd_kafka_memberid: s(["ptr" /* const rd_kafka_t *rk */], "ptr", { background: true }), // char * (rd_kafka_mem_free)
  rd_kafka_mem_free: s(["ptr", /* rd_kafka_t *rk */ "ptr" /* void *ptr */], "void"),
  rd_kafka_message_leader_epoch: s(["ptr" /* const rd_kafka_message_t *rkmessage */], "i32", {
    since: "2.1.0",
  }),
  rd_kafka_destroy_flags: s(["ptr", /* rd_kafka_t *rk */ "i32" /* int flags */], "void", { background: true }),

  // --- producer -----------------------------------------------------------
  rd_kafka_produceva: s([
    "ptr", /* rd_kafka_t *rk */
    "ptr", /* const rd_kafka_vu_t *vus */
    "usize", /* size_t cnt */
  ], "ptr"), // rd_kafka_error_t *
  rd_kafka_produce_batch: s([
    "ptr", /* rd_kafka_topic_t *rkt */
    "i32", /* int32_t partition */
    "i32", /* int msgflags */
    "ptr", /* rd_kafka_message_t *rkmessages */
    "i32", /* int message_cnt */
  ], "i32"),
  // Only ever called with timeout_ms = 0: it wakes the brokers to send at once and
  // returns without waiting (in event mode it never serves a queue).
  rd_kafka_flush: s(["ptr", /* rd_kafka_t *rk */ "i32" /* int timeout_ms */], "i32"),
  rd_kafka_purge: s(["ptr", /* rd_kafka_t *rk */ "i32" /* int purge_flags */], "i32"),
  rd_kafka_outq_len: s(["ptr" /* rd_kafka_t *rk */], "i32"),
  rd_kafka_poll_set_consumer: s(["ptr" /* rd_kafka_t *rk */], "i32"),

  // --- SASL/OAUTHBEARER: the token an application supplies (never waits) ------
  rd_kafka_oauthbearer_set_token: s([
    "ptr", /* rd_kafka_t *rk */
    "buf", /* const char *token_value */
    "i64", /* int64_t md_lifetime_ms */
    "buf", /* const char *md_principal_name */
    "ptr", /* const char **extensions */
    "usize", /* size_t extension_size */
    "buf", /* char *errstr */
    "usize", /* size_t errstr_size */
  ], "i32"), // rd_kafka_resp_err_t
  rd_kafka_oauthbearer_set_token_failure: s([
    "ptr", /* rd_kafka_t *rk */
    "buf", /* const char *errstr */
  ], "i32"), // rd_kafka_resp_err_t

  // --- transactions (rdkafka.h: consumer group metadata, transactional producer API) ---
  // Every transactional call waits (begin_transaction too: it hands an op to librdkafka's
  // main thread and waits for its answer), so each runs off the JS thread.
  // Waits for the consumer group's thread to answer an op.
  rd_kafka_consumer_group_metadata: s(
    ["ptr" /* rd_kafka_t *rk */],
    "ptr", // rd_kafka_consumer_group_metadata_t *
    { background: true },
  ),
  rd_kafka_consumer_group_metadata_destroy: s(["ptr" /* rd_kafka_consumer_group_metadata_t * */], "void"),
  rd_kafka_init_transactions: s(
    ["ptr", /* rd_kafka_t *rk */ "i32" /* int timeout_ms */],
    "ptr", // rd_kafka_error_t *
    { background: true },
  ),
  rd_kafka_begin_transaction: s(["ptr" /* rd_kafka_t *rk */], "ptr", { background: true }), // rd_kafka_error_t *
  rd_kafka_send_offsets_to_transaction: s(
    [
      "ptr", /* rd_kafka_t *rk */
      "ptr", /* const rd_kafka_topic_partition_list_t *offsets */
      "ptr", /* const rd_kafka_consumer_group_metadata_t *cgmetadata */
      "i32", /* int timeout_ms */
    ],
    "ptr", // rd_kafka_error_t *
    { background: true },
  ),
  rd_kafka_commit_transaction: s(
    ["ptr", /* rd_kafka_t *rk */ "i32" /* int timeout_ms */],
    "ptr", // rd_kafka_error_t *
    { background: true },
  ),
  rd_kafka_abort_transaction: s(
    ["ptr", /* rd_kafka_t *rk */ "i32" /* int timeout_ms */],
    "ptr", // rd_kafka_error_t *
    { background: true },
  ),

  // --- events -------------------------------------------------------------
  rd_kafka_event_type: s(["ptr" /* const rd_kafka_event_t *rkev */], "i32"),
  rd_kafka_event_destroy: s(["ptr" /* rd_kafka_event_t *rkev */], "void"),
  rd_kafka_event_message_array: s([
    "ptr", /* rd_kafka_event_t *rkev */
    "ptr", /* const rd_kafka_message_t **rkmessages */
    "usize", /* size_t size */
  ], "usize"),
  rd_kafka_event_message_count: s(["ptr" /* rd_kafka_event_t *rkev */], "usize"),
  rd_kafka_event_error: s(["ptr" /* rd_kafka_event_t *rkev */], "i32"),
  rd_kafka_event_error_string: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr"),
  rd_kafka_event_error_is_fatal: s(["ptr" /* rd_kafka_event_t *rkev */], "i32"),
  rd_kafka_event_log: s([
    "ptr", /* rd_kafka_event_t *rkev */
    "buf", /* const char **fac */
    "buf", /* const char **str */
    "buf", /* int *level */
  ], "i32"),
  rd_kafka_event_config_string: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr"), // const char *
  rd_kafka_event_stats: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr"),
  rd_kafka_event_message_next: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr"), // const rd_kafka_message_t *
  rd_kafka_event_opaque: s(["ptr" /* rd_kafka_event_t *rkev */], "usize"), // void * (our integer id)
  rd_kafka_event_topic_partition_list: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr"),
  rd_kafka_event_topic_partition: s(["ptr" /* rd_kafka_event_t *rkev */], "ptr"), // caller destroys
  rd_kafka_queue_poll: s(["ptr", /* rd_kafka_queue_t *rkqu */ "i32" /* int timeout_ms */], "ptr"),

  // --- rdkafka_mock.h -----------------------------------------------------
  // Every mock call but `bootstraps` hands an op to the mock cluster's thread and
  // waits for its answer, so each has a background variant.
  rd_kafka_mock_cluster_new: s(["ptr", /* rd_kafka_t *rk */ "i32" /* int broker_cnt */], "ptr"),
  // Joins the mock cluster's thread: background only.
  rd_kafka_mock_cluster_destroy: s(["ptr" /* rd_kafka_mock_cluster_t *mcluster */], "void", {
    background: true,
  }),
  rd_kafka_mock_cluster_bootstraps: s(["ptr" /* const rd_kafka_mock_cluster_t *mcluster */], "ptr"),
  rd_kafka_mock_push_request_errors_array: s(
    [
      "ptr", /* rd_kafka_mock_cluster_t *mcluster */
      "i32", /* int16_t ApiKey */
      "usize", /* size_t cnt */
      "buf", /* const rd_kafka_resp_err_t *errors */
    ],
    "void",
    { background: true },
  ),
  rd_kafka_mock_topic_set_error: s(
    [
      "ptr", /* rd_kafka_mock_cluster_t *mcluster */
      "buf", /* const char *topic */
      "i32", /* rd_kafka_resp_err_t err */
    ],
    "void",
    { background: true },
  ),
  rd_kafka_mock_topic_create: s(
    [
      "ptr", /* rd_kafka_mock_cluster_t *mcluster */
      "buf", /* const char *topic */
      "i32", /* int partition_cnt */
      "i32", /* int replication_factor */
    ],
    "i32",
    { background: true },
  ),
  rd_kafka_mock_partition_set_leader: s(
    [
      "ptr", /* rd_kafka_mock_cluster_t *mcluster */
      "buf", /* const char *topic */
      "i32", /* int32_t partition */
      "i32", /* int32_t broker_id */
    ],
    "i32",
    { background: true },
  ),
  rd_kafka_mock_broker_set_down: s(["ptr", /* mcluster */ "i32" /* int32_t broker_id */], "i32", { background: true }),
  rd_kafka_mock_broker_set_up: s(["ptr", /* mcluster */ "i32" /* int32_t broker_id */], "i32", { background: true }),
  rd_kafka_mock_broker_set_rtt: s(
    [
      "ptr", /* rd_kafka_mock_cluster_t *mcluster */
      "i32", /* int32_t broker_id */
      "i32", /* int rtt_ms */
    ],
    "i32",
    { background: true },
  ),

  // --- admin: ffi/symbols_admin.ts -------------------------------------
  ...ADMIN_SYMBOLS,
} as const satisfies Record<string, SymbolSpec>;

/** The names of the librdkafka functions in {@link SYMBOLS}. @example `const n: SymbolName = "rd_kafka_new"` */
export type SymbolName = keyof typeof SYMBOLS;

/**
 * The libc functions the wake-up pipe needs (`pipe`, `read`, `write`, `close`),
 * and `memcpy` to copy C structs into JS memory without allocating.
 * `read` has a background variant: on Deno it is the waiter that blocks a worker
 * thread, never the JS thread, until librdkafka writes a wake-up byte.
 *
 * @example
 * ```ts
 * import { LIBC_SYMBOLS } from "./symbols.ts";
 * console.log(Object.keys(LIBC_SYMBOLS)); // ["pipe", "read", "write", "close", "dlopen", "memcpy_from", "memcpy_from_ptr"]
 * ```
 */
export const LIBC_SYMBOLS = {
  pipe: s(["buf" /* int pipefd[2] */], "i32"),
  read: s(
    [
      "i32", /* int fd */
      "buf", /* void *buf */
      "usize", /* size_t count */
    ],
    "isize",
    { background: true },
  ),
  write: s([
    "i32", /* int fd */
    "buf", /* const void *buf */
    "usize", /* size_t count */
  ], "isize"),
  close: s(["i32" /* int fd */], "i32"),
  // Pins librdkafka (RTLD_NODELETE): see Backend.pin.
  dlopen: s(["buf", /* const char *filename */ "i32" /* int flags */], "ptr"),
  // memcpy(dst, src, n) with the source as an address: copies a C struct into JS memory.
  memcpy_from: s(
    [
      "buf", /* void *dest */
      "usize", /* const void *src */
      "usize", /* size_t n */
    ],
    "ptr",
    { symbol: "memcpy" },
  ),
  // The same with the source as a pointer: copies a struct a symbol returned, with no address conversion.
  memcpy_from_ptr: s(
    [
      "buf", /* void *dest */
      "ptr", /* const void *src */
      "usize", /* size_t n */
    ],
    "ptr",
    { symbol: "memcpy" },
  ),
} as const satisfies Record<string, SymbolSpec>;
