/**
 * Configuration of topics, brokers and groups: describe, alter (replace) and
 * incrementally alter (librdkafka ≥ 2.2.0).
 *
 * @module
 */
import type { KafkaError } from "./errors.ts";
import type { AdminCore } from "./admin_core.ts";
import type { AdminCallOptions } from "./admin_read.ts";

/** What a config belongs to: librdkafka's resource type names (`"TOPIC"`, `"BROKER"`, `"GROUP"`; any case). @example `{ type: "TOPIC", name: "orders" }` */
export interface ConfigResource {
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
  /** Where the value could also come from, most specific first (brokers send them when asked). */
  synonyms: ConfigEntry[];
}

/** One resource of a {@link AdminClient.describeConfigs} answer. @example `for (const c of res.configs) console.log(c.name, c.value)` */
export interface ConfigResourceResult {
  type: string;
  name: string;
  error?: KafkaError;
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
  /** Required except for DELETE. */
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
  validateOnly?: boolean;
}

/** `describeConfigs()`: see {@link AdminClient.describeConfigs}. @example `await describeConfigs(core, [{ type: "TOPIC", name: "t" }], {})` */
export function describeConfigs(
  _core: AdminCore,
  _resources: readonly ConfigResource[],
  _options: AdminCallOptions = {},
): Promise<ConfigResourceResult[]> {
  return Promise.reject(new Error("describeConfigs: not implemented yet"));
}

/** `alterConfigs()`: see {@link AdminClient.alterConfigs}. @example `await alterConfigs(core, [r], {})` */
export function alterConfigs(
  _core: AdminCore,
  _resources: readonly AlterConfigsResource[],
  _options: AlterConfigsOptions = {},
): Promise<AlterConfigsResult[]> {
  return Promise.reject(new Error("alterConfigs: not implemented yet"));
}

/** `incrementalAlterConfigs()`: see {@link AdminClient.incrementalAlterConfigs}. @example `await incrementalAlterConfigs(core, [r], {})` */
export function incrementalAlterConfigs(
  _core: AdminCore,
  _resources: readonly IncrementalAlterConfigsResource[],
  _options: AlterConfigsOptions = {},
): Promise<AlterConfigsResult[]> {
  return Promise.reject(new Error("incrementalAlterConfigs: not implemented yet"));
}
