/**
 * Configuration of topics, brokers and groups: describe, alter (replace) and
 * incrementally alter (librdkafka ≥ 2.2.0).
 *
 * Each call is one request of `rd_kafka_ConfigResource_t` objects, answered with the
 * same resources, each with its error and (for describe) its entries. librdkafka sends
 * a request with a BROKER resource to that broker instead of the controller, so one
 * call may name at most one broker; we check that, and the other argument rules,
 * before anything is sent. Results come back in input order.
 *
 * `alterConfigs` is Kafka's old replace-everything call: values left out go back to
 * their defaults. `incrementalAlterConfigs` changes only what it names; there is no
 * honest way to emulate it with the old call, so without `rd_kafka_IncrementalAlterConfigs`
 * it rejects with a LibraryLoadError. GROUP resources need librdkafka ≥ 2.10.0, which added them
 * to its config requests (its CHANGELOG, #4939); they reject before that.
 *
 * An alter resolves once the controller committed the change; on a KRaft cluster a
 * describe right after can still show the old value for a moment (seen on the test
 * broker), because brokers apply the metadata log on their own.
 *
 * @module
 */
import {
  ADMIN_EVENT,
  ALTER_CONFIG_OPS,
  CONFIG_SOURCES,
  library,
  LibraryLoadError,
  librdkafkaVersion,
  parseVersion,
  type Ptr,
  RESOURCE_TYPES,
} from "../../ffi/mod.ts";
import { ErrorCode, KafkaError } from "../errors.ts";
import type { AdminCore } from "./core.ts";
import {
  type AdminCallOptions,
  checkArray,
  checkObject,
  checkString,
  codeError,
  enumIndex,
  label,
  list,
  needs,
  offHeapCstr,
  pointerArray,
  str,
  takeError,
  timeout,
} from "./read.ts";
import { backend, cstr, rd } from "../native/lib.ts";

/** What a config belongs to: librdkafka's resource type names (`"TOPIC"`, `"BROKER"`, `"GROUP"`; any case). @example `{ type: "TOPIC", name: "orders" }` */
export interface ConfigResource {
  /** `"GROUP"` needs librdkafka ≥ 2.10.0 (a LibraryLoadError before). */
  type: "TOPIC" | "BROKER" | "GROUP" | Lowercase<"TOPIC" | "BROKER" | "GROUP">;
  /** The topic or group name, or the broker id as a string (`"1"`). */
  name: string;
}

/**
 * One configuration entry as the broker describes it.
 *
 * @example
 * ```ts
 * const e = res.configs.find((c) => c.name === "retention.ms");
 * console.log(e?.value, e?.source, e?.isDefault);
 * ```
 */
export interface ConfigEntry {
  name: string;
  /** null for a sensitive value (passwords) or one with no value. */
  value: string | null;
  /** librdkafka's name of the source, e.g. `"DYNAMIC_TOPIC_CONFIG"`, `"DEFAULT_CONFIG"`. */
  source: string;
  isReadOnly: boolean;
  isDefault: boolean;
  isSensitive: boolean;
  isSynonym: boolean;
  /** Where the value could also come from, most specific first (librdkafka always asks for them). */
  synonyms: ConfigEntry[];
}

/** One resource of a {@link AdminClient.describeConfigs} answer. @example `for (const c of res.configs) console.log(c.name, c.value)` */
export interface ConfigResourceResult {
  type: string;
  name: string;
  /** e.g. `UNKNOWN_TOPIC_OR_PART`; `configs` is then empty. */
  error?: KafkaError;
  /** Sorted by name. */
  configs: ConfigEntry[];
}

/** A resource and its new configuration for {@link AdminClient.alterConfigs} (replaces every dynamic value). @example `{ type: "TOPIC", name: "t", configs: { "retention.ms": 60000 } }` */
export interface AlterConfigsResource extends ConfigResource {
  configs: Record<string, string | number | boolean>;
}

/** One change of {@link AdminClient.incrementalAlterConfigs}. @example `{ name: "retention.ms", op: "SET", value: 60000 }` */
export interface AlterConfigOp {
  name: string;
  /** `"SET"`, `"DELETE"` (back to the default), `"APPEND"` or `"SUBTRACT"` (list values); any case. */
  op: "SET" | "DELETE" | "APPEND" | "SUBTRACT" | Lowercase<"SET" | "DELETE" | "APPEND" | "SUBTRACT">;
  /** Required except for DELETE, which takes none. */
  value?: string | number | boolean;
}

