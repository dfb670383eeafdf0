/**
 * librdkafka constants and struct layouts (x86_64 / aarch64 LP64, librdkafka 2.0.2+).
 *
 * Fields are read by offset from one pointer instead of one FFI call per field
 * (DESIGN.md rule 7). `test/offsets.test.ts` compiles a C program against the
 * installed headers and checks every offset here, so a layout change fails a test
 * instead of corrupting memory.
 *
 * @module
 */

/** `rd_kafka_type_t`. @example `rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, 512)` */
export const RD_KAFKA_PRODUCER = 0;
/** `rd_kafka_type_t` for consumers. @example `rd_kafka_new(RD_KAFKA_CONSUMER, …)` */
export const RD_KAFKA_CONSUMER = 1;

/** `rd_kafka_conf_res_t` values. @example `if (res === CONF_UNKNOWN) …` */
export const CONF_UNKNOWN = -2;
/** @see CONF_UNKNOWN @example `if (res === CONF_INVALID) …` */
export const CONF_INVALID = -1;
/** @see CONF_UNKNOWN @example `if (res === CONF_OK) …` */
export const CONF_OK = 0;

/** Unassigned partition: librdkafka's partitioner chooses. @example `partition ?? PARTITION_UA` */
export const PARTITION_UA = -1;

/** Message flags. @example `MSG_F_COPY | MSG_F_PARTITION` */
export const MSG_F_FREE = 0x1;
/** @see MSG_F_FREE @example `MSG_F_COPY` */
export const MSG_F_COPY = 0x2;
/** @see MSG_F_FREE @example `MSG_F_BLOCK` (never used: it would block the JS thread) */
export const MSG_F_BLOCK = 0x4;
/** Honour each message's own partition in `rd_kafka_produce_batch`. @example `MSG_F_PARTITION` */
export const MSG_F_PARTITION = 0x8;

/** `rd_kafka_purge` flags. @example `rd_kafka_purge(rk, PURGE_F_QUEUE | PURGE_F_INFLIGHT)` */
export const PURGE_F_QUEUE = 0x1;
/** @see PURGE_F_QUEUE @example `PURGE_F_INFLIGHT` */
export const PURGE_F_INFLIGHT = 0x2;
/** @see PURGE_F_QUEUE @example `PURGE_F_NON_BLOCKING` */
export const PURGE_F_NON_BLOCKING = 0x4;

/** Event types (`RD_KAFKA_EVENT_*`). @example `rd_kafka_conf_set_events(conf, EVENT.DR | EVENT.ERROR)` */
export const EVENT = {
  NONE: 0x0,
  DR: 0x1,
  FETCH: 0x2,
  LOG: 0x4,
  ERROR: 0x8,
  REBALANCE: 0x10,
  OFFSET_COMMIT: 0x20,
  STATS: 0x40,
  OAUTHBEARER_TOKEN_REFRESH: 0x100,
} as const;

/** `rd_kafka_timestamp_type_t`. @example `TIMESTAMP_TYPE[1] === "CreateTime"` */
export const TIMESTAMP_TYPE = ["NotAvailable", "CreateTime", "LogAppendTime"] as const;

/** `rd_kafka_vtype_t`: the argument kinds of `rd_kafka_produceva`. @example `VTYPE.VALUE` */
export const VTYPE = {
  END: 0,
  TOPIC: 1,
  RKT: 2,
  PARTITION: 3,
  VALUE: 4,
  KEY: 5,
  OPAQUE: 6,
  MSGFLAGS: 7,
  TIMESTAMP: 8,
  HEADER: 9,
  HEADERS: 10,
} as const;

/**
 * `rd_kafka_message_t` (72 bytes).
 *
 * @example
 * ```ts
 * const err = backend.readI32(msg, MESSAGE.err);
 * ```
 */
export const MESSAGE = {
  size: 72,
  err: 0, // rd_kafka_resp_err_t
  rkt: 8, // rd_kafka_topic_t *
  partition: 16, // int32_t
  payload: 24, // void *
  len: 32, // size_t
  key: 40, // void *
  key_len: 48, // size_t
  offset: 56, // int64_t
  _private: 64, // void * (msg_opaque for producers)
} as const;

/**
 * `rd_kafka_vu_t` (72 bytes; the union starts at 8).
 *
 * @example
 * ```ts
 * view.setInt32(i * VU.size + VU.vtype, VTYPE.VALUE, true);
 * ```
 */
export const VU = {
  size: 72,
  vtype: 0, // rd_kafka_vtype_t
  u: 8, // union: cstr / rkt / i / i32 / i64 / mem{ptr,size} / header{name,val,size} / ptr
  memSize: 16, // u.mem.size
  headerValue: 16, // u.header.val
  headerSize: 24, // u.header.size (ssize_t)
} as const;

/**
 * `rd_kafka_topic_partition_t` (64 bytes) and `rd_kafka_topic_partition_list_t`.
 *
 * @example
 * ```ts
 * const elems = backend.readPtr(list, TOPIC_PARTITION_LIST.elems);
 * ```
 */
export const TOPIC_PARTITION = {
  size: 64,
  topic: 0, // char *
  partition: 8, // int32_t
  offset: 16, // int64_t
  metadata: 24, // void *
  metadata_size: 32, // size_t
  opaque: 40, // void *
  err: 48, // rd_kafka_resp_err_t
  _private: 56, // void *
} as const;

/** @see TOPIC_PARTITION @example `backend.readI32(list, TOPIC_PARTITION_LIST.cnt)` */
export const TOPIC_PARTITION_LIST = {
  cnt: 0, // int
  size: 4, // int
  elems: 8, // rd_kafka_topic_partition_t *
} as const;

/** Special offsets. @example `OFFSET.BEGINNING === -2n` */
export const OFFSET = {
  BEGINNING: -2n,
  END: -1n,
  STORED: -1000n,
  INVALID: -1001n,
} as const;

/** The oldest librdkafka kafka-fast supports, as `rd_kafka_version()` encodes it. @example `0x020002ff` */
export const MIN_LIBRDKAFKA_VERSION = 0x020002ff;
/** @see MIN_LIBRDKAFKA_VERSION @example `"2.0.2"` */
export const MIN_LIBRDKAFKA_VERSION_STR = "2.0.2";
