/**
 * Checks ffi/constants.ts against the installed librdkafka headers, and the symbol
 * table against the loaded library.
 *
 * Compiles test/c/offsets.c with gcc (or `$CC`) against `<librdkafka/rdkafka.h>` and
 * `<librdkafka/rdkafka_mock.h>`, runs it, and compares the sizeof/offsetof values and
 * constants it prints (one JSON object) with what ffi/constants.ts exports. A struct
 * layout change then fails here instead of corrupting memory at run time.
 *
 * Runs unchanged under `bun test test/offsets.test.ts` and
 * `deno test -A test/offsets.test.ts`. gcc and the librdkafka headers are required:
 * the test fails (it does not skip) when they are missing.
 *
 * @module
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";

import {
  CONF_INVALID,
  CONF_OK,
  CONF_UNKNOWN,
  EVENT,
  MESSAGE,
  MIN_LIBRDKAFKA_VERSION,
  MIN_LIBRDKAFKA_VERSION_STR,
  MSG_F_BLOCK,
  MSG_F_COPY,
  MSG_F_FREE,
  MSG_F_PARTITION,
  OFFSET,
  PARTITION_UA,
  PURGE_F_INFLIGHT,
  PURGE_F_NON_BLOCKING,
  PURGE_F_QUEUE,
  RD_KAFKA_CONSUMER,
  RD_KAFKA_PRODUCER,
  TIMESTAMP_TYPE,
  TOPIC_PARTITION,
  TOPIC_PARTITION_LIST,
  VTYPE,
  VU,
} from "../ffi/constants.ts";
import {
  ACL_OPERATIONS,
  ACL_PERMISSIONS,
  ADMIN_EVENT,
  ADMIN_OP_ANY,
  ALTER_CONFIG_OPS,
  CONFIG_SOURCES,
  GROUP_STATES,
  GROUP_TYPES,
  ISOLATION_LEVELS,
  METADATA,
  METADATA_BROKER,
  METADATA_PARTITION,
  METADATA_TOPIC,
  OFFSET_SPEC,
  PATTERN_TYPES,
  RESOURCE_TYPES,
  SCRAM_MECHANISMS,
} from "../ffi/constants_admin.ts";
import { SYMBOLS } from "../ffi/symbols.ts";
import { backend, library, librdkafkaVersion, parseVersion } from "../ffi/loader.ts";
import { errorCodeName } from "../src/error_codes.ts";

/** What test/c/offsets.c prints. */
interface HeaderFacts {
  RD_KAFKA_VERSION: number;
  MESSAGE: Record<string, number>;
  VU: Record<string, number>;
  TOPIC_PARTITION: Record<string, number>;
  TOPIC_PARTITION_LIST: Record<string, number>;
  CONST: Record<string, number>;
  EVENT: Record<string, number>;
  VTYPE: Record<string, number>;
  TIMESTAMP_TYPE: Record<string, number>;
  OFFSET: Record<string, number>;
  METADATA: Record<string, number>;
  METADATA_BROKER: Record<string, number>;
  METADATA_TOPIC: Record<string, number>;
  METADATA_PARTITION: Record<string, number>;
  ADMIN_EVENT: Record<string, number>;
  ADMIN_ENUMS: Record<string, number>;
}

const SOURCE = fileURLToPath(new URL("./c/offsets.c", import.meta.url));

/**
 * The headers of the loaded librdkafka: a build chosen with KAFKA_FAST_LIBRDKAFKA
 * that has an `include/` folder beside it (scripts/librdkafka.sh's has), else the
 * system's. So the 2.12 run checks the constants newer than 2.0.2 too.
 */
function includeDir(): string | undefined {
  const lib = process.env.KAFKA_FAST_LIBRDKAFKA;
  if (!lib) return undefined;
  const dir = join(lib, "..", "include");
  return existsSync(join(dir, "librdkafka", "rdkafka.h")) ? dir : undefined;
}

function errorText(e: unknown): string {
  const err = e as { message?: string; stderr?: unknown; stdout?: unknown };
  const out = [err.stdout, err.stderr]
    .map((s) => (s === undefined || s === null ? "" : String(s)).trim())
    .filter((s) => s !== "")
    .join("\n");
  return out || String(err.message ?? e);
}