/** A resource and its changes for {@link AdminClient.incrementalAlterConfigs}. @example `{ type: "TOPIC", name: "t", ops: [{ name: "retention.ms", op: "DELETE" }] }` */
export interface IncrementalAlterConfigsResource extends ConfigResource {
  ops: readonly AlterConfigOp[];
}

/** The outcome for one resource of an alter call. @example `if (r.error) console.error(r.type, r.name, r.error.message)` */
export interface AlterConfigsResult {
  type: string;
  name: string;
  error?: KafkaError;
}

/** Options of the alter calls. @example `{ validateOnly: true }` */
export interface AlterConfigsOptions extends AdminCallOptions {
  /** Let the broker check the change without applying it. */
  validateOnly?: boolean;
}

/** The resource types a config can belong to, as librdkafka's enum names. */
const CONFIG_TYPES = ["TOPIC", "BROKER", "GROUP"] as const;
/** Group configs went into librdkafka's config requests in 2.10.0 (its CHANGELOG, #4939). */
const GROUP_CONFIGS_SINCE = "2.10.0";
/**
 * Sources newer than the enum of the 2.0.2 header; brokers send them to every
 * client, so the names (`rd_kafka_ConfigSource_name` in 2.12) are kept here.
 */
const SOURCES: readonly string[] = [
  ...CONFIG_SOURCES,
  "DYNAMIC_BROKER_LOGGER_CONFIG",
  "CLIENT_METRICS_CONFIG",
  "GROUP_CONFIG",
];

interface Target {
  restype: number;
  type: string;
  name: string;
}

/** Checks one resource's type and name; the rules librdkafka would refuse the whole call for. */
function checkResource(r: unknown, at: string): Target {
  const o = checkObject(r, at);
  const type = CONFIG_TYPES[enumIndex(o.type, CONFIG_TYPES, `${at}.type`)];
  const name = checkString(o.name, `${at}.name`);
  if (type === "BROKER" && !/^\d{1,10}$/.test(name)) {
    throw new TypeError(`${at}.name must be a broker id (digits) for a BROKER resource, got ${JSON.stringify(name)}`);
  }
  if (type === "GROUP" && parseVersion(librdkafkaVersion()) < parseVersion(GROUP_CONFIGS_SINCE)) {
    throw new LibraryLoadError(
      `${at}: GROUP configs need librdkafka >= ${GROUP_CONFIGS_SINCE}; the loaded one is ${librdkafkaVersion()} ` +
        `(${library().path}). Load a newer build with KAFKA_FAST_LIBRDKAFKA=/path/to/librdkafka.so.1`,
      [library().path],
    );
  }
  return { restype: RESOURCE_TYPES.indexOf(type), type, name };
}

/** Checks the list of resources: not empty, no resource twice, at most one broker. */
function checkResources<T>(resources: unknown, call: string, each: (r: unknown, at: string, t: Target) => T): {
  targets: Target[];
  extra: T[];
} {
  const arr = checkArray<unknown>(resources, `${call}(resources)`);
  const targets: Target[] = [];
  const extra: T[] = [];
  const seen = new Set<string>();
  let broker: string | undefined;
  arr.forEach((r, i) => {
    const at = `${call}: resources[${i}]`;
    const t = checkResource(r, at);
    const key = `${t.type}:${t.name}`;
    if (seen.has(key)) throw new TypeError(`${at} names ${t.type} ${JSON.stringify(t.name)} a second time`);
    seen.add(key);
    if (t.type === "BROKER") {
      // librdkafka sends the request to that broker; two brokers would need two requests.
      if (broker !== undefined) {
        throw new TypeError(
          `${at}: one call may name one BROKER resource (already ${broker}); make one call per broker`,
        );
      }
      broker = t.name;
    }
    targets.push(t);
    extra.push(each(r, at, t));
  });
  return { targets, extra };
}

function configValue(v: unknown, at: string): string {
  if (typeof v === "string") return v;
  if ((typeof v === "number" && Number.isFinite(v)) || typeof v === "boolean") return String(v);
  throw new TypeError(`${at} must be a string, a finite number or a boolean, got ${v === null ? "null" : typeof v}`);
}

function typeName(restype: number): string {
  return RESOURCE_TYPES[restype] ?? `UNKNOWN(${restype})`;
}

