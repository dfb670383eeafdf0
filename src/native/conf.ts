/**
 * Turns librdkafka's own property map into an `rd_kafka_conf_t`.
 *
 * Property names pass through unchanged; values may be strings, numbers or
 * booleans. librdkafka validates each one as it is set, so an unknown key or a bad
 * value fails here, at construction, with librdkafka's own words.
 *
 * @module
 */
import { CONF_OK, CONF_UNKNOWN, type Ptr } from "../../ffi/mod.ts";
import { ConfigError } from "../errors.ts";
import { backend, cbufText, cstr, rd } from "./lib.ts";
import { show } from "../validate.ts";

/**
 * librdkafka configuration: its own property names, e.g. `"bootstrap.servers"`.
 * See librdkafka's CONFIGURATION.md for every property.
 *
 * @example
 * ```ts
 * const config: ClientConfig = { "bootstrap.servers": "127.0.0.1:9092", "linger.ms": 5, "enable.idempotence": true };
 * ```
 */
export type ClientConfig = Record<string, string | number | boolean>;

function valueText(key: string, value: unknown): string {
  switch (typeof value) {
    case "string":
      // librdkafka reads a C string: a NUL would silently cut the value there.
      if (value.includes("\0")) throw new ConfigError(key, `config "${key}": the value contains a NUL character`);
      return value;
    case "number":
      if (!Number.isFinite(value)) throw new ConfigError(key, `config "${key}": ${value} is not a finite number`);
      return String(value);
    case "boolean":
      return value ? "true" : "false";
    default:
      throw new ConfigError(
        key,
        `config "${key}": value must be a string, number or boolean, got ${value === null ? "null" : typeof value}`,
      );
  }
}

// Passwords and secrets never appear in error messages.
const SECRET = /password|secret|sasl\.jaas|oauthbearer\.config|key\.pem|keystore/i;

/**
 * Builds a conf from `config` with `overrides` applied last. The caller owns the
 * result until `rd_kafka_new` succeeds.
 *
 * @throws {ConfigError} naming the key librdkafka refused.
 * @example
 * ```ts
 * const conf = buildConf({ "bootstrap.servers": "localhost:9092" }, { "log.queue": "true" });
 * ```
 */
export function buildConf(config: ClientConfig, overrides: Record<string, string> = {}): Ptr {
  checkConfig(config);
  const c = rd();
  const conf: Ptr = c.rd_kafka_conf_new();
  const errstr = new Uint8Array(512);
  try {
    for (const [key, value] of [...Object.entries(config), ...Object.entries(overrides)]) {
      if (key.includes("\0")) throw new ConfigError(key, `config key ${JSON.stringify(key)} contains a NUL character`);
      const text = valueText(key, value);
      const res = c.rd_kafka_conf_set(conf, cstr(key), cstr(text), errstr, 512n);
      if (res !== CONF_OK) {
        const why = cbufText(errstr).trim();
        const shown = SECRET.test(key) ? "(value hidden)" : JSON.stringify(text);
        throw new ConfigError(
          key,
          res === CONF_UNKNOWN
            ? `unknown config property "${key}": ${why}`
            : `invalid value ${shown} for config property "${key}": ${why}`,
        );
      }
    }
  } catch (e) {
    c.rd_kafka_conf_destroy(conf);
    throw e;
  }
  return conf;
}

/**
 * Throws unless `config` is a plain object (not null, an array, a Map, …): the
 * constructors check this first, before they read any property of it.
 *
 * @throws {TypeError} naming what was given.
 * @example
 * ```ts
 * checkConfig({ "bootstrap.servers": "localhost:9092" });
 * ```
 */
export function checkConfig(config: unknown): asserts config is ClientConfig {
  const proto = config !== null && typeof config === "object" ? Object.getPrototypeOf(config) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError(`config must be an object of librdkafka properties, got ${show(config)}`);
  }
}

/** Reports whether `config` sets `key` (so a library default must not override it). @example `has(config, "partitioner")` */
export function has(config: ClientConfig, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(config, key);
}

export { backend };