/** Compiles and runs test/c/offsets.c once; later calls reuse the result. */
let facts: HeaderFacts | undefined;
function headerFacts(): HeaderFacts {
  if (facts) return facts;
  const cc = process.env.CC || "gcc";
  const dir = mkdtempSync(join(tmpdir(), "kafka-fast-offsets-"));
  try {
    const exe = join(dir, "offsets");
    try {
      const inc = includeDir();
      // -Wno-ignored-qualifiers: rdkafka.h 2.3+ declares a `const int` return.
      const flags = ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-Wno-ignored-qualifiers"];
      execFileSync(cc, [...flags, ...(inc ? ["-I", inc] : []), "-o", exe, SOURCE], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") {
        throw new Error(
          `test/offsets.test.ts needs a C compiler: \`${cc}\` was not found on PATH. ` +
            "Install gcc and the librdkafka headers (Debian/Ubuntu: `apt-get install gcc librdkafka-dev`), " +
            "or set CC to a compiler.",
        );
      }
      throw new Error(
        `compiling ${SOURCE} with \`${cc}\` failed (are the librdkafka headers installed? ` +
          `Debian/Ubuntu: \`apt-get install librdkafka-dev\`):\n${errorText(e)}`,
      );
    }
    let out: string;
    try {
      out = execFileSync(exe, [], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      throw new Error(`running the compiled ${SOURCE} failed:\n${errorText(e)}`);
    }
    facts = JSON.parse(out) as HeaderFacts;
    return facts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("ffi/constants.ts matches the librdkafka headers", () => {
  it("the headers are at least the minimum supported version", () => {
    const v = headerFacts().RD_KAFKA_VERSION >>> 0;
    assert.ok(
      v >= MIN_LIBRDKAFKA_VERSION,
      `rdkafka.h is 0x${v.toString(16)}, older than ${MIN_LIBRDKAFKA_VERSION_STR}`,
    );
  });

  it("rd_kafka_message_t", () => {
    assert.deepEqual(headerFacts().MESSAGE, { ...MESSAGE });
  });

  it("rd_kafka_vu_t", () => {
    assert.deepEqual(headerFacts().VU, { ...VU });
  });

  it("rd_kafka_topic_partition_t", () => {
    assert.deepEqual(headerFacts().TOPIC_PARTITION, { ...TOPIC_PARTITION });
  });

  it("rd_kafka_topic_partition_list_t", () => {
    assert.deepEqual(headerFacts().TOPIC_PARTITION_LIST, { ...TOPIC_PARTITION_LIST });
  });

  it("handle types, conf results, partition, message and purge flags", () => {
    assert.deepEqual(headerFacts().CONST, {
      PRODUCER: RD_KAFKA_PRODUCER,
      CONSUMER: RD_KAFKA_CONSUMER,
      CONF_UNKNOWN,
      CONF_INVALID,
      CONF_OK,
      PARTITION_UA,
      MSG_F_FREE,
      MSG_F_COPY,
      MSG_F_BLOCK,
      MSG_F_PARTITION,
      PURGE_F_QUEUE,
      PURGE_F_INFLIGHT,
      PURGE_F_NON_BLOCKING,
    });
  });

  it("RD_KAFKA_EVENT_*", () => {
    // Same keys both ways: a name added to EVENT must be added to test/c/offsets.c too.
    assert.deepEqual(headerFacts().EVENT, { ...EVENT });
  });

  it("RD_KAFKA_VTYPE_*", () => {
    assert.deepEqual(headerFacts().VTYPE, { ...VTYPE });
  });

  it("RD_KAFKA_TIMESTAMP_*", () => {
    const byIndex = Object.fromEntries(TIMESTAMP_TYPE.map((name, i) => [name, i]));
    assert.deepEqual(headerFacts().TIMESTAMP_TYPE, byIndex);
  });

  it("RD_KAFKA_OFFSET_*", () => {
    const fromC = Object.fromEntries(
      Object.entries(headerFacts().OFFSET).map(([k, v]) => [k, BigInt(v)]),
    );
    assert.deepEqual(fromC, { ...OFFSET });
  });
});

/** `{ PREFIX_NAME: index }` for a table of names indexed by enum value. */
function enumFacts(prefix: string, names: readonly string[]): Record<string, number> {
  return Object.fromEntries(names.map((n, i) => [`${prefix}_${n}`, i]));
}

describe("ffi/constants_admin.ts matches the librdkafka headers", () => {
  it("rd_kafka_metadata_t and its broker, topic and partition structs", () => {
    const f = headerFacts();
    assert.deepEqual(f.METADATA, { ...METADATA });
    assert.deepEqual(f.METADATA_BROKER, { ...METADATA_BROKER });
    assert.deepEqual(f.METADATA_TOPIC, { ...METADATA_TOPIC });
    assert.deepEqual(f.METADATA_PARTITION, { ...METADATA_PARTITION });
  });

  it("RD_KAFKA_EVENT_*_RESULT: every one the headers define; the rest are newer than them", () => {
    const fromC = Object.fromEntries(
      Object.entries(headerFacts().ADMIN_EVENT).map(([k, v]) => [k.replace(/_RESULT$/, ""), v]),
    );
    const ours = Object.fromEntries(Object.entries(ADMIN_EVENT).filter(([k]) => k in fromC));
    assert.deepEqual(fromC, ours);
    // Events the headers lack must be the 2.2.0 / 2.3.0 ones, and only when the headers are older.
    const newer = Object.keys(ADMIN_EVENT).filter((k) => !(k in fromC));
    const v = headerFacts().RD_KAFKA_VERSION >>> 0;
    if (v >= parseVersion("2.3.0")) assert.deepEqual(newer, []);
    else if (v >= parseVersion("2.2.0")) assert.deepEqual(newer, ["DESCRIBETOPICS", "DESCRIBECLUSTER", "LISTOFFSETS"]);
    else assert.equal(newer.length, 6);
  });

  it("admin enums: resource, pattern, operation, permission, config source, group state and newer ones", () => {
    const all: Record<string, number> = {
      ADMIN_OP_ANY,
      ...enumFacts("RESOURCE", RESOURCE_TYPES),
      ...enumFacts("PATTERN", PATTERN_TYPES),
      ...enumFacts("ACL_OPERATION", ACL_OPERATIONS),
      ...enumFacts("ACL_PERMISSION", ACL_PERMISSIONS),
      ...enumFacts("CONFIG_SOURCE", CONFIG_SOURCES),
      ...enumFacts("GROUP_STATE", GROUP_STATES),
      ...enumFacts("ALTER_CONFIG_OP", ALTER_CONFIG_OPS),
      ...enumFacts("SCRAM_MECHANISM", SCRAM_MECHANISMS),
      ...enumFacts("ISOLATION_LEVEL", ISOLATION_LEVELS),
      ...enumFacts("GROUP_TYPE", GROUP_TYPES),
      ...Object.fromEntries(Object.entries(OFFSET_SPEC).map(([k, v]) => [`OFFSET_SPEC_${k}`, Number(v)])),
    };
    const fromC = headerFacts().ADMIN_ENUMS;
    assert.deepEqual(fromC, Object.fromEntries(Object.keys(fromC).map((k) => [k, all[k]])));
    // On the 2.0.2 headers only the 2.0.2 enums are there to compare: at least those.
    assert.ok(Object.keys(fromC).length >= 40, `only ${Object.keys(fromC).length} enum values compared`);
    if ((headerFacts().RD_KAFKA_VERSION >>> 0) >= parseVersion("2.6.0")) {
      assert.deepEqual(Object.keys(all).filter((k) => !(k in fromC)), []);
    }
  });
});

describe("the loaded librdkafka", () => {
  it(`is at least ${MIN_LIBRDKAFKA_VERSION_STR}`, () => {
    const version = librdkafkaVersion();
    assert.ok(
      parseVersion(version) >= MIN_LIBRDKAFKA_VERSION,
      `loaded librdkafka ${version} (${library().path}) is older than ${MIN_LIBRDKAFKA_VERSION_STR}`,
    );
    const encoded = library().call.rd_kafka_version() >>> 0;
    assert.ok(encoded >= MIN_LIBRDKAFKA_VERSION, `rd_kafka_version() = 0x${encoded.toString(16)}`);
  });

  it("every error code it has a name for has that name in ErrorCode", () => {
    const c = library().call;
    const missing: string[] = [];
    let known = 0;
    for (let code = -200; code <= 400; code++) {
      const name = backend.readCString(c.rd_kafka_err2name(code)) ?? "";
      if (name.startsWith("ERR_")) continue; // librdkafka's "ERR_<n>?" for a code it does not know
      known++;
      if (errorCodeName(code) !== name) missing.push(`${code} ${name} (ours: ${errorCodeName(code)})`);
    }
    assert.ok(known > 150, `only ${known} codes named by librdkafka ${librdkafkaVersion()}`);
    assert.deepEqual(missing, [], `src/error_codes.ts lacks codes of librdkafka ${librdkafkaVersion()}`);
  });

  it("has every symbol of SYMBOLS that has no `since`", () => {
    const required = Object.entries(SYMBOLS)
      .filter(([, spec]) => !("since" in spec))
      .map(([name]) => name);
    assert.ok(required.length > 0);
    const { missing, path } = library();
    assert.deepEqual(
      required.filter((name) => missing.has(name)),
      [],
      `missing from ${path} (${librdkafkaVersion()}); add \`since\` to them or fix the names`,
    );
  });
});