function readEntry(e: Ptr): ConfigEntry {
  const c = rd();
  const source: number = c.rd_kafka_ConfigEntry_source(e);
  return {
    name: str(c.rd_kafka_ConfigEntry_name(e)) ?? "",
    value: str(c.rd_kafka_ConfigEntry_value(e)),
    source: SOURCES[source] ?? `UNKNOWN(${source})`,
    // These return -1 outside describe results; only describe results are read here.
    isReadOnly: c.rd_kafka_ConfigEntry_is_read_only(e) === 1,
    isDefault: c.rd_kafka_ConfigEntry_is_default(e) === 1,
    isSensitive: c.rd_kafka_ConfigEntry_is_sensitive(e) === 1,
    isSynonym: c.rd_kafka_ConfigEntry_is_synonym(e) === 1,
    synonyms: list(c.rd_kafka_ConfigEntry_synonyms, e).map(readEntry),
  };
}

/**
 * Reads result resources in the order of `targets`, matched on type and name (librdkafka
 * orders them too, leaving a gap for one the broker left out). A resource the answer
 * lacks gets an error: never a silent success.
 */
function readResources<T extends AlterConfigsResult>(
  arr: Ptr[],
  targets: readonly Target[],
  more: (res: Ptr, out: AlterConfigsResult) => T,
): T[] {
  const c = rd();
  const byKey = new Map<string, T>();
  for (const res of arr) {
    if (backend.isNull(res)) continue;
    const type = typeName(c.rd_kafka_ConfigResource_type(res));
    const name = str(c.rd_kafka_ConfigResource_name(res)) ?? "";
    const out: AlterConfigsResult = { type, name };
    const error = codeError(
      c.rd_kafka_ConfigResource_error(res),
      str(c.rd_kafka_ConfigResource_error_string(res)),
      `${type.toLowerCase()} ${name}`,
    );
    if (error) out.error = error;
    byKey.set(`${type}:${name}`, more(res, out));
  }
  return targets.map((t) =>
    byKey.get(`${t.type}:${t.name}`) ??
      more(backend.NULL, {
        type: t.type,
        name: t.name,
        error: new KafkaError(ErrorCode._BAD_MSG, `${t.type.toLowerCase()} ${t.name}: the answer has no result for it`),
      })
  );
}

/** Makes the resources (and their entries), runs `go`, and destroys them once librdkafka copied them. */
function withResources<R>(
  call: string,
  targets: readonly Target[],
  fill: (res: Ptr, i: number) => void,
  go: (made: Ptr[]) => R,
): R {
  const c = rd();
  const made: Ptr[] = [];
  try {
    targets.forEach((t, i) => {
      const res: Ptr = c.rd_kafka_ConfigResource_new(t.restype, cstr(t.name));
      if (backend.isNull(res)) {
        throw new TypeError(`${call}: resources[${i}]: ${t.type} ${JSON.stringify(t.name)} refused by librdkafka`);
      }
      made.push(res);
      fill(res, i);
    });
    return go(made);
  } finally {
    for (const res of made) c.rd_kafka_ConfigResource_destroy(res);
  }
}

function what(call: string, targets: readonly Target[]): string {
  return `${call}(${label(targets.map((t) => `${t.type} ${t.name}`))})`;
}

/** `describeConfigs()`: see {@link AdminClient.describeConfigs}. @example `await describeConfigs(core, [{ type: "TOPIC", name: "t" }], {})` */
export function describeConfigs(
  core: AdminCore,
  resources: readonly ConfigResource[],
  options: AdminCallOptions = {},
): Promise<ConfigResourceResult[]> {
  try {
    const ms = timeout(options, "describeConfigs");
    const { targets } = checkResources(resources, "describeConfigs", () => undefined);
    const c = rd();
    return withResources("describeConfigs", targets, () => {}, (made) =>
      core.request({
        what: what("describeConfigs", targets),
        event: ADMIN_EVENT.DESCRIBECONFIGS,
        timeoutMs: ms,
        send: (opts, q) => c.rd_kafka_DescribeConfigs(core.rk, pointerArray(made), BigInt(made.length), opts, q),
        parse: (ev) =>
          readResources(
            list(c.rd_kafka_DescribeConfigs_result_resources, c.rd_kafka_event_DescribeConfigs_result(ev)),
            targets,
            (res, out): ConfigResourceResult => ({
              ...out,
              configs: backend.isNull(res) || out.error
                ? []
                : list(c.rd_kafka_ConfigResource_configs, res).map(readEntry).sort((a, b) =>
                  a.name < b.name ? -1 : a.name > b.name ? 1 : 0
                ),
            }),
          ),
      }));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** `alterConfigs()`: see {@link AdminClient.alterConfigs}. @example `await alterConfigs(core, [r], {})` */
export function alterConfigs(
  core: AdminCore,
  resources: readonly AlterConfigsResource[],
  options: AlterConfigsOptions = {},
): Promise<AlterConfigsResult[]> {
  try {
    const ms = timeout(options, "alterConfigs");
    const { targets, extra } = checkResources(resources, "alterConfigs", (r, at) => {
      const configs = checkObject((r as AlterConfigsResource).configs, `${at}.configs`);
      return Object.entries(configs).map(([k, v]) => {
        if (k === "") throw new TypeError(`${at}.configs has an empty name`);
        return [k, configValue(v, `${at}.configs["${k}"]`)] as const;
      });
    });
    const c = rd();
    return withResources("alterConfigs", targets, (res, i) => {
      for (const [k, v] of extra[i]) {
        if (c.rd_kafka_ConfigResource_set_config(res, cstr(k), cstr(v)) !== 0) {
          throw new TypeError(`alterConfigs: resources[${i}].configs["${k}"] refused by librdkafka`);
        }
      }
    }, (made) =>
      core.request({
        what: what("alterConfigs", targets),
        event: ADMIN_EVENT.ALTERCONFIGS,
        timeoutMs: ms,
        validateOnly: options.validateOnly,
        send: (opts, q) => c.rd_kafka_AlterConfigs(core.rk, pointerArray(made), BigInt(made.length), opts, q),
        parse: (ev) =>
          readResources(
            list(c.rd_kafka_AlterConfigs_result_resources, c.rd_kafka_event_AlterConfigs_result(ev)),
            targets,
            (_res, out) => out,
          ),
      }));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** `incrementalAlterConfigs()`: see {@link AdminClient.incrementalAlterConfigs}. @example `await incrementalAlterConfigs(core, [r], {})` */
export function incrementalAlterConfigs(
  core: AdminCore,
  resources: readonly IncrementalAlterConfigsResource[],
  options: AlterConfigsOptions = {},
): Promise<AlterConfigsResult[]> {
  try {
    const ms = timeout(options, "incrementalAlterConfigs");
    const { targets, extra } = checkResources(resources, "incrementalAlterConfigs", (r, at) => {
      const ops = checkArray<unknown>((r as IncrementalAlterConfigsResource).ops, `${at}.ops`);
      const names = new Set<string>();
      return ops.map((o, j) => {
        const oat = `${at}.ops[${j}]`;
        const op = checkObject(o, oat);
        const name = checkString(op.name, `${oat}.name`);
        // The broker refuses a request that names a config twice in one resource.
        if (names.has(name)) throw new TypeError(`${oat} names ${JSON.stringify(name)} a second time`);
        names.add(name);
        const type = enumIndex(op.op, ALTER_CONFIG_OPS, `${oat}.op`);
        if (ALTER_CONFIG_OPS[type] === "DELETE") {
          if (op.value !== undefined) throw new TypeError(`${oat}: DELETE takes no value`);
          return { name, type, value: null };
        }
        if (op.value === undefined) throw new TypeError(`${oat}.value is required for ${ALTER_CONFIG_OPS[type]}`);
        return { name, type, value: configValue(op.value, `${oat}.value`) };
      });
    });
    needs(
      "incrementalAlterConfigs",
      "rd_kafka_IncrementalAlterConfigs",
      "rd_kafka_ConfigResource_add_incremental_config",
      "rd_kafka_event_IncrementalAlterConfigs_result",
      "rd_kafka_IncrementalAlterConfigs_result_resources",
    );
    const c = rd();
    return withResources("incrementalAlterConfigs", targets, (res, i) => {
      extra[i].forEach((op, j) => {
        // The value parameter is a pointer (NULL for DELETE); librdkafka copies the string.
        const value = op.value === null ? null : offHeapCstr(op.value);
        takeError(
          c.rd_kafka_ConfigResource_add_incremental_config(
            res,
            cstr(op.name),
            op.type,
            value ? backend.ptrOf(value) : backend.NULL,
          ),
          `incrementalAlterConfigs: resources[${i}].ops[${j}]`,
        );
        void value?.length;
      });
    }, (made) =>
      core.request({
        what: what("incrementalAlterConfigs", targets),
        event: ADMIN_EVENT.INCREMENTALALTERCONFIGS,
        timeoutMs: ms,
        validateOnly: options.validateOnly,
        send: (opts, q) =>
          c.rd_kafka_IncrementalAlterConfigs(core.rk, pointerArray(made), BigInt(made.length), opts, q),
        parse: (ev) =>
          readResources(
            list(
              c.rd_kafka_IncrementalAlterConfigs_result_resources,
              c.rd_kafka_event_IncrementalAlterConfigs_result(ev),
            ),
            targets,
            (_res, out) => out,
          ),
      }));
  } catch (e) {
    return Promise.reject(e);
  }
}
